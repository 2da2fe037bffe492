/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace.derived;

import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * Tempo's span-metrics processor with its default dimensions: one label set per service, span name,
 * span kind and status code, counting calls and span bytes and observing latency in seconds. Not
 * thread-safe: the generator calls it under its lock.
 */
final class SpanMetrics {
  /** Tempo's default {@code histogram_buckets}: 0.002 s doubling to 16.384 s. */
  static final double[] LATENCY_BUCKETS = exponentialBuckets(0.002, 2, 14);

  record Key(String service, String spanName, String spanKind, String statusCode) {}

  static final class Series {
    final Key key;
    final long startMillis;
    long updatedMillis;
    double calls;
    double sizeBytes;
    final LatencyHistogram latency = new LatencyHistogram(LATENCY_BUCKETS);
    boolean announced;

    Series(Key key, long nowMillis) {
      this.key = key;
      // one millisecond before the first observation, where the announcing zero sample goes
      this.startMillis = nowMillis - 1;
      this.updatedMillis = nowMillis;
    }
  }

  private final Map<Key, Series> series = new HashMap<>();
  private final SeriesLimit limit;

  SpanMetrics(SeriesLimit limit) {
    this.limit = limit;
  }

  /** Counts one span of {@code service} (empty when the resource has no service name). */
  void record(String service, Span span, long nowMillis) {
    Key key = new Key(service, span.getName(), kind(span), statusCode(span.getStatus()));
    Series s = limit.getOrAdd(series, key, k -> new Series(k, nowMillis));
    if (s == null) {
      return;
    }
    s.updatedMillis = nowMillis;
    s.calls++;
    s.sizeBytes += span.getSerializedSize();
    s.latency.observe(durationSeconds(span.getStartTimeUnixNano(), span.getEndTimeUnixNano()));
  }

  /** Forgets label sets not updated since {@code cutoffMillis}, as Tempo's stale_duration does. */
  void removeStale(long cutoffMillis) {
    limit.removeStale(series.values(), s -> s.updatedMillis, cutoffMillis);
  }

  Collection<Series> series() {
    return series.values();
  }

  /** The proto enum's name ({@code SPAN_KIND_SERVER}), or its number when unknown, as Go prints. */
  static String kind(Span span) {
    Span.SpanKind kind = span.getKind();
    return kind == Span.SpanKind.UNRECOGNIZED ? Integer.toString(span.getKindValue()) : kind.name();
  }

  static String statusCode(Status status) {
    Status.StatusCode code = status.getCode();
    return code == Status.StatusCode.UNRECOGNIZED
        ? Integer.toString(status.getCodeValue())
        : code.name();
  }

  /** Seconds between two unsigned nanosecond times; 0 when the end is before the start. */
  static double durationSeconds(long startNanos, long endNanos) {
    if (Long.compareUnsigned(startNanos, endNanos) >= 0) {
      return 0;
    }
    return (endNanos - startNanos) / 1e9;
  }

  /** Prometheus' ExponentialBuckets: {@code count} bounds from {@code start}, each times factor. */
  static double[] exponentialBuckets(double start, double factor, int count) {
    double[] buckets = new double[count];
    double b = start;
    for (int i = 0; i < count; i++) {
      buckets[i] = b;
      b *= factor;
    }
    return buckets;
  }
}
