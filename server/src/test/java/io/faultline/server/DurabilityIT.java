/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledged spans, log records and metric samples survive kill -9: the server runs as its own process, clients stream batches
 * and remember what was acknowledged, the server is killed mid-stream with SIGKILL and restarted on
 * the same data directory, and every acknowledged span is found exactly once. Then the write-ahead
 * log's tail is corrupted by hand and the server still starts with every acknowledged span.
 */
class DurabilityIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int TRACES_PER_BATCH = 10;
  private static final int SPANS_PER_TRACE = 5;

  @TempDir Path dataDir;
  /** Trace ids whose one OTLP log record was acknowledged. */
  private final Queue<String> acknowledgedLogs = new ConcurrentLinkedQueue<>();
  /** Batch ids whose OTLP gauge sample was acknowledged. */
  private final Queue<String> acknowledgedSamples = new ConcurrentLinkedQueue<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void acknowledgedSpansSurviveKillDashNineAndACorruptLogTail() throws Exception {
    long seed = Long.getLong("tests.seed", System.nanoTime());
    System.out.println("DurabilityIT seed: " + seed + " (replay with -Dtests.seed=" + seed + ")");
    Random random = new Random(seed);
    Path log = Path.of("target", "durability-it-server.log").toAbsolutePath();
    Files.deleteIfExists(log);

    Queue<String> acknowledged = new ConcurrentLinkedQueue<>();
    try (ServerProcess first = new ServerProcess(dataDir, log).start()) {
      sendLogstashLines(first);
      streamAndKill(first, random, acknowledged, 150);
    }
    assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(150 * TRACES_PER_BATCH);

    try (ServerProcess second = new ServerProcess(dataDir, log).start()) {
      assertEveryTraceComplete(second, acknowledged);
      assertEveryLogPresent(second);
      assertEverySamplePresent(second);
      assertThat(logstashLines(second)).as("Logstash lines after kill -9").isEqualTo(LOGSTASH_LINES);
      // more acknowledged data, then another crash, then a torn and corrupted log tail
      streamAndKill(second, random, acknowledged, 50);
    }
    corruptWalTail();

    try (ServerProcess third = new ServerProcess(dataDir, log).start()) {
      assertEveryTraceComplete(third, acknowledged);
      assertEveryLogPresent(third);
      assertEverySamplePresent(third);
      String fresh = send(third, random);
      assertThat(fresh).isNotNull();
      // new data is searchable within the refresh interval (at most a second)
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertEveryTraceComplete(third, List.of(fresh)));
    }
    assertThat(Files.readString(log)).contains("cut");
  }

  /** Streams from two clients until {@code batches} are acknowledged, then kills while sending. */
  private void streamAndKill(
      ServerProcess server, Random random, Queue<String> acknowledged, int batches)
      throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong acked = new AtomicLong();
    long seed = random.nextLong();
    ExecutorService clients = Executors.newFixedThreadPool(2);
    for (int c = 0; c < 2; c++) {
      Random r = new Random(seed + c);
      clients.submit(
          () -> {
            while (!stop.get()) {
              try {
                String first = send(server, r, acknowledged);
                if (first != null) {
                  acked.incrementAndGet();
                }
              } catch (IOException e) {
                return null; // the server died under us: expected at the end
              }
            }
            return null;
          });
    }
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> acked.get() >= batches);
    server.kill();
    stop.set(true);
    clients.shutdown();
    assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    assertThat(acked.get()).isGreaterThanOrEqualTo(batches);
    System.out.println("DurabilityIT: " + acked.get() + " batches acknowledged before SIGKILL");
  }

  private String send(ServerProcess server, Random random) throws IOException, InterruptedException {
    Queue<String> ids = new ConcurrentLinkedQueue<>();
    send(server, random, ids);
    return ids.peek();
  }

  /** Sends one batch; on 200 adds its trace ids to {@code acknowledged} and returns the first. */
  private String send(ServerProcess server, Random random, Queue<String> acknowledged)
      throws IOException, InterruptedException {
    ResourceSpans.Builder rs =
        ResourceSpans.newBuilder()
            .setResource(Resource.newBuilder().addAttributes(kv("service.name", "durability")));
    ScopeSpans.Builder scope = ScopeSpans.newBuilder();
    String[] traceIds = new String[TRACES_PER_BATCH];
    long now = System.currentTimeMillis() * 1_000_000L;
    for (int t = 0; t < TRACES_PER_BATCH; t++) {
      byte[] traceId = new byte[16];
      random.nextBytes(traceId);
      traceIds[t] = HexFormat.of().formatHex(traceId);
      byte[] parent = null;
      for (int s = 0; s < SPANS_PER_TRACE; s++) {
        byte[] spanId = new byte[8];
        random.nextBytes(spanId);
        Span.Builder span =
            Span.newBuilder()
                .setTraceId(ByteString.copyFrom(traceId))
                .setSpanId(ByteString.copyFrom(spanId))
                .setName("op-" + s)
                .setKind(Span.SpanKind.SPAN_KIND_SERVER)
                .setStartTimeUnixNano(now + s * 1000)
                .setEndTimeUnixNano(now + s * 1000 + 500_000)
                .addAttributes(kv("http.route", "/items/" + s));
        if (parent != null) {
          span.setParentSpanId(ByteString.copyFrom(parent));
        }
        parent = spanId;
        scope.addSpans(span);
      }
    }
    byte[] body =
        ExportTraceServiceRequest.newBuilder()
            .addResourceSpans(rs.addScopeSpans(scope))
            .build()
            .toByteArray();
    HttpResponse<Void> response =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.otlpHttpPort + "/v1/traces"))
                .header("Content-Type", "application/x-protobuf")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.discarding());
    if (response.statusCode() != 200) {
      return null;
    }
    for (String id : traceIds) {
      acknowledged.add(id);
    }
    sendLogs(server, traceIds);
    sendMetrics(server, traceIds[0]);
    return traceIds[0];
  }

  private static final int LOGSTASH_LINES = 20;

  /**
   * The Logstash TCP input has no acknowledgement: a line is durable once group-committed, within
   * milliseconds, and certainly once it is searchable. Lines that were searchable before a kill -9
   * must all be there after it.
   */
  private void sendLogstashLines(ServerProcess server) throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.logstashPort)) {
      StringBuilder lines = new StringBuilder();
      for (int i = 0; i < LOGSTASH_LINES; i++) {
        lines
            .append("{\"@timestamp\":\"")
            .append(java.time.Instant.now())
            .append("\",\"message\":\"line ")
            .append(i)
            .append("\",\"level\":\"INFO\",\"service\":\"logstash-durability\"}\n");
      }
      socket.getOutputStream().write(lines.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> logstashLines(server) == LOGSTASH_LINES);
  }

  private long logstashLines(ServerProcess server) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(server.api("/api/logs?query=service:logstash-durability&limit=1")))
                .header("Authorization", "Bearer " + ServerProcess.TOKEN)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body()).get("total").asLong();
  }

  /** One OTLP log record per trace, carrying its trace id; acknowledged ones are remembered. */
  private void sendLogs(ServerProcess server, String[] traceIds)
      throws IOException, InterruptedException {
    ScopeLogs.Builder scope = ScopeLogs.newBuilder();
    long now = System.currentTimeMillis() * 1_000_000L;
    for (String id : traceIds) {
      scope.addLogRecords(
          LogRecord.newBuilder()
              .setTimeUnixNano(now)
              .setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_INFO)
              .setSeverityText("INFO")
              .setTraceId(ByteString.copyFrom(HexFormat.of().parseHex(id)))
              .setBody(AnyValue.newBuilder().setStringValue("order for trace " + id + " processed")));
    }
    byte[] body =
        ExportLogsServiceRequest.newBuilder()
            .addResourceLogs(
                ResourceLogs.newBuilder()
                    .setResource(
                        Resource.newBuilder().addAttributes(kv("service.name", "durability")))
                    .addScopeLogs(scope))
            .build()
            .toByteArray();
    HttpResponse<Void> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.otlpHttpPort + "/v1/logs"))
                .header("Content-Type", "application/x-protobuf")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.discarding());
    if (response.statusCode() == 200) {
      acknowledgedLogs.addAll(List.of(traceIds));
    }
  }

  /** One OTLP gauge sample labelled with the batch's id; acknowledged ones are remembered. */
  private void sendMetrics(ServerProcess server, String batchId)
      throws IOException, InterruptedException {
    byte[] body =
        ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(
                ResourceMetrics.newBuilder()
                    .setResource(
                        Resource.newBuilder().addAttributes(kv("service.name", "durability")))
                    .addScopeMetrics(
                        ScopeMetrics.newBuilder()
                            .addMetrics(
                                Metric.newBuilder()
                                    .setName("durability.batch")
                                    .setGauge(
                                        Gauge.newBuilder()
                                            .addDataPoints(
                                                NumberDataPoint.newBuilder()
                                                    .setTimeUnixNano(
                                                        System.currentTimeMillis() * 1_000_000L)
                                                    .setAsDouble(1)
                                                    .addAttributes(kv("batch", batchId)))))))
            .build()
            .toByteArray();
    HttpResponse<Void> response =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.otlpHttpPort + "/v1/metrics"))
                .header("Content-Type", "application/x-protobuf")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.discarding());
    if (response.statusCode() == 200) {
      acknowledgedSamples.add(batchId);
    }
  }

  /** Every acknowledged sample is found, once (one series per batch, one sample in it). */
  private void assertEverySamplePresent(ServerProcess server) throws Exception {
    assertThat(acknowledgedSamples).isNotEmpty();
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        server.api(
                            "/api/v1/label/batch/values?match[]=durability_batch&start="
                                + (System.currentTimeMillis() / 1000 - 3600))))
                .header("Authorization", "Bearer " + ServerProcess.TOKEN)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<String> stored = new java.util.ArrayList<>();
    JSON.readTree(r.body()).get("data").forEach(v -> stored.add(v.asText()));
    assertThat(stored).containsAll(acknowledgedSamples);
    HttpResponse<String> counts =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        server.api(
                            "/api/v1/query?query="
                                + java.net.URLEncoder.encode(
                                    "max(count_over_time(durability_batch[1h]))",
                                    java.nio.charset.StandardCharsets.UTF_8))))
                .header("Authorization", "Bearer " + ServerProcess.TOKEN)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(JSON.readTree(counts.body()).at("/data/result/0/value/1").asText())
        .as("samples per batch series after replay: %s", counts.body())
        .isEqualTo("1");
  }

  /** Every acknowledged log record is found exactly once. */
  private void assertEveryLogPresent(ServerProcess server) throws Exception {
    assertThat(acknowledgedLogs).isNotEmpty();
    for (String id : acknowledgedLogs) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(server.api("/api/logs?query=trace_id:" + id)))
                  .header("Authorization", "Bearer " + ServerProcess.TOKEN)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("log search for trace %s: %s", id, r.body()).isEqualTo(200);
      assertThat(JSON.readTree(r.body()).get("total").asLong())
          .as("acknowledged log record of trace %s, exactly once", id)
          .isEqualTo(1);
    }
  }

  private void assertEveryTraceComplete(ServerProcess server, Iterable<String> traceIds)
      throws Exception {
    int checked = 0;
    for (String id : traceIds) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(server.api("/api/traces/" + id)))
                  .header("Authorization", "Bearer " + ServerProcess.TOKEN)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("acknowledged trace %s after restart", id).isEqualTo(200);
      JsonNode spans = JSON.readTree(r.body()).get("data").get(0).get("spans");
      assertThat(spans).as("spans of trace %s, each exactly once", id).hasSize(SPANS_PER_TRACE);
      checked++;
    }
    assertThat(checked).isPositive();
  }

  /** A torn record and garbage at the end of the newest log segment, as a crash mid-write leaves. */
  private void corruptWalTail() throws IOException {
    Path newest;
    try (Stream<Path> files = Files.list(dataDir.resolve("wal"))) {
      newest =
          files.filter(p -> p.toString().endsWith(".wal")).sorted().reduce((a, b) -> b).orElseThrow();
    }
    try (RandomAccessFile f = new RandomAccessFile(newest.toFile(), "rw")) {
      f.seek(f.length());
      f.writeInt(4096); // a length that promises more than follows
      f.writeInt(0xdeadbeef);
      f.write(new byte[] {1, 2, 3, 4, 5, 6, 7});
    }
  }

  private static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }
}
