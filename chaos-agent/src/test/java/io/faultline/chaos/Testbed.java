/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import static org.awaitility.Awaitility.await;

import com.github.kagkarlsson.scheduler.testhelper.SettableClock;
import io.faultline.core.alert.AlertStatus;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.metric.QueryOptions;
import io.faultline.metric.LuceneMetricStore;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;

/** A real metric store and chaos agents on one temporary folder, all on one settable clock. */
final class Testbed implements AutoCloseable {
  static final Instant T0 = Instant.parse("2026-11-20T08:00:00Z");

  final Path dir;
  final SettableClock clock = new SettableClock();
  final Clock javaClock;
  final LuceneMetricStore metrics;
  final FakeInjector injector = new FakeInjector();
  final CollectingSink sink = new CollectingSink();
  private long position;

  Testbed(Path dir) throws IOException {
    this.dir = dir;
    clock.set(T0);
    javaClock = new Clock() {
      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return clock.now();
      }
    };
    metrics = LuceneMetricStore.builder(dir.resolve("metrics")).clock(javaClock).build();
  }

  ChaosAgent agent(ChaosSettings settings) {
    return start(builder(settings));
  }

  /** An agent whose alert and SLO burn-rate halt conditions ask {@code alerts}. */
  ChaosAgent agent(ChaosSettings settings, AlertStatus alerts) {
    return start(builder(settings).alerts(alerts));
  }

  /** A manually driven agent whose state lives in this database instead of H2. */
  ChaosAgent agentOn(String jdbcUrl, ChaosSettings settings) {
    return start(builder(settings).jdbc(jdbcUrl, "postgres", ""));
  }

  private ChaosAgent.Builder builder(ChaosSettings settings) {
    return ChaosAgent.builder().dataDir(dir).injectors(Map.of(FakeInjector.TYPE, injector))
        .metrics(metrics.queries()).sink(sink).registry(new PrometheusRegistry()).settings(settings)
        .manual(clock);
  }

  private static ChaosAgent start(ChaosAgent.Builder b) {
    ChaosAgent a = b.build();
    a.start();
    return a;
  }

  static ChaosSettings settings(String node) {
    return ChaosSettings.defaults().withNodeName(node);
  }

  void advance(Duration d) {
    clock.tick(d);
  }

  /** Writes one gauge sample at the clock's now and waits until PromQL sees it. */
  void gauge(String name, double value) throws IOException {
    Instant at = clock.now();
    NumberDataPoint p = NumberDataPoint.newBuilder().setTimeUnixNano(at.toEpochMilli() * 1_000_000).setAsDouble(value).build();
    apply(Metric.newBuilder().setName(name).setGauge(Gauge.newBuilder().addDataPoints(p)).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      var r = metrics.queries().instantQuery(name, at.toEpochMilli(), QueryOptions.DEFAULTS);
      return !r.series().isEmpty() && r.series().get(0).values()[0] == value;
    });
  }

  /** A cumulative counter sample with attributes, e.g. the service graph's. */
  void counter(String name, double value, Map<String, String> attributes) throws IOException {
    Instant at = clock.now();
    NumberDataPoint.Builder p = NumberDataPoint.newBuilder().setTimeUnixNano(at.toEpochMilli() * 1_000_000)
        .setStartTimeUnixNano(T0.minusSeconds(3600).toEpochMilli() * 1_000_000).setAsDouble(value);
    attributes.forEach((k, v) -> p.addAttributes(KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v))));
    apply(Metric.newBuilder().setName(name).setSum(Sum.newBuilder().setIsMonotonic(true)
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE).addDataPoints(p)).build());
  }

  private void apply(Metric m) throws IOException {
    ExportMetricsServiceRequest r = ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(ResourceMetrics.newBuilder().addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(m))).build();
    long next = position + r.getSerializedSize() + 16;
    metrics.indexer().apply(position, next, TelemetryBatch.of(Signal.METRICS, r));
    position = next;
  }

  @Override
  public void close() throws IOException {
    metrics.close();
  }
}
