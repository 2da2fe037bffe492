/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.faultline.collector.otlp.IngestLimits;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.DataPointFlags;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsSignalTest {
  private static final IngestLimits LIMITS = IngestLimits.defaults();

  @Test
  void aValidRequestIsKeptAsIsWithEveryPointCounted() {
    ExportMetricsServiceRequest r =
        request(gauge("a", 1, 2, Double.NaN), sum("b", AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA, 3));
    Validation<ExportMetricsServiceRequest> v = MetricsSignal.INSTANCE.validate(r, LIMITS);
    assertThat(v.request()).isSameAs(r);
    assertThat(v.accepted()).isEqualTo(4);
    assertThat(v.rejected()).isEmpty();
    assertThat(v.errorMessage()).isEmpty();
  }

  @Test
  void aSumWithoutTemporalityIsAnInvalidMetric() {
    ExportMetricsServiceRequest r =
        request(
            sum("no_temporality", AggregationTemporality.AGGREGATION_TEMPORALITY_UNSPECIFIED, 1, 2),
            gauge("ok", 1));
    Validation<ExportMetricsServiceRequest> v = MetricsSignal.INSTANCE.validate(r, LIMITS);
    assertThat(v.rejected()).containsExactlyEntriesOf(java.util.Map.of(RejectReason.INVALID_METRIC, 2L));
    assertThat(v.errorMessage())
        .startsWith("rejected 2 of 3 data points: 2 invalid_metric")
        .contains("'no_temporality'", "CUMULATIVE or DELTA");
    assertThat(names(v.request())).containsExactly("ok");
    assertThat(v.malformed()).isFalse();
  }

  @Test
  void structurallyBrokenPointsAreInvalidDataPoints() {
    Metric histogram =
        Metric.newBuilder()
            .setName("h")
            .setHistogram(
                Histogram.newBuilder()
                    .setAggregationTemporality(
                        AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                    .addDataPoints(
                        HistogramDataPoint.newBuilder()
                            .setTimeUnixNano(1)
                            .addAllExplicitBounds(List.of(1.0, 2.0))
                            .addAllBucketCounts(List.of(1L, 0L, 0L)))
                    .addDataPoints(
                        HistogramDataPoint.newBuilder()
                            .addAllExplicitBounds(List.of(2.0, 1.0))
                            .addAllBucketCounts(List.of(1L, 0L, 0L)))
                    .addDataPoints(
                        HistogramDataPoint.newBuilder()
                            .addAllExplicitBounds(List.of(1.0))
                            .addAllBucketCounts(List.of(1L))))
            .build();
    Metric exponential =
        Metric.newBuilder()
            .setName("e")
            .setExponentialHistogram(
                ExponentialHistogram.newBuilder()
                    .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
                    .addDataPoints(ExponentialHistogramDataPoint.newBuilder().setScale(21)))
            .build();
    Metric summary =
        Metric.newBuilder()
            .setName("s")
            .setSummary(
                Summary.newBuilder()
                    .addDataPoints(
                        SummaryDataPoint.newBuilder()
                            .addQuantileValues(
                                SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(1.5))))
            .build();
    Metric noValue =
        Metric.newBuilder()
            .setName("n")
            .setGauge(Gauge.newBuilder().addDataPoints(NumberDataPoint.newBuilder()))
            .build();
    Validation<ExportMetricsServiceRequest> v =
        MetricsSignal.INSTANCE.validate(request(histogram, exponential, summary, noValue), LIMITS);
    assertThat(v.accepted()).isEqualTo(1);
    assertThat(v.rejected()).containsExactlyEntriesOf(java.util.Map.of(RejectReason.INVALID_DATA_POINT, 5L));
    assertThat(v.request().getResourceMetrics(0).getScopeMetrics(0).getMetricsList())
        .singleElement()
        .satisfies(m -> assertThat(m.getHistogram().getDataPoints(0).getExplicitBoundsList()).containsExactly(1.0, 2.0));
  }

  @Test
  void aNonMonotonicDeltaSumIsRejectedAsTheSpecificationSays() {
    Metric delta = sum("queue_depth", AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA, 5, -2);
    Metric upDown =
        delta.toBuilder().setSum(delta.getSum().toBuilder().setIsMonotonic(false)).build();
    Metric monotonic = sum("requests", AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA, 5, 7);
    Validation<ExportMetricsServiceRequest> v =
        MetricsSignal.INSTANCE.validate(request(upDown, monotonic), LIMITS);
    assertThat(v.accepted()).isEqualTo(2);
    assertThat(v.rejected()).containsExactlyEntriesOf(java.util.Map.of(RejectReason.INVALID_METRIC, 2L));
    assertThat(v.errorMessage()).contains("'queue_depth'", "non-monotonic DELTA sum");
    assertThat(names(v.request())).containsExactly("requests");
  }

  @Test
  void aPointWithoutATimeIsInvalid() {
    Metric noTime =
        Metric.newBuilder()
            .setName("g")
            .setGauge(Gauge.newBuilder().addDataPoints(NumberDataPoint.newBuilder().setAsDouble(1)))
            .build();
    Validation<ExportMetricsServiceRequest> v =
        MetricsSignal.INSTANCE.validate(request(noTime, gauge("ok", 1)), LIMITS);
    assertThat(v.accepted()).isEqualTo(1);
    assertThat(v.rejected()).containsExactlyEntriesOf(java.util.Map.of(RejectReason.INVALID_DATA_POINT, 1L));
    assertThat(v.errorMessage()).contains("time_unix_nano");
  }

  @Test
  void aPointOlderThanTheMetricRetentionIsRejectedAsTooOld() {
    java.time.Instant now = java.time.Instant.parse("2026-11-25T00:00:00Z");
    IngestLimits limits =
        IngestLimits.builder()
            .pointRetention(java.time.Duration.ofDays(15))
            .clock(java.time.Clock.fixed(now, java.time.ZoneOffset.UTC))
            .build();
    long old = (now.toEpochMilli() - java.time.Duration.ofDays(16).toMillis()) * 1_000_000L;
    long recent = (now.toEpochMilli() - java.time.Duration.ofDays(14).toMillis()) * 1_000_000L;
    Metric g =
        Metric.newBuilder()
            .setName("g")
            .setGauge(
                Gauge.newBuilder()
                    .addDataPoints(NumberDataPoint.newBuilder().setAsDouble(1).setTimeUnixNano(old))
                    .addDataPoints(
                        NumberDataPoint.newBuilder().setAsDouble(2).setTimeUnixNano(recent)))
            .build();
    Validation<ExportMetricsServiceRequest> v = MetricsSignal.INSTANCE.validate(request(g), limits);
    assertThat(v.accepted()).isEqualTo(1);
    assertThat(v.rejected()).containsExactlyEntriesOf(java.util.Map.of(RejectReason.POINT_TOO_OLD, 1L));
    assertThat(v.errorMessage()).contains("retention of 15 days", "2026-11-09");
    assertThat(v.malformed()).isFalse();
  }

  @Test
  void aPointMoreThanADayAheadIsRejectedAsTooNew() {
    java.time.Instant now = java.time.Instant.parse("2026-11-25T00:00:00Z");
    IngestLimits limits =
        IngestLimits.builder()
            .pointRetention(java.time.Duration.ofDays(15))
            .clock(java.time.Clock.fixed(now, java.time.ZoneOffset.UTC))
            .build();
    long ahead = (now.toEpochMilli() + java.time.Duration.ofDays(2).toMillis()) * 1_000_000L;
    long soon = (now.toEpochMilli() + java.time.Duration.ofHours(2).toMillis()) * 1_000_000L;
    Metric g =
        Metric.newBuilder()
            .setName("g")
            .setGauge(
                Gauge.newBuilder()
                    .addDataPoints(NumberDataPoint.newBuilder().setAsDouble(1).setTimeUnixNano(ahead))
                    .addDataPoints(NumberDataPoint.newBuilder().setAsDouble(2).setTimeUnixNano(soon)))
            .build();
    Validation<ExportMetricsServiceRequest> v = MetricsSignal.INSTANCE.validate(request(g), limits);
    assertThat(v.accepted()).isEqualTo(1);
    assertThat(v.rejected()).containsExactlyEntriesOf(java.util.Map.of(RejectReason.POINT_TOO_NEW, 1L));
    assertThat(v.errorMessage()).contains("more than 1 day ahead", "2026-11-27");
  }

  @Test
  void aPointWithNoRecordedValueNeedsNoValue() {
    Metric stale =
        Metric.newBuilder()
            .setName("g")
            .setGauge(
                Gauge.newBuilder()
                    .addDataPoints(
                        NumberDataPoint.newBuilder()
                            .setTimeUnixNano(1)
                            .setFlags(DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE)))
            .build();
    Validation<ExportMetricsServiceRequest> v = MetricsSignal.INSTANCE.validate(request(stale), LIMITS);
    assertThat(v.accepted()).isEqualTo(1);
    assertThat(v.rejected()).isEmpty();
  }

  @Test
  void onlyMalformedPointsMakeAMalformedRequest() {
    Metric unnamed = gauge("", 1);
    Validation<ExportMetricsServiceRequest> v = MetricsSignal.INSTANCE.validate(request(unnamed), LIMITS);
    assertThat(v.malformed()).isTrue();
    assertThat(v.errorMessage()).contains("empty name");
  }

  @Test
  void pointsOverTheRequestLimitAreRejectedButNotMalformed() {
    Validation<ExportMetricsServiceRequest> v =
        new MetricsSignal(2).validate(request(gauge("a", 1, 2), gauge("b", 3, 4)), LIMITS);
    assertThat(v.accepted()).isEqualTo(2);
    assertThat(v.rejected()).containsExactlyEntriesOf(java.util.Map.of(RejectReason.TOO_MANY_DATA_POINTS, 2L));
    assertThat(names(v.request())).containsExactly("a");
    assertThat(v.malformed()).isFalse();
  }

  @Test
  void attributeLimitsApplyToResourcesAndPoints() {
    IngestLimits tight = IngestLimits.builder().maxAttributesPerItem(1).maxAttributeValueBytes(4).build();
    NumberDataPoint longValue =
        NumberDataPoint.newBuilder()
            .setTimeUnixNano(1)
            .setAsInt(1)
            .addAttributes(kv("k", "toolong"))
            .build();
    Metric m = Metric.newBuilder().setName("m").setGauge(Gauge.newBuilder().addDataPoints(longValue)).build();
    Validation<ExportMetricsServiceRequest> v = MetricsSignal.INSTANCE.validate(request(m), tight);
    assertThat(v.rejected()).containsOnlyKeys(RejectReason.ATTRIBUTE_VALUE_TOO_LONG);

    ExportMetricsServiceRequest crowded =
        ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(
                ResourceMetrics.newBuilder()
                    .setResource(Resource.newBuilder().addAttributes(kv("a", "1")).addAttributes(kv("b", "2")))
                    .addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(gauge("g", 1, 2))))
            .addResourceMetrics(
                ResourceMetrics.newBuilder().addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(gauge("kept", 1))))
            .build();
    v = MetricsSignal.INSTANCE.validate(crowded, tight);
    assertThat(v.rejected()).containsExactlyEntriesOf(java.util.Map.of(RejectReason.TOO_MANY_ATTRIBUTES, 2L));
    assertThat(v.request().getResourceMetricsCount()).isEqualTo(1);
    assertThat(names(v.request())).containsExactly("kept");
  }

  @Test
  void labelsAndNamesTooLongToIndexAreRejectedUnderTheDefaultLimits() {
    // every attribute of a point or of its resource becomes a label, indexed as one term of at
    // most 32766 bytes; the metric store would drop a longer one after it was acknowledged
    String huge = "v".repeat(40_000);
    NumberDataPoint longLabel =
        NumberDataPoint.newBuilder().setTimeUnixNano(1).setAsInt(1).addAttributes(kv("k", huge)).build();
    NumberDataPoint longArray =
        NumberDataPoint.newBuilder()
            .setTimeUnixNano(1)
            .setAsInt(1)
            .addAttributes(
                KeyValue.newBuilder()
                    .setKey("a")
                    .setValue(
                        AnyValue.newBuilder()
                            .setArrayValue(
                                io.opentelemetry.proto.common.v1.ArrayValue.newBuilder()
                                    .addValues(AnyValue.newBuilder().setStringValue(huge.substring(20_000)))
                                    .addValues(AnyValue.newBuilder().setStringValue(huge.substring(20_000))))))
            .build();
    Metric points =
        Metric.newBuilder()
            .setName("m")
            .setGauge(Gauge.newBuilder().addDataPoints(longLabel).addDataPoints(longArray))
            .build();
    ExportMetricsServiceRequest r =
        ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(
                ResourceMetrics.newBuilder()
                    .addScopeMetrics(
                        ScopeMetrics.newBuilder().addMetrics(points).addMetrics(gauge("n" + huge, 1))))
            .addResourceMetrics(
                ResourceMetrics.newBuilder()
                    .setResource(Resource.newBuilder().addAttributes(kv("host.name", huge)))
                    .addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(gauge("on_long_resource", 1))))
            .addResourceMetrics(
                ResourceMetrics.newBuilder()
                    .setResource(Resource.newBuilder().addAttributes(kv("service.name", "s".repeat(16_000))))
                    .addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(gauge("kept", 1))))
            .build();

    Validation<ExportMetricsServiceRequest> v = MetricsSignal.INSTANCE.validate(r, LIMITS);

    assertThat(v.rejected())
        .containsExactlyInAnyOrderEntriesOf(
            java.util.Map.of(RejectReason.ATTRIBUTE_VALUE_TOO_LONG, 3L, RejectReason.INVALID_METRIC, 1L));
    assertThat(names(v.request())).containsExactly("kept");
  }

  @Test
  void partialSuccessCountsDataPoints() {
    assertThat(MetricsSignal.INSTANCE.partialSuccess(3, "why").getPartialSuccess().getRejectedDataPoints())
        .isEqualTo(3);
    assertThat(OtlpSignals.supported()).contains(MetricsSignal.INSTANCE);
    assertThat(OtlpSignals.supported()).anyMatch(s -> s.name().equals("metrics"));
  }

  private static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  private static List<String> names(ExportMetricsServiceRequest r) {
    List<String> out = new ArrayList<>();
    for (ResourceMetrics rm : r.getResourceMetricsList()) {
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        for (Metric m : sm.getMetricsList()) {
          out.add(m.getName());
        }
      }
    }
    return out;
  }

  private static ExportMetricsServiceRequest request(Metric... metrics) {
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(
            ResourceMetrics.newBuilder()
                .addScopeMetrics(ScopeMetrics.newBuilder().addAllMetrics(List.of(metrics))))
        .build();
  }

  private static Metric gauge(String name, double... values) {
    Gauge.Builder g = Gauge.newBuilder();
    for (double v : values) {
      g.addDataPoints(NumberDataPoint.newBuilder().setAsDouble(v).setTimeUnixNano(1));
    }
    return Metric.newBuilder().setName(name).setGauge(g).build();
  }

  private static Metric sum(String name, AggregationTemporality t, double... values) {
    Sum.Builder s = Sum.newBuilder().setAggregationTemporality(t).setIsMonotonic(true);
    for (double v : values) {
      s.addDataPoints(NumberDataPoint.newBuilder().setAsDouble(v).setTimeUnixNano(1));
    }
    return Metric.newBuilder().setName(name).setSum(s).build();
  }
}
