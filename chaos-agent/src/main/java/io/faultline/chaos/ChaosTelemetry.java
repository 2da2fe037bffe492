/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import com.google.protobuf.ByteString;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the agent tells the world while it works: the {@code faultline_chaos_fault_active} gauge
 * (on the platform's Prometheus registry and as an OTLP gauge through the sink, so PromQL sees
 * it), log events and spans of service {@code faultline-chaos}. Sink failures are logged and
 * never fail a run: telemetry about chaos must not make chaos less safe.
 */
final class ChaosTelemetry {
  static final String SERVICE = "faultline-chaos";
  static final String FAULT_ACTIVE = "faultline_chaos_fault_active";
  private static final Logger LOG = LoggerFactory.getLogger(ChaosTelemetry.class);

  private final TelemetrySink sink;
  private final io.prometheus.metrics.core.metrics.Gauge gauge;

  ChaosTelemetry(TelemetrySink sink, PrometheusRegistry registry) {
    this.sink = sink;
    this.gauge =
        io.prometheus.metrics.core.metrics.Gauge.builder()
            .name(FAULT_ACTIVE)
            .help("1 while a chaos fault is in effect")
            .labelNames("experiment", "run", "fault", "target")
            .register(registry);
  }

  void faultActive(String experiment, String run, String fault, String target, boolean active, Instant at) {
    if (active) {
      gauge.labelValues(experiment, run, fault, target).set(1);
    } else {
      gauge.remove(experiment, run, fault, target);
    }
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("experiment", experiment);
    labels.put("run", run);
    labels.put("fault", fault);
    labels.put("target", target);
    NumberDataPoint.Builder p =
        NumberDataPoint.newBuilder().setTimeUnixNano(nanos(at)).setAsDouble(active ? 1 : 0);
    labels.forEach((k, v) -> p.addAttributes(kv(k, v)));
    Metric m = Metric.newBuilder().setName(FAULT_ACTIVE).setDescription("1 while a chaos fault is in effect")
        .setGauge(Gauge.newBuilder().addDataPoints(p)).build();
    send(TelemetryBatch.of(Signal.METRICS, ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(ResourceMetrics.newBuilder().setResource(resource())
            .addScopeMetrics(ScopeMetrics.newBuilder().setScope(scope()).addMetrics(m))).build()));
  }

  void log(Instant at, String severity, String event, String message, String experiment, String run, String fault) {
    LogRecord.Builder r = LogRecord.newBuilder()
        .setTimeUnixNano(nanos(at)).setObservedTimeUnixNano(nanos(at))
        .setSeverityText(severity)
        .setSeverityNumber(switch (severity) {
          case "ERROR" -> SeverityNumber.SEVERITY_NUMBER_ERROR;
          case "WARN" -> SeverityNumber.SEVERITY_NUMBER_WARN;
          default -> SeverityNumber.SEVERITY_NUMBER_INFO;
        })
        .setBody(AnyValue.newBuilder().setStringValue(message))
        .addAttributes(kv("event.name", "chaos." + event));
    if (experiment != null) {
      r.addAttributes(kv("chaos.experiment", experiment));
    }
    if (run != null) {
      r.addAttributes(kv("chaos.run", run));
      r.setTraceId(traceId(run));
    }
    if (fault != null) {
      r.addAttributes(kv("chaos.fault", fault));
    }
    send(TelemetryBatch.of(Signal.LOGS, ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(ResourceLogs.newBuilder().setResource(resource())
            .addScopeLogs(ScopeLogs.newBuilder().setScope(scope()).addLogRecords(r))).build()));
  }

  /**
   * A span for a run (fault null) or one fault of it; the run's span is the root of a trace whose
   * id is derived from the run id, so every run's spans form one trace.
   */
  void span(String experiment, String run, String fault, String target, Instant start, Instant end,
      boolean error, String outcome) {
    Span.Builder s = Span.newBuilder()
        .setTraceId(traceId(run))
        .setSpanId(spanId(run, fault))
        .setName(fault == null ? "chaos run" : "chaos fault " + fault)
        .setKind(Span.SpanKind.SPAN_KIND_INTERNAL)
        .setStartTimeUnixNano(nanos(start)).setEndTimeUnixNano(nanos(end))
        .addAttributes(kv("chaos.experiment", experiment)).addAttributes(kv("chaos.run", run))
        .setStatus(Status.newBuilder().setCode(error ? Status.StatusCode.STATUS_CODE_ERROR : Status.StatusCode.STATUS_CODE_OK)
            .setMessage(outcome == null ? "" : outcome));
    if (fault != null) {
      s.setParentSpanId(spanId(run, null)).addAttributes(kv("chaos.fault", fault)).addAttributes(kv("chaos.target", target));
    }
    if (outcome != null) {
      s.addAttributes(kv("chaos.outcome", outcome));
    }
    send(TelemetryBatch.of(Signal.TRACES, ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(ResourceSpans.newBuilder().setResource(resource())
            .addScopeSpans(ScopeSpans.newBuilder().setScope(scope()).addSpans(s))).build()));
  }

  private void send(TelemetryBatch batch) {
    try {
      sink.accept(batch).whenComplete((v, e) -> {
        if (e != null) {
          LOG.warn("chaos telemetry ({}) not stored: {}; the run goes on, its journal has the same facts",
              batch.signal(), e.toString());
        }
      });
    } catch (RuntimeException e) {
      LOG.warn("chaos telemetry ({}) not stored: {}", batch.signal(), e.toString());
    }
  }

  static ByteString traceId(String run) {
    return ByteString.copyFrom(digest(run), 0, 16);
  }

  static ByteString spanId(String run, String fault) {
    return ByteString.copyFrom(digest(run + "/" + (fault == null ? "" : fault)), 0, 8);
  }

  private static byte[] digest(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Resource resource() {
    return Resource.newBuilder().addAttributes(kv("service.name", SERVICE)).build();
  }

  private static InstrumentationScope scope() {
    return InstrumentationScope.newBuilder().setName("io.faultline.chaos").build();
  }

  static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v == null ? "" : v)).build();
  }

  private static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }
}
