/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.metric.storage.Labels;
import java.util.Arrays;

/** One series of an intermediate result: points at evaluation steps, with a read cursor. */
final class EvSeries {
  Labels metric;
  boolean dropName;
  long[] ts;
  double[] fs;
  int n;
  /** Next unread point, for step-by-step consumption. */
  int cur;

  EvSeries(Labels metric, boolean dropName, int capacity) {
    this.metric = metric;
    this.dropName = dropName;
    int c = Math.max(1, Math.min(capacity, 1 << 16));
    this.ts = new long[c];
    this.fs = new double[c];
  }

  void add(long t, double f) {
    if (n == ts.length) {
      ts = Arrays.copyOf(ts, n * 2);
      fs = Arrays.copyOf(fs, n * 2);
    }
    ts[n] = t;
    fs[n] = f;
    n++;
  }

  /** Consumes and reports the point at {@code t} if it is the next one. */
  boolean hasNextAt(long t) {
    return cur < n && ts[cur] == t;
  }
}
