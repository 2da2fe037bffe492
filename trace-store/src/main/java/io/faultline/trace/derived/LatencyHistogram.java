/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace.derived;

import java.util.Arrays;

/**
 * A cumulative classic histogram: per-bucket counts (not cumulative across buckets, as OTLP wants
 * them), their sum and count. A value lands in the first bucket whose upper bound is at least the
 * value, as Prometheus' {@code le} buckets and OTLP explicit bounds both define it. Not
 * thread-safe.
 */
final class LatencyHistogram {
  private final double[] bounds;
  private final long[] counts;
  private double sum;
  private long count;

  LatencyHistogram(double[] bounds) {
    this.bounds = bounds;
    this.counts = new long[bounds.length + 1];
  }

  void observe(double value) {
    int i = Arrays.binarySearch(bounds, value);
    if (i < 0) {
      i = -i - 1;
    }
    counts[i]++;
    sum += value;
    count++;
  }

  double[] bounds() {
    return bounds;
  }

  long bucketCount(int i) {
    return counts[i];
  }

  int buckets() {
    return counts.length;
  }

  double sum() {
    return sum;
  }

  long count() {
    return count;
  }
}
