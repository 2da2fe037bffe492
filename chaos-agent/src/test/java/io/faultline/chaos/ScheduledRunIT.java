/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.faultline.chaos.fault.proxy.FaultProxies;
import io.faultline.chaos.fault.proxy.FaultProxy;
import io.faultline.chaos.fault.proxy.ProxyControlServer;
import io.faultline.chaos.fault.proxy.ProxyFaultInjector;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.metric.QueryOptions;
import io.faultline.metric.LuceneMetricStore;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scheduled run fired by the real (polling) db-scheduler on the real clock, as in the demo: the
 * demo's experiment ({@code demo-slow-inventory.json}, the definition {@code server}'s {@code
 * DemoChaos.slowInventory} registers, with its cron formula) delays gateway→inventory requests in
 * a real HTTP fault proxy through the proxy's control endpoint, judged by the demo's span-metric
 * PromQL probes over a metric store fed with live gateway span metrics. Only the fault and the
 * first fire are shortened. The verdict and the journal are then read back from the database by a
 * restarted agent.
 */
class ScheduledRunIT {
  static final long DELAY_MS = 300;
  static final int EVERY_MINUTES = 15;
  static final double[] BOUNDS = {0.05, 0.1, 0.25, 0.5, 1, 2.5};

  @TempDir Path dir;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  final FaultProxies proxies = new FaultProxies();
  final CollectingSink sink = new CollectingSink();
  HttpServer inventory;
  FaultProxy proxy;
  ProxyControlServer control;
  LuceneMetricStore metrics;
  ScheduledExecutorService feeder;
  long position;
  long calls;

  @BeforeEach
  void setUp() throws Exception {
    inventory = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    inventory.createContext("/stock", ex -> {
      byte[] b = "{\"sku\":\"A-1\",\"count\":3}".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, b.length);
      try (ex) {
        ex.getResponseBody().write(b);
      }
    });
    inventory.start();
    proxy = proxies.register(FaultProxy.builder("gateway-inventory").protocol(FaultProxy.Protocol.HTTP)
        .upstream("127.0.0.1", inventory.getAddress().getPort()).start());
    control = new ProxyControlServer(proxies, Clock.systemUTC(), "127.0.0.1", 0);
    metrics = LuceneMetricStore.builder(dir.resolve("metrics")).build();
    Instant now = Instant.now();
    for (int back = 60; back > 0; back -= 5) {
      feed(now.minusSeconds(back));
    }
    feeder = Executors.newSingleThreadScheduledExecutor();
    feeder.scheduleWithFixedDelay(() -> feed(Instant.now()), 0, 500, TimeUnit.MILLISECONDS);
  }

  @AfterEach
  void tearDown() throws Exception {
    feeder.shutdownNow();
    feeder.awaitTermination(5, TimeUnit.SECONDS);
    control.close();
    proxies.closeAll();
    inventory.stop(0);
    metrics.close();
  }

  /** The gateway's span metrics as the trace store derives them: healthy, fast server spans. */
  private synchronized void feed(Instant at) {
    calls += 5;
    long nanos = at.toEpochMilli() * 1_000_000;
    long start = (at.toEpochMilli() - 3_600_000) * 1_000_000;
    List<KeyValue> labels = List.of(kv("service", "gateway"), kv("span_kind", "SPAN_KIND_SERVER"),
        kv("span_name", "GET /checkout"), kv("status_code", "STATUS_CODE_UNSET"));
    HistogramDataPoint.Builder h = HistogramDataPoint.newBuilder().setStartTimeUnixNano(start).setTimeUnixNano(nanos)
        .setCount(calls).setSum(calls * 0.03).addAllAttributes(labels);
    for (double b : BOUNDS) {
      h.addExplicitBounds(b);
    }
    h.addBucketCounts(calls);
    for (int i = 0; i < BOUNDS.length; i++) {
      h.addBucketCounts(0);
    }
    Metric callsTotal = Metric.newBuilder().setName("traces_spanmetrics_calls").setSum(Sum.newBuilder().setIsMonotonic(true)
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
        .addDataPoints(NumberDataPoint.newBuilder().setStartTimeUnixNano(start).setTimeUnixNano(nanos).setAsDouble(calls)
            .addAllAttributes(labels))).build();
    Metric latency = Metric.newBuilder().setName("traces_spanmetrics_latency").setHistogram(Histogram.newBuilder()
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE).addDataPoints(h)).build();
    ExportMetricsServiceRequest r = ExportMetricsServiceRequest.newBuilder().addResourceMetrics(ResourceMetrics.newBuilder()
        .addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(callsTotal).addMetrics(latency))).build();
    long next = position + r.getSerializedSize() + 16;
    try {
      metrics.indexer().apply(position, next, TelemetryBatch.of(Signal.METRICS, r));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    position = next;
  }

  private static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  /** The demo's cron formula: at {@code first}'s second and minute, then every 15 minutes. */
  static String demoCron(Instant first) {
    ZonedDateTime t = first.atZone(ZoneOffset.UTC);
    return String.format(Locale.ROOT, "%d %d/%d * * * *", t.getSecond(), t.getMinute() % EVERY_MINUTES, EVERY_MINUTES);
  }

  private static String demoExperiment(String controlUrl, String cron, String duration) throws IOException {
    try (InputStream in = ScheduledRunIT.class.getResourceAsStream("demo-slow-inventory.json")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .replace("${controlUrl}", controlUrl).replace("${cron}", cron).replace("${duration}", duration);
    }
  }

  private ChaosAgent agent() {
    ChaosSettings fast = new ChaosSettings(3, 1.0, Duration.ofMinutes(5), Duration.ofMillis(100), Duration.ofMillis(500),
        Duration.ofSeconds(2), Duration.ofSeconds(30), "node-a");
    ChaosAgent a = ChaosAgent.builder().dataDir(dir)
        .injectors(Map.of(ProxyFaultInjector.HTTP, new ProxyFaultInjector(ProxyFaultInjector.HTTP, new FaultProxies(), http, Clock.systemUTC())))
        .metrics(metrics.queries()).sink(sink).registry(new PrometheusRegistry()).settings(fast)
        .schedulerPollingInterval(Duration.ofMillis(200)).build();
    a.start();
    return a;
  }

  private long timeThroughProxyMillis() throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/stock"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Test
  void theDemoExperimentFiresOnItsScheduleAndItsVerdictAndJournalAreStored() throws Exception {
    String errorRatio = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(demoExperiment("http://x", "0 0 * * * *", "1s")).path("steadyState").get(0).path("query").asText();
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      var v = ProbeEvaluator.values(metrics.queries().instantQuery(errorRatio, Instant.now().toEpochMilli(), QueryOptions.DEFAULTS));
      return v.length == 1 && v[0] == 0.0;
    });

    Instant first = Instant.now().plusSeconds(4).truncatedTo(ChronoUnit.SECONDS);
    String source = demoExperiment("http://127.0.0.1:" + control.port(), demoCron(first), "3s");
    String id;
    String runId;
    try (ChaosAgent a = agent()) {
      id = a.createExperiment(source, "application/json", "demo");
      assertThat(a.nextFire(id)).contains(first);
      assertThat(a.runs(id, null, 10)).isEmpty();

      // the fault is live in the proxy while the run is on
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> !proxy.toxics().isEmpty());
      assertThat(timeThroughProxyMillis()).isGreaterThanOrEqualTo(DELAY_MS);
      RunRecord running = a.runs(id, null, 10).get(0);
      runId = running.id();
      assertThat(running.scheduledFor()).isEqualTo(first);

      await().atMost(Duration.ofSeconds(30)).until(() -> a.run(runId).orElseThrow().status().isFinal());
      assertThat(proxy.toxics()).isEmpty();
      assertThat(timeThroughProxyMillis()).isLessThan(DELAY_MS);
      assertThat(a.nextFire(id)).contains(first.plus(Duration.ofMinutes(EVERY_MINUTES)));
    }

    // a restarted agent reads what the run left in the database
    try (ChaosAgent restarted = agent()) {
      RunRecord run = restarted.run(runId).orElseThrow();
      assertThat(restarted.runs(id, null, 10)).singleElement().extracting(RunRecord::id).isEqualTo(runId);
      assertThat(run.trigger()).isEqualTo("schedule");
      assertThat(run.requestedBy()).isEqualTo("scheduler");
      assertThat(run.status()).as(run.reason()).isEqualTo(RunStatus.COMPLETED);
      // nothing but the proxy's own spans could show the delay, and no trace store is wired here
      assertThat(run.verdict()).isEqualTo("no observable effect: the hypothesis held, but slow-inventory shows no effect"
          + " in the telemetry, so the run proves nothing about it");
      assertThat(Duration.between(run.faultStart(), run.faultEnd())).isBetween(Duration.ofSeconds(3), Duration.ofSeconds(5));

      JsonNode json = restarted.runJson(run, true);
      for (String phase : List.of("before", "during", "after")) {
        assertThat(json.path("hypothesis").path(phase)).as(phase).isNotEmpty().allSatisfy(p -> {
          assertThat(p.path("ok").asBoolean()).as(p.toString()).isTrue();
          assertThat(p.path("name").asText()).isIn("gateway error ratio", "gateway p95 latency (s)");
        });
      }
      assertThat(json.path("hypothesis").path("before").get(0).path("value").asDouble()).isEqualTo(0.0);
      assertThat(json.path("hypothesis").path("before").get(1).path("value").asDouble()).isBetween(0.0, 0.05);
      assertThat(json.path("faults").get(0).path("revertedAt").isTextual()).isTrue();

      List<JournalEntry> journal = restarted.journal(runId);
      assertThat(journal).extracting(JournalEntry::event).containsSubsequence(
          "run.started", "hypothesis.before", "fault.injected", "fault.reverted", "faults.ended", "fault.effect", "run.finished");
      assertThat(journal).filteredOn(j -> j.event().equals("fault.injected")).singleElement()
          .satisfies(j -> assertThat(j.message()).contains("gateway-inventory").contains("http_delay"));
      assertThat(journal).noneSatisfy(j -> assertThat(j.level()).isEqualTo("ERROR"));
      assertThat(restarted.audit(10)).anySatisfy(e -> {
        assertThat(e.principal()).isEqualTo("scheduler");
        assertThat(e.action()).isEqualTo("run.start");
        assertThat(e.subject()).isEqualTo(runId);
      });
    }
  }
}
