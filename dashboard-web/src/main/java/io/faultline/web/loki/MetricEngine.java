/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import io.faultline.core.log.LogQueryException;
import io.faultline.web.jaeger.GoDuration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Evaluates LogQL metric expressions at the steps {@code start + k * step} (nanoseconds), as Loki
 * does: a range aggregation at step time t covers the samples in {@code (t - range - offset, t -
 * offset]}; a log range gives one sample per line (its byte length for {@code bytes_*}), an
 * unwrapped range the label's value. Vector aggregations, binary operators with scalars and
 * one-to-one vector matching ({@code on}/{@code ignoring}) and the set operators follow PromQL.
 *
 * <p>Memory is bounded: records are read page by page and only their samples are kept (at most
 * {@link #MAX_RECORDS}), series before aggregation at most {@link #MAX_INNER_SERIES}, points of all
 * intermediate series at most {@link #MAX_POINTS}, and window scans at most {@link #MAX_WORK}
 * samples; beyond any of them the query fails with a {@link LogQueryException} that says what to
 * change. Not thread-safe: one engine per query.
 */
final class MetricEngine {
  /** Loki's default {@code max_query_series}. */
  static final int MAX_SERIES = 500;
  /** Loki's (and Prometheus') resolution limit. */
  static final int MAX_POINTS_PER_SERIES = 11_000;
  static final long MAX_RECORDS = 500_000;
  static final int MAX_INNER_SERIES = 10_000;
  static final long MAX_POINTS = 2_000_000;
  static final long MAX_WORK = 50_000_000;

  private static final Set<String> COUNTING = Set.of("count_over_time", "rate", "bytes_over_time", "bytes_rate");

  /** Reads records whose labels match a stream selector. */
  interface RecordSource {
    /**
     * Calls {@code sink} for each record matching {@code selector} with a time in {@code [start,
     * end)}, oldest first, with a fresh mutable map of its labels; fails when more than {@code
     * maxRecords} records would have to be read.
     */
    void scan(List<LogQl.Matcher> selector, Instant start, Instant end, long maxRecords, RecordSink sink);
  }

  interface RecordSink {
    void accept(long timestampNanos, String line, Map<String, String> labels);
  }

  /** An evaluated expression: a number per step, or series. */
  sealed interface Value permits Scalar, Matrix {}

  record Scalar(double[] values) implements Value {}

  /** Series and, for instant answers, their order: null by labels, else "asc" or "desc" by value. */
  record Matrix(List<Series> series, String order) implements Value {}

  /** One series: labels and its points as (step index, value), step indexes increasing. */
  static final class Series {
    final Map<String, String> labels;
    int size;
    int[] steps = new int[4];
    double[] values = new double[4];

    Series(Map<String, String> labels) {
      this.labels = labels;
    }

    /** The value at step {@code k}, or null. */
    Double at(int k) {
      int p = Arrays.binarySearch(steps, 0, size, k);
      return p < 0 ? null : values[p];
    }
  }

  private final RecordSource source;
  private final long start;
  private final long step;
  private final int stepCount;
  private long points;
  private long work;
  private long records;

  /**
   * @param start the first step, in nanoseconds since the epoch
   * @param step nanoseconds between steps, positive
   * @param stepCount the number of steps, 1 to {@link #MAX_POINTS_PER_SERIES}
   */
  MetricEngine(RecordSource source, long start, long step, int stepCount) {
    this.source = source;
    this.start = start;
    this.step = step;
    this.stepCount = stepCount;
  }

  long recordsRead() {
    return records;
  }

  long stepNanos(int k) {
    return start + k * step;
  }

  /** Evaluates {@code expr}; a result with more than {@link #MAX_SERIES} series is an error. */
  Value evaluate(LogQlExpr expr) {
    Value v = eval(expr);
    if (v instanceof Matrix m) {
      List<Series> kept = new ArrayList<>();
      for (Series s : m.series()) {
        if (s.size > 0) {
          kept.add(s);
        }
      }
      if (kept.size() > MAX_SERIES) {
        throw new LogQueryException(
            "maximum of series (" + MAX_SERIES + ") reached for a single query: the answer has " + kept.size()
                + " series; aggregate them (sum by (...)) or narrow the stream selector");
      }
      if (m.order() == null || stepCount > 1) {
        // a range answer is ordered by labels whatever the query, as in Loki
        kept.sort((a, b) -> compareLabels(a.labels, b.labels));
      }
      return new Matrix(kept, stepCount > 1 ? null : m.order());
    }
    return v;
  }

  private Value eval(LogQlExpr e) {
    if (e instanceof LogQlExpr.Number n) {
      double[] v = new double[stepCount];
      Arrays.fill(v, n.value());
      return new Scalar(v);
    }
    if (e instanceof LogQlExpr.VectorOf v) {
      Series s = new Series(new TreeMap<>());
      for (int k = 0; k < stepCount; k++) {
        add(s, k, v.value());
      }
      return new Matrix(List.of(s), null);
    }
    if (e instanceof LogQlExpr.RangeAgg r) {
      return rangeAgg(r, null);
    }
    if (e instanceof LogQlExpr.VectorAgg a) {
      Matrix inner;
      if (a.op().equals("sum") && a.inner() instanceof LogQlExpr.RangeAgg r && r.grouping() == null
          && r.unwrap() == null && COUNTING.contains(r.fn())) {
        // a sum of counts is the count of the merged series: grouping early keeps few series
        inner = rangeAgg(r, a.grouping() == null ? new LogQlExpr.Grouping(false, List.of()) : a.grouping());
      } else {
        inner = matrix(a.inner(), a.op());
      }
      return aggregate(a, inner);
    }
    if (e instanceof LogQlExpr.Binary b) {
      return binary(b);
    }
    if (e instanceof LogQlExpr.LabelReplace r) {
      return labelReplace(r, matrix(r.inner(), "label_replace"));
    }
    throw new LogQueryException("a log query cannot be used inside a metric query; wrap it in count_over_time({...}[5m])");
  }

  private Matrix matrix(LogQlExpr e, String user) {
    Value v = eval(e);
    if (v instanceof Matrix m) {
      return m;
    }
    throw new LogQueryException(user + " expects a vector, not a number");
  }

  private void add(Series s, int k, double v) {
    if (++points > MAX_POINTS) {
      throw new LogQueryException(
          "the query needs more than " + MAX_POINTS + " points in its intermediate series; increase the step,"
              + " shorten the time range or aggregate with fewer labels");
    }
    if (s.size == s.steps.length) {
      s.steps = Arrays.copyOf(s.steps, s.size * 2);
      s.values = Arrays.copyOf(s.values, s.size * 2);
    }
    s.steps[s.size] = k;
    s.values[s.size++] = v;
  }

  // ---- range aggregations

  /** Samples of one series, in time order (records arrive oldest first). */
  private static final class Samples {
    int size;
    long[] times = new long[8];
    double[] values = new double[8];

    void add(long t, double v) {
      if (size == times.length) {
        times = Arrays.copyOf(times, size * 2);
        values = Arrays.copyOf(values, size * 2);
      }
      times[size] = t;
      values[size++] = v;
    }
  }

  private Matrix rangeAgg(LogQlExpr.RangeAgg r, LogQlExpr.Grouping pushedDown) {
    long first = start - r.rangeNanos() - r.offsetNanos();
    long last = stepNanos(stepCount - 1) - r.offsetNanos();
    Map<Map<String, String>, Samples> bySeries = new HashMap<>();
    LogQl.Unwrap unwrap = r.unwrap();
    boolean bytes = r.fn().startsWith("bytes_");
    source.scan(
        r.query().selector(),
        instant(first + 1),
        instant(last + 1),
        MAX_RECORDS - records,
        (ts, text, labels) -> {
          records++;
          String line = LogPipeline.apply(r.query().stages(), text, labels);
          if (line == null) {
            return;
          }
          double v = 1;
          if (bytes) {
            v = utf8Length(line);
          } else if (unwrap != null) {
            String raw = labels.get(unwrap.label());
            if (raw == null || raw.isEmpty()) {
              return; // as Loki: a line without the label gives no sample
            }
            try {
              v = convert(unwrap.conversion(), raw);
            } catch (IllegalArgumentException e) {
              v = 0;
              labels.put("__error__", "SampleExtractionErr");
              labels.put("__error_details__", e.getMessage() == null ? raw : e.getMessage());
            }
            if (LogPipeline.apply(r.postFilters(), line, labels) == null) {
              return;
            }
          }
          String error = labels.get("__error__");
          if (error != null && !error.isEmpty()) {
            throw pipelineError(error, labels);
          }
          Map<String, String> key = seriesLabels(labels, r, pushedDown);
          Samples samples = bySeries.get(key);
          if (samples == null) {
            if (bySeries.size() == MAX_INNER_SERIES) {
              throw new LogQueryException(
                  "the range aggregation " + r.fn() + " makes more than " + MAX_INNER_SERIES + " series (labels"
                      + " such as " + key.keySet() + "); aggregate with sum by (...), drop high-cardinality"
                      + " labels with | drop name, or narrow the selector");
            }
            samples = new Samples();
            bySeries.put(key, samples);
          }
          samples.add(ts, v);
        });
    if (r.fn().equals("absent_over_time")) {
      return absent(r, bySeries);
    }
    List<Series> out = new ArrayList<>();
    double rangeSeconds = r.rangeNanos() / 1e9;
    for (Map.Entry<Map<String, String>, Samples> entry : bySeries.entrySet()) {
      Samples smp = entry.getValue();
      Series series = new Series(entry.getKey());
      int lo = 0;
      int hi = 0;
      for (int k = 0; k < stepCount; k++) {
        long t = stepNanos(k) - r.offsetNanos();
        while (hi < smp.size && smp.times[hi] <= t) {
          hi++;
        }
        while (lo < hi && smp.times[lo] <= t - r.rangeNanos()) {
          lo++;
        }
        if (lo == hi) {
          if (hi == smp.size) {
            break;
          }
          // skip the empty steps before the next sample
          long next = Math.floorDiv(smp.times[hi] + r.offsetNanos() - start + step - 1, step) - 1;
          k = (int) Math.max(k, Math.min(next, stepCount));
          continue;
        }
        add(series, k, apply(r, smp, lo, hi, rangeSeconds));
      }
      out.add(series);
    }
    return new Matrix(out, null);
  }

  private Matrix absent(LogQlExpr.RangeAgg r, Map<Map<String, String>, Samples> bySeries) {
    int n = 0;
    for (Samples s : bySeries.values()) {
      n += s.size;
    }
    long[] all = new long[n];
    int p = 0;
    for (Samples s : bySeries.values()) {
      System.arraycopy(s.times, 0, all, p, s.size);
      p += s.size;
    }
    Arrays.sort(all);
    Map<String, String> labels = new TreeMap<>();
    Map<String, Integer> seen = new HashMap<>();
    for (LogQl.Matcher m : r.query().selector()) {
      seen.merge(m.name(), 1, Integer::sum);
    }
    for (LogQl.Matcher m : r.query().selector()) {
      if (m.op() == LogQl.Op.EQ && seen.get(m.name()) == 1) {
        labels.put(m.name(), m.value());
      }
    }
    Series series = new Series(labels);
    int lo = 0;
    int hi = 0;
    for (int k = 0; k < stepCount; k++) {
      long t = stepNanos(k) - r.offsetNanos();
      while (hi < n && all[hi] <= t) {
        hi++;
      }
      while (lo < hi && all[lo] <= t - r.rangeNanos()) {
        lo++;
      }
      if (lo == hi) {
        add(series, k, 1);
      }
    }
    return new Matrix(List.of(series), null);
  }

  private double apply(LogQlExpr.RangeAgg r, Samples s, int lo, int hi, double rangeSeconds) {
    int n = hi - lo;
    if (!r.fn().equals("count_over_time") && !(r.fn().equals("rate") && r.unwrap() == null)) {
      work += n;
      if (work > MAX_WORK) {
        throw new LogQueryException(
            "the query would aggregate more than " + MAX_WORK + " samples over its windows; increase the step"
                + " or shorten the range [" + r.rangeNanos() / 1_000_000_000L + "s]");
      }
    }
    double[] v = s.values;
    switch (r.fn()) {
      case "count_over_time":
        return n;
      case "rate":
        return r.unwrap() == null ? n / rangeSeconds : sum(v, lo, hi) / rangeSeconds;
      case "bytes_over_time", "sum_over_time":
        return sum(v, lo, hi);
      case "bytes_rate":
        return sum(v, lo, hi) / rangeSeconds;
      case "avg_over_time": {
        double mean = 0;
        double count = 0;
        for (int j = lo; j < hi; j++) {
          count++;
          if (Double.isInfinite(mean)) {
            if (Double.isInfinite(v[j]) && (mean > 0) == (v[j] > 0) || !Double.isInfinite(v[j]) && !Double.isNaN(v[j])) {
              continue;
            }
          }
          mean += v[j] / count - mean / count;
        }
        return mean;
      }
      case "max_over_time": {
        double max = v[lo];
        for (int j = lo; j < hi; j++) {
          if (v[j] > max || Double.isNaN(max)) {
            max = v[j];
          }
        }
        return max;
      }
      case "min_over_time": {
        double min = v[lo];
        for (int j = lo; j < hi; j++) {
          if (v[j] < min || Double.isNaN(min)) {
            min = v[j];
          }
        }
        return min;
      }
      case "first_over_time":
        return v[lo];
      case "last_over_time":
        return v[hi - 1];
      case "stddev_over_time":
        return Math.sqrt(variance(v, lo, hi));
      case "stdvar_over_time":
        return variance(v, lo, hi);
      case "quantile_over_time": {
        double q = r.param();
        if (q < 0) {
          return Double.NEGATIVE_INFINITY;
        }
        if (q > 1) {
          return Double.POSITIVE_INFINITY;
        }
        double[] sorted = Arrays.copyOfRange(v, lo, hi);
        Arrays.sort(sorted);
        double rank = q * (n - 1);
        int lower = (int) Math.max(0, Math.floor(rank));
        int upper = (int) Math.min(n - 1, lower + 1);
        double weight = rank - Math.floor(rank);
        return sorted[lower] * (1 - weight) + sorted[upper] * weight;
      }
      case "rate_counter":
        return counterRate(s, lo, hi, r.rangeNanos());
      default:
        throw new LogQueryException("unsupported range aggregation " + r.fn());
    }
  }

  private static double sum(double[] v, int lo, int hi) {
    double sum = 0;
    for (int j = lo; j < hi; j++) {
      sum += v[j];
    }
    return sum;
  }

  private static double variance(double[] v, int lo, int hi) {
    double aux = 0;
    double count = 0;
    double mean = 0;
    for (int j = lo; j < hi; j++) {
      count++;
      double delta = v[j] - mean;
      mean += delta / count;
      aux += delta * (v[j] - mean);
    }
    return aux / count;
  }

  // Prometheus' extrapolated rate over a counter, on millisecond timestamps as Loki computes it.
  private static double counterRate(Samples s, int lo, int hi, long rangeNanos) {
    if (hi - lo < 2) {
      return 0;
    }
    long firstT = s.times[lo] / 1_000_000;
    long lastT = s.times[hi - 1] / 1_000_000;
    long rangeMs = rangeNanos / 1_000_000;
    long rangeStart = firstT - rangeMs;
    double result = s.values[hi - 1] - s.values[lo];
    double lastValue = 0;
    for (int j = lo; j < hi; j++) {
      if (s.values[j] < lastValue) {
        result += lastValue;
      }
      lastValue = s.values[j];
    }
    double durationToStart = (firstT - rangeStart) / 1000.0;
    double durationToEnd = 0; // Loki ends the range at the last sample
    double sampled = (lastT - firstT) / 1000.0;
    double average = sampled / (hi - lo - 1);
    if (result > 0 && s.values[lo] >= 0) {
      double toZero = sampled * (s.values[lo] / result);
      if (toZero < durationToStart) {
        durationToStart = toZero;
      }
    }
    double threshold = average * 1.1;
    double interval = sampled;
    interval += durationToStart < threshold ? durationToStart : average / 2;
    interval += durationToEnd < threshold ? durationToEnd : average / 2;
    result = result * (interval / sampled);
    return result / (rangeNanos / 1e9);
  }

  private static Map<String, String> seriesLabels(
      Map<String, String> labels, LogQlExpr.RangeAgg r, LogQlExpr.Grouping pushedDown) {
    labels.remove("__error__");
    labels.remove("__error_details__");
    LogQlExpr.Grouping g = r.grouping() != null ? r.grouping() : pushedDown;
    if (r.unwrap() != null && (g == null || g.without())) {
      // as Loki: the unwrapped label is not a label of the result unless asked for with by (...)
      List<String> without = new ArrayList<>(g == null ? List.of() : g.labels());
      without.add(r.unwrap().label());
      g = new LogQlExpr.Grouping(true, without);
    }
    return g == null ? new TreeMap<>(labels) : group(labels, g);
  }

  static Map<String, String> group(Map<String, String> labels, LogQlExpr.Grouping g) {
    TreeMap<String, String> out = new TreeMap<>();
    if (g == null) {
      return out;
    }
    if (g.without()) {
      out.putAll(labels);
      g.labels().forEach(out::remove);
    } else {
      for (String name : g.labels()) {
        String v = labels.get(name);
        if (v != null && !v.isEmpty()) {
          out.put(name, v);
        }
      }
    }
    return out;
  }

  private static double convert(String conversion, String raw) {
    switch (conversion) {
      case "duration":
        return GoDuration.parseNanos(raw.trim()) / 1e9;
      case "bytes":
        return GoValues.parseBytes(raw.trim());
      default:
        return GoValues.parseFloat(raw.trim());
    }
  }

  private static LogQueryException pipelineError(String error, Map<String, String> labels) {
    return new LogQueryException(
        "pipeline error: '" + error + "' for series: '" + render(new TreeMap<>(labels)) + "'. Use a label filter"
            + " to intentionally skip this error (e.g | __error__!=\"" + error + "\"), or match empty errors to"
            + " skip all of them (e.g | __error__=\"\"), or drop the label (| drop __error__, __error_details__)."
            + " The label filter can also be specified after unwrap (e.g | unwrap latency | __error__=\"\").");
  }

  static String render(Map<String, String> labels) {
    StringBuilder b = new StringBuilder("{");
    labels.forEach(
        (k, v) -> {
          if (b.length() > 1) {
            b.append(", ");
          }
          b.append(k).append("=\"").append(v.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        });
    return b.append('}').toString();
  }

  static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  private static Instant instant(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
  }

  // ---- vector aggregations

  private Matrix aggregate(LogQlExpr.VectorAgg a, Matrix m) {
    switch (a.op()) {
      case "sort", "sort_desc":
        return sortByValue(m, a.op().equals("sort_desc"));
      case "topk", "bottomk":
        return select(a, m);
      default:
        break;
    }
    Map<Map<String, String>, double[][]> groups = new HashMap<>();
    List<Map<String, String>> order = new ArrayList<>();
    for (Series s : m.series()) {
      Map<String, String> key = group(s.labels, a.grouping());
      double[][] acc = groups.get(key);
      if (acc == null) {
        if ((long) (groups.size() + 1) * stepCount > MAX_POINTS) {
          throw new LogQueryException(
              a.op() + " makes more than " + MAX_POINTS / stepCount + " groups at this step; group by fewer"
                  + " labels or increase the step");
        }
        acc = new double[3][stepCount]; // count, value (sum, mean, min, max), variance aux
        groups.put(key, acc);
        order.add(key);
      }
      for (int p = 0; p < s.size; p++) {
        int k = s.steps[p];
        double v = s.values[p];
        double count = ++acc[0][k];
        switch (a.op()) {
          case "sum" -> acc[1][k] += v;
          case "avg" -> {
            if (count == 1) {
              acc[1][k] = v;
            } else if (!(Double.isInfinite(acc[1][k]) && (Double.isInfinite(v) && (acc[1][k] > 0) == (v > 0)
                || !Double.isInfinite(v) && !Double.isNaN(v)))) {
              acc[1][k] += v / count - acc[1][k] / count;
            }
          }
          case "max" -> {
            if (count == 1 || v > acc[1][k] || Double.isNaN(acc[1][k])) {
              acc[1][k] = v;
            }
          }
          case "min" -> {
            if (count == 1 || v < acc[1][k] || Double.isNaN(acc[1][k])) {
              acc[1][k] = v;
            }
          }
          case "stddev", "stdvar" -> {
            double delta = v - acc[1][k];
            acc[1][k] += delta / count;
            acc[2][k] += delta * (v - acc[1][k]);
          }
          default -> {
            // count needs only the count
          }
        }
      }
    }
    List<Series> out = new ArrayList<>();
    for (Map<String, String> key : order) {
      double[][] acc = groups.get(key);
      Series s = new Series(key);
      for (int k = 0; k < stepCount; k++) {
        double count = acc[0][k];
        if (count == 0) {
          continue;
        }
        double v = switch (a.op()) {
          case "count" -> count;
          case "stdvar" -> acc[2][k] / count;
          case "stddev" -> Math.sqrt(acc[2][k] / count);
          default -> acc[1][k];
        };
        add(s, k, v);
      }
      out.add(s);
    }
    return new Matrix(out, null);
  }

  /**
   * {@code sort}/{@code sort_desc}: an instant answer ordered by value, NaN last either way, as
   * Loki's heaps leave it (ties keep their order). A range answer is ordered by labels anyway.
   */
  private static Matrix sortByValue(Matrix m, boolean descending) {
    List<Series> sorted = new ArrayList<>(m.series());
    Comparator<Series> byValue =
        (x, y) -> {
          if (x.size == 0 || y.size == 0) {
            return Boolean.compare(x.size == 0, y.size == 0);
          }
          double vx = x.values[0];
          double vy = y.values[0];
          if (Double.isNaN(vx) || Double.isNaN(vy)) {
            return Boolean.compare(Double.isNaN(vx), Double.isNaN(vy));
          }
          return descending ? Double.compare(vy, vx) : Double.compare(vx, vy);
        };
    sorted.sort(byValue);
    return new Matrix(sorted, descending ? "desc" : "asc");
  }

  // ---- label_replace

  private Matrix labelReplace(LogQlExpr.LabelReplace r, Matrix m) {
    List<Series> out = new ArrayList<>();
    for (Series s : m.series()) {
      String src = s.labels.getOrDefault(r.src(), "");
      java.util.regex.Matcher match = r.regex().matcher(src);
      if (!match.matches()) {
        out.add(s);
        continue;
      }
      String value = expand(r.replacement(), match);
      Map<String, String> labels = new TreeMap<>(s.labels);
      labels.remove(r.dst());
      if (!value.isEmpty()) {
        labels.put(r.dst(), value);
      }
      Series o = new Series(labels);
      o.size = s.size;
      o.steps = s.steps;
      o.values = s.values;
      out.add(o);
    }
    return new Matrix(out, m.order());
  }

  /**
   * Go's {@code Regexp.Expand}: {@code $1}, {@code ${1}}, {@code $name}, {@code ${name}} (a name
   * runs as far as letters, digits and "_" go, so {@code $1x} is the group "1x"), {@code $$} a
   * dollar; a group that does not exist or did not take part expands to nothing.
   */
  static String expand(String template, java.util.regex.Matcher m) {
    StringBuilder out = new StringBuilder();
    int k = 0;
    while (k < template.length()) {
      char c = template.charAt(k);
      if (c != '$' || k + 1 == template.length()) {
        out.append(c);
        k++;
        continue;
      }
      if (template.charAt(k + 1) == '$') {
        out.append('$');
        k += 2;
        continue;
      }
      String name;
      int next;
      if (template.charAt(k + 1) == '{') {
        int close = template.indexOf('}', k + 2);
        name = close < 0 ? "" : template.substring(k + 2, close);
        next = close + 1;
        if (name.isEmpty() || !name.chars().allMatch(ch -> Character.isLetterOrDigit(ch) || ch == '_')) {
          out.append('$');
          k++;
          continue;
        }
      } else {
        int end = k + 1;
        while (end < template.length() && (Character.isLetterOrDigit(template.charAt(end)) || template.charAt(end) == '_')) {
          end++;
        }
        name = template.substring(k + 1, end);
        next = end;
        if (name.isEmpty()) {
          out.append('$');
          k++;
          continue;
        }
      }
      String group = null;
      try {
        group = name.chars().allMatch(Character::isDigit)
            ? (name.length() < 9 && Integer.parseInt(name) <= m.groupCount() ? m.group(Integer.parseInt(name)) : null)
            : m.group(name);
      } catch (IllegalArgumentException e) {
        // no group of that name: expands to nothing, as in Go
      }
      if (group != null) {
        out.append(group);
      }
      k = next;
    }
    return out.toString();
  }

  private Matrix select(LogQlExpr.VectorAgg a, Matrix m) {
    int k = a.param().intValue();
    boolean top = a.op().equals("topk");
    List<Series> in = m.series();
    int[] groupOf = new int[in.size()];
    Map<Map<String, String>, Integer> ids = new HashMap<>();
    for (int s = 0; s < in.size(); s++) {
      groupOf[s] = ids.computeIfAbsent(group(in.get(s).labels, a.grouping()), x -> ids.size());
    }
    // candidates per step, as (series, position) pairs in flat arrays
    int[] perStep = new int[stepCount + 1];
    for (Series s : in) {
      for (int p = 0; p < s.size; p++) {
        perStep[s.steps[p] + 1]++;
      }
    }
    for (int j = 0; j < stepCount; j++) {
      perStep[j + 1] += perStep[j];
    }
    int total = perStep[stepCount];
    int[] fill = Arrays.copyOf(perStep, stepCount);
    int[] series = new int[total];
    double[] values = new double[total];
    for (int s = 0; s < in.size(); s++) {
      Series x = in.get(s);
      for (int p = 0; p < x.size; p++) {
        int at = fill[x.steps[p]]++;
        series[at] = s;
        values[at] = x.values[p];
      }
    }
    List<Series> out = new ArrayList<>();
    for (Series s : in) {
      out.add(new Series(s.labels));
    }
    Comparator<Integer> byValue =
        (x, y) -> {
          double vx = values[x];
          double vy = values[y];
          if (Double.isNaN(vx) || Double.isNaN(vy)) {
            return Boolean.compare(Double.isNaN(vx), Double.isNaN(vy)); // NaN last either way
          }
          return top ? Double.compare(vy, vx) : Double.compare(vx, vy);
        };
    for (int j = 0; j < stepCount; j++) {
      List<Integer> candidates = new ArrayList<>();
      for (int c = perStep[j]; c < perStep[j + 1]; c++) {
        candidates.add(c);
      }
      candidates.sort(Comparator.<Integer>comparingInt(c -> groupOf[series[c]]).thenComparing(byValue));
      int group = -1;
      int taken = 0;
      for (int c : candidates) {
        if (groupOf[series[c]] != group) {
          group = groupOf[series[c]];
          taken = 0;
        }
        if (taken++ < k) {
          add(out.get(series[c]), j, values[c]);
        }
      }
    }
    if (stepCount == 1) {
      out.removeIf(s -> s.size == 0);
      out.sort((x, y) -> {
        double vx = x.values[0];
        double vy = y.values[0];
        return top ? Double.compare(vy, vx) : Double.compare(vx, vy);
      });
    }
    return new Matrix(out, top ? "desc" : "asc");
  }

  // ---- binary operators

  private Value binary(LogQlExpr.Binary b) {
    Value l = eval(b.lhs());
    Value r = eval(b.rhs());
    boolean comparison = Set.of("==", "!=", ">", ">=", "<", "<=").contains(b.op());
    boolean set = Set.of("and", "or", "unless").contains(b.op());
    if (set) {
      if (!(l instanceof Matrix lm) || !(r instanceof Matrix rm)) {
        throw new LogQueryException("set operator " + b.op() + " not allowed in binary scalar expression");
      }
      return setOp(b, lm, rm);
    }
    if (l instanceof Scalar ls && r instanceof Scalar rs) {
      if (comparison && !b.bool()) {
        throw new LogQueryException("comparisons between scalars must use BOOL modifier");
      }
      double[] out = new double[stepCount];
      for (int k = 0; k < stepCount; k++) {
        out[k] = comparison ? (compare(b.op(), ls.values()[k], rs.values()[k]) ? 1 : 0)
            : arithmetic(b.op(), ls.values()[k], rs.values()[k]);
      }
      return new Scalar(out);
    }
    if (l instanceof Matrix lm && r instanceof Scalar rs) {
      return withScalar(b, comparison, lm, rs.values(), false);
    }
    if (l instanceof Scalar ls && r instanceof Matrix rm) {
      return withScalar(b, comparison, rm, ls.values(), true);
    }
    return vectors(b, comparison, (Matrix) l, (Matrix) r);
  }

  private Matrix withScalar(LogQlExpr.Binary b, boolean comparison, Matrix m, double[] scalar, boolean scalarLeft) {
    List<Series> out = new ArrayList<>();
    for (Series s : m.series()) {
      Series o = new Series(s.labels);
      for (int p = 0; p < s.size; p++) {
        int k = s.steps[p];
        double lv = scalarLeft ? scalar[k] : s.values[p];
        double rv = scalarLeft ? s.values[p] : scalar[k];
        if (comparison) {
          boolean holds = compare(b.op(), lv, rv);
          if (b.bool()) {
            add(o, k, holds ? 1 : 0);
          } else if (holds) {
            add(o, k, s.values[p]);
          }
        } else {
          add(o, k, arithmetic(b.op(), lv, rv));
        }
      }
      out.add(o);
    }
    return new Matrix(out, m.order()); // sort(x) * 2 stays sorted, as in Loki
  }

  private static Map<String, String> signature(Map<String, String> labels, LogQlExpr.Matching matching) {
    if (matching == null) {
      return labels;
    }
    return group(labels, new LogQlExpr.Grouping(!matching.on(), matching.labels()));
  }

  private Matrix vectors(LogQlExpr.Binary b, boolean comparison, Matrix l, Matrix r) {
    Map<Map<String, String>, List<Series>> right = new HashMap<>();
    for (Series s : r.series()) {
      right.computeIfAbsent(signature(s.labels, b.matching()), x -> new ArrayList<>()).add(s);
    }
    Map<Map<String, String>, BitSet> leftSeen = new HashMap<>();
    List<Series> out = new ArrayList<>();
    for (Series s : l.series()) {
      Map<String, String> sig = signature(s.labels, b.matching());
      List<Series> candidates = right.get(sig);
      if (candidates == null) {
        continue;
      }
      BitSet seen = leftSeen.computeIfAbsent(sig, x -> new BitSet());
      Series o = new Series(b.matching() == null ? s.labels : signature(s.labels, b.matching()));
      for (int p = 0; p < s.size; p++) {
        int k = s.steps[p];
        Double rv = null;
        for (Series c : candidates) {
          Double v = c.at(k);
          if (v != null) {
            if (rv != null) {
              throw new LogQueryException(
                  "found duplicate series for the match group " + render(sig) + " on the right hand-side of the"
                      + " operation; many-to-many matching not allowed: matching labels must be unique on one side");
            }
            rv = v;
          }
        }
        if (rv == null) {
          continue;
        }
        if (seen.get(k)) {
          throw new LogQueryException(
              "multiple matches for labels " + render(sig) + " on the left hand-side of the operation;"
                  + " aggregate it or match on more labels (on/ignoring)");
        }
        seen.set(k);
        double lv = s.values[p];
        if (comparison) {
          boolean holds = compare(b.op(), lv, rv);
          if (b.bool()) {
            add(o, k, holds ? 1 : 0);
          } else if (holds) {
            add(o, k, lv);
          }
        } else {
          add(o, k, arithmetic(b.op(), lv, rv));
        }
      }
      out.add(o);
    }
    return new Matrix(out, null);
  }

  private Matrix setOp(LogQlExpr.Binary b, Matrix l, Matrix r) {
    Map<Map<String, String>, BitSet> rightSteps = steps(r, b.matching());
    List<Series> out = new ArrayList<>();
    for (Series s : l.series()) {
      if (b.op().equals("or")) {
        out.add(s);
        continue;
      }
      BitSet present = rightSteps.getOrDefault(signature(s.labels, b.matching()), new BitSet());
      Series o = new Series(s.labels);
      for (int p = 0; p < s.size; p++) {
        if (present.get(s.steps[p]) == b.op().equals("and")) {
          add(o, s.steps[p], s.values[p]);
        }
      }
      out.add(o);
    }
    if (b.op().equals("or")) {
      Map<Map<String, String>, BitSet> leftSteps = steps(l, b.matching());
      for (Series s : r.series()) {
        BitSet present = leftSteps.getOrDefault(signature(s.labels, b.matching()), new BitSet());
        Series o = new Series(s.labels);
        for (int p = 0; p < s.size; p++) {
          if (!present.get(s.steps[p])) {
            add(o, s.steps[p], s.values[p]);
          }
        }
        out.add(o);
      }
    }
    return new Matrix(out, null);
  }

  private static Map<Map<String, String>, BitSet> steps(Matrix m, LogQlExpr.Matching matching) {
    Map<Map<String, String>, BitSet> out = new HashMap<>();
    for (Series s : m.series()) {
      BitSet bits = out.computeIfAbsent(signature(s.labels, matching), x -> new BitSet());
      for (int p = 0; p < s.size; p++) {
        bits.set(s.steps[p]);
      }
    }
    return out;
  }

  private static boolean compare(String op, double a, double b) {
    return switch (op) {
      case "==" -> a == b;
      case "!=" -> a != b;
      case ">" -> a > b;
      case ">=" -> a >= b;
      case "<" -> a < b;
      default -> a <= b;
    };
  }

  private static double arithmetic(String op, double a, double b) {
    return switch (op) {
      case "+" -> a + b;
      case "-" -> a - b;
      case "*" -> a * b;
      case "/" -> a / b;
      case "%" -> a % b;
      default -> Math.pow(a, b);
    };
  }

  /** Prometheus' label order: by the sorted (name, value) pairs, then by size. */
  static int compareLabels(Map<String, String> a, Map<String, String> b) {
    Iterator<Map.Entry<String, String>> x = new TreeMap<>(a).entrySet().iterator();
    Iterator<Map.Entry<String, String>> y = new TreeMap<>(b).entrySet().iterator();
    while (x.hasNext() && y.hasNext()) {
      Map.Entry<String, String> ex = x.next();
      Map.Entry<String, String> ey = y.next();
      int c = ex.getKey().compareTo(ey.getKey());
      if (c == 0) {
        c = ex.getValue().compareTo(ey.getValue());
      }
      if (c != 0) {
        return c;
      }
    }
    return Boolean.compare(x.hasNext(), y.hasNext());
  }
}
