/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.util.Arrays;

/** Latency percentiles by the nearest-rank method: every reported value was really observed. */
final class Percentiles {
  private final long[] sorted;

  Percentiles(long[] samples) {
    this.sorted = samples.clone();
    Arrays.sort(sorted);
  }

  int count() {
    return sorted.length;
  }

  /**
   * The smallest sample with at least {@code p} percent of the samples at or below it. For the ten
   * samples 1..10, p50 is 5, p90 is 9, p99 and p100 are 10.
   *
   * @throws IllegalArgumentException if {@code p} is not in (0, 100]
   * @throws IllegalStateException if there are no samples
   */
  long percentile(double p) {
    if (!(p > 0 && p <= 100)) {
      throw new IllegalArgumentException("a percentile is in (0, 100], got " + p);
    }
    if (sorted.length == 0) {
      throw new IllegalStateException("no samples");
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(rank, 1) - 1];
  }
}
