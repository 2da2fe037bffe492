/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.storage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A {@link SeriesSource} held in memory: for tests and small deployments. Appends and reads are
 * synchronized; {@link #select} returns copies, so results stay valid while appends continue.
 */
public final class InMemorySeriesSource implements SeriesSource {
  private final TreeMap<Labels, Buffer> series = new TreeMap<>();

  /**
   * Adds one sample. A sample at an existing timestamp replaces the old value; out-of-order
   * samples are inserted in place.
   */
  public synchronized void add(Labels labels, long timestampMs, double value) {
    Objects.requireNonNull(labels, "labels");
    series.computeIfAbsent(labels, l -> new Buffer()).add(timestampMs, value);
  }

  /** Removes every series. */
  public synchronized void clear() {
    series.clear();
  }

  /** The number of series held. */
  public synchronized int seriesCount() {
    return series.size();
  }

  @Override
  public synchronized List<Series> select(
      List<LabelMatcher> matchers, long minTimeMs, long maxTimeMs) {
    List<Series> out = new ArrayList<>();
    for (Map.Entry<Labels, Buffer> e : series.entrySet()) {
      if (!matchesAll(e.getKey(), matchers)) {
        continue;
      }
      Buffer b = e.getValue();
      int from = lowerBound(b.ts, b.n, minTimeMs);
      int to = lowerBound(b.ts, b.n, maxTimeMs == Long.MAX_VALUE ? maxTimeMs : maxTimeMs + 1);
      if (maxTimeMs == Long.MAX_VALUE) {
        to = b.n;
      }
      if (to <= from) {
        continue;
      }
      out.add(
          new Series(
              e.getKey(), Arrays.copyOfRange(b.ts, from, to), Arrays.copyOfRange(b.vs, from, to)));
    }
    return out;
  }

  @Override
  public synchronized List<String> labelNames(
      List<LabelMatcher> matchers, long minTimeMs, long maxTimeMs) {
    TreeSet<String> names = new TreeSet<>();
    for (Series s : select(matchers, minTimeMs, maxTimeMs)) {
      for (int i = 0; i < s.labels().size(); i++) {
        names.add(s.labels().name(i));
      }
    }
    return new ArrayList<>(names);
  }

  @Override
  public synchronized List<String> labelValues(
      String labelName, List<LabelMatcher> matchers, long minTimeMs, long maxTimeMs) {
    TreeSet<String> values = new TreeSet<>();
    for (Series s : select(matchers, minTimeMs, maxTimeMs)) {
      String v = s.labels().get(labelName);
      if (!v.isEmpty()) {
        values.add(v);
      }
    }
    return new ArrayList<>(values);
  }

  private static boolean matchesAll(Labels labels, List<LabelMatcher> matchers) {
    for (LabelMatcher m : matchers) {
      if (!m.matches(labels)) {
        return false;
      }
    }
    return true;
  }

  private static int lowerBound(long[] ts, int n, long t) {
    int lo = 0;
    int hi = n;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (ts[mid] < t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static final class Buffer {
    long[] ts = new long[8];
    double[] vs = new double[8];
    int n;

    void add(long t, double v) {
      if (n > 0 && t <= ts[n - 1]) {
        int i = lowerBound(ts, n, t);
        if (i < n && ts[i] == t) {
          vs[i] = v;
          return;
        }
        grow();
        System.arraycopy(ts, i, ts, i + 1, n - i);
        System.arraycopy(vs, i, vs, i + 1, n - i);
        ts[i] = t;
        vs[i] = v;
        n++;
        return;
      }
      grow();
      ts[n] = t;
      vs[n] = v;
      n++;
    }

    private void grow() {
      if (n == ts.length) {
        ts = Arrays.copyOf(ts, n * 2);
        vs = Arrays.copyOf(vs, n * 2);
      }
    }
  }
}
