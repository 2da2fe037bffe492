/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.Sample;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A seeded, deterministic set of series shaped like a real Prometheus server's: counters with
 * resets, gauges (one with NaN values), classic histograms, an info-style metric, targets that go
 * away for a while, targets that stop for good and short-lived series. Written both as OpenMetrics
 * text (for {@code promtool tsdb create-blocks-from openmetrics}) and as remote-write requests.
 *
 * <p>Every sample timestamp has a non-zero millisecond part, while every query of the comparison
 * runs at whole seconds with whole-second ranges, offsets and steps: no sample ever sits exactly
 * on a range or lookback boundary, where Prometheus 2.42 (left-closed) and 3.x (left-open, which
 * Faultline follows) legitimately differ.
 */
final class ComparisonDataset {
  static final String[] JOBS = {"api", "db", "cache", "worker"};
  static final String[] LES = {"0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf"};

  /** One series: sorted labels ({@code __name__} included) and ascending samples. */
  record SeriesData(SortedMap<String, String> labels, long[] t, double[] v) {}

  private final List<SeriesData> series = new ArrayList<>();
  /**
   * Tells series of one gauge apart in their last digits, so topk/bottomk never meet a tie (which
   * tied series wins is an implementation detail).
   */
  private int tieBreaker;
  private final long startMs;
  private final long endMs;

  private ComparisonDataset(long startMs, long endMs) {
    this.startMs = startMs;
    this.endMs = endMs;
  }

  List<SeriesData> series() {
    return series;
  }

  long startMs() {
    return startMs;
  }

  long endMs() {
    return endMs;
  }

  int sampleCount() {
    return series.stream().mapToInt(s -> s.t().length).sum();
  }

  /** Generates the data set over {@code [startMs, endMs)}; the same seed gives the same data. */
  static ComparisonDataset generate(long seed, long startMs, long endMs) {
    ComparisonDataset d = new ComparisonDataset(startMs, endMs);
    Random rnd = new Random(seed);
    for (String job : JOBS) {
      int instances = 3 + rnd.nextInt(3);
      for (int i = 0; i < instances; i++) {
        d.target(rnd, job, "10.0." + (job.length() % 4) + "." + (i + 1) + ":9100", i);
      }
    }
    // short-lived series: a batch job's runs, each reporting for a while then vanishing
    for (int run = 0; run < 12; run++) {
      long from = startMs + run * 10 * 60_000L + rnd.nextInt(60_000);
      long to = from + (12 + rnd.nextInt(15)) * 60_000L;
      Gen g = new Gen(rnd, from, Math.min(to, endMs), 30_000);
      double v = 1 + rnd.nextInt(30);
      while (g.next()) {
        v += rnd.nextGaussian();
        g.add(Math.round(v * 100) / 100.0);
      }
      d.add(g, "batch_duration_seconds", "job", "batch", "run", "r" + run);
    }
    return d;
  }

  /** The series of one scrape target. */
  private void target(Random rnd, String job, String instance, int index) {
    long period = switch (rnd.nextInt(4)) {
      case 0 -> 30_000;
      default -> 15_000;
    };
    long end = endMs;
    long gapFrom = Long.MAX_VALUE;
    long gapTo = Long.MAX_VALUE;
    if (index == 1) {
      // the target is unreachable for a while: no samples, and up == 0
      gapFrom = startMs + (20 + rnd.nextInt(60)) * 60_000L;
      gapTo = gapFrom + (6 + rnd.nextInt(10)) * 60_000L;
    }
    if (index == 2 && job.equals("worker")) {
      // the target goes away for good (staleness by lookback only: text has no stale markers)
      end = startMs + (70 + rnd.nextInt(20)) * 60_000L;
    }
    long phase = rnd.nextInt((int) period);
    String[] base = {"job", job, "instance", instance};

    // up keeps being written through the gap, like Prometheus' own synthetic series
    Gen up = new Gen(rnd, startMs + phase, end, period);
    while (up.next()) {
      up.add(up.t() >= gapFrom && up.t() < gapTo ? 0 : 1);
    }
    add(up, "up", base);

    Gen info = new Gen(rnd, startMs + phase, end, 60_000);
    String version = "1." + rnd.nextInt(3) + "." + rnd.nextInt(10);
    while (info.next()) {
      info.add(1);
    }
    add(info, "build_info", concat(base, "version", version, "handler", "/api/v1/query"));

    for (String method : new String[] {"GET", "POST"}) {
      for (String code : new String[] {"200", "500"}) {
        double perScrape = (code.equals("200") ? 40 : 2) * (0.5 + rnd.nextDouble());
        Gen g = new Gen(rnd, startMs + phase, end, period, gapFrom, gapTo);
        double v = Math.round(perScrape * (20 + rnd.nextInt(500)));
        while (g.next()) {
          if (g.mayReset() && rnd.nextInt(250) == 0) {
            v = rnd.nextInt(3); // process restart
          } else {
            v += Math.max(0, Math.round(perScrape + rnd.nextGaussian() * perScrape / 3));
          }
          g.add(v);
        }
        add(g, "http_requests_total", concat(base, "method", method, "code", code));
      }
    }

    Gen cpu = new Gen(rnd, startMs + phase, end, period, gapFrom, gapTo);
    double seconds = 500 + rnd.nextDouble() * 1e4;
    while (cpu.next()) {
      seconds += rnd.nextDouble() * period / 1000.0 * 0.8;
      cpu.add(seconds);
    }
    add(cpu, "process_cpu_seconds_total", base);

    for (String sensor : new String[] {"cpu", "board"}) {
      Gen g = new Gen(rnd, startMs + phase, end, period, gapFrom, gapTo);
      double v = 35 + rnd.nextInt(30);
      double unique = ++tieBreaker * 1e-5;
      while (g.next()) {
        v += rnd.nextGaussian() * 0.7;
        g.add(Math.round(v * 100) / 100.0 + unique);
      }
      add(g, "node_temperature_celsius", concat(base, "sensor", sensor));
    }

    Gen q = new Gen(rnd, startMs + phase, end, period, gapFrom, gapTo);
    while (q.next()) {
      q.add(rnd.nextInt(6));
    }
    add(q, "queue_depth", base);

    if (index < 2) {
      Gen f = new Gen(rnd, startMs + phase, end, period, gapFrom, gapTo);
      double unique = ++tieBreaker * 1e-6;
      while (f.next()) {
        f.add(rnd.nextInt(20) == 0 ? Double.NaN
            : Math.round(rnd.nextDouble() * 1000) / 1000.0 + unique);
      }
      add(f, "cache_hit_ratio", base);
    }

    // a classic histogram: all its series share the scrape timestamps, as scraped
    Gen h = new Gen(rnd, startMs + phase, end, period, gapFrom, gapTo);
    List<long[]> times = new ArrayList<>();
    List<double[]> rows = new ArrayList<>();
    double[] buckets = new double[LES.length];
    double sum = 0;
    double scale = 0.05 + rnd.nextDouble() * 0.6;
    // the process has been running for a while (see mayReset)
    sum = observe(rnd, buckets, scale, 50 * 12);
    while (h.next()) {
      if (h.mayReset() && rnd.nextInt(300) == 0) {
        Arrays.fill(buckets, 0);
        sum = 0;
      }
      sum += observe(rnd, buckets, scale, rnd.nextInt(25));
      times.add(new long[] {h.t()});
      double[] row = new double[LES.length + 2];
      System.arraycopy(buckets, 0, row, 0, LES.length);
      row[LES.length] = Math.round(sum * 1000) / 1000.0;
      row[LES.length + 1] = buckets[LES.length - 1];
      rows.add(row);
    }
    long[] ts = times.stream().mapToLong(a -> a[0]).toArray();
    for (int b = 0; b < LES.length + 2; b++) {
      double[] vs = new double[rows.size()];
      for (int k = 0; k < vs.length; k++) {
        vs[k] = rows.get(k)[b];
      }
      if (b < LES.length) {
        add(ts, vs, "request_duration_seconds_bucket", concat(base, "le", LES[b]));
      } else {
        add(ts, vs, b == LES.length ? "request_duration_seconds_sum"
            : "request_duration_seconds_count", base);
      }
    }
  }

  /** Adds n observations to the cumulative buckets and returns their sum. */
  private static double observe(Random rnd, double[] buckets, double scale, int n) {
    double sum = 0;
    for (int k = 0; k < n; k++) {
      double obs = Math.round(scale * Math.exp(rnd.nextGaussian()) * 1000) / 1000.0;
      sum += obs;
      for (int b = 0; b < LES.length; b++) {
        if (obs <= Double.parseDouble(LES[b].replace("+Inf", "Infinity"))) {
          buckets[b]++;
        }
      }
    }
    return sum;
  }

  private void add(Gen g, String name, String... labels) {
    add(g.times(), g.values(), name, labels);
  }

  private void add(long[] t, double[] v, String name, String... labels) {
    if (t.length == 0) {
      return;
    }
    SortedMap<String, String> l = new TreeMap<>();
    l.put("__name__", name);
    for (int i = 0; i < labels.length; i += 2) {
      l.put(labels[i], labels[i + 1]);
    }
    series.add(new SeriesData(l, t, v));
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Writes the data set in the OpenMetrics text format, series by series, ending in EOF. */
  void writeOpenMetrics(Path file) throws IOException {
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      StringBuilder line = new StringBuilder();
      for (SeriesData s : series) {
        StringBuilder name = new StringBuilder(s.labels().get("__name__")).append('{');
        boolean first = true;
        for (Map.Entry<String, String> e : s.labels().entrySet()) {
          if (e.getKey().equals("__name__")) {
            continue;
          }
          if (!first) {
            name.append(',');
          }
          first = false;
          name.append(e.getKey()).append("=\"").append(escape(e.getValue())).append('"');
        }
        name.append('}');
        for (int i = 0; i < s.t().length; i++) {
          line.setLength(0);
          line.append(name).append(' ').append(formatValue(s.v()[i])).append(' ')
              .append(formatSeconds(s.t()[i])).append('\n');
          w.append(line);
        }
      }
      w.append("# EOF\n");
    }
  }

  /**
   * The same samples as remote-write requests, one per {@code windowMs} of time, each holding the
   * samples of every series within its window (as a remote-writing server would send them).
   */
  List<WriteRequest> writeRequests(long windowMs) {
    List<WriteRequest> out = new ArrayList<>();
    int[] next = new int[series.size()];
    for (long from = startMs; from < endMs + windowMs; from += windowMs) {
      WriteRequest.Builder w = WriteRequest.newBuilder();
      for (int s = 0; s < series.size(); s++) {
        SeriesData sd = series.get(s);
        TimeSeries.Builder ts = null;
        while (next[s] < sd.t().length && sd.t()[next[s]] < from + windowMs) {
          if (ts == null) {
            ts = TimeSeries.newBuilder();
            for (Map.Entry<String, String> e : sd.labels().entrySet()) {
              ts.addLabels(Label.newBuilder().setName(e.getKey()).setValue(e.getValue()));
            }
          }
          ts.addSamples(Sample.newBuilder().setTimestamp(sd.t()[next[s]]).setValue(sd.v()[next[s]]));
          next[s]++;
        }
        if (ts != null) {
          w.addTimeseries(ts);
        }
      }
      if (w.getTimeseriesCount() > 0) {
        out.add(w.build());
      }
    }
    return out;
  }

  private static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private static String formatValue(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    // Java's shortest repr round-trips; Go's ParseFloat reads the exponent form too
    return Double.toString(v);
  }

  static String formatSeconds(long ms) {
    return (ms / 1000) + "." + String.format("%03d", ms % 1000);
  }

  /**
   * Whether promtool reads {@code ms} back as {@code ms}: Prometheus' OpenMetrics parser computes
   * {@code int64(seconds * 1000)} in float64, which truncates some millisecond values by one.
   */
  static boolean exactInOpenMetrics(long ms) {
    return (long) (Double.parseDouble(formatSeconds(ms)) * 1000) == ms;
  }

  /** Sample times of one series: a period with jitter, never on a whole second. */
  private static final class Gen {
    private final Random rnd;
    private final long end;
    private final long period;
    private final long gapFrom;
    private final long gapTo;
    private final long first;
    private long slot;
    private long t = Long.MIN_VALUE;
    private final List<Long> times = new ArrayList<>();
    private final List<Double> values = new ArrayList<>();

    Gen(Random rnd, long first, long end, long period) {
      this(rnd, first, end, period, Long.MAX_VALUE, Long.MAX_VALUE);
    }

    Gen(Random rnd, long first, long end, long period, long gapFrom, long gapTo) {
      this.rnd = rnd;
      this.end = end;
      this.period = period;
      this.gapFrom = gapFrom;
      this.gapTo = gapTo;
      this.first = first;
      this.slot = first - period;
    }

    boolean next() {
      while (true) {
        slot += period;
        long c = slot + rnd.nextInt(400) - 200;
        while (c <= t || c % 1000 == 0 || !exactInOpenMetrics(c)) {
          c++;
        }
        if (c >= end) {
          return false;
        }
        if (c >= gapFrom && c < gapTo) {
          continue;
        }
        t = c;
        return true;
      }
    }

    long t() {
      return t;
    }

    /**
     * Whether a counter may reset at this sample: not within ten periods of where the series
     * (re)appears. There, the window of rate() starts well before the first sample and the
     * counter's first value limits the extrapolation towards zero, which Prometheus 3 (and
     * Faultline) caps at half a sample interval and 2.42 did not: a small first value would
     * compare two versions' semantics instead of two implementations.
     */
    boolean mayReset() {
      long margin = 10 * period;
      return t - first >= margin && (t < gapFrom - margin || t >= gapTo + margin);
    }

    void add(double v) {
      times.add(t);
      values.add(v);
    }

    long[] times() {
      return times.stream().mapToLong(Long::longValue).toArray();
    }

    double[] values() {
      return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
  }
}
