/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.metric.promql.Ast.AggregateExpr;
import io.faultline.metric.storage.Labels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The aggregation operators, evaluated step by step over the input matrix (rangeEvalAgg). */
final class Aggregations {
  private static final double MAX_INT64 = 9223372036854774784.0;
  private static final double MIN_INT64 = -9223372036854775808.0;

  private static final int A_STDDEV = 1;
  private static final int A_STDVAR = 2;
  private static final int A_QUANTILE = 3;
  private static final int A_GROUP = 4;
  private static final int A_SUM = 5;
  private static final int A_AVG = 6;
  private static final int A_MAX = 7;
  private static final int A_MIN = 8;
  private static final int A_COUNT = 9;

  /** The {@code switch} constant of an operator, so the per-sample loop switches on an int. */
  private static int code(String op) {
    return switch (op) {
      case "stddev" -> A_STDDEV;
      case "stdvar" -> A_STDVAR;
      case "quantile" -> A_QUANTILE;
      case "group" -> A_GROUP;
      case "sum" -> A_SUM;
      case "avg" -> A_AVG;
      case "max" -> A_MAX;
      case "min" -> A_MIN;
      case "count" -> A_COUNT;
      default -> 0;
    };
  }

  private final Evaluator ev;
  private final AggregateExpr e;
  private final Set<String> grouping;
  private final double[] params;
  private final int opCode;

  Aggregations(Evaluator ev, AggregateExpr e, List<String> grouping, double[] params) {
    this.ev = ev;
    this.e = e;
    this.grouping = new HashSet<>(grouping);
    this.params = params;
    this.opCode = code(e.op);
  }

  Labels groupLabels(Labels metric) {
    return groupLabels(metric, e.without, grouping);
  }

  static Labels groupLabels(Labels metric, boolean without, Set<String> grouping) {
    if (without) {
      Set<String> drop = new HashSet<>(grouping);
      drop.add(Labels.METRIC_NAME);
      return metric.without(drop);
    }
    if (grouping.isEmpty()) {
      return Labels.empty();
    }
    return metric.keep(grouping);
  }

  List<EvSeries> run(List<EvSeries> input) {
    String op = e.op;
    boolean kOp =
        op.equals("topk") || op.equals("bottomk") || op.equals("limitk")
            || op.equals("limit_ratio");
    Map<Labels, Integer> groupIndex = new LinkedHashMap<>();
    int[] seriesToGroup = new int[input.size()];
    List<EvSeries> result = new ArrayList<>();
    int steps = ev.numSteps();
    for (int si = 0; si < input.size(); si++) {
      Labels key = groupLabels(input.get(si).metric);
      Integer idx = groupIndex.get(key);
      if (idx == null) {
        idx = groupIndex.size();
        groupIndex.put(key, idx);
        if (!kOp) {
          result.add(new EvSeries(key, false, steps));
        }
      }
      seriesToGroup[si] = idx;
    }
    int groups = groupIndex.size();
    double pMax = 0;
    double pMin = 0;
    boolean pNaN = false;
    if (params != null) {
      pMax = -Double.MAX_VALUE;
      pMin = Double.MAX_VALUE;
      for (double p : params) {
        pMax = Math.max(pMax, p);
        pMin = Math.min(pMin, p);
        pNaN |= Double.isNaN(p);
      }
    }
    switch (op) {
      case "topk":
      case "bottomk":
      case "limitk":
        if (pMax < 1) {
          return new ArrayList<>();
        }
        if (pNaN) {
          throw Evaluator.error("Parameter value is NaN");
        }
        if (pMin <= MIN_INT64) {
          throw Evaluator.error("Scalar value " + Format.goG(pMin) + " underflows int64");
        }
        if (pMax >= MAX_INT64) {
          throw Evaluator.error("Scalar value " + Format.goG(pMax) + " overflows int64");
        }
        break;
      case "limit_ratio":
        if (pMax == 0 && pMin == 0) {
          return new ArrayList<>();
        }
        if (pNaN) {
          throw Evaluator.error("Ratio value is NaN");
        }
        if (pMax > 1.0) {
          ev.ctx.annos.warn(
              "ratio value should be between -1 and 1, got " + Format.goG(pMax)
                  + ", capping to 1",
              e.param);
        }
        if (pMin < -1.0) {
          ev.ctx.annos.warn(
              "ratio value should be between -1 and 1, got " + Format.goG(pMin)
                  + ", capping to -1",
              e.param);
        }
        break;
      case "quantile":
        if (pNaN) {
          ev.ctx.annos.warn("quantile value should be between 0 and 1, got NaN", e.param);
        }
        if (pMax > 1) {
          ev.ctx.annos.warn(
              "quantile value should be between 0 and 1, got " + Format.goG(pMax), e.param);
        }
        if (pMin < 0) {
          ev.ctx.annos.warn(
              "quantile value should be between 0 and 1, got " + Format.goG(pMin), e.param);
        }
        break;
      default:
        break;
    }

    if (!kOp && steps > 1 && seriesMajor(input, groups, steps)) {
      return runSeriesMajor(input, seriesToGroup, groups, steps, result);
    }
    boolean[] has = new boolean[input.size()];
    double[] val = new double[input.size()];
    Map<Labels, EvSeries> kSeries = new LinkedHashMap<>();
    // Group accumulators as parallel primitive arrays.
    boolean[] seen = new boolean[groups];
    double[] fv = new double[groups];
    double[] mean = new double[groups];
    double[] kc = new double[groups];
    double[] cnt = new double[groups];
    boolean[] incMean = new boolean[groups];
    boolean[] drop = new boolean[groups];
    List<List<Double>> heaps = new ArrayList<>();
    int step = 0;
    for (long ts = ev.start; ts <= ev.end; ts += ev.interval, step++) {
      ev.checkDeadline();
      double p = params != null ? params[step] : 0;
      for (int si = 0; si < input.size(); si++) {
        EvSeries s = input.get(si);
        if (s.cur < s.n && s.ts[s.cur] == ts) {
          has[si] = true;
          val[si] = s.fs[s.cur];
          s.cur++;
        } else {
          has[si] = false;
        }
      }
      if (kOp) {
        List<EvSeries> r = aggregationK(p, input, has, val, seriesToGroup, groups, ts, kSeries);
        if (ev.start == ev.end) {
          return r;
        }
        continue;
      }
      Arrays.fill(seen, false);
      for (int si = 0; si < input.size(); si++) {
        if (!has[si]) {
          continue;
        }
        double f = val[si];
        int g = seriesToGroup[si];
        if (!seen[g]) {
          seen[g] = true;
          fv[g] = f;
          mean[g] = f;
          kc[g] = 0;
          cnt[g] = 1;
          incMean[g] = false;
          drop[g] = input.get(si).dropName;
          switch (opCode) {
            case A_STDDEV:
            case A_STDVAR:
              fv[g] = Double.isNaN(f) || Double.isInfinite(f) ? Double.NaN : 0;
              break;
            case A_QUANTILE:
              while (heaps.size() <= g) {
                heaps.add(new ArrayList<>());
              }
              heaps.get(g).clear();
              heaps.get(g).add(f);
              break;
            case A_GROUP:
              fv[g] = 1;
              break;
            default:
              break;
          }
          continue;
        }
        if (input.get(si).dropName) {
          drop[g] = true;
        }
        switch (opCode) {
          case A_SUM:
            {
              double[] r = kahanInc(f, fv[g], kc[g]);
              fv[g] = r[0];
              kc[g] = r[1];
              break;
            }
          case A_AVG:
            {
              cnt[g]++;
              if (!incMean[g]) {
                double[] r = kahanInc(f, fv[g], kc[g]);
                if (!Double.isInfinite(r[0])) {
                  fv[g] = r[0];
                  kc[g] = r[1];
                  break;
                }
                incMean[g] = true;
                mean[g] = fv[g] / (cnt[g] - 1);
                kc[g] /= cnt[g] - 1;
              }
              double q = (cnt[g] - 1) / cnt[g];
              double[] r = kahanInc(f / cnt[g], q * mean[g], q * kc[g]);
              mean[g] = r[0];
              kc[g] = r[1];
              break;
            }
          case A_GROUP:
            break;
          case A_MAX:
            if (fv[g] < f || Double.isNaN(fv[g])) {
              fv[g] = f;
            }
            break;
          case A_MIN:
            if (fv[g] > f || Double.isNaN(fv[g])) {
              fv[g] = f;
            }
            break;
          case A_COUNT:
            cnt[g]++;
            break;
          case A_STDDEV:
          case A_STDVAR:
            {
              cnt[g]++;
              double delta = f - mean[g];
              mean[g] += delta / cnt[g];
              fv[g] += delta * (f - mean[g]);
              break;
            }
          case A_QUANTILE:
            heaps.get(g).add(f);
            break;
          default:
            throw Evaluator.error("expected aggregation operator but got \"" + op + "\"");
        }
      }
      int added = 0;
      for (int g = 0; g < groups; g++) {
        if (!seen[g]) {
          continue;
        }
        double out = fv[g];
        switch (opCode) {
          case A_AVG:
            out = incMean[g] ? mean[g] + kc[g] : fv[g] / cnt[g] + kc[g] / cnt[g];
            break;
          case A_COUNT:
            out = cnt[g];
            break;
          case A_STDVAR:
            out = fv[g] / cnt[g];
            break;
          case A_STDDEV:
            out = Math.sqrt(fv[g] / cnt[g]);
            break;
          case A_QUANTILE:
            out = quantile(p, toArray(heaps.get(g)));
            break;
          case A_SUM:
            out = fv[g] + kc[g];
            break;
          default:
            break;
        }
        EvSeries rs = result.get(g);
        rs.add(ts, out);
        rs.dropName = drop[g];
        added++;
      }
      ev.addSamples(added);
    }
    if (kOp) {
      return new ArrayList<>(kSeries.values());
    }
    List<EvSeries> nonEmpty = new ArrayList<>(result.size());
    for (EvSeries s : result) {
      if (s.n > 0) {
        nonEmpty.add(s);
      }
    }
    return nonEmpty;
  }

  /**
   * Whether {@link #runSeriesMajor} applies: an operator whose per-step result depends only on
   * the values in series order, every point on the step grid, and accumulators of a bounded size.
   */
  private boolean seriesMajor(List<EvSeries> input, int groups, int steps) {
    if (opCode != A_SUM && opCode != A_COUNT && opCode != A_MAX && opCode != A_MIN
        && opCode != A_GROUP) {
      return false;
    }
    if ((long) groups * steps > 1 << 20) {
      return false;
    }
    for (EvSeries s : input) {
      for (int k = s.cur; k < s.n; k++) {
        long off = s.ts[k] - ev.start;
        if (off < 0 || off % ev.interval != 0 || off / ev.interval >= steps
            || (k > s.cur && s.ts[k] <= s.ts[k - 1])) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * The step-by-step loop turned inside out for range queries: each series is read once, front to
   * back, into per-(group, step) accumulators, instead of visiting every series at every step.
   * Within each step the values still arrive in series order, so sums (with the same Kahan
   * compensation) and every other result are bit for bit those of the step loop.
   */
  private List<EvSeries> runSeriesMajor(
      List<EvSeries> input, int[] seriesToGroup, int groups, int steps, List<EvSeries> result) {
    int cells = groups * steps;
    boolean[] seen = new boolean[cells];
    boolean[] drop = new boolean[cells];
    double[] fv = new double[cells];
    double[] kc = opCode == A_SUM ? new double[cells] : null;
    double[] cnt = opCode == A_COUNT ? new double[cells] : null;
    for (int si = 0; si < input.size(); si++) {
      ev.checkDeadline();
      EvSeries s = input.get(si);
      int base = seriesToGroup[si] * steps;
      for (int k = s.cur; k < s.n; k++) {
        int idx = base + (int) ((s.ts[k] - ev.start) / ev.interval);
        double f = s.fs[k];
        if (!seen[idx]) {
          seen[idx] = true;
          fv[idx] = opCode == A_GROUP ? 1 : f;
          if (cnt != null) {
            cnt[idx] = 1;
          }
          drop[idx] = s.dropName;
          continue;
        }
        if (s.dropName) {
          drop[idx] = true;
        }
        switch (opCode) {
          case A_SUM -> {
            double sum = fv[idx];
            double t = sum + f;
            if (Double.isInfinite(t)) {
              kc[idx] = 0;
            } else if (Math.abs(sum) >= Math.abs(f)) {
              kc[idx] += (sum - t) + f;
            } else {
              kc[idx] += (f - t) + sum;
            }
            fv[idx] = t;
          }
          case A_MAX -> {
            if (fv[idx] < f || Double.isNaN(fv[idx])) {
              fv[idx] = f;
            }
          }
          case A_MIN -> {
            if (fv[idx] > f || Double.isNaN(fv[idx])) {
              fv[idx] = f;
            }
          }
          case A_COUNT -> cnt[idx]++;
          default -> { }
        }
      }
      s.cur = s.n;
    }
    long ts = ev.start;
    for (int step = 0; step < steps; step++, ts += ev.interval) {
      int added = 0;
      for (int g = 0; g < groups; g++) {
        int idx = g * steps + step;
        if (!seen[idx]) {
          continue;
        }
        double out = switch (opCode) {
          case A_SUM -> fv[idx] + kc[idx];
          case A_COUNT -> cnt[idx];
          default -> fv[idx];
        };
        EvSeries rs = result.get(g);
        rs.add(ts, out);
        rs.dropName = drop[idx];
        added++;
      }
      ev.addSamples(added);
    }
    List<EvSeries> nonEmpty = new ArrayList<>(result.size());
    for (EvSeries r : result) {
      if (r.n > 0) {
        nonEmpty.add(r);
      }
    }
    return nonEmpty;
  }

  private static double[] toArray(List<Double> l) {
    double[] a = new double[l.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = l.get(i);
    }
    return a;
  }

  private static final class KItem {
    final EvSeries src;
    final double f;

    KItem(EvSeries src, double f) {
      this.src = src;
      this.f = f;
    }
  }

  private List<EvSeries> aggregationK(
      double fParam,
      List<EvSeries> input,
      boolean[] has,
      double[] val,
      int[] seriesToGroup,
      int groups,
      long ts,
      Map<Labels, EvSeries> kSeries) {
    String op = e.op;
    long k = 0;
    double r = 0;
    switch (op) {
      case "topk":
      case "bottomk":
      case "limitk":
        k = Math.min((long) fParam, input.size());
        if (k < 1) {
          return new ArrayList<>();
        }
        break;
      default:
        if (fParam == 0) {
          return new ArrayList<>();
        }
        r = Math.max(-1.0, Math.min(1.0, fParam));
        break;
    }
    List<List<KItem>> heaps = new ArrayList<>(groups);
    for (int g = 0; g < groups; g++) {
      heaps.add(null);
    }
    for (int si = 0; si < input.size(); si++) {
      if (!has[si]) {
        continue;
      }
      EvSeries s = input.get(si);
      KItem item = new KItem(s, val[si]);
      int g = seriesToGroup[si];
      List<KItem> heap = heaps.get(g);
      if (heap == null) {
        heap = new ArrayList<>();
        heaps.set(g, heap);
      }
      switch (op) {
        case "topk":
          if (heap.size() < k) {
            heap.add(item);
          } else {
            int mi = minIndex(heap, false);
            double m = heap.get(mi).f;
            if (m < item.f || (Double.isNaN(m) && !Double.isNaN(item.f))) {
              heap.set(mi, item);
            }
          }
          break;
        case "bottomk":
          if (heap.size() < k) {
            heap.add(item);
          } else {
            int mi = minIndex(heap, true);
            double m = heap.get(mi).f;
            if (m > item.f || (Double.isNaN(m) && !Double.isNaN(item.f))) {
              heap.set(mi, item);
            }
          }
          break;
        case "limitk":
          if (heap.size() < k) {
            heap.add(item);
          }
          break;
        default:
          if (addRatioSample(r, s.metric)) {
            heap.add(item);
          }
          break;
      }
    }
    List<EvSeries> mat = new ArrayList<>();
    for (List<KItem> heap : heaps) {
      if (heap == null) {
        continue;
      }
      if (op.equals("topk")) {
        heap.sort((a, b) -> compareDesc(a.f, b.f));
      } else if (op.equals("bottomk")) {
        heap.sort((a, b) -> compareAscNanLast(a.f, b.f));
      }
      for (KItem it : heap) {
        if (ev.start == ev.end) {
          EvSeries es = new EvSeries(it.src.metric, it.src.dropName, 1);
          es.add(ts, it.f);
          mat.add(es);
        } else {
          EvSeries es = kSeries.get(it.src.metric);
          if (es == null) {
            es = new EvSeries(it.src.metric, it.src.dropName, ev.numSteps());
            kSeries.put(it.src.metric, es);
          }
          es.add(ts, it.f);
        }
      }
      ev.addSamples(heap.size());
    }
    return mat;
  }

  /** Index of heap[0] under Prometheus' heap order: NaN first, then min (or max if reverse). */
  private static int minIndex(List<KItem> heap, boolean reverse) {
    int best = 0;
    for (int i = 1; i < heap.size(); i++) {
      double a = heap.get(i).f;
      double b = heap.get(best).f;
      if (Double.isNaN(b)) {
        continue;
      }
      if (Double.isNaN(a) || (reverse ? a > b : a < b)) {
        best = i;
      }
    }
    return best;
  }

  /** Descending with NaN last. */
  private static int compareDesc(double a, double b) {
    boolean an = Double.isNaN(a);
    boolean bn = Double.isNaN(b);
    if (an || bn) {
      return an == bn ? 0 : an ? 1 : -1;
    }
    return Double.compare(b, a) == 0 ? 0 : (a > b ? -1 : 1);
  }

  /** Ascending with NaN last. */
  private static int compareAscNanLast(double a, double b) {
    boolean an = Double.isNaN(a);
    boolean bn = Double.isNaN(b);
    if (an || bn) {
      return an == bn ? 0 : an ? 1 : -1;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  }

  static List<Sample> countValues(
      AggregateExpr e, List<String> grouping, String valueLabel, List<Sample> vec,
      Evaluator.Enh enh) {
    Set<String> g = new HashSet<>(grouping);
    Map<Labels, int[]> counts = new LinkedHashMap<>();
    for (Sample s : vec) {
      Labels metric = Labels.builder(s.metric).set(valueLabel, Format.goFloatF(s.f)).build();
      Labels key = groupLabels(metric, e.without, g);
      counts.computeIfAbsent(key, x -> new int[1])[0]++;
    }
    List<Sample> out = new ArrayList<>(counts.size());
    for (Map.Entry<Labels, int[]> en : counts.entrySet()) {
      out.add(new Sample(en.getKey(), en.getValue()[0], enh.ts, false));
    }
    return out;
  }

  static double[] kahanInc(double inc, double sum, double c) {
    double t = sum + inc;
    if (Double.isInfinite(t)) {
      c = 0;
    } else if (Math.abs(sum) >= Math.abs(inc)) {
      c += (sum - t) + inc;
    } else {
      c += (inc - t) + sum;
    }
    return new double[] {t, c};
  }

  /** Prometheus' quantile over values: NaN sorts first; linear interpolation between ranks. */
  static double quantile(double q, double[] values) {
    if (values.length == 0 || Double.isNaN(q)) {
      return Double.NaN;
    }
    if (q < 0) {
      return Double.NEGATIVE_INFINITY;
    }
    if (q > 1) {
      return Double.POSITIVE_INFINITY;
    }
    double[] v = values.clone();
    sortNanFirst(v);
    double n = v.length;
    double rank = q * (n - 1);
    double lower = Math.max(0, Math.floor(rank));
    double upper = Math.min(n - 1, lower + 1);
    double weight = rank - Math.floor(rank);
    return v[(int) lower] * (1 - weight) + v[(int) upper] * weight;
  }

  static void sortNanFirst(double[] v) {
    int nans = 0;
    double[] rest = new double[v.length];
    int r = 0;
    for (double d : v) {
      if (Double.isNaN(d)) {
        nans++;
      } else {
        rest[r++] = d;
      }
    }
    Arrays.sort(rest, 0, r);
    for (int i = 0; i < nans; i++) {
      v[i] = Double.NaN;
    }
    System.arraycopy(rest, 0, v, nans, r);
  }

  // limit_ratio: the same deterministic per-series offset as Prometheus' HashRatioSampler.
  static boolean addRatioSample(double ratioLimit, Labels metric) {
    double offset = unsignedToDouble(labelsHash(metric)) / 18446744073709551615.0;
    return (ratioLimit >= 0 && offset < ratioLimit)
        || (ratioLimit < 0 && offset >= 1.0 + ratioLimit);
  }

  private static double unsignedToDouble(long h) {
    if (h >= 0) {
      return (double) h;
    }
    return ((double) ((h >>> 1) | (h & 1))) * 2.0;
  }

  /** Prometheus' labels.Hash: xxhash64 over name 0xff value 0xff ... */
  static long labelsHash(Labels l) {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < l.size(); i++) {
      byte[] n = l.name(i).getBytes(StandardCharsets.UTF_8);
      byte[] v = l.value(i).getBytes(StandardCharsets.UTF_8);
      b.write(n, 0, n.length);
      b.write(0xff);
      b.write(v, 0, v.length);
      b.write(0xff);
    }
    return xxh64(b.toByteArray());
  }

  private static final long P1 = 0x9E3779B185EBCA87L;
  private static final long P2 = 0xC2B2AE3D27D4EB4FL;
  private static final long P3 = 0x165667B19E3779F9L;
  private static final long P4 = 0x85EBCA77C2B2AE63L;
  private static final long P5 = 0x27D4EB2F165667C5L;

  static long xxh64(byte[] b) {
    int len = b.length;
    int i = 0;
    long h;
    if (len >= 32) {
      long v1 = P1 + P2;
      long v2 = P2;
      long v3 = 0;
      long v4 = -P1;
      while (i <= len - 32) {
        v1 = round(v1, le64(b, i));
        v2 = round(v2, le64(b, i + 8));
        v3 = round(v3, le64(b, i + 16));
        v4 = round(v4, le64(b, i + 24));
        i += 32;
      }
      h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12)
          + Long.rotateLeft(v4, 18);
      h = merge(h, v1);
      h = merge(h, v2);
      h = merge(h, v3);
      h = merge(h, v4);
    } else {
      h = P5;
    }
    h += len;
    while (i <= len - 8) {
      h ^= round(0, le64(b, i));
      h = Long.rotateLeft(h, 27) * P1 + P4;
      i += 8;
    }
    if (i <= len - 4) {
      h ^= (le32(b, i) & 0xffffffffL) * P1;
      h = Long.rotateLeft(h, 23) * P2 + P3;
      i += 4;
    }
    while (i < len) {
      h ^= (b[i] & 0xffL) * P5;
      h = Long.rotateLeft(h, 11) * P1;
      i++;
    }
    h ^= h >>> 33;
    h *= P2;
    h ^= h >>> 29;
    h *= P3;
    h ^= h >>> 32;
    return h;
  }

  private static long round(long acc, long input) {
    acc += input * P2;
    acc = Long.rotateLeft(acc, 31);
    return acc * P1;
  }

  private static long merge(long acc, long val) {
    acc ^= round(0, val);
    return acc * P1 + P4;
  }

  private static long le64(byte[] b, int i) {
    long v = 0;
    for (int k = 7; k >= 0; k--) {
      v = (v << 8) | (b[i + k] & 0xffL);
    }
    return v;
  }

  private static int le32(byte[] b, int i) {
    return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
  }

}
