/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.metric.promql.Ast.Call;
import io.faultline.metric.promql.Ast.Expr;
import io.faultline.metric.promql.Ast.VectorSelector;
import io.faultline.metric.storage.Labels;
import io.faultline.metric.storage.Series;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Functions over range vectors: for each series and step the window {@code (t-range, t]} (left
 * open, as in Prometheus 3) is handed to the function as index bounds into primitive arrays.
 */
final class RangeFunctions {
  /** A range-vector argument: selected series plus the selector's range, offset and @. */
  static final class Input {
    final List<Series> series;
    final long range;
    final long offset;
    final Long timestamp;
    final VectorSelector vs;
    final Expr expr;

    Input(List<Series> series, long range, long offset, Long timestamp, VectorSelector vs, Expr e) {
      this.series = series;
      this.range = range;
      this.offset = offset;
      this.timestamp = timestamp;
      this.vs = vs;
      this.expr = e;
    }
  }

  private static final int F_RATE = 1;
  private static final int F_INCREASE = 2;
  private static final int F_DELTA = 3;
  private static final int F_IRATE = 4;
  private static final int F_IDELTA = 5;
  private static final int F_COUNT_OVER_TIME = 6;
  private static final int F_PRESENT_OVER_TIME = 7;
  private static final int F_ABSENT_OVER_TIME = 8;
  private static final int F_LAST_OVER_TIME = 9;
  private static final int F_FIRST_OVER_TIME = 10;
  private static final int F_TS_OF_LAST_OVER_TIME = 11;
  private static final int F_TS_OF_FIRST_OVER_TIME = 12;
  private static final int F_SUM_OVER_TIME = 13;
  private static final int F_AVG_OVER_TIME = 14;
  private static final int F_MAX_OVER_TIME = 15;
  private static final int F_MIN_OVER_TIME = 16;
  private static final int F_TS_OF_MAX_OVER_TIME = 17;
  private static final int F_TS_OF_MIN_OVER_TIME = 18;
  private static final int F_QUANTILE_OVER_TIME = 19;
  private static final int F_STDDEV_OVER_TIME = 20;
  private static final int F_STDVAR_OVER_TIME = 21;
  private static final int F_MAD_OVER_TIME = 22;
  private static final int F_CHANGES = 23;
  private static final int F_RESETS = 24;
  private static final int F_DERIV = 25;
  private static final int F_PREDICT_LINEAR = 26;
  private static final int F_DOUBLE_EXPONENTIAL_SMOOTHING = 27;

  /** The {@code switch} constant of a name, so hot loops switch on an int, not a string. */
  private static int code(String name) {
    return switch (name) {
      case "rate" -> F_RATE;
      case "increase" -> F_INCREASE;
      case "delta" -> F_DELTA;
      case "irate" -> F_IRATE;
      case "idelta" -> F_IDELTA;
      case "count_over_time" -> F_COUNT_OVER_TIME;
      case "present_over_time" -> F_PRESENT_OVER_TIME;
      case "absent_over_time" -> F_ABSENT_OVER_TIME;
      case "last_over_time" -> F_LAST_OVER_TIME;
      case "first_over_time" -> F_FIRST_OVER_TIME;
      case "ts_of_last_over_time" -> F_TS_OF_LAST_OVER_TIME;
      case "ts_of_first_over_time" -> F_TS_OF_FIRST_OVER_TIME;
      case "sum_over_time" -> F_SUM_OVER_TIME;
      case "avg_over_time" -> F_AVG_OVER_TIME;
      case "max_over_time" -> F_MAX_OVER_TIME;
      case "min_over_time" -> F_MIN_OVER_TIME;
      case "ts_of_max_over_time" -> F_TS_OF_MAX_OVER_TIME;
      case "ts_of_min_over_time" -> F_TS_OF_MIN_OVER_TIME;
      case "quantile_over_time" -> F_QUANTILE_OVER_TIME;
      case "stddev_over_time" -> F_STDDEV_OVER_TIME;
      case "stdvar_over_time" -> F_STDVAR_OVER_TIME;
      case "mad_over_time" -> F_MAD_OVER_TIME;
      case "changes" -> F_CHANGES;
      case "resets" -> F_RESETS;
      case "deriv" -> F_DERIV;
      case "predict_linear" -> F_PREDICT_LINEAR;
      case "double_exponential_smoothing" -> F_DOUBLE_EXPONENTIAL_SMOOTHING;
      default -> 0;
    };
  }

  private final Evaluator ev;
  private final Call call;
  private final String name;
  private final int fn;
  private final int matrixIdx;
  private final double[][] scalarArgs;
  private boolean ok;

  RangeFunctions(Evaluator ev, Call call, int matrixIdx, double[][] scalarArgs) {
    this.ev = ev;
    this.call = call;
    this.name = call.func.name;
    this.fn = code(this.name);
    this.matrixIdx = matrixIdx;
    this.scalarArgs = scalarArgs;
  }

  List<EvSeries> run(Input in) {
    boolean dropName = !(name.equals("last_over_time") || name.equals("first_over_time"));
    int steps = ev.numSteps();
    List<EvSeries> out = new ArrayList<>();
    Expr argPos = call.args.get(matrixIdx);
    for (Series s : in.series) {
      ev.checkDeadline();
      long[] t = s.timestamps();
      double[] v = s.values();
      int stale = 0;
      for (double d : v) {
        if (Series.isStaleMarker(d)) {
          stale++;
        }
      }
      if (stale > 0) {
        long[] t2 = new long[t.length - stale];
        double[] v2 = new double[t.length - stale];
        int k = 0;
        for (int i = 0; i < t.length; i++) {
          if (!Series.isStaleMarker(v[i])) {
            t2[k] = t[i];
            v2[k] = v[i];
            k++;
          }
        }
        t = t2;
        v = v2;
      }
      EvSeries ss = null;
      int lo = 0;
      int hi = 0;
      int step = -1;
      for (long ts = ev.start; ts <= ev.end; ts += ev.interval) {
        step++;
        if (ts == ev.start) {
          long maxt = ts - in.offset;
          long mint = maxt - in.range;
          lo = Evaluator.upperBound(t, mint);
          hi = Evaluator.upperBound(t, lo, t.length, maxt);
        } else if (in.timestamp == null) {
          // the window only moves forward: advance instead of two binary searches per step
          long maxt = ts - in.offset;
          long mint = maxt - in.range;
          while (lo < t.length && t[lo] <= mint) {
            lo++;
          }
          if (hi < lo) {
            hi = lo;
          }
          while (hi < t.length && t[hi] <= maxt) {
            hi++;
          }
        }
        if (hi <= lo) {
          continue;
        }
        ev.addSamples(hi - lo);
        ok = true;
        double r = apply(t, v, lo, hi, ts, step, in, s.labels(), argPos);
        ev.ctx.currentSamples -= hi - lo;
        if (!ok) {
          continue;
        }
        if (ss == null) {
          ss = new EvSeries(s.labels(), dropName, steps);
        }
        ss.add(ts, r);
      }
      if (ss != null) {
        ev.addSamples(ss.n);
        out.add(ss);
        if (name.equals("rate") || name.equals("increase")) {
          String metric = s.labels().get(Labels.METRIC_NAME);
          if (!metric.isEmpty()
              && !metric.endsWith("_total")
              && !metric.endsWith("_sum")
              && !metric.endsWith("_count")
              && !metric.endsWith("_bucket")) {
            ev.ctx.annos.info(
                "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \""
                    + metric + "\"",
                argPos);
          }
        }
      }
    }
    if (name.equals("absent_over_time")) {
      return absentOverTime(out, steps, dropName);
    }
    return out;
  }

  private List<EvSeries> absentOverTime(List<EvSeries> mat, int steps, boolean dropName) {
    for (EvSeries s : mat) {
      if (s.n == steps) {
        return new ArrayList<>();
      }
    }
    Set<Long> found = new HashSet<>();
    for (EvSeries s : mat) {
      for (int k = 0; k < s.n; k++) {
        found.add(s.ts[k]);
      }
    }
    if (found.size() == steps) {
      return new ArrayList<>();
    }
    EvSeries res =
        new EvSeries(Evaluator.labelsForAbsent(call.args.get(0)), dropName, steps - found.size());
    for (long ts = ev.start; ts <= ev.end; ts += ev.interval) {
      if (!found.contains(ts)) {
        res.add(ts, 1);
      }
    }
    List<EvSeries> out = new ArrayList<>();
    out.add(res);
    return out;
  }

  private double scalar(int argIdx, int step) {
    return scalarArgs[argIdx][step];
  }

  private double none() {
    ok = false;
    return 0;
  }

  private double apply(
      long[] t, double[] v, int lo, int hi, long ts, int step, Input in, Labels metric,
      Expr argPos) {
    int n = hi - lo;
    switch (fn) {
      case F_RATE:
        return extrapolatedRate(t, v, lo, hi, ts, in, true, true);
      case F_INCREASE:
        return extrapolatedRate(t, v, lo, hi, ts, in, true, false);
      case F_DELTA:
        return extrapolatedRate(t, v, lo, hi, ts, in, false, false);
      case F_IRATE:
        return instantValue(t, v, lo, hi, true);
      case F_IDELTA:
        return instantValue(t, v, lo, hi, false);
      case F_COUNT_OVER_TIME:
        return n;
      case F_PRESENT_OVER_TIME:
      case F_ABSENT_OVER_TIME:
        return 1;
      case F_LAST_OVER_TIME:
        return v[hi - 1];
      case F_FIRST_OVER_TIME:
        return v[lo];
      case F_TS_OF_LAST_OVER_TIME:
        return t[hi - 1] / 1000.0;
      case F_TS_OF_FIRST_OVER_TIME:
        return t[lo] / 1000.0;
      case F_SUM_OVER_TIME:
        {
          double sum = 0;
          double c = 0;
          for (int i = lo; i < hi; i++) {
            double[] r = Aggregations.kahanInc(v[i], sum, c);
            sum = r[0];
            c = r[1];
          }
          return Double.isInfinite(sum) ? sum : sum + c;
        }
      case F_AVG_OVER_TIME:
        return avgOverTime(v, lo, hi);
      case F_MAX_OVER_TIME:
      case F_MIN_OVER_TIME:
      case F_TS_OF_MAX_OVER_TIME:
      case F_TS_OF_MIN_OVER_TIME:
        {
          boolean max = fn == F_MAX_OVER_TIME || fn == F_TS_OF_MAX_OVER_TIME;
          boolean tsOf = fn == F_TS_OF_MAX_OVER_TIME || fn == F_TS_OF_MIN_OVER_TIME;
          double best = v[lo];
          long bestT = t[lo];
          for (int i = lo; i < hi; i++) {
            double cur = v[i];
            boolean take;
            if (tsOf) {
              take = (max ? cur >= best : cur <= best) || Double.isNaN(best);
            } else {
              take = (max ? cur > best : cur < best) || Double.isNaN(best);
            }
            if (take) {
              best = cur;
              bestT = t[i];
            }
          }
          return tsOf ? bestT / 1000.0 : best;
        }
      case F_QUANTILE_OVER_TIME:
        {
          double q = scalar(0, step);
          if (Double.isNaN(q) || q < 0 || q > 1) {
            ev.ctx.annos.warn(
                "quantile value should be between 0 and 1, got " + Format.goG(q), call.args.get(0));
          }
          return Aggregations.quantile(q, Arrays.copyOfRange(v, lo, hi));
        }
      case F_STDDEV_OVER_TIME:
        return Math.sqrt(variance(v, lo, hi));
      case F_STDVAR_OVER_TIME:
        return variance(v, lo, hi);
      case F_MAD_OVER_TIME:
        {
          double[] vals = Arrays.copyOfRange(v, lo, hi);
          for (double d : vals) {
            if (Double.isNaN(d)) {
              return Double.NaN;
            }
          }
          double median = Aggregations.quantile(0.5, vals);
          double[] dev = new double[n];
          for (int i = 0; i < n; i++) {
            dev[i] = Math.abs(vals[i] - median);
          }
          return Aggregations.quantile(0.5, dev);
        }
      case F_CHANGES:
        {
          int changes = 0;
          for (int i = lo + 1; i < hi; i++) {
            double prev = v[i - 1];
            double cur = v[i];
            if (cur != prev && !(Double.isNaN(cur) && Double.isNaN(prev))) {
              changes++;
            }
          }
          return changes;
        }
      case F_RESETS:
        {
          int resets = 0;
          for (int i = lo + 1; i < hi; i++) {
            if (v[i] < v[i - 1]) {
              resets++;
            }
          }
          return resets;
        }
      case F_DERIV:
        {
          if (n < 2) {
            return none();
          }
          return linearRegression(t, v, lo, hi, t[lo])[0];
        }
      case F_PREDICT_LINEAR:
        {
          if (n < 2) {
            return none();
          }
          double duration = scalar(1, step);
          double[] si = linearRegression(t, v, lo, hi, ts);
          return si[0] * duration + si[1];
        }
      case F_DOUBLE_EXPONENTIAL_SMOOTHING:
        {
          double sf = scalar(1, step);
          double tf = scalar(2, step);
          if (sf <= 0 || sf >= 1) {
            throw Evaluator.error(
                String.format(
                    Locale.ROOT, "invalid smoothing factor. Expected: 0 < sf < 1, got: %f", sf));
          }
          if (tf <= 0 || tf >= 1) {
            throw Evaluator.error(
                String.format(
                    Locale.ROOT, "invalid trend factor. Expected: 0 < tf < 1, got: %f", tf));
          }
          if (n < 2) {
            return none();
          }
          double s0 = 0;
          double s1 = v[lo];
          double b = v[lo + 1] - v[lo];
          for (int i = 1; i < n; i++) {
            double x = sf * v[lo + i];
            b = i - 1 == 0 ? b : tf * (s1 - s0) + (1 - tf) * b;
            double y = (1 - sf) * (s1 + b);
            s0 = s1;
            s1 = x + y;
          }
          return s1;
        }
      default:
        throw Evaluator.error("function \"" + name + "\" is not supported over range vectors");
    }
  }

  private static double avgOverTime(double[] v, int lo, int hi) {
    double sum = v[lo];
    double count = 1;
    double mean = 0;
    double kahanC = 0;
    boolean incremental = false;
    for (int i = lo + 1; i < hi; i++) {
      count = i - lo + 1;
      if (!incremental) {
        double[] r = Aggregations.kahanInc(v[i], sum, kahanC);
        if (!Double.isInfinite(r[0])) {
          sum = r[0];
          kahanC = r[1];
          continue;
        }
        incremental = true;
        mean = sum / (count - 1);
        kahanC /= count - 1;
      }
      double q = (count - 1) / count;
      double[] r = Aggregations.kahanInc(v[i] / count, q * mean, q * kahanC);
      mean = r[0];
      kahanC = r[1];
    }
    if (incremental) {
      return mean + kahanC;
    }
    return sum / count + kahanC / count;
  }

  private static double variance(double[] v, int lo, int hi) {
    double count = 0;
    double mean = 0;
    double cMean = 0;
    double aux = 0;
    double cAux = 0;
    for (int i = lo; i < hi; i++) {
      count++;
      double delta = v[i] - (mean + cMean);
      double[] r = Aggregations.kahanInc(delta / count, mean, cMean);
      mean = r[0];
      cMean = r[1];
      r = Aggregations.kahanInc(delta * (v[i] - (mean + cMean)), aux, cAux);
      aux = r[0];
      cAux = r[1];
    }
    return (aux + cAux) / count;
  }

  static double[] linearRegression(long[] t, double[] v, int lo, int hi, long interceptTime) {
    double n = 0;
    double sumX = 0;
    double cX = 0;
    double sumY = 0;
    double cY = 0;
    double sumXY = 0;
    double cXY = 0;
    double sumX2 = 0;
    double cX2 = 0;
    double initY = v[lo];
    boolean constY = true;
    for (int i = lo; i < hi; i++) {
      if (constY && i > lo && v[i] != initY) {
        constY = false;
      }
      n += 1.0;
      double x = (t[i] - interceptTime) / 1e3;
      double[] r = Aggregations.kahanInc(x, sumX, cX);
      sumX = r[0];
      cX = r[1];
      r = Aggregations.kahanInc(v[i], sumY, cY);
      sumY = r[0];
      cY = r[1];
      r = Aggregations.kahanInc(x * v[i], sumXY, cXY);
      sumXY = r[0];
      cXY = r[1];
      r = Aggregations.kahanInc(x * x, sumX2, cX2);
      sumX2 = r[0];
      cX2 = r[1];
    }
    if (constY) {
      if (Double.isInfinite(initY)) {
        return new double[] {Double.NaN, Double.NaN};
      }
      return new double[] {0, initY};
    }
    sumX += cX;
    sumY += cY;
    sumXY += cXY;
    sumX2 += cX2;
    double covXY = sumXY - sumX * sumY / n;
    double varX = sumX2 - sumX * sumX / n;
    double slope = covXY / varX;
    double intercept = sumY / n - slope * sumX / n;
    return new double[] {slope, intercept};
  }

  private double instantValue(long[] t, double[] v, int lo, int hi, boolean isRate) {
    if (hi - lo < 2) {
      return none();
    }
    long t0 = t[hi - 2];
    long t1 = t[hi - 1];
    double v0 = v[hi - 2];
    double v1 = v[hi - 1];
    long interval = t1 - t0;
    if (interval == 0) {
      return none();
    }
    double result = v1;
    if (!isRate || !(v1 < v0)) {
      result = v1 - v0;
    }
    if (isRate) {
      result /= interval / 1000.0;
    }
    return result;
  }

  private double extrapolatedRate(
      long[] t, double[] v, int lo, int hi, long ts, Input in, boolean isCounter,
      boolean isRate) {
    if (hi - lo < 2) {
      return none();
    }
    long rangeStart = ts - (in.range + in.offset);
    long rangeEnd = ts - in.offset;
    int last = hi - 1;
    double result = v[last] - v[lo];
    if (isCounter) {
      for (int i = lo + 1; i <= last; i++) {
        if (v[i] < v[i - 1]) {
          result += v[i - 1];
        }
      }
    }
    long firstT = t[lo];
    long lastT = t[last];
    double durationToStart = (firstT - rangeStart) / 1000.0;
    double durationToEnd = (rangeEnd - lastT) / 1000.0;
    double sampledInterval = (lastT - firstT) / 1000.0;
    double avgBetween = sampledInterval / (hi - lo - 1);
    double threshold = avgBetween * 1.1;
    if (durationToStart >= threshold) {
      durationToStart = avgBetween / 2;
    }
    if (isCounter) {
      double durationToZero = durationToStart;
      if (result > 0 && v[lo] >= 0) {
        durationToZero = sampledInterval * (v[lo] / result);
      }
      if (durationToZero < durationToStart) {
        durationToStart = durationToZero;
      }
    }
    if (durationToEnd >= threshold) {
      durationToEnd = avgBetween / 2;
    }
    double factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
    if (isRate) {
      factor /= in.range / 1000.0;
    }
    return result * factor;
  }
}
