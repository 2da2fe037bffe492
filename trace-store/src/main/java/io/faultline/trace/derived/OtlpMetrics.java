/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace.derived;

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
import io.opentelemetry.proto.resource.v1.Resource;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the OTLP request that carries one snapshot of the derived series. Names and units are
 * chosen so that the OpenTelemetry-to-Prometheus conversion gives exactly Tempo's names: a
 * monotonic cumulative sum {@code traces_spanmetrics_calls} becomes {@code
 * traces_spanmetrics_calls_total}, and histograms keep their names because their unit is empty. The
 * resource and the scope are empty so the conversion adds no {@code job}, {@code instance}, {@code
 * target_info} or scope labels. Attributes with an empty value are left out: Prometheus treats an
 * empty label as an absent one, and Tempo's registry drops them too.
 */
final class OtlpMetrics {
  static final String CALLS = "traces_spanmetrics_calls";
  static final String SIZE = "traces_spanmetrics_size";
  static final String LATENCY = "traces_spanmetrics_latency";
  static final String REQUEST = "traces_service_graph_request";
  static final String REQUEST_FAILED = "traces_service_graph_request_failed";
  static final String REQUEST_SERVER_SECONDS = "traces_service_graph_request_server_seconds";
  static final String REQUEST_CLIENT_SECONDS = "traces_service_graph_request_client_seconds";

  private final List<Metric.Builder> metrics = new ArrayList<>();
  private final Metric.Builder calls = sum(CALLS);
  private final Metric.Builder size = sum(SIZE);
  private final Metric.Builder latency = histogram(LATENCY);
  private final Metric.Builder request = sum(REQUEST);
  private final Metric.Builder requestFailed = sum(REQUEST_FAILED);
  private final Metric.Builder serverSeconds = histogram(REQUEST_SERVER_SECONDS);
  private final Metric.Builder clientSeconds = histogram(REQUEST_CLIENT_SECONDS);
  private int points;

  /**
   * Adds a span-metrics label set at {@code nowMillis}; when {@code announce}, first a zero sample
   * at the series' start, so the first increase is not lost to PromQL (as Tempo does).
   */
  void add(SpanMetrics.Series s, long nowMillis, boolean announce) {
    SpanMetrics.Key k = s.key;
    List<KeyValue> attrs =
        attributes(
            "service", k.service(),
            "span_name", k.spanName(),
            "span_kind", k.spanKind(),
            "status_code", k.statusCode());
    if (announce) {
      counter(calls, attrs, s.startMillis, s.startMillis, 0);
      counter(size, attrs, s.startMillis, s.startMillis, 0);
      histogram(latency, attrs, s.startMillis, s.startMillis, null);
    }
    counter(calls, attrs, s.startMillis, nowMillis, s.calls);
    counter(size, attrs, s.startMillis, nowMillis, s.sizeBytes);
    histogram(latency, attrs, s.startMillis, nowMillis, s.latency);
  }

  /** Adds a service-graph label set; see {@link #add(SpanMetrics.Series, long, boolean)}. */
  void add(ServiceGraph.Series s, long nowMillis, boolean announce, boolean announceFailed) {
    ServiceGraph.Key k = s.key;
    List<KeyValue> attrs =
        attributes(
            "client", k.client(), "server", k.server(), "connection_type", k.connectionType());
    if (announce) {
      counter(request, attrs, s.startMillis, s.startMillis, 0);
      histogram(serverSeconds, attrs, s.startMillis, s.startMillis, null);
      histogram(clientSeconds, attrs, s.startMillis, s.startMillis, null);
    }
    counter(request, attrs, s.startMillis, nowMillis, s.total);
    histogram(serverSeconds, attrs, s.startMillis, nowMillis, s.serverSeconds);
    histogram(clientSeconds, attrs, s.startMillis, nowMillis, s.clientSeconds);
    if (s.hasFailed()) {
      if (announceFailed) {
        counter(requestFailed, attrs, s.failedStartMillis, s.failedStartMillis, 0);
      }
      counter(requestFailed, attrs, s.failedStartMillis, nowMillis, s.failed);
    }
  }

  int points() {
    return points;
  }

  ExportMetricsServiceRequest build() {
    ScopeMetrics.Builder scope = ScopeMetrics.newBuilder();
    for (Metric.Builder m : metrics) {
      boolean empty =
          m.hasSum()
              ? m.getSum().getDataPointsCount() == 0
              : m.getHistogram().getDataPointsCount() == 0;
      if (!empty) {
        scope.addMetrics(m);
      }
    }
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(
            ResourceMetrics.newBuilder()
                .setResource(Resource.getDefaultInstance())
                .addScopeMetrics(scope))
        .build();
  }

  private Metric.Builder sum(String name) {
    Metric.Builder m =
        Metric.newBuilder()
            .setName(name)
            .setUnit("")
            .setSum(
                Sum.newBuilder()
                    .setIsMonotonic(true)
                    .setAggregationTemporality(
                        AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE));
    metrics.add(m);
    return m;
  }

  private Metric.Builder histogram(String name) {
    Metric.Builder m =
        Metric.newBuilder()
            .setName(name)
            .setUnit("")
            .setHistogram(
                Histogram.newBuilder()
                    .setAggregationTemporality(
                        AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE));
    metrics.add(m);
    return m;
  }

  private void counter(
      Metric.Builder m, List<KeyValue> attrs, long startMillis, long timeMillis, double value) {
    m.getSumBuilder()
        .addDataPoints(
            NumberDataPoint.newBuilder()
                .addAllAttributes(attrs)
                .setStartTimeUnixNano(nanos(startMillis))
                .setTimeUnixNano(nanos(timeMillis))
                .setAsDouble(value));
    points++;
  }

  /** A histogram point; all zero when {@code h} is null. */
  private void histogram(
      Metric.Builder m,
      List<KeyValue> attrs,
      long startMillis,
      long timeMillis,
      LatencyHistogram h) {
    double[] bounds = h == null ? boundsOf(m) : h.bounds();
    HistogramDataPoint.Builder p =
        HistogramDataPoint.newBuilder()
            .addAllAttributes(attrs)
            .setStartTimeUnixNano(nanos(startMillis))
            .setTimeUnixNano(nanos(timeMillis));
    for (double b : bounds) {
      p.addExplicitBounds(b);
    }
    for (int i = 0; i <= bounds.length; i++) {
      p.addBucketCounts(h == null ? 0 : h.bucketCount(i));
    }
    p.setCount(h == null ? 0 : h.count()).setSum(h == null ? 0 : h.sum());
    m.getHistogramBuilder().addDataPoints(p);
    points++;
  }

  private static double[] boundsOf(Metric.Builder m) {
    return m.getName().equals(LATENCY) ? SpanMetrics.LATENCY_BUCKETS : ServiceGraph.LATENCY_BUCKETS;
  }

  private static List<KeyValue> attributes(String... namesAndValues) {
    List<KeyValue> attrs = new ArrayList<>(namesAndValues.length / 2);
    for (int i = 0; i < namesAndValues.length; i += 2) {
      String value = namesAndValues[i + 1];
      if (!value.isEmpty()) {
        attrs.add(
            KeyValue.newBuilder()
                .setKey(namesAndValues[i])
                .setValue(AnyValue.newBuilder().setStringValue(value))
                .build());
      }
    }
    return attrs;
  }

  private static long nanos(long millis) {
    return millis * 1_000_000L;
  }
}
