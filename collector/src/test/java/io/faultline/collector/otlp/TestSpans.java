/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.List;
import java.util.Random;

/** Spans for tests, with ids from a seeded random (the seed is printed so a failure replays). */
public final class TestSpans {
  /** 2026-01-01T00:00:00Z in nanoseconds: a fixed "now". */
  public static final long NOW_NANOS = 1_767_225_600_000_000_000L;

  private final Random random;

  public TestSpans(long seed) {
    this.random = new Random(seed);
    System.out.println("TestSpans seed " + seed + " (-Dtests.seed=" + seed + " replays it)");
  }

  /** The seed from -Dtests.seed, else a fresh one. */
  public static TestSpans seeded() {
    String s = System.getProperty("tests.seed");
    return new TestSpans(s != null ? Long.parseLong(s) : new Random().nextLong());
  }

  public ByteString traceId() {
    return randomId(16);
  }

  public ByteString spanId() {
    return randomId(8);
  }

  private ByteString randomId(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    b[0] |= 1; // never all zero
    return ByteString.copyFrom(b);
  }

  public Span.Builder span(String name) {
    return Span.newBuilder()
        .setTraceId(traceId())
        .setSpanId(spanId())
        .setName(name)
        .setKind(Span.SpanKind.SPAN_KIND_SERVER)
        .setStartTimeUnixNano(NOW_NANOS)
        .setEndTimeUnixNano(NOW_NANOS + 1_000_000);
  }

  public static KeyValue attr(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  public static ResourceSpans resourceSpans(String service, Span... spans) {
    return ResourceSpans.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(attr("service.name", service)))
        .addScopeSpans(ScopeSpans.newBuilder().addAllSpans(List.of(spans)))
        .build();
  }

  public static ExportTraceServiceRequest request(ResourceSpans... resourceSpans) {
    return ExportTraceServiceRequest.newBuilder().addAllResourceSpans(List.of(resourceSpans)).build();
  }

  public static ExportTraceServiceRequest request(String service, Span... spans) {
    return request(resourceSpans(service, spans));
  }
}
