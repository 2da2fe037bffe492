/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.store;

import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.Sample;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.resource.v1.Resource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** Builders of OTLP metric and remote-write requests for the metric store contract. */
public final class MetricTestData {
  /** The contract's "now"; stores start with a {@link MovableClock} at this instant. */
  public static final Instant NOW = TestData.NOW;

  private MetricTestData() {}

  public static long nowMs() {
    return NOW.toEpochMilli();
  }

  public static long nanos(long millis) {
    return millis * 1_000_000L;
  }

  public static KeyValue attr(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  public static Resource resource(KeyValue... attrs) {
    Resource.Builder r = Resource.newBuilder();
    for (KeyValue kv : attrs) {
      r.addAttributes(kv);
    }
    return r.build();
  }

  public static NumberDataPoint point(long timeMs, double value, KeyValue... attrs) {
    NumberDataPoint.Builder p =
        NumberDataPoint.newBuilder().setTimeUnixNano(nanos(timeMs)).setAsDouble(value);
    for (KeyValue kv : attrs) {
      p.addAttributes(kv);
    }
    return p.build();
  }

  public static Metric counter(String name, String unit, NumberDataPoint... points) {
    return sum(name, unit, true, AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE, points);
  }

  public static Metric sum(
      String name, String unit, boolean monotonic, AggregationTemporality temporality,
      NumberDataPoint... points) {
    Sum.Builder s = Sum.newBuilder().setIsMonotonic(monotonic).setAggregationTemporality(temporality);
    for (NumberDataPoint p : points) {
      s.addDataPoints(p);
    }
    return Metric.newBuilder().setName(name).setUnit(unit).setSum(s).build();
  }

  public static Metric gauge(String name, String unit, NumberDataPoint... points) {
    var g = io.opentelemetry.proto.metrics.v1.Gauge.newBuilder();
    for (NumberDataPoint p : points) {
      g.addDataPoints(p);
    }
    return Metric.newBuilder().setName(name).setUnit(unit).setGauge(g).build();
  }

  public static ExportMetricsServiceRequest request(Resource resource, Metric... metrics) {
    ScopeMetrics.Builder sm = ScopeMetrics.newBuilder();
    for (Metric m : metrics) {
      sm.addMetrics(m);
    }
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(ResourceMetrics.newBuilder().setResource(resource).addScopeMetrics(sm))
        .build();
  }

  /** One remote-write series; {@code labels} as name/value pairs, samples as (t, v) pairs. */
  public static TimeSeries series(String[] labels, double... timeValuePairs) {
    TimeSeries.Builder ts = TimeSeries.newBuilder();
    for (int i = 0; i < labels.length; i += 2) {
      ts.addLabels(Label.newBuilder().setName(labels[i]).setValue(labels[i + 1]));
    }
    for (int i = 0; i < timeValuePairs.length; i += 2) {
      ts.addSamples(
          Sample.newBuilder().setTimestamp((long) timeValuePairs[i]).setValue(timeValuePairs[i + 1]));
    }
    return ts.build();
  }

  public static WriteRequest write(TimeSeries... series) {
    WriteRequest.Builder w = WriteRequest.newBuilder();
    for (TimeSeries ts : series) {
      w.addTimeseries(ts);
    }
    return w.build();
  }

  /** A clock that tests move forward by hand. */
  public static final class MovableClock extends Clock {
    private volatile Instant now;

    public MovableClock(Instant now) {
      this.now = now;
    }

    public void advance(Duration d) {
      now = now.plus(d);
    }

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
      return now;
    }
  }
}
