/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.BufferedWriter;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@code logs} workload: generated ~200-byte log records sent to Faultline as OTLP/HTTP
 * protobuf, the same records written to a text file, then the same searches through {@code
 * /api/logs} and with {@code grep -c} over the file.
 */
final class LogBench {
  static final Duration WINDOW = Duration.ofHours(1);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration VISIBILITY_TIMEOUT = Duration.ofMinutes(10);
  private static final int MAX_BROKEN_CONNECTIONS = 5;

  /** What to run; {@code queries} per search kind. */
  record Options(long records, int clients, int batch, int queries, Path out, long seed) {
    Options {
      if (records < 1000) {
        throw new IllegalArgumentException("--records must be at least 1000, got " + records);
      }
      if (clients < 1 || clients > 64) {
        throw new IllegalArgumentException("--clients must be between 1 and 64, got " + clients);
      }
      if (batch < 1 || batch > 100_000) {
        throw new IllegalArgumentException("--batch must be between 1 and 100000, got " + batch);
      }
      if (queries < 1) {
        throw new IllegalArgumentException("--queries must be at least 1, got " + queries);
      }
    }

    String commandLine() {
      return "./faultline bench logs --records "
          + records
          + " --clients "
          + clients
          + " --batch "
          + batch
          + " --queries "
          + queries
          + " --out "
          + out
          + " --seed "
          + seed;
    }
  }

  /** One kind of search: its latencies through the API and the time grep took for one of them. */
  record Search(
      String kind, String example, long[] nanos, long apiHits, double grepSeconds, long grepHits) {}

  private final Options options;
  private final Path serverJar;
  private final PrintStream out;
  private final ProcStats proc = ProcStats.detect();
  private final HttpClient client = BenchRun.httpClient();

  LogBench(Options options, Path serverJar, PrintStream out) {
    this.options = options;
    this.serverJar = serverJar;
    this.out = out;
  }

  Path run() throws Exception {
    BenchRun run = BenchRun.start(options.out());
    Instant began = run.began();
    String stamp = run.stamp();
    Path dir = run.dir();
    long endNanos = TimeUnit.MILLISECONDS.toNanos(began.toEpochMilli()) - 60_000_000_000L;
    LogGenerator generator =
        new LogGenerator(
            options.seed(), options.records(), endNanos - WINDOW.toNanos(), WINDOW.toNanos());
    out.printf(
        "bench logs: %,d records in batches of %d from %d clients over the hour before the run;"
            + " seed %d%n",
        options.records(), options.batch(), options.clients(), options.seed());

    Path text = Files.createTempFile("faultline-bench-logs-", ".log");
    try (ChildProcesses children = new ChildProcesses()) {
      long rawTextBytes = writeText(generator, text);
      out.printf("  raw text for grep: %,d bytes in %s%n", rawTextBytes, text);
      FaultlineServer server =
          new FaultlineServer(children, serverJar, dir.resolve("faultline-logs-" + stamp + ".log"));
      server.start();
      long pid = server.pid();
      out.printf("  Faultline started (pid %d); ingesting...%n", pid);
      double cpuStart = proc.cpuSeconds(pid);
      Ingest ingest = ingest(server, generator);
      double cpuToAck = proc.cpuSeconds(pid) - cpuStart;
      out.printf(
          "  %,d records acknowledged in %.1f s (%,.0f records/s), %d retries%n",
          ingest.acknowledged(),
          ingest.seconds(),
          ingest.acknowledged() / ingest.seconds(),
          ingest.retries());
      double visibleAfter = awaitVisible(server, generator);
      out.printf(
          "  last record searchable %.2f s after its ack; waiting until idle...%n", visibleAfter);
      double cpuToIdle = Idle.await(proc, pid, out) - cpuStart;
      List<Search> searches = searches(server, generator, text);
      long peakRss = proc.peakRssBytes(pid);
      out.println("  stopping (SIGTERM)...");
      BenchTarget.DiskUsage disk = server.stop();
      String report =
          report(
              began,
              generator,
              ingest,
              cpuToAck,
              cpuToIdle,
              visibleAfter,
              searches,
              disk,
              peakRss,
              rawTextBytes);
      Path file = dir.resolve("bench-logs-" + stamp + ".md");
      Files.writeString(file, report);
      out.println();
      out.println(report);
      out.println("written to " + file);
      return file;
    } finally {
      Files.deleteIfExists(text);
    }
  }

  private static long writeText(LogGenerator generator, Path text) throws IOException {
    long bytes = 0;
    try (BufferedWriter w = Files.newBufferedWriter(text, StandardCharsets.UTF_8)) {
      for (long i = 0; i < generator.records(); i++) {
        String line = generator.line(i).text();
        w.write(line);
        w.write('\n');
        bytes += line.length() + 1;
      }
    }
    return bytes;
  }

  record Ingest(long acknowledged, long rejected, long otlpBytes, long retries, double seconds) {}

  private Ingest ingest(FaultlineServer server, LogGenerator generator) throws Exception {
    AtomicLong next = new AtomicLong();
    AtomicLong acknowledged = new AtomicLong();
    AtomicLong rejected = new AtomicLong();
    AtomicLong bytes = new AtomicLong();
    AtomicLong retries = new AtomicLong();
    AtomicReference<Exception> failure = new AtomicReference<>();
    long start = System.nanoTime();
    List<Thread> senders = new ArrayList<>();
    for (int c = 0; c < options.clients(); c++) {
      Thread t =
          new Thread(
              () -> {
                try {
                  while (failure.get() == null) {
                    long from = next.getAndAdd(options.batch());
                    if (from >= generator.records()) {
                      return;
                    }
                    long to = Math.min(generator.records(), from + options.batch());
                    byte[] body = encode(generator, from, to).toByteArray();
                    bytes.addAndGet(body.length);
                    long bad = send(server, body, retries);
                    rejected.addAndGet(bad);
                    acknowledged.addAndGet(to - from - bad);
                  }
                } catch (Exception e) {
                  failure.compareAndSet(null, e);
                }
              },
              "bench-log-sender-" + c);
      senders.add(t);
      t.start();
    }
    long lastReport = System.nanoTime();
    for (Thread t : senders) {
      while (t.isAlive()) {
        t.join(1000);
        if (System.nanoTime() - lastReport > 10_000_000_000L) {
          lastReport = System.nanoTime();
          out.printf(
              "  %,d records acknowledged, %,.0f records/s%n",
              acknowledged.get(), acknowledged.get() / ((lastReport - start) / 1e9));
        }
      }
    }
    if (failure.get() != null) {
      throw failure.get();
    }
    return new Ingest(
        acknowledged.get(),
        rejected.get(),
        bytes.get(),
        retries.get(),
        (System.nanoTime() - start) / 1e9);
  }

  /** One OTLP request, grouped by service as an SDK's batch processor behind a collector would. */
  static ExportLogsServiceRequest encode(LogGenerator generator, long from, long to) {
    Map<String, ScopeLogs.Builder> byService = new LinkedHashMap<>();
    for (long i = from; i < to; i++) {
      LogGenerator.Line line = generator.line(i);
      byService
          .computeIfAbsent(
              line.service(),
              s ->
                  ScopeLogs.newBuilder()
                      .setScope(InstrumentationScope.newBuilder().setName("org.slf4j.Logger")))
          .addLogRecords(
              LogRecord.newBuilder()
                  .setTimeUnixNano(line.timeNanos())
                  .setObservedTimeUnixNano(line.timeNanos())
                  .setSeverityNumber(SeverityNumber.forNumber(line.severityNumber()))
                  .setSeverityText(line.severity())
                  .setBody(AnyValue.newBuilder().setStringValue(line.body()))
                  .setTraceId(ByteString.copyFrom(line.traceId()))
                  .setSpanId(ByteString.copyFrom(line.spanId()))
                  .setFlags(1));
    }
    ExportLogsServiceRequest.Builder request = ExportLogsServiceRequest.newBuilder();
    byService.forEach(
        (service, scope) ->
            request.addResourceLogs(
                ResourceLogs.newBuilder()
                    .setResource(
                        Resource.newBuilder()
                            .addAttributes(str("service.name", service))
                            .addAttributes(str("service.namespace", "shop"))
                            .addAttributes(str("host.name", service + "-7f9c4d-x2k8p")))
                    .addScopeLogs(scope)));
    return request.build();
  }

  private static KeyValue str(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  private long send(FaultlineServer server, byte[] body, AtomicLong retries)
      throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(server.otlp("/v1/logs"))
            .header("Content-Type", "application/x-protobuf")
            .timeout(Duration.ofSeconds(120))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    long waited = 0;
    int broken = 0;
    while (true) {
      HttpResponse<byte[]> response;
      try {
        response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException e) {
        // a connection the server closed (after a 429 with Connection: close, or an idle timeout)
        // while the client reused it: nothing was acknowledged, so sending again is safe
        if (++broken > MAX_BROKEN_CONNECTIONS) {
          throw new IOException(
              "sending a batch of log records failed "
                  + broken
                  + " times in a row (server log: "
                  + server.log()
                  + ")",
              e);
        }
        retries.incrementAndGet();
        continue;
      }
      int status = response.statusCode();
      if (status == 200) {
        return ExportLogsServiceResponse.parseFrom(response.body())
            .getPartialSuccess()
            .getRejectedLogRecords();
      }
      if ((status == 429 || status == 503) && waited < 600_000) {
        long wait = IngestDriver.retryAfterMillis(response);
        waited += wait;
        retries.incrementAndGet();
        Thread.sleep(wait);
        continue;
      }
      String text = new String(response.body(), StandardCharsets.UTF_8);
      throw new IOException(
          "Faultline answered "
              + status
              + " to a batch of log records: "
              + text.substring(0, Math.min(500, text.length()))
              + " (server log: "
              + server.log()
              + ")");
    }
  }

  private double awaitVisible(FaultlineServer server, LogGenerator generator) throws Exception {
    String traceId = LogGenerator.hex(generator.line(generator.records() - 1).traceId());
    long start = System.nanoTime();
    while (true) {
      JsonNode answer = api(server, "/api/logs", "trace_id:" + traceId, generator, "&limit=1");
      if (answer.path("total").asLong() > 0) {
        return (System.nanoTime() - start) / 1e9;
      }
      if (System.nanoTime() - start > VISIBILITY_TIMEOUT.toNanos()) {
        throw new IOException(
            "the last record sent (trace_id "
                + traceId
                + ") was not searchable within "
                + VISIBILITY_TIMEOUT.toMinutes()
                + " minutes; see "
                + server.log());
      }
      Thread.sleep(50);
    }
  }

  private JsonNode api(
      FaultlineServer server, String path, String query, LogGenerator generator, String extra)
      throws IOException, InterruptedException {
    return api(
        server,
        path,
        query,
        generator.startNanos() / 1_000_000 - 1000,
        generator.endNanos() / 1_000_000 + 1000,
        extra);
  }

  private JsonNode api(
      FaultlineServer server,
      String path,
      String query,
      long fromMillis,
      long toMillis,
      String extra)
      throws IOException, InterruptedException {
    HttpRequest request =
        server.get(
            path
                + "?query="
                + FaultlineServer.encode(query)
                + "&start="
                + fromMillis
                + "&end="
                + toMillis
                + extra);
    QueryClient.Answer response = QueryClient.send(request);
    if (response.statusCode() != 200) {
      throw new IOException(
          "Faultline answered "
              + response.statusCode()
              + " to "
              + request.uri()
              + ": "
              + new String(response.body(), StandardCharsets.UTF_8));
    }
    return JSON.readTree(response.body());
  }

  /** A query for the API and the same question for grep. */
  record Question(String query, long fromMillis, long toMillis, String[] grep) {}

  private List<Search> searches(FaultlineServer server, LogGenerator generator, Path text)
      throws Exception {
    SplittableRandom random = new SplittableRandom(options.seed());
    int n = options.queries();
    long from = generator.startNanos() / 1_000_000 - 1000;
    long to = generator.endNanos() / 1_000_000 + 1000;
    List<Question> terms = new ArrayList<>();
    List<Question> phrases = new ArrayList<>();
    List<Question> filters = new ArrayList<>();
    List<Question> histograms = new ArrayList<>();
    String[] phraseTexts = {
      "connection reset by peer", "card declined by issuer", "from queue orders.created partition 7"
    };
    for (int i = 0; i < n; i++) {
      String order =
          LogGenerator.orderId(generator.orderNumber(random.nextLong(generator.records())));
      terms.add(new Question("body:" + order, from, to, new String[] {"-cw", order}));
      String phrase = phraseTexts[i % phraseTexts.length];
      phrases.add(new Question("body:\"" + phrase + "\"", from, to, new String[] {"-cF", phrase}));
      // a ten-minute window, aligned so that grep can select it by a timestamp prefix
      long tenMinutes = 600_000;
      long windowStart =
          (generator.startNanos() / 1_000_000 / tenMinutes + 1 + random.nextInt(4)) * tenMinutes;
      String service = LogGenerator.SERVICES.get(random.nextInt(LogGenerator.SERVICES.size()));
      String prefix = Instant.ofEpochMilli(windowStart).toString().substring(0, 15);
      filters.add(
          new Question(
              "service:" + service + " AND severity:ERROR",
              windowStart,
              windowStart + tenMinutes - 1,
              new String[] {"-c", "^" + prefix + ".* ERROR " + service + " "}));
      histograms.add(new Question("severity:ERROR", from, to, new String[] {"-cF", " ERROR "}));
    }
    List<Search> result = new ArrayList<>();
    result.add(measure(server, "selective term", "/api/logs", terms, text, "&limit=100"));
    result.add(measure(server, "phrase", "/api/logs", phrases, text, "&limit=100"));
    result.add(
        measure(server, "field + 10-minute window", "/api/logs", filters, text, "&limit=100"));
    result.add(
        measure(
            server, "histogram (60 buckets)", "/api/logs/histogram", histograms, text, "&step=1m"));
    return result;
  }

  private Search measure(
      FaultlineServer server,
      String kind,
      String path,
      List<Question> questions,
      Path text,
      String extra)
      throws Exception {
    out.printf("  %d x %s...%n", questions.size(), kind);
    for (int i = 0; i < Math.min(5, questions.size()); i++) {
      Question q = questions.get(i);
      api(server, path, q.query(), q.fromMillis(), q.toMillis(), extra);
    }
    long[] nanos = new long[questions.size()];
    for (int i = 0; i < questions.size(); i++) {
      Question q = questions.get(i);
      long start = System.nanoTime();
      api(server, path, q.query(), q.fromMillis(), q.toMillis(), extra);
      nanos[i] = System.nanoTime() - start;
    }
    Question first = questions.get(0);
    JsonNode answer = api(server, path, first.query(), first.fromMillis(), first.toMillis(), extra);
    long apiHits = 0;
    if (answer.has("buckets")) {
      for (JsonNode b : answer.path("buckets")) {
        apiHits += b.path("count").asLong();
      }
    } else {
      apiHits = answer.path("total").asLong();
    }
    List<String> command = new ArrayList<>(List.of("grep"));
    command.addAll(List.of(first.grep()));
    command.add(text.toString());
    long start = System.nanoTime();
    Process grep = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(grep.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    grep.waitFor();
    double grepSeconds = (System.nanoTime() - start) / 1e9;
    long grepHits;
    try {
      grepHits = Long.parseLong(output);
    } catch (NumberFormatException e) {
      throw new IOException("grep " + String.join(" ", first.grep()) + " printed: " + output, e);
    }
    return new Search(
        kind,
        first.query() + "  vs  grep " + String.join(" ", first.grep()),
        nanos,
        apiHits,
        grepSeconds,
        grepHits);
  }

  private String report(
      Instant began,
      LogGenerator generator,
      Ingest ingest,
      double cpuToAck,
      double cpuToIdle,
      double visibleAfter,
      List<Search> searches,
      BenchTarget.DiskUsage disk,
      long peakRss,
      long rawTextBytes) {
    double millions = ingest.acknowledged() / 1e6;
    StringBuilder md = new StringBuilder();
    md.append("# Faultline benchmark: logs\n\n");
    md.append("- date: ").append(began).append('\n');
    md.append("- machine: ").append(ResultTable.machine()).append('\n');
    md.append("- load average at the start: ").append(loadAverage()).append('\n');
    md.append("- command: `").append(options.commandLine()).append("`\n");
    md.append(
        String.format(
            Locale.ROOT,
            "- workload: %,d records (%.0f bytes of text each on average), 10 services,"
                + " INFO/DEBUG/WARN/ERROR, request/cache/queue/payment/exception messages with"
                + " paths, IPs, UUIDs, order ids, trace and span ids; OTLP/HTTP protobuf; Faultline"
                + " with %s%n%n",
            generator.records(),
            rawTextBytes / (double) generator.records(),
            FaultlineServer.HEAP));
    md.append("| figure | Faultline | goal |\n|---|---:|---|\n");
    double mb = ingest.otlpBytes() / 1e6;
    md.append(row("records acknowledged", "%,.0f", ingest.acknowledged(), ""));
    md.append(
        row(
            "ingest rate, records/s (wall clock)",
            "%,.0f",
            ingest.acknowledged() / ingest.seconds(),
            ""));
    md.append(
        row("ingest rate, MB/s of OTLP protobuf acknowledged", "%.1f", mb / ingest.seconds(), ""));
    md.append(
        row(
            "server CPU-seconds per million records, to last ack",
            "%.1f",
            cpuToAck / millions,
            ""));
    md.append(
        row(
            "server CPU-seconds per million records, until indexed and idle",
            "%.1f",
            cpuToIdle / millions,
            "≤ 15"));
    md.append(row("last record searchable after its ack (s)", "%.2f", visibleAfter, ""));
    double raw = ingest.otlpBytes() / (double) ingest.acknowledged();
    double onDisk = disk.total() / (double) ingest.acknowledged();
    md.append(row("raw OTLP protobuf bytes per record", "%.1f", raw, ""));
    md.append(
        row("raw text bytes per record", "%.1f", rawTextBytes / (double) generator.records(), ""));
    md.append(row("bytes on disk per record (after graceful stop)", "%.1f", onDisk, ""));
    md.append(row("on disk / raw OTLP", "%.0f%%", 100 * onDisk / raw, "≤ 50 %"));
    long index = disk.bytesByEntry().getOrDefault("logs", 0L);
    md.append(
        row(
            "of which the log index (`logs/`), bytes per record",
            "%.1f",
            index / (double) ingest.acknowledged(),
            ""));
    for (Search s : searches) {
      Percentiles p = new Percentiles(s.nanos());
      boolean selective = !s.kind().startsWith("histogram");
      md.append(row(s.kind() + " p50 (ms)", "%.1f", p.percentile(50) / 1e6, ""));
      md.append(
          row(s.kind() + " p99 (ms)", "%.1f", p.percentile(99) / 1e6, selective ? "≤ 100" : ""));
      md.append(
          row(s.kind() + ": grep -c over the raw text (ms)", "%.0f", s.grepSeconds() * 1000, ""));
      md.append(
          row(
              s.kind() + ": grep time / Faultline p50",
              "%.1f×",
              s.grepSeconds() * 1e9 / p.percentile(50),
              selective ? "≥ 50×" : ""));
    }
    md.append(row("peak RSS (MiB)", "%,.0f", peakRss / 1048576.0, ""));
    md.append("\nNotes:\n\n");
    md.append("- Each search kind ran ")
        .append(options.queries())
        .append(
            " times one at a time over loopback HTTP after 5 warm-up queries (limit 100 per page);"
                + " p50/p99 by nearest rank. grep ran once per kind on the first query of the kind,"
                + " over a file the page cache had just seen; hit counts of that query:\n");
    for (Search s : searches) {
      md.append("  - ")
          .append(s.kind())
          .append(": `")
          .append(s.example())
          .append("`: Faultline ")
          .append(s.apiHits())
          .append(", grep ")
          .append(s.grepHits())
          .append('\n');
    }
    md.append("- Data directory after the graceful stop: ");
    disk.bytesByEntry()
        .forEach((k, v) -> md.append(String.format(Locale.ROOT, "`%s` %,d B; ", k, v)));
    md.append(
        disk.cleanStop()
            ? "clean exit.\n"
            : "killed after the grace period (may hold an uncommitted WAL).\n");
    if (ingest.rejected() > 0) {
      md.append("- Faultline rejected ")
          .append(ingest.rejected())
          .append(" records (partialSuccess).\n");
    }
    md.append("- Retries after 429/503 or a connection the server had closed: ")
        .append(ingest.retries())
        .append(".\n");
    return md.toString();
  }

  static String row(String label, String format, double value, String goal) {
    return "| " + label + " | " + String.format(Locale.ROOT, format, value) + " | " + goal + " |\n";
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
