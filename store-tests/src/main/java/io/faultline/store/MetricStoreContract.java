/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.store;

import static io.faultline.store.MetricTestData.attr;
import static io.faultline.store.MetricTestData.counter;
import static io.faultline.store.MetricTestData.gauge;
import static io.faultline.store.MetricTestData.nanos;
import static io.faultline.store.MetricTestData.nowMs;
import static io.faultline.store.MetricTestData.point;
import static io.faultline.store.MetricTestData.request;
import static io.faultline.store.MetricTestData.resource;
import static io.faultline.store.MetricTestData.series;
import static io.faultline.store.MetricTestData.sum;
import static io.faultline.store.MetricTestData.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Message;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.metric.InvalidQueryException;
import io.faultline.core.metric.MetricStore;
import io.faultline.core.metric.PromqlResult;
import io.faultline.core.metric.QueryOptions;
import io.faultline.core.prometheus.WriteRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link MetricStore} promises. A backend extends this class and implements {@link
 * #newStore}. Each test starts from an empty store in a fresh directory, with a clock at {@link
 * MetricTestData#NOW} that tests may move.
 *
 * <p>Writes go through {@link MetricStore#indexer()} exactly as the ingest pipeline drives it:
 * increasing log positions, commits returning the next checkpoint, replays after a reopen.
 */
public abstract class MetricStoreContract {
  /** How long a store may take to make uncommitted samples visible: one second plus CI slack. */
  protected static final Duration VISIBILITY_DEADLINE = Duration.ofMillis(1500);

  /** The retention the store must be opened with. */
  protected static final Duration RETENTION = Duration.ofDays(3);

  @TempDir protected Path dir;

  protected MetricStore store;
  protected final MetricTestData.MovableClock clock =
      new MetricTestData.MovableClock(MetricTestData.NOW);
  private long nextPosition;

  /**
   * Opens the store kept in {@code dir} (new when empty, else the one a previous call left), with
   * this clock, partitions of one day and this retention.
   */
  protected abstract MetricStore newStore(Path dir, Clock clock, Duration retention)
      throws IOException;

  @BeforeEach
  void openStore() throws IOException {
    store = newStore(dir, clock, RETENTION);
    nextPosition = store.indexer().checkpoint();
  }

  @AfterEach
  void closeStore() throws IOException {
    if (store != null) {
      store.close();
      store = null;
    }
  }

  /** Closes without committing and opens again from the same directory. */
  protected final void reopen() throws IOException {
    store.close();
    store = null;
    store = newStore(dir, clock, RETENTION);
  }

  protected final long apply(Message request) throws IOException {
    return applyAt(nextPosition, request);
  }

  /** Applies a batch at a given log position (replays use the original positions). */
  protected final long applyAt(long position, Message request) throws IOException {
    Signal signal =
        request instanceof WriteRequest ? Signal.PROMETHEUS_WRITE : Signal.METRICS;
    long next = position + request.getSerializedSize() + 16;
    store.indexer().apply(position, next, TelemetryBatch.of(signal, request));
    nextPosition = Math.max(nextPosition, next);
    return next;
  }

  protected final void commit() throws IOException {
    assertThat(store.indexer().commit()).isEqualTo(nextPosition);
  }

  protected final PromqlResult instant(String expr, long timeMs) {
    return store.queries().instantQuery(expr, timeMs, QueryOptions.DEFAULTS);
  }

  /** The vector result of an instant query at NOW, as sorted label sets to values. */
  protected final Map<Map<String, String>, Double> vector(String expr) {
    return vector(expr, nowMs());
  }

  protected final Map<Map<String, String>, Double> vector(String expr, long timeMs) {
    PromqlResult r = instant(expr, timeMs);
    assertThat(r.type()).isEqualTo(PromqlResult.ResultType.VECTOR);
    Map<Map<String, String>, Double> out = new java.util.HashMap<>();
    for (PromqlResult.Series s : r.series()) {
      out.put(new TreeMap<>(s.labels()), s.values()[0]);
    }
    return out;
  }

  protected static Map<String, String> labels(String... nv) {
    Map<String, String> m = new TreeMap<>();
    for (int i = 0; i < nv.length; i += 2) {
      m.put(nv[i], nv[i + 1]);
    }
    return m;
  }

  private static final Resource SHOP =
      resource(
          attr("service.name", "checkout"),
          attr("service.namespace", "shop"),
          attr("service.instance.id", "i-1"),
          attr("host.name", "h1"));

  // ---- OTLP naming

  @Test
  void otlpCounterGetsTotalAndJobAndInstance() throws IOException {
    long t = nowMs() - 10_000;
    apply(request(SHOP, counter("http.server.requests", "{request}",
        point(t, 7, attr("http.method", "GET")))));
    commit();
    assertThat(vector("http_server_requests_total"))
        .containsExactly(Map.entry(labels("__name__", "http_server_requests_total",
            "http_method", "GET", "job", "shop/checkout", "instance", "i-1"), 7.0));
  }

  @Test
  void otlpUnitsAndRatioAndNonMonotonicSums() throws IOException {
    long t = nowMs() - 10_000;
    apply(request(SHOP,
        gauge("system.cpu.utilization", "1", point(t, 0.5)),
        sum("jvm.memory.used", "By", false,
            AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE, point(t, 1024)),
        gauge("net.io.rate", "By/s", point(t, 3)),
        counter("jvm.gc.duration", "ms", point(t, 12)),
        counter("requests.total", "1", point(t, 2)),
        gauge("9lives", "", point(t, 1))));
    commit();
    assertThat(vector("{__name__=~\".+\", job=\"shop/checkout\", __name__!=\"target_info\"}"))
        .containsOnlyKeys(
            labels("__name__", "system_cpu_utilization_ratio", "job", "shop/checkout", "instance", "i-1"),
            labels("__name__", "jvm_memory_used_bytes", "job", "shop/checkout", "instance", "i-1"),
            labels("__name__", "net_io_rate_bytes_per_second", "job", "shop/checkout", "instance", "i-1"),
            labels("__name__", "jvm_gc_duration_milliseconds_total", "job", "shop/checkout", "instance", "i-1"),
            labels("__name__", "requests_total", "job", "shop/checkout", "instance", "i-1"),
            labels("__name__", "_9lives", "job", "shop/checkout", "instance", "i-1"));
  }

  @Test
  void targetInfoCarriesTheOtherResourceAttributes() throws IOException {
    long t = nowMs() - 10_000;
    apply(request(SHOP, gauge("g", "", point(t, 1))));
    commit();
    assertThat(vector("target_info"))
        .containsExactly(Map.entry(labels("__name__", "target_info", "job", "shop/checkout",
            "instance", "i-1", "host_name", "h1"), 1.0));
  }

  @Test
  void emptyResourceAndUnitKeepTheNameAsIs() throws IOException {
    long t = nowMs() - 10_000;
    apply(request(Resource.getDefaultInstance(),
        counter("traces_spanmetrics_calls_total", "",
            point(t, 3, attr("service", "api"), attr("span.kind", "SPAN_KIND_SERVER")))));
    commit();
    assertThat(vector("{__name__=~\".+\"}"))
        .containsExactly(Map.entry(labels("__name__", "traces_spanmetrics_calls_total",
            "service", "api", "span_kind", "SPAN_KIND_SERVER"), 3.0));
  }

  @Test
  void histogramsBecomeClassicBuckets() throws IOException {
    long t = nowMs() - 10_000;
    Metric h = Metric.newBuilder().setName("http.server.request.duration").setUnit("s")
        .setHistogram(Histogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
            .addDataPoints(HistogramDataPoint.newBuilder().setTimeUnixNano(nanos(t))
                .setCount(10).setSum(2.5)
                .addExplicitBounds(0.1).addExplicitBounds(1)
                .addBucketCounts(4).addBucketCounts(5).addBucketCounts(1)))
        .build();
    apply(request(Resource.getDefaultInstance(), h));
    commit();
    assertThat(vector("http_server_request_duration_seconds_bucket"))
        .containsOnly(
            Map.entry(labels("__name__", "http_server_request_duration_seconds_bucket", "le", "0.1"), 4.0),
            Map.entry(labels("__name__", "http_server_request_duration_seconds_bucket", "le", "1"), 9.0),
            Map.entry(labels("__name__", "http_server_request_duration_seconds_bucket", "le", "+Inf"), 10.0));
    assertThat(vector("http_server_request_duration_seconds_sum").values()).containsExactly(2.5);
    assertThat(vector("http_server_request_duration_seconds_count").values()).containsExactly(10.0);
  }

  @Test
  void exponentialHistogramsBecomeClassicBuckets() throws IOException {
    long t = nowMs() - 10_000;
    // scale 0: bucket i covers (2^i, 2^(i+1)]
    Metric h = Metric.newBuilder().setName("latency").setUnit("ms")
        .setExponentialHistogram(ExponentialHistogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
            .addDataPoints(ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(nanos(t))
                .setScale(0).setCount(6).setSum(20).setZeroCount(1)
                .setPositive(ExponentialHistogramDataPoint.Buckets.newBuilder()
                    .setOffset(1).addBucketCounts(2).addBucketCounts(3))))
        .build();
    apply(request(Resource.getDefaultInstance(), h));
    commit();
    Map<String, Double> byLe = new TreeMap<>();
    vector("latency_milliseconds_bucket").forEach((l, v) -> byLe.put(l.get("le"), v));
    assertThat(byLe).containsExactlyInAnyOrderEntriesOf(
        Map.of("0", 1.0, "4", 3.0, "8", 6.0, "+Inf", 6.0));
    assertThat(vector("histogram_quantile(0.5, latency_milliseconds_bucket)").values())
        .singleElement().satisfies(v -> assertThat(v).isBetween(4.0, 8.0));
  }

  @Test
  void summariesBecomeQuantileSeries() throws IOException {
    long t = nowMs() - 10_000;
    Metric s = Metric.newBuilder().setName("rpc.duration").setUnit("s")
        .setSummary(Summary.newBuilder().addDataPoints(SummaryDataPoint.newBuilder()
            .setTimeUnixNano(nanos(t)).setCount(4).setSum(8)
            .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder()
                .setQuantile(0.99).setValue(3))))
        .build();
    apply(request(Resource.getDefaultInstance(), s));
    commit();
    assertThat(vector("rpc_duration_seconds"))
        .containsExactly(Map.entry(labels("__name__", "rpc_duration_seconds", "quantile", "0.99"), 3.0));
    assertThat(vector("rpc_duration_seconds_count").values()).containsExactly(4.0);
  }

  @Test
  void deltaSumsAreAccumulated() throws IOException {
    long t = nowMs() - 60_000;
    for (int i = 0; i < 3; i++) {
      apply(request(Resource.getDefaultInstance(),
          sum("jobs.done", "", true, AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA,
              point(t + i * 10_000L, 5))));
    }
    commit();
    assertThat(vector("jobs_done_total").values()).containsExactly(15.0);
  }

  @Test
  void noRecordedValueIsAStaleMarker() throws IOException {
    long t = nowMs() - 30_000;
    apply(request(Resource.getDefaultInstance(), gauge("temp", "", point(t, 21))));
    NumberDataPoint stale = point(t + 15_000, 0).toBuilder().setFlags(1).build();
    apply(request(Resource.getDefaultInstance(), gauge("temp", "", stale)));
    commit();
    assertThat(vector("temp", t + 5_000).values()).containsExactly(21.0);
    assertThat(vector("temp")).isEmpty();
  }

  // ---- remote write

  @Test
  void remoteWriteSeriesAreQueryableAsSent() throws IOException {
    long t = nowMs() - 60_000;
    apply(write(
        series(new String[] {"__name__", "up", "job", "node", "instance", "a:9100"},
            t, 1, t + 15_000, 1, t + 30_000, 0),
        series(new String[] {"__name__", "up", "job", "node", "instance", "b:9100"},
            t, 1),
        series(new String[] {"job", "nameless"}, t, 1)));
    commit();
    assertThat(vector("up", t + 30_000))
        .containsOnly(
            Map.entry(labels("__name__", "up", "job", "node", "instance", "a:9100"), 0.0),
            Map.entry(labels("__name__", "up", "job", "node", "instance", "b:9100"), 1.0));
    PromqlResult range = store.queries().rangeQuery("up{instance=\"a:9100\"}", t, t + 30_000,
        15_000, QueryOptions.DEFAULTS);
    assertThat(range.type()).isEqualTo(PromqlResult.ResultType.MATRIX);
    assertThat(range.series()).singleElement().satisfies(s -> {
      assertThat(s.values()).containsExactly(1, 1, 0);
      assertThat(s.timestampsMs()).containsExactly(t, t + 15_000, t + 30_000);
    });
  }

  @Test
  void specialValuesAreKept() throws IOException {
    long t = nowMs() - 10_000;
    apply(write(
        series(new String[] {"__name__", "x", "k", "nan"}, t, Double.NaN),
        series(new String[] {"__name__", "x", "k", "inf"}, t, Double.POSITIVE_INFINITY),
        series(new String[] {"__name__", "x", "k", "ninf"}, t, Double.NEGATIVE_INFINITY)));
    commit();
    Map<String, Double> byK = new TreeMap<>();
    vector("x").forEach((l, v) -> byK.put(l.get("k"), v));
    assertThat(byK.get("inf")).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(byK.get("ninf")).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(byK.get("nan")).isNaN();
  }

  // ---- matchers, series and labels

  private void writeMatcherData() throws IOException {
    long t = nowMs() - 10_000;
    apply(write(
        series(new String[] {"__name__", "m", "env", "prod", "app", "api"}, t, 1),
        series(new String[] {"__name__", "m", "env", "prod", "app", "db"}, t, 2),
        series(new String[] {"__name__", "m", "env", "dev", "app", "api"}, t, 3),
        series(new String[] {"__name__", "m", "app", "batch"}, t, 4),
        series(new String[] {"__name__", "other", "env", "prod"}, t, 5)));
    commit();
  }

  private List<Double> values(String expr) {
    List<Double> v = new ArrayList<>(vector(expr).values());
    v.sort(Double::compare);
    return v;
  }

  @Test
  void everyMatcherKindIsAnsweredExactly() throws IOException {
    writeMatcherData();
    assertThat(values("m{env=\"prod\"}")).containsExactly(1.0, 2.0);
    assertThat(values("m{env!=\"prod\"}")).containsExactly(3.0, 4.0);
    assertThat(values("m{env=\"\"}")).containsExactly(4.0);
    assertThat(values("m{env!=\"\"}")).containsExactly(1.0, 2.0, 3.0);
    assertThat(values("m{app=~\"a.*\"}")).containsExactly(1.0, 3.0);
    assertThat(values("m{app=~\"API\"}")).isEmpty();
    assertThat(values("m{env=~\"prod|\"}")).containsExactly(1.0, 2.0, 4.0);
    assertThat(values("m{app!~\"a.*|b.*\"}")).containsExactly(2.0);
    assertThat(values("m{env!~\"\"}")).containsExactly(1.0, 2.0, 3.0);
    assertThat(values("m{env!~\"d.*\"}")).containsExactly(1.0, 2.0, 4.0);
    assertThat(values("{__name__=~\"m|other\", env=\"prod\"}")).containsExactly(1.0, 2.0, 5.0);
    assertThat(values("{__name__=~\".*th.*\"}")).containsExactly(5.0);
  }

  @Test
  void seriesLabelNamesAndValues() throws IOException {
    writeMatcherData();
    long from = nowMs() - 60_000;
    long to = nowMs();
    assertThat(store.queries().series(List.of("m{app=\"api\"}", "other"), from, to, 0))
        .containsExactly(
            Map.of("__name__", "m", "app", "api", "env", "dev"),
            Map.of("__name__", "m", "app", "api", "env", "prod"),
            Map.of("__name__", "other", "env", "prod"));
    assertThat(store.queries().labelNames(List.of(), from, to, 0))
        .containsExactly("__name__", "app", "env");
    assertThat(store.queries().labelNames(List.of("other"), from, to, 0))
        .containsExactly("__name__", "env");
    assertThat(store.queries().labelValues("app", List.of(), from, to, 0))
        .containsExactly("api", "batch", "db");
    assertThat(store.queries().labelValues("env", List.of("m{app=\"api\"}"), from, to, 0))
        .containsExactly("dev", "prod");
    assertThat(store.queries().labelValues("app", List.of(), from, to, 2))
        .containsExactly("api", "batch");
    // open-ended lookups, as Grafana sends them (no start/end: Prometheus' min and max time),
    // cover everything kept instead of being refused for their width
    long minTime = -62135596800000L;
    long maxTime = 253402300799000L;
    assertThat(store.queries().labelValues("app", List.of(), minTime, maxTime, 0))
        .containsExactly("api", "batch", "db");
    assertThat(store.queries().series(List.of("other"), minTime, maxTime, 0)).hasSize(1);
    assertThatThrownBy(() -> store.queries().series(List.of("m{"), from, to, 0))
        .isInstanceOf(InvalidQueryException.class);
    assertThatThrownBy(() -> store.queries().series(List.of("{env=~\".*\"}"), from, to, 0))
        .isInstanceOf(InvalidQueryException.class);
  }

  @Test
  void selectorFilterTestsLabelSetsAsPrometheusMatchesRules() {
    var filter =
        store.queries().selectorFilter(List.of("{severity=\"page\"}", "up{team=~\"in.*\"}"));
    assertThat(filter.test(Map.of("severity", "page", "team", "x"))).isTrue();
    assertThat(filter.test(Map.of("__name__", "up", "team", "infra"))).isTrue();
    assertThat(filter.test(Map.of("team", "infra"))).as("no __name__").isFalse();
    assertThat(filter.test(Map.of())).isFalse();
    assertThat(store.queries().selectorFilter(List.of("{team!=\"a\", sev=\"\", x=\"y\"}"))
        .test(Map.of("x", "y"))).as("a missing label is the empty string").isTrue();
    assertThatThrownBy(() -> store.queries().selectorFilter(List.of("{a=\"\"}", "m{")))
        .as("a parse error wins over an empty selector, as Prometheus parses all first")
        .isInstanceOf(InvalidQueryException.class).hasMessageContaining("parse error");
    assertThatThrownBy(() -> store.queries().selectorFilter(List.of("up", "{a=~\".*\"}")))
        .isInstanceOf(InvalidQueryException.class)
        .hasMessage("match[] must contain at least one non-empty matcher");
  }

  @Test
  void badQueriesAreBadData() {
    assertThatThrownBy(() -> instant("sum(", nowMs()))
        .isInstanceOf(InvalidQueryException.class)
        .satisfies(e -> assertThat(((InvalidQueryException) e).errorType()).isEqualTo("bad_data"));
    assertThatThrownBy(() -> store.queries().rangeQuery("up", 0, 1_000_000_000, 1,
        QueryOptions.DEFAULTS)).isInstanceOf(InvalidQueryException.class);
  }

  @Test
  void metadataFromOtlpAndRemoteWrite() throws IOException {
    Metric c = counter("orders", "", point(nowMs() - 1000, 1)).toBuilder()
        .setDescription("orders placed").build();
    apply(request(Resource.getDefaultInstance(), c));
    apply(WriteRequest.newBuilder().addMetadata(io.faultline.core.prometheus.MetricMetadata
        .newBuilder().setMetricFamilyName("up").setHelp("target up")
        .setType(io.faultline.core.prometheus.MetricMetadata.MetricType.GAUGE)).build());
    commit();
    var md = store.queries().metadata(null, 0, 0);
    assertThat(md.get("orders_total")).singleElement()
        .satisfies(m -> {
          assertThat(m.type()).isEqualTo("counter");
          assertThat(m.help()).isEqualTo("orders placed");
        });
    assertThat(md.get("up")).singleElement().satisfies(m -> assertThat(m.type()).isEqualTo("gauge"));
    reopen();
    assertThat(store.queries().metadata("up", 0, 0)).containsOnlyKeys("up");
  }

  // ---- durability, replay, visibility, retention

  /** Many samples per series, so that some chunks are sealed while applying. */
  private List<WriteRequest> longSeries(int batches, int perBatch, long start) {
    List<WriteRequest> out = new ArrayList<>();
    for (int b = 0; b < batches; b++) {
      WriteRequest.Builder w = WriteRequest.newBuilder();
      for (int s = 0; s < 3; s++) {
        double[] tv = new double[perBatch * 2];
        for (int i = 0; i < perBatch; i++) {
          long t = start + (long) (b * perBatch + i) * 1_000;
          tv[2 * i] = t;
          tv[2 * i + 1] = b * perBatch + i + s * 0.5;
        }
        w.addTimeseries(series(new String[] {"__name__", "c", "s", Integer.toString(s)}, tv));
      }
      out.add(w.build());
    }
    return out;
  }

  private double countOverTime(long end, String window) {
    return vector("sum(count_over_time(c[" + window + "]))", end).values().stream()
        .findFirst().orElse(0.0);
  }

  @Test
  void committedSamplesSurviveReopen() throws IOException {
    long start = nowMs() - 3_600_000;
    for (WriteRequest w : longSeries(4, 300, start)) {
      apply(w);
    }
    commit();
    reopen();
    assertThat(countOverTime(start + 1_200_000, "1h")).isEqualTo(3 * 1200.0);
    assertThat(vector("c{s=\"1\"}", start + 1_199_000).values()).containsExactly(1199.5);
  }

  @Test
  void replayAfterReopenWithoutCommitStoresNothingTwice() throws IOException {
    long start = nowMs() - 3_600_000;
    List<WriteRequest> batches = longSeries(6, 250, start);
    List<Long> positions = new ArrayList<>();
    long pos = nextPosition;
    for (int i = 0; i < batches.size(); i++) {
      positions.add(pos);
      pos = applyAt(pos, batches.get(i));
      if (i == 2) {
        commit();
      }
    }
    reopen();
    long checkpoint = store.indexer().checkpoint();
    // what the pipeline does: replay every batch at or after the checkpoint
    for (int i = 0; i < batches.size(); i++) {
      if (positions.get(i) >= checkpoint) {
        applyAt(positions.get(i), batches.get(i));
      }
    }
    commit();
    assertThat(countOverTime(start + 1_500_000, "1h")).isEqualTo(3 * 1500.0);
    reopen();
    assertThat(countOverTime(start + 1_500_000, "1h")).isEqualTo(3 * 1500.0);
    assertThat(vector("c{s=\"2\"}", start + 1_499_000).values()).containsExactly(1500.0);
  }

  @Test
  void appliedSamplesBecomeVisibleWithinASecondWithoutCommit() throws IOException {
    long t = nowMs() - 5_000;
    apply(write(series(new String[] {"__name__", "fresh", "a", "b"}, t, 42)));
    await()
        .atMost(VISIBILITY_DEADLINE)
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(10))
        .untilAsserted(() -> assertThat(vector("fresh").values()).containsExactly(42.0));
  }

  @Test
  void samplesOlderThanTheRetentionAreDroppedAndPartitionsExpire() throws IOException {
    long old = nowMs() - RETENTION.toMillis() - 3_600_000;
    apply(write(series(new String[] {"__name__", "ancient"}, old, 1)));
    long recent = nowMs() - 2 * 86_400_000L;
    apply(write(series(new String[] {"__name__", "aging"}, recent, 1)));
    commit();
    assertThat(vector("ancient", old)).isEmpty();
    assertThat(vector("aging", recent)).hasSize(1);
    clock.advance(Duration.ofDays(2));
    reopen();
    assertThat(vector("aging", recent)).isEmpty();
    assertThat(store.queries().labelValues("__name__", List.of(), recent - 1000, recent + 1000, 0))
        .doesNotContain("aging");
  }
}
