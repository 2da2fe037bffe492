/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.storage;

import java.util.Objects;

/**
 * One stored series: its labels and its samples in ascending timestamp order. The arrays are
 * owned by the series and must not be modified. Staleness markers are kept as the exact NaN bit
 * pattern Prometheus uses ({@link #STALE_NAN_BITS}); use {@link #isStaleMarker(double)} to test.
 */
public final class Series {
  /** Prometheus' staleness marker: a NaN with this exact bit pattern. */
  public static final long STALE_NAN_BITS = 0x7ff0000000000002L;

  /** The staleness marker value. */
  public static final double STALE_NAN = Double.longBitsToDouble(STALE_NAN_BITS);

  private final Labels labels;
  private final long[] timestamps;
  private final double[] values;

  /**
   * Wraps the given arrays without copying.
   *
   * @throws IllegalArgumentException when the arrays differ in length
   */
  public Series(Labels labels, long[] timestamps, double[] values) {
    this.labels = Objects.requireNonNull(labels, "labels");
    this.timestamps = Objects.requireNonNull(timestamps, "timestamps");
    this.values = Objects.requireNonNull(values, "values");
    if (timestamps.length != values.length) {
      throw new IllegalArgumentException(
          "timestamps and values differ in length: " + timestamps.length + " vs " + values.length);
    }
  }

  /** Whether the value is Prometheus' staleness marker (and not just any NaN). */
  public static boolean isStaleMarker(double v) {
    return Double.doubleToRawLongBits(v) == STALE_NAN_BITS;
  }

  public Labels labels() {
    return labels;
  }

  /** Sample timestamps in milliseconds since the epoch, ascending. */
  public long[] timestamps() {
    return timestamps;
  }

  /** Sample values, parallel to {@link #timestamps()}. */
  public double[] values() {
    return values;
  }

  public int size() {
    return timestamps.length;
  }

  @Override
  public String toString() {
    return labels + " (" + timestamps.length + " samples)";
  }
}
