/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns generated spans into one OTLP export request, grouped by resource and instrumentation scope
 * the way an OpenTelemetry SDK or collector batches them.
 */
final class OtlpEncoder {
  private final TraceGenerator generator;

  OtlpEncoder(TraceGenerator generator) {
    this.generator = generator;
  }

  ExportTraceServiceRequest encode(List<TraceGenerator.SpanRef> batch) {
    TraceShapes shapes = generator.shapes();
    int scopeCount = shapes.scopes().size();
    Map<Integer, ScopeSpans.Builder> groups = new LinkedHashMap<>();
    for (TraceGenerator.SpanRef ref : batch) {
      SpanTemplate t = ref.span();
      groups
          .computeIfAbsent(
              t.resource() * scopeCount + t.scope(),
              k -> ScopeSpans.newBuilder().setScope(shapes.scopes().get(t.scope())))
          .addSpans(span(ref));
    }
    Map<Integer, ResourceSpans.Builder> resources = new LinkedHashMap<>();
    groups.forEach(
        (key, scopeSpans) ->
            resources
                .computeIfAbsent(
                    key / scopeCount,
                    r -> ResourceSpans.newBuilder().setResource(shapes.resources().get(r)))
                .addScopeSpans(scopeSpans));
    ExportTraceServiceRequest.Builder request = ExportTraceServiceRequest.newBuilder();
    resources.values().forEach(request::addResourceSpans);
    return request.build();
  }

  Span span(TraceGenerator.SpanRef ref) {
    SpanTemplate t = ref.span();
    long traceStart = generator.traceStartNanos(ref.trace());
    long start = traceStart + t.startOffsetNanos();
    Span.Builder span =
        Span.newBuilder()
            .setTraceId(wrap(generator.traceId(ref.trace())))
            .setSpanId(wrap(generator.spanId(ref.trace(), ref.index())))
            .setName(t.name())
            .setKind(t.kind())
            .setStartTimeUnixNano(start)
            .setEndTimeUnixNano(start + t.durationNanos())
            .addAllAttributes(t.attributes())
            .setStatus(t.status());
    if (t.parent() >= 0) {
      span.setParentSpanId(wrap(generator.spanId(ref.trace(), t.parent())));
    }
    if (t.userIdAt() >= 0) {
      span.setAttributes(t.userIdAt(), TraceShapes.str("user.id", generator.userId(ref.trace())));
    }
    if (t.orderIdAt() >= 0) {
      span.setAttributes(
          t.orderIdAt(), TraceShapes.str("order.id", generator.orderId(ref.trace())));
    }
    for (SpanTemplate.EventTemplate event : t.events()) {
      span.addEvents(
          Span.Event.newBuilder()
              .setTimeUnixNano(traceStart + event.offsetNanos())
              .setName(event.name())
              .addAllAttributes(event.attributes()));
    }
    return span.build();
  }

  private static ByteString wrap(byte[] bytes) {
    return UnsafeByteOperations.unsafeWrap(bytes);
  }
}
