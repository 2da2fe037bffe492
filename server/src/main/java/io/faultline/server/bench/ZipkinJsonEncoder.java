/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.List;

/**
 * Writes generated spans as Zipkin's JSON v2 ({@code POST /api/v2/spans}), mapped the way
 * OpenTelemetry's Zipkin exporter maps OTLP: times in microseconds, attributes as string tags,
 * events as annotations whose value is {@code "name":{attributes}}, an error status as the {@code
 * error} tag, the called service as the remote endpoint. Resource attributes other than {@code
 * service.name} have no place in Zipkin's model and are left out, as that exporter does.
 */
final class ZipkinJsonEncoder {
  private static final JsonFactory JSON = new JsonFactory();
  private static final HexFormat HEX = HexFormat.of();

  private final TraceGenerator generator;

  ZipkinJsonEncoder(TraceGenerator generator) {
    this.generator = generator;
  }

  byte[] encode(List<TraceGenerator.SpanRef> batch) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(batch.size() * 900);
    try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      json.writeStartArray();
      for (TraceGenerator.SpanRef ref : batch) {
        write(json, ref);
      }
      json.writeEndArray();
    } catch (IOException e) {
      throw new UncheckedIOException("writing Zipkin JSON to memory failed", e);
    }
    return out.toByteArray();
  }

  private void write(JsonGenerator json, TraceGenerator.SpanRef ref) throws IOException {
    SpanTemplate t = ref.span();
    long traceStart = generator.traceStartNanos(ref.trace());
    json.writeStartObject();
    json.writeStringField("traceId", generator.traceIdHex(ref.trace()));
    if (t.parent() >= 0) {
      json.writeStringField("parentId", HEX.formatHex(generator.spanId(ref.trace(), t.parent())));
    }
    json.writeStringField("id", HEX.formatHex(generator.spanId(ref.trace(), ref.index())));
    String kind = kind(t);
    if (kind != null) {
      json.writeStringField("kind", kind);
    }
    json.writeStringField("name", t.name());
    json.writeNumberField("timestamp", (traceStart + t.startOffsetNanos()) / 1000);
    json.writeNumberField("duration", Math.max(1, t.durationNanos() / 1000));
    json.writeObjectFieldStart("localEndpoint");
    json.writeStringField("serviceName", t.service());
    json.writeEndObject();
    if (t.remoteService() != null && kind != null && !kind.equals("SERVER")) {
      json.writeObjectFieldStart("remoteEndpoint");
      json.writeStringField("serviceName", t.remoteService());
      json.writeEndObject();
    }
    if (!t.events().isEmpty()) {
      json.writeArrayFieldStart("annotations");
      for (SpanTemplate.EventTemplate event : t.events()) {
        json.writeStartObject();
        json.writeNumberField("timestamp", (traceStart + event.offsetNanos()) / 1000);
        json.writeStringField("value", annotation(event));
        json.writeEndObject();
      }
      json.writeEndArray();
    }
    json.writeObjectFieldStart("tags");
    List<KeyValue> attributes = t.attributes();
    for (int i = 0; i < attributes.size(); i++) {
      KeyValue kv = attributes.get(i);
      String value =
          i == t.userIdAt()
              ? generator.userId(ref.trace())
              : i == t.orderIdAt() ? generator.orderId(ref.trace()) : text(kv.getValue());
      json.writeStringField(kv.getKey(), value);
    }
    json.writeStringField("otel.scope.name", generator.shapes().scopes().get(t.scope()).getName());
    if (t.isError()) {
      json.writeStringField("otel.status_code", "ERROR");
      json.writeStringField("error", t.status().getMessage());
    }
    json.writeEndObject();
    json.writeEndObject();
  }

  private static String kind(SpanTemplate t) {
    return switch (t.kind()) {
      case SPAN_KIND_SERVER -> "SERVER";
      case SPAN_KIND_CLIENT -> "CLIENT";
      case SPAN_KIND_PRODUCER -> "PRODUCER";
      case SPAN_KIND_CONSUMER -> "CONSUMER";
      default -> null;
    };
  }

  private static String annotation(SpanTemplate.EventTemplate event) {
    JsonStringEncoder quote = JsonStringEncoder.getInstance();
    StringBuilder value = new StringBuilder().append('"');
    quote.quoteAsString(event.name(), value);
    value.append("\":{");
    for (int i = 0; i < event.attributes().size(); i++) {
      KeyValue kv = event.attributes().get(i);
      value.append(i == 0 ? "\"" : ",\"");
      quote.quoteAsString(kv.getKey(), value);
      value.append("\":\"");
      quote.quoteAsString(text(kv.getValue()), value);
      value.append('"');
    }
    return value.append('}').toString();
  }

  static String text(AnyValue value) {
    return switch (value.getValueCase()) {
      case STRING_VALUE -> value.getStringValue();
      case INT_VALUE -> Long.toString(value.getIntValue());
      case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
      case DOUBLE_VALUE -> Double.toString(value.getDoubleValue());
      default -> value.toString();
    };
  }
}
