/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.ingest;

/**
 * The kinds of batch that travel through the write-ahead log. The {@link #code()} is written into
 * every log record, so codes are never reused or renumbered.
 */
public enum Signal {
  /** {@code ExportTraceServiceRequest} bytes. */
  TRACES((byte) 1),
  /** {@code ExportLogsServiceRequest} bytes. */
  LOGS((byte) 2),
  /** {@code ExportMetricsServiceRequest} bytes. */
  METRICS((byte) 3),
  /**
   * A Prometheus remote write 1.0 {@code WriteRequest} ({@link
   * io.faultline.core.prometheus.WriteRequest}), protobuf bytes without snappy compression.
   */
  PROMETHEUS_WRITE((byte) 4);

  private final byte code;

  Signal(byte code) {
    this.code = code;
  }

  public byte code() {
    return code;
  }

  /** The signal for a record's code; throws {@link IllegalArgumentException} for an unknown one. */
  public static Signal ofCode(byte code) {
    for (Signal s : values()) {
      if (s.code == code) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown signal code " + code);
  }
}
