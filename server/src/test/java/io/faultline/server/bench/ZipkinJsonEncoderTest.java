/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ZipkinJsonEncoderTest {
  private static final long SEED = Long.getLong("tests.seed", 7L);
  private static final long WINDOW_START = 1_795_000_000_000_000_000L;
  private final TraceShapes shapes = TraceShapes.generate(SEED, 200);

  @Test
  void writesZipkinV2SpansMatchingTheOtlpOnes() throws Exception {
    TraceGenerator generator =
        new TraceGenerator(shapes, SEED, 3000, WINDOW_START, 3_600_000_000_000L);
    OtlpEncoder otlp = new OtlpEncoder(generator);
    ZipkinJsonEncoder zipkin = new ZipkinJsonEncoder(generator);
    HexFormat hex = HexFormat.of();
    int errors = 0;
    int annotated = 0;
    List<TraceGenerator.SpanRef> batch;
    while (!(batch = generator.nextBatch(256)).isEmpty()) {
      JsonNode json = new ObjectMapper().readTree(zipkin.encode(batch));
      assertThat(json.isArray()).isTrue();
      assertThat(json.size()).isEqualTo(batch.size());
      for (int i = 0; i < batch.size(); i++) {
        TraceGenerator.SpanRef ref = batch.get(i);
        Span expected = otlp.span(ref);
        JsonNode span = json.get(i);
        String context = "span " + i + " of trace " + ref.trace() + ", seed " + SEED;
        assertThat(span.get("traceId").asText())
            .as(context)
            .isEqualTo(hex.formatHex(expected.getTraceId().toByteArray()));
        assertThat(span.get("id").asText())
            .as(context)
            .isEqualTo(hex.formatHex(expected.getSpanId().toByteArray()));
        if (expected.getParentSpanId().isEmpty()) {
          assertThat(span.has("parentId")).as(context).isFalse();
        } else {
          assertThat(span.get("parentId").asText())
              .as(context)
              .isEqualTo(hex.formatHex(expected.getParentSpanId().toByteArray()));
        }
        assertThat(span.get("name").asText()).isEqualTo(expected.getName());
        assertThat(span.get("timestamp").asLong())
            .isEqualTo(expected.getStartTimeUnixNano() / 1000);
        assertThat(span.get("duration").asLong())
            .isEqualTo(
                Math.max(
                    1, (expected.getEndTimeUnixNano() - expected.getStartTimeUnixNano()) / 1000));
        assertThat(span.at("/localEndpoint/serviceName").asText()).isEqualTo(ref.span().service());
        assertThat(span.path("kind").asText(null))
            .as(context)
            .isEqualTo(
                switch (expected.getKind()) {
                  case SPAN_KIND_SERVER -> "SERVER";
                  case SPAN_KIND_CLIENT -> "CLIENT";
                  case SPAN_KIND_PRODUCER -> "PRODUCER";
                  case SPAN_KIND_CONSUMER -> "CONSUMER";
                  default -> null;
                });

        JsonNode tags = span.get("tags");
        Map<String, String> attributes = new HashMap<>();
        for (KeyValue kv : expected.getAttributesList()) {
          attributes.put(kv.getKey(), ZipkinJsonEncoder.text(kv.getValue()));
        }
        attributes.forEach(
            (key, value) ->
                assertThat(tags.get(key).asText()).as(context + ", tag " + key).isEqualTo(value));
        tags.fields().forEachRemaining(tag -> assertThat(tag.getValue().isTextual()).isTrue());
        boolean error = ref.span().isError();
        assertThat(tags.size()).as(context).isEqualTo(attributes.size() + (error ? 3 : 1));
        if (error) {
          errors++;
          assertThat(tags.get("error").asText()).isEqualTo(expected.getStatus().getMessage());
        }
        assertThat(span.path("annotations").size()).isEqualTo(expected.getEventsCount());
        for (int e = 0; e < expected.getEventsCount(); e++) {
          annotated++;
          JsonNode annotation = span.get("annotations").get(e);
          assertThat(annotation.get("timestamp").asLong())
              .isEqualTo(expected.getEvents(e).getTimeUnixNano() / 1000);
          assertThat(annotation.get("value").asText())
              .startsWith("\"" + expected.getEvents(e).getName() + "\":{");
        }
      }
    }
    assertThat(errors).as("some error spans, seed %d", SEED).isPositive();
    assertThat(annotated).as("some annotations, seed %d", SEED).isPositive();
  }
}
