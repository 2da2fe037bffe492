/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace.derived;

import com.google.protobuf.ByteString;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** A fixed clock, a recording sink, OTLP span builders and a Prometheus-style view of metrics. */
final class DerivedTestSupport {
  static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
  static final long NOW_NANOS = NOW.getEpochSecond() * 1_000_000_000L;

  private DerivedTestSupport() {}

  /** A clock that moves only when told to. */
  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    void advanceMillis(long millis) {
      now = now.plusMillis(millis);
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

  /**
   * Records every batch; answers with {@link #answer}, which acknowledges at once unless a test
   * replaces it.
   */
  static final class RecordingSink implements TelemetrySink {
    final List<TelemetryBatch> batches = new CopyOnWriteArrayList<>();
    volatile Function<TelemetryBatch, CompletableFuture<Void>> answer =
        b -> CompletableFuture.completedFuture(null);

    @Override
    public CompletableFuture<Void> accept(TelemetryBatch batch) {
      if (batch.signal() != Signal.METRICS) {
        throw new AssertionError("derived metrics must be METRICS batches, got " + batch.signal());
      }
      batches.add(batch);
      return answer.apply(batch);
    }

    ExportMetricsServiceRequest last() {
      return (ExportMetricsServiceRequest) batches.get(batches.size() - 1).message();
    }

    List<ExportMetricsServiceRequest> requests() {
      return batches.stream().map(b -> (ExportMetricsServiceRequest) b.message()).toList();
    }
  }

  // ---- spans

  static ByteString traceId(int n) {
    byte[] b = new byte[16];
    b[0] = 1;
    b[15] = (byte) n;
    b[14] = (byte) (n >> 8);
    return ByteString.copyFrom(b);
  }

  static ByteString spanId(int n) {
    byte[] b = new byte[8];
    b[0] = 2;
    b[7] = (byte) n;
    b[6] = (byte) (n >> 8);
    return ByteString.copyFrom(b);
  }

  /** A span of trace {@code trace} with id {@code id}, child of {@code parent} (0: a root). */
  static Span.Builder span(
      int trace, int id, int parent, String name, Span.SpanKind kind, long durationMillis) {
    Span.Builder s =
        Span.newBuilder()
            .setTraceId(traceId(trace))
            .setSpanId(spanId(id))
            .setName(name)
            .setKind(kind)
            .setStartTimeUnixNano(NOW_NANOS)
            .setEndTimeUnixNano(NOW_NANOS + durationMillis * 1_000_000L);
    if (parent != 0) {
      s.setParentSpanId(spanId(parent));
    }
    return s;
  }

  static Span.Builder error(Span.Builder s) {
    return s.setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR));
  }

  static Span.Builder attr(Span.Builder s, String key, String value) {
    return s.addAttributes(kv(key, value));
  }

  static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  static ResourceSpans resourceSpans(String service, Span.Builder... spans) {
    Resource.Builder resource = Resource.newBuilder();
    if (service != null) {
      resource.addAttributes(kv("service.name", service));
    }
    ScopeSpans.Builder scope = ScopeSpans.newBuilder();
    for (Span.Builder s : spans) {
      scope.addSpans(s);
    }
    return ResourceSpans.newBuilder().setResource(resource).addScopeSpans(scope).build();
  }

  static TelemetryBatch traces(ResourceSpans... resourceSpans) {
    ExportTraceServiceRequest.Builder r = ExportTraceServiceRequest.newBuilder();
    for (ResourceSpans rs : resourceSpans) {
      r.addResourceSpans(rs);
    }
    return TelemetryBatch.of(Signal.TRACES, r.build());
  }

  // ---- metrics as Prometheus sees them

  /** One sample: the series as Prometheus names it ({@code name{a="b",...}}) and its value. */
  record Sample(String series, long timeMillis, double value) {}

  /**
   * The samples of OTLP requests as the OpenTelemetry-to-Prometheus conversion names them for these
   * metrics (empty unit, empty resource): a monotonic sum gets {@code _total}, a histogram {@code
   * _bucket} (cumulative, with {@code le}), {@code _sum} and {@code _count}.
   */
  static List<Sample> samples(List<ExportMetricsServiceRequest> requests) {
    List<Sample> out = new ArrayList<>();
    for (ExportMetricsServiceRequest r : requests) {
      for (ResourceMetrics rm : r.getResourceMetricsList()) {
        if (rm.getResource().getAttributesCount() != 0) {
          throw new AssertionError("derived metrics must have an empty resource");
        }
        for (ScopeMetrics sm : rm.getScopeMetricsList()) {
          for (Metric m : sm.getMetricsList()) {
            if (!m.getUnit().isEmpty()) {
              throw new AssertionError(m.getName() + " must have an empty unit");
            }
            if (m.hasSum()) {
              for (NumberDataPoint p : m.getSum().getDataPointsList()) {
                out.add(
                    new Sample(
                        series(m.getName() + "_total", p.getAttributesList(), null),
                        p.getTimeUnixNano() / 1_000_000,
                        p.getAsDouble()));
              }
            } else if (m.hasHistogram()) {
              for (HistogramDataPoint p : m.getHistogram().getDataPointsList()) {
                long time = p.getTimeUnixNano() / 1_000_000;
                long cumulative = 0;
                for (int i = 0; i < p.getBucketCountsCount(); i++) {
                  cumulative += p.getBucketCounts(i);
                  String le = i < p.getExplicitBoundsCount() ? le(p.getExplicitBounds(i)) : "+Inf";
                  out.add(
                      new Sample(
                          series(m.getName() + "_bucket", p.getAttributesList(), le),
                          time,
                          cumulative));
                }
                out.add(
                    new Sample(
                        series(m.getName() + "_sum", p.getAttributesList(), null),
                        time,
                        p.getSum()));
                out.add(
                    new Sample(
                        series(m.getName() + "_count", p.getAttributesList(), null),
                        time,
                        p.getCount()));
              }
            } else {
              throw new AssertionError("unexpected metric type " + m);
            }
          }
        }
      }
    }
    return out;
  }

  /** The latest value of every series in these requests. */
  static Map<String, Double> latest(List<ExportMetricsServiceRequest> requests) {
    Map<String, Double> values = new TreeMap<>();
    Map<String, Long> times = new TreeMap<>();
    for (Sample s : samples(requests)) {
      Long t = times.get(s.series());
      if (t == null || s.timeMillis() >= t) {
        times.put(s.series(), s.timeMillis());
        values.put(s.series(), s.value());
      }
    }
    return values;
  }

  static String le(double bound) {
    return new BigDecimal(Double.toString(bound)).stripTrailingZeros().toPlainString();
  }

  private static String series(String name, List<KeyValue> attrs, String le) {
    Map<String, String> labels = new TreeMap<>();
    for (KeyValue kv : attrs) {
      labels.put(kv.getKey(), kv.getValue().getStringValue());
    }
    if (le != null) {
      labels.put("le", le);
    }
    StringBuilder sb = new StringBuilder(name).append('{');
    labels.forEach((k, v) -> sb.append(k).append("=\"").append(v).append("\","));
    if (!labels.isEmpty()) {
      sb.setLength(sb.length() - 1);
    }
    return sb.append('}').toString();
  }

  /** Prometheus' text for a series, labels in alphabetical order: {@code name{a="1",b="2"}}. */
  static String s(String name, String... labelsAndValues) {
    Map<String, String> labels = new TreeMap<>();
    for (int i = 0; i < labelsAndValues.length; i += 2) {
      labels.put(labelsAndValues[i], labelsAndValues[i + 1]);
    }
    StringBuilder sb = new StringBuilder(name).append('{');
    labels.forEach((k, v) -> sb.append(k).append("=\"").append(v).append("\","));
    if (!labels.isEmpty()) {
      sb.setLength(sb.length() - 1);
    }
    return sb.append('}').toString();
  }
}
