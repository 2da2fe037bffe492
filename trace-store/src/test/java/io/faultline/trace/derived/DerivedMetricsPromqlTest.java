/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace.derived;

import static io.faultline.trace.derived.DerivedMetricsGeneratorTest.checkoutTrace;
import static io.faultline.trace.derived.DerivedTestSupport.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.faultline.core.ingest.IngestPipeline;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.metric.MetricQueries;
import io.faultline.core.metric.PromqlResult;
import io.faultline.core.metric.QueryOptions;
import io.faultline.metric.LuceneMetricStore;
import io.faultline.trace.derived.DerivedTestSupport.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Derived metrics written through the real ingest pipeline into the real metric store (its own
 * OTLP-to-Prometheus conversion) and read back with PromQL, as Grafana's RED and service-graph
 * views query them.
 */
class DerivedMetricsPromqlTest {
  private static final Duration DEADLINE = Duration.ofSeconds(20);

  @TempDir Path dir;

  @Test
  void spanMetricsAndServiceGraphAnswerPromql() throws Exception {
    MutableClock clock = new MutableClock(NOW);
    try (LuceneMetricStore metrics =
            LuceneMetricStore.builder(dir.resolve("metrics"))
                .clock(clock)
                .refreshInterval(Duration.ofMillis(50))
                .build();
        DerivedMetricsGenerator derived =
            DerivedMetricsGenerator.builder(dir.resolve("derived"))
                .clock(clock)
                .emitInterval(Duration.ofHours(1))
                .build();
        IngestPipeline pipeline =
            IngestPipeline.builder(dir.resolve("wal"))
                .indexers(List.of(derived, metrics.indexer()))
                .commitInterval(Duration.ofHours(1))
                .build()) {
      pipeline.start();
      derived.start(pipeline);

      // t0: one checkout; t0+15s: two more; t0+30s: nothing new
      send(pipeline, derived, checkoutTrace(1));
      emitAndWait(derived, 9);
      clock.advanceMillis(15_000);
      send(pipeline, derived, checkoutTrace(2));
      send(pipeline, derived, checkoutTrace(3));
      emitAndWait(derived, 27);
      clock.advanceMillis(15_000);
      emitAndWait(derived, 27);
      long t = clock.millis();

      MetricQueries q = metrics.queries();
      // three calls of each span in the last minute; the zero sample of each new series makes
      // the extrapolated increase exact
      await()
          .atMost(DEADLINE)
          .untilAsserted(
              () ->
                  assertThat(
                          byLabel(
                              q.instantQuery(
                                  "sum by (service) (rate(traces_spanmetrics_calls_total[1m]))",
                                  t,
                                  QueryOptions.DEFAULTS),
                              "service"))
                      .hasSize(4)
                      .hasEntrySatisfying(
                          "frontend", v -> assertThat(v).isCloseTo(3 * 3 / 60.0, within(1e-9)))
                      .hasEntrySatisfying(
                          "orders", v -> assertThat(v).isCloseTo(4 * 3 / 60.0, within(1e-9)))
                      .hasEntrySatisfying(
                          "inventory", v -> assertThat(v).isCloseTo(3 / 60.0, within(1e-9)))
                      .hasEntrySatisfying(
                          "shipping", v -> assertThat(v).isCloseTo(3 / 60.0, within(1e-9))));

      // every checkout takes 120 ms: in the (0.064, 0.128] bucket
      PromqlResult p50 =
          q.instantQuery(
              "histogram_quantile(0.5, sum by (le) (rate(traces_spanmetrics_latency_bucket"
                  + "{service=\"frontend\",span_name=\"GET /checkout\"}[1m])))",
              t,
              QueryOptions.DEFAULTS);
      assertThat(p50.series()).hasSize(1);
      assertThat(p50.series().get(0).values()[0]).isCloseTo(0.096, within(1e-9));

      // the service graph's labels are exactly Tempo's: no job, instance or scope labels; the
      // checkouts' root spans had no caller within the wait, so "user" called the frontend
      List<Map<String, String>> edges =
          List.of(
              edge("frontend", "orders", null),
              edge("orders", "inventory", null),
              edge("orders", "shipping", "messaging_system"),
              edge("orders", "postgres", "database"),
              edge("user", "frontend", "virtual_node"));
      await()
          .atMost(DEADLINE)
          .untilAsserted(
              () ->
                  assertThat(
                          q.series(List.of("traces_service_graph_request_total"), t - 60_000, t, 0))
                      .containsExactlyInAnyOrderElementsOf(edges));
      assertThat(
              byLabel(
                  q.instantQuery(
                      "sum by (client, server) (traces_service_graph_request_failed_total)",
                      t,
                      QueryOptions.DEFAULTS),
                  "server"))
          .containsOnly(Map.entry("inventory", 3.0));
      // what /api/dependencies could ask: calls per edge over a lookback
      assertThat(
              byLabel(
                  q.instantQuery(
                      "sum by (client, server) (increase(traces_service_graph_request_total"
                          + "{client=\"frontend\"}[1m]))",
                      t,
                      QueryOptions.DEFAULTS),
                  "server"))
          .hasEntrySatisfying("orders", v -> assertThat(v).isCloseTo(3.0, within(1e-9)));
      derived.close();
    }
  }

  private static void send(
      IngestPipeline pipeline, DerivedMetricsGenerator derived, List<TelemetryBatch> batches) {
    for (TelemetryBatch b : batches) {
      pipeline.accept(b).join();
    }
  }

  /**
   * Waits until the generator has derived {@code spans} spans, then emits and waits for the ack.
   */
  private static void emitAndWait(DerivedMetricsGenerator derived, long spans) throws Exception {
    await().atMost(DEADLINE).until(() -> derived.spans() == spans);
    long before = derived.checkpoint();
    derived.emit().get();
    assertThat(derived.checkpoint()).isGreaterThanOrEqualTo(before);
    assertThat(derived.check().isHealthy()).isTrue();
  }

  private static Map<String, String> edge(String client, String server, String connectionType) {
    Map<String, String> labels = new TreeMap<>();
    labels.put("__name__", "traces_service_graph_request_total");
    labels.put("client", client);
    labels.put("server", server);
    if (connectionType != null) {
      labels.put("connection_type", connectionType);
    }
    return labels;
  }

  private static Map<String, Double> byLabel(PromqlResult result, String label) {
    Map<String, Double> out = new TreeMap<>();
    for (PromqlResult.Series s : result.series()) {
      out.put(s.labels().get(label), s.values()[s.values().length - 1]);
    }
    return out;
  }
}
