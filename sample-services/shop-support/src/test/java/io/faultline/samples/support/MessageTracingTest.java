/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MessageTracingTest {
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final OpenTelemetrySdk otel =
      OpenTelemetrySdk.builder()
          .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
          .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
          .build();
  private final MessageTracing tracing = new MessageTracing(otel);

  @Test
  void consumerSpanIsAChildOfTheProducerSpanThroughTheHeaders() {
    Map<String, String> headers;
    Span producer = tracing.startPublish("order-events");
    try (Scope ignored = producer.makeCurrent()) {
      headers = tracing.headers(Context.current());
    } finally {
      producer.end();
    }
    assertThat(headers).containsKey("traceparent");

    // another thread, no current context: only the headers connect the two
    Span consumer = tracing.startProcess("order-events", headers);
    consumer.end();

    List<SpanData> finished = spans.getFinishedSpanItems();
    SpanData published = finished.get(0);
    SpanData processed = finished.get(1);
    assertThat(published.getKind()).isEqualTo(SpanKind.PRODUCER);
    assertThat(processed.getKind()).isEqualTo(SpanKind.CONSUMER);
    assertThat(processed.getTraceId()).isEqualTo(published.getTraceId());
    assertThat(processed.getParentSpanId()).isEqualTo(published.getSpanId());
    assertThat(processed.getAttributes().asMap().toString()).contains("order-events", "process");
  }

  @Test
  void messageWithoutTraceHeadersStartsANewTrace() {
    tracing.startProcess("order-events", Map.of()).end();
    tracing.startProcess("order-events", null).end();

    assertThat(spans.getFinishedSpanItems())
        .allSatisfy(s -> assertThat(s.getParentSpanContext().isValid()).isFalse());
  }
}
