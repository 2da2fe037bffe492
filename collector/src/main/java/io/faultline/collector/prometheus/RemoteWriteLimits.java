/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

/**
 * What {@code POST /api/v1/write} accepts. A body over {@link #maxRequestBytes()} as sent, or over
 * {@link #maxDecompressedBytes()} once decompressed, gets 413 and is never fully read or
 * decompressed. A series over a label limit is rejected (400, the other series are stored): that
 * is what keeps one misconfigured sender from exploding the series index.
 *
 * @param maxRequestBytes the snappy body as sent
 * @param maxDecompressedBytes the {@code WriteRequest} after snappy decompression
 * @param maxLabelsPerSeries labels per series, {@code __name__} included
 * @param maxLabelNameBytes UTF-8 bytes of one label name
 * @param maxLabelValueBytes UTF-8 bytes of one label value (the metric name included)
 */
public record RemoteWriteLimits(
    long maxRequestBytes,
    long maxDecompressedBytes,
    int maxLabelsPerSeries,
    int maxLabelNameBytes,
    int maxLabelValueBytes) {

  /** 16 MiB as sent. */
  public static final long DEFAULT_MAX_REQUEST_BYTES = 16L << 20;

  /** 64 MiB decompressed. */
  public static final long DEFAULT_MAX_DECOMPRESSED_BYTES = 64L << 20;

  /** 128 labels per series, as the OTLP receivers allow 128 attributes per item. */
  public static final int DEFAULT_MAX_LABELS_PER_SERIES = 128;

  /** 1 KiB per label name. */
  public static final int DEFAULT_MAX_LABEL_NAME_BYTES = 1024;

  /**
   * 16000 bytes per label value, as the OTLP receivers allow for a metric label. The metric store
   * indexes {@code name\0value} as one Lucene term, which may not exceed 32766 bytes: it would drop
   * a series with a longer one after the sample was acknowledged.
   */
  public static final int DEFAULT_MAX_LABEL_VALUE_BYTES = 16_000;

  private static final RemoteWriteLimits DEFAULTS =
      new RemoteWriteLimits(
          DEFAULT_MAX_REQUEST_BYTES,
          DEFAULT_MAX_DECOMPRESSED_BYTES,
          DEFAULT_MAX_LABELS_PER_SERIES,
          DEFAULT_MAX_LABEL_NAME_BYTES,
          DEFAULT_MAX_LABEL_VALUE_BYTES);

  public RemoteWriteLimits {
    positive(maxRequestBytes, "maxRequestBytes");
    positive(maxDecompressedBytes, "maxDecompressedBytes");
    positive(maxLabelsPerSeries, "maxLabelsPerSeries");
    positive(maxLabelNameBytes, "maxLabelNameBytes");
    positive(maxLabelValueBytes, "maxLabelValueBytes");
    if (maxRequestBytes > Integer.MAX_VALUE - 8 || maxDecompressedBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "maxRequestBytes and maxDecompressedBytes must be below 2 GiB (a request is held in"
              + " memory while it is decoded)");
    }
  }

  /** The {@code DEFAULT_*} values. */
  public static RemoteWriteLimits defaults() {
    return DEFAULTS;
  }

  private static void positive(long v, String name) {
    if (v <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + v);
    }
  }
}
