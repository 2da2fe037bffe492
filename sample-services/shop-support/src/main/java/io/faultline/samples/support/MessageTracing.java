/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.support;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * W3C trace context carried in a message's own headers, the way messaging instrumentations do it
 * (not in the HTTP request that happens to carry the message): the producer's span is the parent
 * of the consumer's span even when the consumer runs later, on another thread or in another
 * process.
 */
public final class MessageTracing {
  /** {@code messaging.system} of the shop's in-process queue. */
  public static final String MESSAGING_SYSTEM = "shop-queue";

  private static final TextMapGetter<Map<String, String>> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
          return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };

  private final TextMapPropagator propagator;
  private final Tracer tracer;

  public MessageTracing(OpenTelemetry openTelemetry) {
    Objects.requireNonNull(openTelemetry, "openTelemetry");
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
    this.tracer = openTelemetry.getTracer("io.faultline.samples.messaging");
  }

  /** Starts the PRODUCER span of one message to {@code destination}; the caller ends it. */
  public Span startPublish(String destination) {
    return tracer
        .spanBuilder(destination + " publish")
        .setSpanKind(SpanKind.PRODUCER)
        .setAttribute("messaging.system", MESSAGING_SYSTEM)
        .setAttribute("messaging.destination.name", destination)
        .setAttribute("messaging.operation.type", "send")
        .startSpan();
  }

  /** The headers that carry {@code context} (traceparent, tracestate, baggage). */
  public Map<String, String> headers(Context context) {
    Map<String, String> headers = new HashMap<>();
    propagator.inject(context, headers, (carrier, key, value) -> carrier.put(key, value));
    return headers;
  }

  /**
   * Starts the CONSUMER span of a message received with {@code headers}, as a child of the
   * producer's span; without trace headers it starts a new trace. The caller ends it.
   */
  public Span startProcess(String destination, Map<String, String> headers) {
    Context parent = propagator.extract(Context.root(), headers == null ? Map.of() : headers, GETTER);
    return tracer
        .spanBuilder(destination + " process")
        .setParent(parent)
        .setSpanKind(SpanKind.CONSUMER)
        .setAttribute("messaging.system", MESSAGING_SYSTEM)
        .setAttribute("messaging.destination.name", destination)
        .setAttribute("messaging.operation.type", "process")
        .startSpan();
  }
}
