/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace.derived;

import static io.faultline.trace.derived.DerivedTestSupport.NOW;
import static io.faultline.trace.derived.DerivedTestSupport.attr;
import static io.faultline.trace.derived.DerivedTestSupport.error;
import static io.faultline.trace.derived.DerivedTestSupport.latest;
import static io.faultline.trace.derived.DerivedTestSupport.resourceSpans;
import static io.faultline.trace.derived.DerivedTestSupport.s;
import static io.faultline.trace.derived.DerivedTestSupport.samples;
import static io.faultline.trace.derived.DerivedTestSupport.span;
import static io.faultline.trace.derived.DerivedTestSupport.traces;
import static io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_CLIENT;
import static io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_CONSUMER;
import static io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_INTERNAL;
import static io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_PRODUCER;
import static io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.within;

import io.faultline.core.ingest.BackpressureException;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.trace.derived.DerivedTestSupport.MutableClock;
import io.faultline.trace.derived.DerivedTestSupport.RecordingSink;
import io.faultline.trace.derived.DerivedTestSupport.Sample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DerivedMetricsGeneratorTest {
  private static final String CALLS = "traces_spanmetrics_calls_total";
  private static final String LATENCY_BUCKET = "traces_spanmetrics_latency_bucket";
  private static final String REQUESTS = "traces_service_graph_request_total";
  private static final String FAILED = "traces_service_graph_request_failed_total";
  private static final String SERVER_BUCKET = "traces_service_graph_request_server_seconds_bucket";
  private static final String CLIENT_BUCKET = "traces_service_graph_request_client_seconds_bucket";

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(NOW);
  private final RecordingSink sink = new RecordingSink();
  private DerivedMetricsGenerator generator;
  private long position;

  @AfterEach
  void closeGenerator() throws IOException {
    if (generator != null) {
      generator.close();
    }
  }

  private DerivedMetricsGenerator start(Consumer<DerivedMetricsGenerator.Builder> config)
      throws IOException {
    DerivedMetricsGenerator.Builder b =
        DerivedMetricsGenerator.builder(dir)
            .clock(clock)
            .emitInterval(Duration.ofHours(1)) // tests emit by hand
            .callbackExecutor(Runnable::run);
    config.accept(b);
    generator = b.build();
    generator.start(sink);
    return generator;
  }

  private DerivedMetricsGenerator start() throws IOException {
    return start(b -> {});
  }

  private void apply(DerivedMetricsGenerator g, TelemetryBatch batch) {
    position += 100;
    g.apply(position, position + 100, batch);
  }

  /**
   * One checkout: frontend calls orders; orders calls inventory (both sides fail), publishes to
   * shipping and queries postgres. The inventory server span arrives before its client span.
   */
  static List<TelemetryBatch> checkoutTrace(int trace) {
    return List.of(
        traces(
            resourceSpans(
                "frontend",
                span(trace, 1, 0, "GET /checkout", SPAN_KIND_SERVER, 120),
                span(trace, 2, 1, "POST /orders", SPAN_KIND_CLIENT, 100),
                span(trace, 9, 1, "render", SPAN_KIND_INTERNAL, 1))),
        traces(
            resourceSpans(
                "inventory", error(span(trace, 5, 4, "GET /stock", SPAN_KIND_SERVER, 30)))),
        traces(
            resourceSpans(
                "orders",
                span(trace, 3, 2, "POST /orders", SPAN_KIND_SERVER, 90),
                error(span(trace, 4, 3, "GET /stock", SPAN_KIND_CLIENT, 40)),
                span(trace, 6, 3, "orders publish", SPAN_KIND_PRODUCER, 5),
                attr(
                    attr(
                        attr(
                            span(trace, 8, 3, "SELECT ordersdb.orders", SPAN_KIND_CLIENT, 3),
                            "db.system",
                            "postgresql"),
                        "db.namespace",
                        "ordersdb"),
                    "server.address",
                    "postgres"))),
        traces(
            resourceSpans(
                "shipping", span(trace, 7, 6, "orders process", SPAN_KIND_CONSUMER, 50))));
  }

  private static Map<String, Double> only(Map<String, Double> values, String name) {
    return values.entrySet().stream()
        .filter(e -> e.getKey().startsWith(name + "{"))
        .collect(
            Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
  }

  @Test
  void multiServiceTraceGivesTemposSeries() throws IOException {
    DerivedMetricsGenerator g = start();
    checkoutTrace(1).forEach(b -> apply(g, b));
    g.emit();

    Map<String, Double> values = latest(sink.requests());
    Set<String> names = new TreeSet<>();
    values.keySet().forEach(k -> names.add(k.substring(0, k.indexOf('{'))));
    assertThat(names)
        .containsExactlyInAnyOrder(
            CALLS,
            "traces_spanmetrics_size_total",
            LATENCY_BUCKET,
            "traces_spanmetrics_latency_sum",
            "traces_spanmetrics_latency_count",
            REQUESTS,
            FAILED,
            SERVER_BUCKET,
            "traces_service_graph_request_server_seconds_sum",
            "traces_service_graph_request_server_seconds_count",
            CLIENT_BUCKET,
            "traces_service_graph_request_client_seconds_sum",
            "traces_service_graph_request_client_seconds_count");

    assertThat(only(values, CALLS))
        .containsOnly(
            entry(calls("frontend", "GET /checkout", "SERVER", "UNSET"), 1.0),
            entry(calls("frontend", "POST /orders", "CLIENT", "UNSET"), 1.0),
            entry(calls("frontend", "render", "INTERNAL", "UNSET"), 1.0),
            entry(calls("orders", "POST /orders", "SERVER", "UNSET"), 1.0),
            entry(calls("orders", "GET /stock", "CLIENT", "ERROR"), 1.0),
            entry(calls("orders", "orders publish", "PRODUCER", "UNSET"), 1.0),
            entry(calls("orders", "SELECT ordersdb.orders", "CLIENT", "UNSET"), 1.0),
            entry(calls("inventory", "GET /stock", "SERVER", "ERROR"), 1.0),
            entry(calls("shipping", "orders process", "CONSUMER", "UNSET"), 1.0));

    // 120 ms: every bucket from 0.128 s on counts it
    String[] checkout = {
      "service",
      "frontend",
      "span_name",
      "GET /checkout",
      "span_kind",
      "SPAN_KIND_SERVER",
      "status_code",
      "STATUS_CODE_UNSET"
    };
    Map<String, Double> buckets = new TreeMap<>();
    for (String le :
        List.of(
            "0.002", "0.004", "0.008", "0.016", "0.032", "0.064", "0.128", "0.256", "0.512",
            "1.024", "2.048", "4.096", "8.192", "16.384", "+Inf")) {
      boolean counts = !le.startsWith("0.0");
      buckets.put(s(LATENCY_BUCKET, with(checkout, "le", le)), counts ? 1.0 : 0.0);
    }
    assertThat(only(values, LATENCY_BUCKET)).containsAllEntriesOf(buckets);
    assertThat(only(values, LATENCY_BUCKET)).hasSize(9 * 15);
    assertThat(values.get(s("traces_spanmetrics_latency_sum", checkout)))
        .isCloseTo(0.12, within(1e-12));
    assertThat(values.get(s("traces_spanmetrics_latency_count", checkout))).isEqualTo(1.0);

    assertThat(only(values, REQUESTS))
        .containsOnly(
            entry(edge(REQUESTS, "frontend", "orders", ""), 1.0),
            entry(edge(REQUESTS, "orders", "inventory", ""), 1.0),
            entry(edge(REQUESTS, "orders", "shipping", "messaging_system"), 1.0),
            entry(edge(REQUESTS, "orders", "postgres", "database"), 1.0));
    assertThat(only(values, FAILED))
        .containsOnly(entry(edge(FAILED, "orders", "inventory", ""), 1.0));

    // frontend -> orders: server 90 ms, client exactly 100 ms, which the 0.1 s bucket includes
    assertThat(only(values, SERVER_BUCKET))
        .contains(
            entry(bucket(SERVER_BUCKET, "frontend", "orders", "", "0.1"), 1.0),
            entry(bucket(SERVER_BUCKET, "frontend", "orders", "", "+Inf"), 1.0),
            entry(bucket(SERVER_BUCKET, "orders", "shipping", "messaging_system", "0.1"), 1.0),
            entry(bucket(SERVER_BUCKET, "orders", "postgres", "database", "0.1"), 1.0));
    assertThat(only(values, CLIENT_BUCKET))
        .contains(entry(bucket(CLIENT_BUCKET, "frontend", "orders", "", "0.1"), 1.0));
    assertThat(only(values, SERVER_BUCKET)).hasSize(4 * 9);
    assertThat(
            values.get(
                s(
                    "traces_service_graph_request_server_seconds_sum",
                    "client",
                    "orders",
                    "server",
                    "inventory")))
        .isCloseTo(0.03, within(1e-12));
    assertThat(
            values.get(
                s(
                    "traces_service_graph_request_client_seconds_sum",
                    "client",
                    "orders",
                    "server",
                    "inventory")))
        .isCloseTo(0.04, within(1e-12));

    // the root server span waits for a caller that never comes
    assertThat(g.pendingEdges()).isEqualTo(1);
  }

  @Test
  void bucketBoundsAreTemposDefaults() {
    assertThat(SpanMetrics.LATENCY_BUCKETS)
        .containsExactly(
            0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096,
            8.192, 16.384);
    assertThat(ServiceGraph.LATENCY_BUCKETS)
        .containsExactly(0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8);
  }

  @Test
  void newSeriesStartWithAZeroSampleSoTheFirstIncreaseCounts() throws IOException {
    DerivedMetricsGenerator g = start();
    apply(g, checkoutTrace(1).get(0));
    g.emit();
    String series = calls("frontend", "GET /checkout", "SERVER", "UNSET");
    List<Sample> first =
        samples(sink.requests()).stream().filter(x -> x.series().equals(series)).toList();
    assertThat(first)
        .containsExactly(
            new Sample(series, NOW.toEpochMilli() - 1, 0),
            new Sample(series, NOW.toEpochMilli(), 1));

    clock.advanceMillis(15_000);
    apply(g, checkoutTrace(2).get(0));
    g.emit();
    List<Sample> second =
        samples(List.of(sink.last())).stream().filter(x -> x.series().equals(series)).toList();
    assertThat(second).containsExactly(new Sample(series, NOW.toEpochMilli() + 15_000, 2));
  }

  @Test
  void unpairedEdgesExpireAfterTheWait() throws IOException {
    DerivedMetricsGenerator g = start(b -> b.edgeWait(Duration.ofSeconds(10)));
    apply(
        g,
        traces(
            resourceSpans(
                "frontend",
                span(7, 2, 1, "GET /payments", SPAN_KIND_CLIENT, 20),
                attr(
                    span(7, 3, 1, "POST /charge", SPAN_KIND_CLIENT, 30), "peer.service", "stripe")),
            resourceSpans("api", span(8, 1, 0, "GET /", SPAN_KIND_SERVER, 10))));
    g.emit();
    assertThat(only(latest(sink.requests()), REQUESTS)).isEmpty();
    assertThat(g.pendingEdges()).isEqualTo(3);

    clock.advanceMillis(9_999);
    g.emit();
    assertThat(g.pendingEdges()).isEqualTo(3);

    clock.advanceMillis(1);
    g.emit();
    assertThat(g.pendingEdges()).isZero();
    assertThat(g.expiredEdges()).isEqualTo(1); // the call to payments had nothing to name
    assertThat(only(latest(sink.requests()), REQUESTS))
        .containsOnly(
            entry(edge(REQUESTS, "frontend", "stripe", "virtual_node"), 1.0),
            entry(edge(REQUESTS, "user", "api", "virtual_node"), 1.0));
  }

  @Test
  void aServerSpanPairsWithItsClientInEitherOrder() throws IOException {
    DerivedMetricsGenerator g = start();
    apply(g, traces(resourceSpans("b", span(1, 2, 1, "op", SPAN_KIND_SERVER, 10))));
    apply(g, traces(resourceSpans("a", span(1, 1, 0, "op", SPAN_KIND_CLIENT, 20))));
    apply(g, traces(resourceSpans("a", span(2, 1, 0, "op", SPAN_KIND_CLIENT, 20))));
    apply(g, traces(resourceSpans("b", error(span(2, 2, 1, "op", SPAN_KIND_SERVER, 10)))));
    // same span ids in another trace: no pairing across traces
    apply(g, traces(resourceSpans("c", span(3, 2, 1, "op", SPAN_KIND_SERVER, 10))));
    g.emit();
    assertThat(only(latest(sink.requests()), REQUESTS))
        .containsOnly(entry(edge(REQUESTS, "a", "b", ""), 2.0));
    // one side failing fails the request
    assertThat(only(latest(sink.requests()), FAILED))
        .containsOnly(entry(edge(FAILED, "a", "b", ""), 1.0));
    assertThat(g.pendingEdges()).isEqualTo(1);
  }

  @Test
  void pendingEdgesAreBounded() throws IOException {
    DerivedMetricsGenerator g = start(b -> b.maxPendingEdges(2));
    apply(
        g,
        traces(
            resourceSpans(
                "a",
                span(1, 1, 0, "x", SPAN_KIND_CLIENT, 1),
                span(2, 1, 0, "x", SPAN_KIND_CLIENT, 1),
                span(3, 1, 0, "x", SPAN_KIND_CLIENT, 1))));
    assertThat(g.pendingEdges()).isEqualTo(2);
    assertThat(g.droppedForPendingEdges()).isEqualTo(1);
    // a database call completes at once and needs no room
    apply(
        g,
        traces(
            resourceSpans(
                "a", attr(span(4, 1, 0, "SELECT", SPAN_KIND_CLIENT, 1), "db.name", "accounts"))));
    g.emit();
    assertThat(only(latest(sink.requests()), REQUESTS))
        .containsOnly(entry(edge(REQUESTS, "a", "accounts", "database"), 1.0));
    assertThat(g.droppedForPendingEdges()).isEqualTo(1);
  }

  @Test
  void seriesAreLimitedAndTheRestCounted() throws IOException {
    DerivedMetricsGenerator g = start(b -> b.maxSeries(3));
    for (int i = 0; i < 5; i++) {
      apply(g, traces(resourceSpans("a", span(i + 1, 1, 0, "op" + i, SPAN_KIND_INTERNAL, 1))));
    }
    apply(g, traces(resourceSpans("a", span(9, 1, 0, "op0", SPAN_KIND_INTERNAL, 1))));
    g.emit();
    assertThat(only(latest(sink.requests()), CALLS))
        .containsOnly(
            entry(calls("a", "op0", "INTERNAL", "UNSET"), 2.0),
            entry(calls("a", "op1", "INTERNAL", "UNSET"), 1.0),
            entry(calls("a", "op2", "INTERNAL", "UNSET"), 1.0));
    assertThat(g.droppedForSeriesLimit()).isEqualTo(2);
    assertThat(g.activeSeries()).isEqualTo(3);
  }

  @Test
  void staleSeriesAreForgottenAndFreeTheirRoom() throws IOException {
    DerivedMetricsGenerator g = start(b -> b.maxSeries(1).staleAfter(Duration.ofMinutes(15)));
    apply(g, traces(resourceSpans("a", span(1, 1, 0, "old", SPAN_KIND_INTERNAL, 1))));
    clock.advanceMillis(Duration.ofMinutes(15).toMillis() + 1);
    g.emit();
    assertThat(sink.batches).isEmpty();
    assertThat(g.activeSeries()).isZero();
    apply(g, traces(resourceSpans("a", span(2, 1, 0, "new", SPAN_KIND_INTERNAL, 1))));
    g.emit();
    assertThat(only(latest(List.of(sink.last())), CALLS))
        .containsOnly(entry(calls("a", "new", "INTERNAL", "UNSET"), 1.0));
  }

  @Test
  void spansWithoutServiceNameCountInSpanMetricsOnly() throws IOException {
    DerivedMetricsGenerator g = start();
    apply(
        g,
        traces(
            resourceSpans(null, span(1, 2, 1, "op", SPAN_KIND_SERVER, 1)),
            resourceSpans("a", span(1, 1, 0, "op", SPAN_KIND_CLIENT, 1))));
    g.emit();
    Map<String, Double> values = latest(sink.requests());
    assertThat(only(values, CALLS))
        .containsKey(
            s(
                CALLS,
                "span_name",
                "op",
                "span_kind",
                "SPAN_KIND_SERVER",
                "status_code",
                "STATUS_CODE_UNSET"));
    assertThat(only(values, REQUESTS)).isEmpty();
  }

  @Test
  void emittingNeverWaitsForTheSinkAndRetriesAfterBackpressure() throws IOException {
    CompletableFuture<Void> pending = new CompletableFuture<>();
    sink.answer = b -> pending;
    DerivedMetricsGenerator g = start();
    apply(g, checkoutTrace(1).get(0));
    long covered = position + 100;
    CompletableFuture<Void> first = g.emit();
    assertThat(first).isNotDone();
    // the pipeline keeps applying while the sink has not answered; no second batch meanwhile
    apply(g, checkoutTrace(2).get(0));
    assertThat(g.commit()).isZero();
    assertThat(sink.batches).hasSize(1);

    pending.completeExceptionally(new BackpressureException("full", Duration.ofSeconds(1)));
    assertThat(first).isDone();
    assertThat(g.checkpoint()).isZero();

    sink.answer = b -> CompletableFuture.completedFuture(null);
    assertThat(g.commit()).isEqualTo(position + 100);
    assertThat(g.checkpoint()).isGreaterThan(covered);
    // the refused batch announced the series; the retry announces them again, with both spans
    String series = calls("frontend", "GET /checkout", "SERVER", "UNSET");
    assertThat(
            samples(List.of(sink.last())).stream().filter(x -> x.series().equals(series)).toList())
        .extracting(Sample::value)
        .containsExactly(0.0, 2.0);
  }

  @Test
  void aSinkThatThrowsIsTreatedAsARefusal() throws IOException {
    sink.answer =
        b -> {
          throw new IllegalStateException("ingest pipeline is closed");
        };
    DerivedMetricsGenerator g = start();
    apply(g, checkoutTrace(1).get(0));
    assertThat(g.emit()).isDone();
    assertThat(g.checkpoint()).isZero();
    assertThat(g.check().isHealthy()).isTrue();
    clock.advanceMillis(Duration.ofHours(4).toMillis()); // four emit intervals
    g.emit();
    assertThat(g.check().isHealthy()).isTrue();
    clock.advanceMillis(1);
    assertThat(g.check().isHealthy()).isFalse();
    assertThat(g.check().message()).contains("ingest pipeline is closed");
  }

  @Test
  void checkpointIsPersistedOnlyForAcknowledgedEffectsAndReplayCountsEachSpanOnce()
      throws IOException {
    List<TelemetryBatch> trace = checkoutTrace(1);
    DerivedMetricsGenerator g = start();
    apply(g, trace.get(0));
    apply(g, trace.get(1));
    long afterSecond = position + 100;
    g.emit();
    assertThat(g.checkpoint()).isEqualTo(afterSecond);
    Map<String, Double> before = latest(sink.requests());

    // acknowledged nothing more: a crash now must re-derive batches 3 and 4 only
    sink.answer = b -> CompletableFuture.failedFuture(new IllegalStateException("crash"));
    apply(g, trace.get(2));
    apply(g, trace.get(3));
    g.emit();
    assertThat(g.commit()).isEqualTo(afterSecond);
    g.close();
    generator = null;
    assertThat(Files.readString(dir.resolve(DerivedMetricsGenerator.CHECKPOINT_FILE)))
        .isEqualTo("derived-metrics v1 " + afterSecond + "\n");

    RecordingSink restartedSink = new RecordingSink();
    try (DerivedMetricsGenerator restarted =
        DerivedMetricsGenerator.builder(dir)
            .clock(clock)
            .emitInterval(Duration.ofHours(1))
            .callbackExecutor(Runnable::run)
            .build()) {
      assertThat(restarted.checkpoint()).isEqualTo(afterSecond);
      restarted.start(restartedSink);
      long p = 0;
      for (TelemetryBatch b : trace) { // the pipeline replays from the checkpoint; be stricter
        p += 100;
        restarted.apply(p, p + 100, b);
      }
      restarted.emit();
      Map<String, Double> after = latest(restartedSink.requests());
      // every span counted exactly once across the two lives
      for (String series :
          List.of(
              calls("frontend", "GET /checkout", "SERVER", "UNSET"),
              calls("inventory", "GET /stock", "SERVER", "ERROR"),
              calls("orders", "POST /orders", "SERVER", "UNSET"),
              calls("shipping", "orders process", "CONSUMER", "UNSET"))) {
        assertThat(before.getOrDefault(series, 0.0) + after.getOrDefault(series, 0.0))
            .as(series)
            .isEqualTo(1.0);
      }
      // edges whose first side arrived in the first life are lost: waiting edges are not kept
      assertThat(only(after, REQUESTS))
          .containsOnly(
              entry(edge(REQUESTS, "orders", "shipping", "messaging_system"), 1.0),
              entry(edge(REQUESTS, "orders", "postgres", "database"), 1.0));
      assertThat(restarted.checkpoint()).isEqualTo(p + 100);
    }
  }

  @Test
  void withNothingToSendTheCheckpointFollowsTheAppliedBatches() throws IOException {
    DerivedMetricsGenerator g = start();
    apply(g, traces());
    assertThat(g.commit()).isEqualTo(position + 100);
    assertThat(sink.batches).isEmpty();
  }

  @Test
  void beforeStartNothingIsSentButStateIsKept() throws IOException {
    generator =
        DerivedMetricsGenerator.builder(dir)
            .clock(clock)
            .emitInterval(Duration.ofHours(1))
            .callbackExecutor(Runnable::run)
            .build();
    apply(generator, checkoutTrace(1).get(0));
    assertThat(generator.commit()).isZero();
    generator.start(sink);
    generator.commit();
    assertThat(only(latest(sink.requests()), CALLS)).hasSize(3);
    assertThat(generator.checkpoint()).isEqualTo(position + 100);
  }

  @Test
  void anUnreadableCheckpointFailsTheBuildWithAReason() throws IOException {
    Files.writeString(dir.resolve(DerivedMetricsGenerator.CHECKPOINT_FILE), "garbage");
    assertThatThrownBy(() -> DerivedMetricsGenerator.builder(dir).build())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("unreadable")
        .hasMessageContaining("Delete it");
  }

  @Test
  void builderRejectsNonsense() {
    assertThatThrownBy(() -> DerivedMetricsGenerator.builder(dir).maxSeries(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxSeries");
    assertThatThrownBy(() -> DerivedMetricsGenerator.builder(dir).edgeWait(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("edgeWait");
  }

  // ---- expected series

  static String calls(String service, String name, String kind, String status) {
    return s(
        CALLS,
        "service",
        service,
        "span_name",
        name,
        "span_kind",
        "SPAN_KIND_" + kind,
        "status_code",
        "STATUS_CODE_" + status);
  }

  static String edge(String metric, String client, String server, String connectionType) {
    return connectionType.isEmpty()
        ? s(metric, "client", client, "server", server)
        : s(metric, "client", client, "server", server, "connection_type", connectionType);
  }

  private static String bucket(
      String metric, String client, String server, String connectionType, String le) {
    return connectionType.isEmpty()
        ? s(metric, "client", client, "server", server, "le", le)
        : s(
            metric,
            "client",
            client,
            "server",
            server,
            "connection_type",
            connectionType,
            "le",
            le);
  }

  private static String[] with(String[] labels, String name, String value) {
    String[] out = java.util.Arrays.copyOf(labels, labels.length + 2);
    out[labels.length] = name;
    out[labels.length + 1] = value;
    return out;
  }
}
