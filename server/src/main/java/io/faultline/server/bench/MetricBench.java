/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import io.faultline.core.metric.PromDurations;

/**
 * The {@code metrics} workload: the same remote-write load (every series, one step after the other,
 * over the history before now) into Faultline, Prometheus and VictoriaMetrics, one at a time, then
 * the same PromQL battery against each.
 *
 * <p>By default every series is sampled once a minute, Prometheus' default scrape interval, over
 * the 7 days before the run, or over one day beyond {@value #WEEK_OF_HISTORY_UP_TO} series (a week
 * of 100,000 series would take hours per server). Bytes per sample only mean something for series
 * sampled as densely as a scrape samples them; a sample every few hours leaves each series' index
 * entries and chunk headers to a handful of samples.
 */
final class MetricBench {
  static final String DEFAULT_SERIES = "10000,100000";
  static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(1);
  static final int WEEK_OF_HISTORY_UP_TO = 10_000;

  /** The range the range query of the battery covers, whatever the history holds. */
  static final Duration RANGE = Duration.ofDays(7);
  static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
  static final Path VICTORIA_METRICS = Path.of("/usr/bin/victoria-metrics");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration VISIBILITY_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration QUERY_BUDGET = Duration.ofSeconds(60);

  /**
   * Unmeasured runs of each query before its measured ones, for every server alike: a JVM answers
   * its first few hundred calls of a code path interpreted, before the JIT compiles it, and the
   * battery asks about the steady state a dashboard sees, not a cold start. At least {@value
   * #MIN_WARMUPS} runs, then until {@link #WARMUP_BUDGET} or {@value #MAX_WARMUPS} runs.
   */
  private static final Duration WARMUP_BUDGET = Duration.ofSeconds(10);

  private static final int MIN_WARMUPS = 2;
  private static final int MAX_WARMUPS = 5_000;

  /** A server that cannot take one request within this long is reported as failing the load. */
  private static final Duration MAX_BACKOFF = Duration.ofMinutes(2);

  /**
   * Entries of a data directory that do not hold samples: Faultline's other signals and settings,
   * VictoriaMetrics' query caches and lock, Prometheus' fixed-size active-query log.
   */
  static final java.util.Set<String> NOT_SAMPLES =
      java.util.Set.of(
          "alerting",
          "auth",
          "chaos",
          "logs",
          "traces",
          "cache",
          "flock.lock",
          "snapshots",
          "tmp",
          "metadata",
          "queries.active");

  /**
   * What the bench runs.
   *
   * @param samplesPerSeries one count for every series count, one per series count, or none for
   *     one sample a minute over the history; one per series count once constructed
   * @param history how far back the samples of each series start: one, one per series count, or
   *     none for 7 days (1 day beyond {@value #WEEK_OF_HISTORY_UP_TO} series); one per series count
   *     once constructed
   */
  record Options(
      List<Integer> series,
      List<Integer> samplesPerSeries,
      List<Duration> history,
      int clients,
      int batch,
      int queries,
      boolean peers,
      Path out,
      long seed) {
    Options {
      onePerSize(history, series, "--history takes one duration");
      onePerSize(samplesPerSeries, series, "--samples-per-series takes one count");
      List<Duration> resolvedHistory = new ArrayList<>();
      List<Integer> resolvedSamples = new ArrayList<>();
      for (int i = 0; i < series.size(); i++) {
        resolvedHistory.add(
            history.isEmpty()
                ? Duration.ofDays(series.get(i) <= WEEK_OF_HISTORY_UP_TO ? 7 : 1)
                : of(history, i));
        resolvedSamples.add(
            samplesPerSeries.isEmpty()
                ? (int) (resolvedHistory.get(i).toMillis() / DEFAULT_INTERVAL.toMillis())
                : of(samplesPerSeries, i));
      }
      history = List.copyOf(resolvedHistory);
      samplesPerSeries = List.copyOf(resolvedSamples);
      for (int n : samplesPerSeries) {
        if (n < 4) {
          throw new IllegalArgumentException("--samples-per-series must be at least 4, got " + n);
        }
      }
      for (int i = 0; i < series.size(); i++) {
        long interval = history.get(i).toMillis() / samplesPerSeries.get(i);
        if (interval < 1_000) {
          throw new IllegalArgumentException(
              "--history "
                  + PromDurations.format(history.get(i))
                  + " holds "
                  + samplesPerSeries.get(i)
                  + " samples less than a second apart; the bench samples at most once a second");
        }
      }
      if (clients < 1 || clients > 64) {
        throw new IllegalArgumentException("--clients must be between 1 and 64, got " + clients);
      }
      if (batch < 1 || batch > 100_000) {
        throw new IllegalArgumentException("--batch must be between 1 and 100000, got " + batch);
      }
    }

    private static void onePerSize(List<?> values, List<Integer> series, String takesOne) {
      if (values.size() > 1 && values.size() != series.size()) {
        throw new IllegalArgumentException(
            takesOne
                + " or one per --series count ("
                + series.size()
                + "), got "
                + values.size());
      }
    }

    int samplesFor(int seriesIndex) {
      return samplesPerSeries.get(seriesIndex);
    }

    Duration historyFor(int seriesIndex) {
      return history.get(seriesIndex);
    }

    private static <T> T of(List<T> values, int i) {
      return values.size() == 1 ? values.get(0) : values.get(i);
    }

    String commandLine() {
      return "./faultline bench metrics --series "
          + join(series, String::valueOf)
          + " --samples-per-series "
          + join(samplesPerSeries, String::valueOf)
          + " --history "
          + join(history, PromDurations::format)
          + " --clients "
          + clients
          + " --batch "
          + batch
          + " --queries "
          + queries
          + " --peers "
          + peers
          + " --out "
          + out
          + " --seed "
          + seed;
    }
  }

  private static <T> String join(List<T> values, java.util.function.Function<T, String> format) {
    return values.stream().map(format).collect(java.util.stream.Collectors.joining(","));
  }

  /** {@code --samples-per-series}: comma-separated counts; none when absent. */
  static List<Integer> parseCounts(String text) {
    return text == null
        ? List.of()
        : parseList(text, "--samples-per-series", "counts such as 10080,1440", Integer::parseInt);
  }

  /** {@code --history}: comma-separated Prometheus durations such as {@code 7d,1d}; none when absent. */
  static List<Duration> parseHistory(String text) {
    return text == null
        ? List.of()
        : parseList(
            text,
            "--history",
            "durations such as 7d,1d",
            part -> {
              Duration d = PromDurations.parse(part);
              if (d.isZero()) {
                throw new IllegalArgumentException("an empty history");
              }
              return d;
            });
  }

  static List<Integer> parseSeries(String text) {
    List<Integer> series =
        parseList(text, "--series", "series counts such as 10000,100000", Integer::parseInt);
    for (int n : series) {
      if (n < 16 || n > 10_000_000) {
        throw new IllegalArgumentException(
            "--series: each count must be between 16 and 10000000, got " + n);
      }
    }
    return series;
  }

  /** A comma-separated option; any value {@code parse} refuses fails the whole option. */
  private static <T> List<T> parseList(
      String text, String option, String expected, java.util.function.Function<String, T> parse) {
    List<T> out = new ArrayList<>();
    for (String part : text.split(",")) {
      try {
        out.add(parse.apply(part.trim()));
      } catch (IllegalArgumentException e) { // NumberFormatException included
        throw new IllegalArgumentException(
            option + " takes comma-separated " + expected + "; got '" + text + "'");
      }
    }
    return List.copyOf(out);
  }

  /** One query of the battery: an instant query at the end, or a range over the whole history. */
  record Query(String name, String promql, boolean range) {}

  /** The battery with a rate window that holds at least three samples at this interval. */
  static List<Query> battery(long intervalMillis) {
    String w = rateWindow(intervalMillis);
    return List.of(
        new Query(
            "rate", "rate(http_requests_total{job=\"svc-3\",code=\"200\"}[" + w + "])", false),
        new Query("sum by", "sum by (job) (rate(http_requests_total[" + w + "]))", false),
        new Query(
            "histogram_quantile of rate",
            "histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket["
                + w
                + "])))",
            false),
        new Query("topk", "topk(10, rate(http_request_duration_seconds_count[" + w + "]))", false),
        new Query(
            "7-day range, 5-minute step",
            "sum by (job) (rate(http_requests_total[" + w + "]))",
            true));
  }

  /** At least 5 minutes and three sample intervals, in whole minutes. */
  static String rateWindow(long intervalMillis) {
    long minutes = Math.max(5, (3 * intervalMillis + 59_999) / 60_000);
    return minutes + "m";
  }

  record Measured(
      String name,
      long samples,
      double seconds,
      long retries,
      double cpuToAck,
      double cpuToIdle,
      BenchTarget.DiskUsage disk,
      long peakRss,
      Map<String, long[]> latencies,
      Map<String, Integer> resultSeries,
      String failure) {
    static Measured failed(String name, String why) {
      return new Measured(
          name, 0, 0, 0, 0, 0, BenchTarget.DiskUsage.NONE, 0, Map.of(), Map.of(), why);
    }

    double perMillion(double cpu) {
      return cpu / (samples / 1e6);
    }

    double p(String query, double p) {
      long[] nanos = latencies.get(query);
      return nanos == null || nanos.length == 0
          ? Double.NaN
          : new Percentiles(nanos).percentile(p) / 1e6;
    }

    long sampleBytes() {
      return disk.bytesByEntry().entrySet().stream()
          .filter(e -> !NOT_SAMPLES.contains(e.getKey()))
          .mapToLong(Map.Entry::getValue)
          .sum();
    }

    double batteryMedian() {
      long[] all = latencies.values().stream().flatMapToLong(Arrays::stream).toArray();
      return all.length == 0 ? Double.NaN : new Percentiles(all).percentile(50) / 1e6;
    }
  }

  private final Options options;
  private final Path serverJar;
  private final PrintStream out;
  private final ProcStats proc = ProcStats.detect();
  private final HttpClient client = BenchRun.httpClient();

  MetricBench(Options options, Path serverJar, PrintStream out) {
    this.options = options;
    this.serverJar = serverJar;
    this.out = out;
  }

  Path run() throws Exception {
    BenchRun run = BenchRun.start(options.out());
    Instant began = run.began();
    String stamp = run.stamp();
    Path dir = run.dir();
    // the last scrape ends two minutes before the run, so no server sees samples from its future
    long endMillis = (began.toEpochMilli() - 120_000) / 60_000 * 60_000;
    out.printf(
        "bench metrics: series %s, samples per series %s over %s, batches of %d from %d clients;"
            + " seed %d%n",
        options.series(),
        options.samplesPerSeries(),
        join(options.history(), PromDurations::format),
        options.batch(),
        options.clients(),
        options.seed());
    StringBuilder md = new StringBuilder();
    md.append("# Faultline benchmark: metrics\n\n");
    md.append("- date: ").append(began).append('\n');
    md.append("- machine: ").append(ResultTable.machine()).append('\n');
    md.append("- load average at the start: ").append(LogBench.loadAverage()).append('\n');
    md.append("- command: `").append(options.commandLine()).append("`\n");
    md.append(
        String.format(
            Locale.ROOT,
            "- workload: 16 series per endpoint (http_requests_total by code, a 12-bucket"
                + " http_request_duration_seconds histogram with _sum and _count), 20 jobs x 50"
                + " instances; the samples of each series evenly spread over the history before"
                + " the run (see each size), sent step by step (every series at one time, then the"
                + " next) as remote write 1.0 with one sample per series per request, %d series"
                + " per request, %d concurrent senders; servers run one after the other%n",
            options.batch(),
            options.clients()));
    md.append("- battery (the rate window holds at least three sample intervals): ");
    for (Query q : battery(60_000)) {
      md.append(q.name())
          .append(" `")
          .append(q.promql())
          .append('`')
          .append(q.range() ? " over the 7 days before the last sample at step 5m" : " at the last sample")
          .append("; ");
    }
    md.append("each ")
        .append(options.queries())
        .append(" times, one at a time, after unmeasured warm-up runs of the same query (")
        .append(MIN_WARMUPS)
        .append(" to ")
        .append(MAX_WARMUPS)
        .append(", for up to ")
        .append(WARMUP_BUDGET.toSeconds())
        .append(" s, so the JVM has compiled the path; the same for every server) (at most ")
        .append(QUERY_BUDGET.toSeconds())
        .append(" s per query)\n");
    md.append(
            "- bytes on disk count every entry of the data directory after a graceful stop except ")
        .append(new java.util.TreeSet<>(NOT_SAMPLES))
        .append(" (Faultline's WAL, Prometheus' WAL and head chunks included)\n\n");
    try (ChildProcesses children = new ChildProcesses()) {
      for (int i = 0; i < options.series().size(); i++) {
        int series = options.series().get(i);
        int samplesPerSeries = options.samplesFor(i);
        long intervalMillis =
            (options.historyFor(i).toMillis() / samplesPerSeries + 999) / 1000 * 1000;
        long firstMillis = endMillis - (samplesPerSeries - 1) * intervalMillis - 15_000;
        List<Query> battery = battery(intervalMillis);
        String workload =
            String.format(
                Locale.ROOT,
                "%,d series, %,d samples per series, one every %s over %s; rate window %s",
                series,
                samplesPerSeries,
                PromDurations.format(Duration.ofMillis(intervalMillis)),
                PromDurations.format(options.historyFor(i)),
                rateWindow(intervalMillis));
        out.printf("%n=== %s ===%n", workload);
        List<Measured> results = new ArrayList<>();
        Path faultlineLog = dir.resolve("faultline-metrics-" + series + "-" + stamp + ".log");
        results.add(
            peer(
                Path.of(System.getProperty("java.home"), "bin", "java"),
                "Faultline",
                () -> MetricTarget.faultline(children, serverJar, faultlineLog),
                new Load(series, samplesPerSeries, firstMillis, intervalMillis, endMillis),
                battery));
        if (options.peers()) {
          results.add(
              peer(
                  PROMETHEUS,
                  "Prometheus",
                  () ->
                      MetricTarget.prometheus(
                          children, PROMETHEUS, dir.resolve("prometheus-" + stamp + ".log")),
                  new Load(series, samplesPerSeries, firstMillis, intervalMillis, endMillis),
                  battery));
          results.add(
              peer(
                  VICTORIA_METRICS,
                  "VictoriaMetrics",
                  () ->
                      MetricTarget.victoriaMetrics(
                          children,
                          VICTORIA_METRICS,
                          dir.resolve("victoria-metrics-" + stamp + ".log")),
                  new Load(series, samplesPerSeries, firstMillis, intervalMillis, endMillis),
                  battery));
        }
        table(md, workload, results, battery);
      }
    }
    String report = md.toString();
    Path file = dir.resolve("bench-metrics-" + stamp + ".md");
    Files.writeString(file, report);
    out.println();
    out.println(report);
    out.println("written to " + file);
    return file;
  }

  private Measured peer(
      Path binary,
      String name,
      Callable<MetricTarget> target,
      Load load,
      List<Query> battery) {
    if (!Files.isExecutable(binary)) {
      out.printf("  %s: n/a, %s is not installed%n", name, binary);
      return Measured.failed(name, binary + " is not installed");
    }
    try {
      return measure(target.call(), load, battery);
    } catch (Exception e) {
      out.printf("  %s failed: %s%n", name, e.getMessage());
      String why = String.valueOf(e.getMessage());
      int cut = why.indexOf('\n');
      return Measured.failed(name, cut < 0 ? why : why.substring(0, cut));
    }
  }

  /** What one size sends: {@code samplesPerSeries} steps of every series, the last at the end. */
  private record Load(
      int series, int samplesPerSeries, long firstMillis, long intervalMillis, long endMillis) {}

  private Measured measure(MetricTarget target, Load load, List<Query> battery)
      throws Exception {
    int series = load.series();
    long endMillis = load.endMillis();
    out.printf("%n== %s ==%n", target.name());
    ExecutorService senders = Executors.newFixedThreadPool(options.clients());
    try {
      target.start();
      long pid = target.pid();
      out.printf("  started (pid %d); writing...%n", pid);
      MetricGenerator generator =
          new MetricGenerator(options.seed(), series, load.firstMillis(), load.intervalMillis());
      AtomicLong retries = new AtomicLong();
      long samples = 0;
      double cpuStart = proc.cpuSeconds(pid);
      long start = System.nanoTime();
      long lastReport = start;
      for (int step = 0; step < load.samplesPerSeries(); step++) {
        generator.advance();
        List<Callable<Void>> batches = new ArrayList<>();
        for (int from = 0; from < series; from += options.batch()) {
          int f = from;
          int t = Math.min(series, from + options.batch());
          batches.add(
              () -> {
                send(target, MetricGenerator.snappy(generator.request(f, t)), retries);
                return null;
              });
        }
        // a step is complete before the next starts: Prometheus refuses samples more than an
        // hour behind the newest it has
        for (Future<Void> done : senders.invokeAll(batches)) {
          done.get();
        }
        samples += series;
        if (System.nanoTime() - lastReport > 10_000_000_000L) {
          lastReport = System.nanoTime();
          out.printf(
              "  step %d of %d, %,.0f samples/s%n",
              step + 1, load.samplesPerSeries(), samples / ((lastReport - start) / 1e9));
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      double cpuToAck = proc.cpuSeconds(pid) - cpuStart;
      out.printf(
          "  %,d samples acknowledged in %.1f s (%,.0f samples/s), %d retries%n",
          samples, seconds, samples / seconds, retries.get());
      awaitVisible(target, series, endMillis);
      double cpuToIdle = Idle.await(proc, pid, out) - cpuStart;
      Map<String, long[]> latencies = new LinkedHashMap<>();
      Map<String, Integer> resultSeries = new LinkedHashMap<>();
      for (Query q : battery) {
        HttpRequest request = request(target, q, endMillis);
        long warmupEnd = System.nanoTime() + WARMUP_BUDGET.toNanos();
        for (int i = 0;
            i < MIN_WARMUPS || (i < MAX_WARMUPS && System.nanoTime() < warmupEnd);
            i++) {
          call(target, request);
        }
        long[] nanos = new long[options.queries()];
        int done = 0;
        long deadline = System.nanoTime() + QUERY_BUDGET.toNanos();
        JsonNode last = null;
        while (done < nanos.length && System.nanoTime() < deadline) {
          long t0 = System.nanoTime();
          last = call(target, request);
          nanos[done++] = System.nanoTime() - t0;
        }
        latencies.put(q.name(), Arrays.copyOf(nanos, done));
        resultSeries.put(q.name(), last == null ? 0 : last.path("data").path("result").size());
        out.printf(
            "  %s: p50 %.1f ms over %d runs, %d series%n",
            q.name(),
            new Percentiles(Arrays.copyOf(nanos, done)).percentile(50) / 1e6,
            done,
            resultSeries.get(q.name()));
      }
      long peakRss = proc.peakRssBytes(pid);
      out.println("  stopping (SIGTERM)...");
      BenchTarget.DiskUsage disk = target.stop();
      return new Measured(
          target.name(),
          samples,
          seconds,
          retries.get(),
          cpuToAck,
          cpuToIdle,
          disk,
          peakRss,
          latencies,
          resultSeries,
          null);
    } catch (Exception e) {
      try {
        target.stop();
      } catch (IOException | RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    } finally {
      senders.shutdownNow();
    }
  }

  private void send(MetricTarget target, byte[] body, AtomicLong retries)
      throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(target.write())
            .header("Content-Type", "application/x-protobuf")
            .header("Content-Encoding", "snappy")
            .header("X-Prometheus-Remote-Write-Version", "0.1.0")
            .timeout(Duration.ofSeconds(120))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    long started = System.nanoTime();
    long waited = 0;
    while (true) {
      if (System.nanoTime() - started > MAX_BACKOFF.toNanos()) {
        throw new IOException(
            target.name()
                + " could not take one remote-write request within "
                + MAX_BACKOFF.toMinutes()
                + " minutes (answering 429/503 or too slowly); it is not"
                + " keeping up with this load; see its log");
      }
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      int status = response.statusCode();
      if (status / 100 == 2) {
        return;
      }
      if ((status == 429 || status == 503) && waited < MAX_BACKOFF.toMillis()) {
        long wait = IngestDriver.retryAfterMillis(response);
        waited += wait;
        retries.incrementAndGet();
        Thread.sleep(wait);
        continue;
      }
      String text = response.body();
      throw new IOException(
          target.name()
              + " answered "
              + status
              + " to a remote-write request: "
              + text.substring(0, Math.min(500, text.length())));
    }
  }

  /** Waits until the last step's counters are all queryable at the end time. */
  private void awaitVisible(MetricTarget target, int series, long endMillis) throws Exception {
    if (target.name().equals("VictoriaMetrics")) {
      // makes the freshly written data searchable now rather than within a second or so
      client.send(
          HttpRequest.newBuilder(target.write().resolve("/internal/force_flush")).build(),
          HttpResponse.BodyHandlers.discarding());
    }
    long expected = 0;
    for (int i = 0; i < series; i++) {
      expected += i % MetricGenerator.SERIES_PER_ENDPOINT < 2 ? 1 : 0;
    }
    HttpRequest request =
        target.query(
            "/api/v1/query?query="
                + FaultlineServer.encode("count(http_requests_total)")
                + "&time="
                + endMillis / 1000.0);
    long start = System.nanoTime();
    JsonNode answer = null;
    while (System.nanoTime() - start < VISIBILITY_TIMEOUT.toNanos()) {
      answer = call(target, request);
      JsonNode result = answer.path("data").path("result");
      if (result.size() == 1 && result.get(0).path("value").path(1).asDouble() >= expected) {
        out.printf(
            "  all %,d counters queryable %.2f s after the last ack%n",
            expected, (System.nanoTime() - start) / 1e9);
        return;
      }
      Thread.sleep(100);
    }
    throw new IOException(
        target.name()
            + " did not show all "
            + expected
            + " http_requests_total series within "
            + VISIBILITY_TIMEOUT.toMinutes()
            + " minutes of the last ack; last answer: "
            + answer);
  }

  private static HttpRequest request(MetricTarget target, Query q, long endMillis) {
    String query = FaultlineServer.encode(q.promql());
    double end = endMillis / 1000.0;
    if (q.range()) {
      return target.query(
          "/api/v1/query_range?query="
              + query
              + "&start="
              + (end - RANGE.toSeconds())
              + "&end="
              + end
              + "&step=300");
    }
    return target.query("/api/v1/query?query=" + query + "&time=" + end);
  }

  private JsonNode call(MetricTarget target, HttpRequest request)
      throws IOException {
    QueryClient.Answer response = QueryClient.send(request);
    if (response.statusCode() != 200) {
      String body = new String(response.body(), StandardCharsets.UTF_8);
      throw new IOException(
          target.name()
              + " answered "
              + response.statusCode()
              + " to "
              + request.uri()
              + ": "
              + body.substring(0, Math.min(500, body.length())));
    }
    return JSON.readTree(response.body());
  }

  private void table(
      StringBuilder md, String workload, List<Measured> results, List<Query> battery) {
    md.append("### ").append(workload).append("\n\n");
    Measured f = results.get(0);
    List<Measured> peers = results.subList(1, results.size());
    md.append("| figure | Faultline");
    for (Measured p : peers) {
      md.append(" | ").append(p.name());
    }
    for (Measured p : peers) {
      md.append(" | Faultline / ").append(p.name());
    }
    md.append(" | goal |\n|---|---:");
    md.append("|---:".repeat(peers.size() * 2)).append("|---|\n");
    row(md, "samples acknowledged", "%,.0f", results, m -> (double) m.samples(), "", false);
    row(md, "samples/s (wall clock)", "%,.0f", results, m -> m.samples() / m.seconds(), "", true);
    row(
        md,
        "server CPU-s per million samples, to last ack",
        "%.2f",
        results,
        m -> m.perMillion(m.cpuToAck()),
        "",
        true);
    row(
        md,
        "server CPU-s per million samples, until idle",
        "%.2f",
        results,
        m -> m.perMillion(m.cpuToIdle()),
        "≤ Prometheus",
        true);
    row(
        md,
        "bytes on disk per sample (after graceful stop)",
        "%.2f",
        results,
        m -> m.disk().applies() ? m.sampleBytes() / (double) m.samples() : Double.NaN,
        "≤ 1.5",
        true);
    for (Query q : battery) {
      row(md, q.name() + " p50 (ms)", "%.1f", results, m -> m.p(q.name(), 50), "", true);
      row(md, q.name() + " p99 (ms)", "%.1f", results, m -> m.p(q.name(), 99), "", true);
    }
    row(
        md,
        "battery median latency (ms)",
        "%.1f",
        results,
        Measured::batteryMedian,
        "≤ Prometheus",
        true);
    row(md, "peak RSS (MiB)", "%,.0f", results, m -> m.peakRss() / 1048576.0, "", true);
    md.append('\n');
    for (Measured m : results) {
      md.append("- ").append(m.name()).append(": ");
      if (m.failure() != null) {
        md.append("n/a: ").append(m.failure()).append('\n');
        continue;
      }
      md.append("series in the answers ").append(m.resultSeries()).append("; data directory ");
      m.disk()
          .bytesByEntry()
          .forEach((k, v) -> md.append(String.format(Locale.ROOT, "`%s` %,d B; ", k, v)));
      md.append(m.disk().cleanStop() ? "clean exit" : "killed after the grace period")
          .append("; ")
          .append(m.retries())
          .append(" retries after 429/503\n");
    }
    md.append('\n');
  }

  private static void row(
      StringBuilder md,
      String label,
      String format,
      List<Measured> results,
      java.util.function.ToDoubleFunction<Measured> figure,
      String goal,
      boolean ratio) {
    md.append("| ").append(label);
    double[] v = new double[results.size()];
    for (int i = 0; i < v.length; i++) {
      Measured m = results.get(i);
      v[i] = m.failure() != null || m.samples() == 0 ? Double.NaN : figure.applyAsDouble(m);
      md.append(" | ")
          .append(Double.isNaN(v[i]) ? "n/a" : String.format(Locale.ROOT, format, v[i]));
    }
    for (int i = 1; i < v.length; i++) {
      md.append(" | ")
          .append(
              !ratio || Double.isNaN(v[0]) || Double.isNaN(v[i]) || v[i] == 0
                  ? "n/a"
                  : String.format(Locale.ROOT, "%.2f", v[0] / v[i]));
    }
    md.append(" | ").append(goal).append(" |\n");
  }
}
