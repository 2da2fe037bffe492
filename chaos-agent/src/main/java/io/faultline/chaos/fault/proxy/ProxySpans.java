/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import com.google.protobuf.ByteString;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import io.faultline.core.otlp.OtlpIds;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spans of the HTTP layer: one per request a toxic acted on, a child of the request's W3C
 * {@code traceparent} (a new trace when it has none), so trace search finds every request a run hit
 * and the waterfall shows the fault where it happened. Kind INTERNAL: the proxy is not a hop of its
 * own in the service graph.
 */
final class ProxySpans {
  /** {@code service.name} of the proxy's spans. */
  static final String SERVICE_NAME = "faultline-chaos-proxy";

  private static final Logger LOG = LoggerFactory.getLogger(ProxySpans.class);

  private final String proxyName;
  private final TelemetrySink sink;
  private final Clock clock;
  private final AtomicLong failures = new AtomicLong();

  ProxySpans(String proxyName, TelemetrySink sink, Clock clock) {
    this.proxyName = proxyName;
    this.sink = sink;
    this.clock = clock;
  }

  void record(
      ActiveToxic at, HttpRequestReader.Head head, String action, int status, long delayMs,
      Instant start, Instant end) {
    Toxic t = at.toxic;
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    byte[] traceId = new byte[OtlpIds.TRACE_ID_BYTES];
    byte[] parent = null;
    String traceparent = head.header("traceparent");
    if (traceparent != null) {
      String[] parts = traceparent.split("-");
      if (parts.length >= 4 && parts[0].length() == 2 && OtlpIds.isValidTraceId(parts[1])
          && OtlpIds.isValidSpanId(parts[2])) {
        traceId = OtlpIds.traceIdFromHex(parts[1]);
        parent = OtlpIds.spanIdFromHex(parts[2]);
      }
    }
    if (parent == null) {
      do {
        rnd.nextBytes(traceId);
      } while (!OtlpIds.isValidTraceId(traceId));
    }
    byte[] spanId = new byte[OtlpIds.SPAN_ID_BYTES];
    do {
      rnd.nextBytes(spanId);
    } while (!OtlpIds.isValidSpanId(spanId));
    String fault = t.labels().fault().isEmpty() ? t.name() : t.labels().fault();
    Span.Builder span = Span.newBuilder()
        .setTraceId(ByteString.copyFrom(traceId))
        .setSpanId(ByteString.copyFrom(spanId))
        .setName("chaos proxy " + fault)
        .setKind(Span.SpanKind.SPAN_KIND_INTERNAL)
        .setStartTimeUnixNano(nanos(start))
        .setEndTimeUnixNano(Math.max(nanos(start), nanos(end)))
        .addAttributes(str("chaos.experiment", t.labels().experiment()))
        .addAttributes(str("chaos.run", t.labels().run()))
        .addAttributes(str("chaos.fault", fault))
        .addAttributes(str("chaos.action", action))
        .addAttributes(str("chaos.toxic", t.kind().wireName()))
        .addAttributes(str("chaos.proxy", proxyName))
        .addAttributes(str("http.request.method", head.method()))
        .addAttributes(str("url.path", HttpMatch.stripQuery(head.target())));
    if (parent != null) {
      span.setParentSpanId(ByteString.copyFrom(parent));
    }
    String tracestate = head.header("tracestate");
    if (tracestate != null) {
      span.setTraceState(tracestate);
    }
    if (action.equals("abort")) {
      span.addAttributes(num("http.response.status_code", status));
      span.setStatus(Status.newBuilder()
          .setCode(Status.StatusCode.STATUS_CODE_ERROR)
          .setMessage("chaos: aborted with HTTP " + status));
    } else {
      span.addAttributes(num("chaos.delay_ms", delayMs));
    }
    ExportTraceServiceRequest request = ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(ResourceSpans.newBuilder()
            .setResource(Resource.newBuilder()
                .addAttributes(str("service.name", SERVICE_NAME))
                .addAttributes(str("service.instance.id", proxyName)))
            .addScopeSpans(ScopeSpans.newBuilder()
                .setScope(InstrumentationScope.newBuilder().setName("io.faultline.chaos.proxy"))
                .addSpans(span)))
        .build();
    try {
      sink.accept(TelemetryBatch.of(Signal.TRACES, request)).whenComplete((v, e) -> {
        if (e != null) {
          failed(e);
        }
      });
    } catch (RuntimeException e) {
      failed(e);
    }
  }

  private void failed(Throwable e) {
    long n = failures.incrementAndGet();
    if (Long.bitCount(n) == 1) { // 1st, 2nd, 4th, 8th...: visible without flooding the log
      LOG.warn("proxy {}: could not hand a chaos span to the telemetry sink ({} failures so far): {}",
          proxyName, n, e.toString());
    }
  }

  private static long nanos(Instant i) {
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  private static KeyValue str(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  private static KeyValue num(String k, long v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setIntValue(v)).build();
  }
}
