/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TraceGeneratorTest {
  private static final long SEED = Long.getLong("tests.seed", 20261124L);
  private static final long WINDOW_START = 1_795_000_000_000_000_000L;
  private static final long WINDOW = 3_600_000_000_000L;
  private static TraceShapes shapes;

  @BeforeAll
  static void shapes() {
    System.out.println(
        "TraceGeneratorTest seed: " + SEED + " (replay with -Dtests.seed=" + SEED + ")");
    shapes = TraceShapes.generate(SEED, 300);
  }

  @Test
  void shapesLookLikeAMultiServiceShop() {
    WorkloadStats stats = WorkloadStats.of(shapes);
    assertThat(stats.services()).as("seed %d", SEED).isBetween(5, 8);
    assertThat(stats.attributesPerSpan()).as("seed %d", SEED).isCloseTo(10, within(1.0));
    assertThat(stats.errorFraction()).as("seed %d", SEED).isBetween(0.005, 0.04);
    assertThat(stats.eventFraction()).as("seed %d", SEED).isBetween(0.05, 0.3);
    assertThat(stats.minDepth()).as("seed %d", SEED).isEqualTo(3);
    assertThat(stats.maxDepth()).as("seed %d", SEED).isEqualTo(6);
    assertThat(stats.spansPerTrace()).as("seed %d", SEED).isBetween(4.0, 40.0);
    System.out.println("workload: " + stats.describe());
  }

  @Test
  void everyTraceHasOneGatewayRootAndParentsBeforeChildren() {
    for (TraceTemplate trace : shapes.traces()) {
      List<SpanTemplate> spans = trace.spans();
      assertThat(spans.get(0).parent()).isEqualTo(-1);
      assertThat(spans.get(0).service()).isEqualTo("gateway");
      assertThat(spans.get(0).kind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
      for (int i = 1; i < spans.size(); i++) {
        SpanTemplate span = spans.get(i);
        assertThat(span.parent()).as("span %d, seed %d", i, SEED).isBetween(0, i - 1);
        SpanTemplate parent = spans.get(span.parent());
        assertThat(span.startOffsetNanos()).isGreaterThanOrEqualTo(parent.startOffsetNanos());
        assertThat(span.durationNanos()).isPositive();
        if (span.kind() == Span.SpanKind.SPAN_KIND_SERVER) {
          // a server span is called by a client span of another service
          assertThat(parent.kind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
          assertThat(parent.remoteService()).isEqualTo(span.service());
        }
      }
    }
  }

  @Test
  void hasTheRequestedNumberOfSpansInBatchesAndCompletesTheLastTrace() {
    TraceGenerator generator = new TraceGenerator(shapes, SEED, 10_000, WINDOW_START, WINDOW);
    long total = 0;
    List<TraceGenerator.SpanRef> batch;
    List<TraceGenerator.SpanRef> last = List.of();
    while (!(batch = generator.nextBatch(512)).isEmpty()) {
      assertThat(batch.size()).isLessThanOrEqualTo(512);
      total += batch.size();
      last = batch;
    }
    assertThat(total)
        .isEqualTo(generator.spans())
        .isGreaterThanOrEqualTo(10_000)
        .isLessThan(10_040);
    TraceGenerator.SpanRef end = last.get(last.size() - 1);
    assertThat(end.index()).isEqualTo(end.template().spans().size() - 1);
    assertThat(generator.traces()).isEqualTo(end.trace() + 1);
  }

  @Test
  void encodedSpansLinkToParentsOfTheSameTraceAndVaryPerTraceValues() {
    TraceGenerator generator = new TraceGenerator(shapes, SEED, 20_000, WINDOW_START, WINDOW);
    OtlpEncoder encoder = new OtlpEncoder(generator);
    Map<ByteString, Set<ByteString>> spanIds = new HashMap<>();
    List<Span> all = new ArrayList<>();
    Set<String> userIds = new HashSet<>();
    List<TraceGenerator.SpanRef> batch;
    while (!(batch = generator.nextBatch(512)).isEmpty()) {
      ExportTraceServiceRequest request = encoder.encode(batch);
      int count = 0;
      for (ResourceSpans rs : request.getResourceSpansList()) {
        String service = attribute(rs.getResource().getAttributesList(), "service.name");
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          assertThat(ss.getScope().getName()).isNotEmpty();
          for (Span span : ss.getSpansList()) {
            count++;
            all.add(span);
            assertThat(span.getTraceId().size()).isEqualTo(16);
            assertThat(span.getSpanId().size()).isEqualTo(8);
            assertThat(span.getEndTimeUnixNano()).isGreaterThan(span.getStartTimeUnixNano());
            assertThat(span.getStartTimeUnixNano())
                .isBetween(WINDOW_START, WINDOW_START + WINDOW + 60_000_000_000L);
            assertThat(
                    spanIds
                        .computeIfAbsent(span.getTraceId(), k -> new HashSet<>())
                        .add(span.getSpanId()))
                .as("span ids are unique within a trace")
                .isTrue();
            String userId = attribute(span.getAttributesList(), "user.id");
            if (userId != null) {
              assertThat(userId).startsWith("u-");
              userIds.add(userId);
            }
            if (span.getName().matches("(GET|POST) /api/.*")) {
              assertThat(service).isEqualTo("gateway");
            }
          }
        }
      }
      assertThat(count).isEqualTo(batch.size());
    }
    for (Span span : all) {
      if (!span.getParentSpanId().isEmpty()) {
        assertThat(spanIds.get(span.getTraceId())).contains(span.getParentSpanId());
      }
    }
    long roots = all.stream().filter(s -> s.getParentSpanId().isEmpty()).count();
    assertThat(roots).isEqualTo(generator.traces()).isEqualTo(spanIds.size());
    // far more distinct users than shapes: the per-trace values are not copied from templates
    assertThat(userIds.size()).isGreaterThan(shapes.traces().size());
  }

  @Test
  void theSameSeedGivesTheSameTraces() {
    TraceGenerator a = new TraceGenerator(TraceShapes.generate(SEED, 50), SEED, 1000, 0, WINDOW);
    TraceGenerator b = new TraceGenerator(TraceShapes.generate(SEED, 50), SEED, 1000, 0, WINDOW);
    for (long trace = 0; trace < 100; trace++) {
      assertThat(a.traceIdHex(trace)).isEqualTo(b.traceIdHex(trace)).hasSize(32);
      assertThat(a.traceStartNanos(trace)).isEqualTo(b.traceStartNanos(trace));
      assertThat(a.template(trace).spans()).isEqualTo(b.template(trace).spans());
    }
    assertThat(a.traceIdHex(1)).isNotEqualTo(a.traceIdHex(2));
  }

  private static String attribute(List<KeyValue> attributes, String key) {
    return attributes.stream()
        .filter(kv -> kv.getKey().equals(key))
        .map(kv -> kv.getValue().getStringValue())
        .findFirst()
        .orElse(null);
  }
}
