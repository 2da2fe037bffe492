/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import java.util.Arrays;

/**
 * Samples of one series gathered from chunks in the index and in the head, then ordered by time
 * with one sample per timestamp. Where several sources hold the same timestamp (a chunk that is
 * both in the head and already searchable, a chunk indexed twice by a replay, an out-of-order
 * sample for a taken timestamp), the in-order source wins, and among equals the first added.
 */
final class SampleList {
  private long[] ts = new long[16];
  private double[] vs = new double[16];
  private byte[] prio = new byte[16];
  private int n;
  private boolean sorted = true;

  void add(long t, double v, boolean outOfOrder) {
    if (n == ts.length) {
      int cap = n * 2;
      ts = Arrays.copyOf(ts, cap);
      vs = Arrays.copyOf(vs, cap);
      prio = Arrays.copyOf(prio, cap);
    }
    if (n > 0 && t <= ts[n - 1]) {
      sorted = false;
    }
    ts[n] = t;
    vs[n] = v;
    prio[n] = (byte) (outOfOrder ? 1 : 0);
    n++;
  }

  int size() {
    return n;
  }

  /** Sorts, removes duplicate timestamps, and returns {timestamps, values} trimmed to size. */
  Object[] finish() {
    if (!sorted) {
      Integer[] idx = new Integer[n];
      for (int i = 0; i < n; i++) {
        idx[i] = i;
      }
      Arrays.sort(
          idx,
          (a, b) -> {
            int c = Long.compare(ts[a], ts[b]);
            return c != 0 ? c : Integer.compare(prio[a], prio[b]);
          });
      long[] t2 = new long[n];
      double[] v2 = new double[n];
      int m = 0;
      for (int k = 0; k < n; k++) {
        int i = idx[k];
        if (m > 0 && t2[m - 1] == ts[i]) {
          continue;
        }
        t2[m] = ts[i];
        v2[m] = vs[i];
        m++;
      }
      return new Object[] {Arrays.copyOf(t2, m), Arrays.copyOf(v2, m)};
    }
    return new Object[] {Arrays.copyOf(ts, n), Arrays.copyOf(vs, n)};
  }
}
