/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.metric.promql.Ast.Call;
import io.faultline.metric.storage.Labels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** histogram_quantile, histogram_quantiles and histogram_fraction over classic {@code le} buckets. */
final class ClassicHistograms {
  private ClassicHistograms() {}

  private static final Set<String> LE = Set.of("le");
  private static final Set<String> EXCLUDED = Set.of(Labels.METRIC_NAME, "le");

  static final class Group {
    final Labels metric;
    final List<double[]> buckets = new ArrayList<>();

    Group(Labels metric) {
      this.metric = metric;
    }
  }

  static Map<Labels, Group> group(Evaluator ev, List<Sample> in, Call e, int argIdx) {
    Map<Labels, Group> groups = new LinkedHashMap<>();
    for (Sample s : in) {
      double upper;
      String le = s.metric.get("le");
      try {
        upper = Format.parseGoFloat(le);
      } catch (NumberFormatException ex) {
        String name = s.metric.get(Labels.METRIC_NAME);
        ev.ctx.annos.warn(
            "bucket label \"le\" is missing or has a malformed value of " + GoStrings.quote(le)
                + (name.isEmpty() ? "" : " for metric name " + GoStrings.quote(name)),
            e.args.get(argIdx));
        continue;
      }
      Labels sig = s.metric.without(LE);
      Group g = groups.get(sig);
      if (g == null) {
        g = new Group(s.metric.without(EXCLUDED));
        groups.put(sig, g);
      }
      g.buckets.add(new double[] {upper, s.f});
    }
    return groups;
  }

  static List<Sample> quantile(Evaluator ev, Call e, List<List<Sample>> v, Evaluator.Enh enh) {
    List<Sample> out = new ArrayList<>();
    if (v.get(0).isEmpty()) {
      return out;
    }
    double q = v.get(0).get(0).f;
    if (Double.isNaN(q) || q < 0 || q > 1) {
      ev.ctx.annos.warn(
          "quantile value should be between 0 and 1, got " + Format.goG(q), e.args.get(0));
    }
    for (Group g : group(ev, v.get(1), e, 1).values()) {
      boolean[] forced = new boolean[1];
      double r = bucketQuantile(q, g.buckets, forced);
      if (forced[0]) {
        monotonicityInfo(ev, e, 1);
      }
      out.add(new Sample(g.metric, r, enh.ts, true));
    }
    return out;
  }

  private static void monotonicityInfo(Evaluator ev, Call e, int argIdx) {
    ev.ctx.annos.info(
        "input to histogram_quantile needed to be fixed for monotonicity (see"
            + " https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)",
        e.args.get(argIdx));
  }

  static List<Sample> quantiles(Evaluator ev, Call e, List<List<Sample>> v, Evaluator.Enh enh) {
    String label = Functions.stringArg(e.args.get(1));
    List<Double> qs = new ArrayList<>();
    for (int i = 2; i < v.size(); i++) {
      double q = v.get(i).get(0).f;
      if (Double.isNaN(q) || q < 0 || q > 1) {
        ev.ctx.annos.warn(
            "quantile value should be between 0 and 1, got " + Format.goG(q), e.args.get(i));
      }
      qs.add(q);
    }
    List<Sample> out = new ArrayList<>();
    Map<Labels, Group> groups = group(ev, v.get(0), e, 0);
    for (double q : qs) {
      for (Group g : groups.values()) {
        boolean[] forced = new boolean[1];
        double r = bucketQuantile(q, g.buckets, forced);
        if (forced[0]) {
          monotonicityInfo(ev, e, 0);
        }
        Labels l = Labels.builder(g.metric).set(label, openMetricsFloat(q)).build();
        out.add(new Sample(l, r, enh.ts, true));
      }
    }
    return out;
  }

  static String openMetricsFloat(double f) {
    String s = Format.goG(f);
    if (s.contains(".") || s.contains("e") || s.contains("Inf") || s.contains("NaN")) {
      return s;
    }
    return s + ".0";
  }

  static List<Sample> fraction(Evaluator ev, Call e, List<List<Sample>> v, Evaluator.Enh enh) {
    List<Sample> out = new ArrayList<>();
    if (v.get(0).isEmpty() || v.get(1).isEmpty()) {
      return out;
    }
    double lower = v.get(0).get(0).f;
    double upper = v.get(1).get(0).f;
    for (Group g : group(ev, v.get(2), e, 2).values()) {
      out.add(new Sample(g.metric, bucketFraction(lower, upper, g.buckets), enh.ts, true));
    }
    return out;
  }

  private static double[][] sortedCoalesced(List<double[]> in) {
    double[][] b = in.toArray(new double[0][]);
    for (int i = 0; i < b.length; i++) {
      b[i] = b[i].clone();
    }
    Arrays.sort(b, (x, y) -> Double.compare(x[0], y[0]));
    List<double[]> out = new ArrayList<>();
    double[] last = b[0];
    for (int i = 1; i < b.length; i++) {
      if (b[i][0] == last[0]) {
        last[1] += b[i][1];
      } else {
        out.add(last);
        last = b[i];
      }
    }
    out.add(last);
    return out.toArray(new double[0][]);
  }

  static double bucketQuantile(double q, List<double[]> in, boolean[] forced) {
    if (Double.isNaN(q)) {
      return Double.NaN;
    }
    if (q < 0) {
      return Double.NEGATIVE_INFINITY;
    }
    if (q > 1) {
      return Double.POSITIVE_INFINITY;
    }
    double[][] b = sortedCoalesced(in);
    if (b[b.length - 1][0] != Double.POSITIVE_INFINITY) {
      return Double.NaN;
    }
    correctPrecisionErrors(b, 1e-12);
    forced[0] = ensureMonotonic(b);
    if (b.length < 2) {
      return Double.NaN;
    }
    double observations = b[b.length - 1][1];
    if (observations == 0) {
      return Double.NaN;
    }
    double rank = q * observations;
    int idx = 0;
    int lo = 0;
    int hi = b.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (b[mid][1] >= rank) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    idx = lo;
    if (idx == b.length - 1) {
      return b[b.length - 2][0];
    }
    if (idx == 0 && b[0][0] <= 0) {
      return b[0][0];
    }
    double bucketStart = 0;
    double bucketEnd = b[idx][0];
    double count = b[idx][1];
    if (idx > 0) {
      bucketStart = b[idx - 1][0];
      count -= b[idx - 1][1];
      rank -= b[idx - 1][1];
    }
    return bucketStart + (bucketEnd - bucketStart) * (rank / count);
  }

  private static boolean ensureMonotonic(double[][] b) {
    boolean forced = false;
    double max = b[0][1];
    for (int i = 1; i < b.length; i++) {
      if (b[i][1] > max) {
        max = b[i][1];
      } else if (b[i][1] < max) {
        b[i][1] = max;
        forced = true;
      }
    }
    return forced;
  }

  private static void correctPrecisionErrors(double[][] b, double tolerance) {
    double prev = b[0][1];
    for (int i = 1; i < b.length; i++) {
      double curr = b[i][1];
      double delta = Math.abs(curr - prev);
      if (delta == 0) {
        continue;
      }
      if (delta / curr <= tolerance) {
        b[i][1] = prev;
      } else {
        prev = curr;
      }
    }
  }

  static double bucketFraction(double lower, double upper, List<double[]> in) {
    double[][] b = sortedCoalesced(in);
    if (b[b.length - 1][0] != Double.POSITIVE_INFINITY) {
      return Double.NaN;
    }
    double count = b[b.length - 1][1];
    if (count == 0 || Double.isNaN(lower) || Double.isNaN(upper)) {
      return Double.NaN;
    }
    if (lower >= upper) {
      return 0;
    }
    double rank = 0;
    double lowerRank = 0;
    double upperRank = 0;
    boolean lowerSet = false;
    boolean upperSet = false;
    for (int i = 0; i < b.length; i++) {
      double lowerBound =
          i > 0 ? b[i - 1][0] : b[0][0] > 0 ? 0 : Double.NEGATIVE_INFINITY;
      boolean infinite =
          Double.isInfinite(lowerBound) || Double.isInfinite(b[i][0]);
      double upperBound = b[i][0];
      double bc = b[i][1];
      if (!lowerSet && lowerBound >= lower) {
        lowerRank = rank;
        lowerSet = true;
      }
      if (!upperSet && lowerBound >= upper) {
        upperRank = rank;
        upperSet = true;
      }
      if (lowerSet && upperSet) {
        break;
      }
      if (!lowerSet && lowerBound < lower && upperBound > lower) {
        lowerRank =
            infinite ? (Double.isInfinite(upperBound) ? rank : bc) : rank + (bc - rank) * (lower - lowerBound) / (upperBound - lowerBound);
        lowerSet = true;
      }
      if (!upperSet && lowerBound < upper && upperBound > upper) {
        upperRank =
            infinite
                ? (Double.isInfinite(upperBound) ? rank : bc)
                : rank + (bc - rank) * (upper - lowerBound) / (upperBound - lowerBound);
        upperSet = true;
      }
      if (lowerSet && upperSet) {
        break;
      }
      rank = bc;
    }
    if (!lowerSet || lowerRank > count) {
      lowerRank = count;
    }
    if (!upperSet || upperRank > count) {
      upperRank = count;
    }
    return (upperRank - lowerRank) / count;
  }
}
