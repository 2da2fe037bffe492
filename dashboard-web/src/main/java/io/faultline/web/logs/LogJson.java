/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.logs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.faultline.core.log.LogEntry;
import io.faultline.core.otlp.OtlpIds;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;

/**
 * Log records as the log API shows them (interfaces.md, "Logs"): {@code timestamp} in RFC 3339
 * with nanoseconds, {@code severityText}, {@code severityNumber}, {@code service}, {@code body},
 * {@code traceId}/{@code spanId} in hex (null when absent or invalid: all zero or of the wrong
 * length, which OTLP says means the record is not associated with a trace or span), and {@code
 * attributes}/{@code resource} as JSON objects whose values keep their types (bytes as base64).
 */
public final class LogJson {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final DateTimeFormatter RFC3339_NANOS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.nnnnnnnnn'Z'").withZone(ZoneOffset.UTC);

  private LogJson() {}

  public static ObjectNode entry(LogEntry e) {
    LogRecord r = e.record();
    ObjectNode o = JSON.objectNode();
    o.put("timestamp", timestamp(e.timestampNanos()));
    o.put("severityText", r.getSeverityText());
    o.put("severityNumber", r.getSeverityNumberValue());
    o.put("service", e.service());
    o.set("body", value(r.getBody()));
    o.put("traceId", OtlpIds.isValidTraceId(r.getTraceId()) ? OtlpIds.toHex(r.getTraceId()) : null);
    o.put("spanId", OtlpIds.isValidSpanId(r.getSpanId()) ? OtlpIds.toHex(r.getSpanId()) : null);
    o.set("attributes", object(r.getAttributesList()));
    o.set("resource", object(e.resource().getAttributesList()));
    return o;
  }

  public static String timestamp(long nanos) {
    return RFC3339_NANOS.format(
        Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L)));
  }

  /** The body as text: a string body as is, any other as its JSON. */
  public static String line(LogEntry e) {
    AnyValue body = e.record().getBody();
    return body.hasStringValue() ? body.getStringValue() : value(body).toString();
  }

  static ObjectNode object(List<KeyValue> attributes) {
    ObjectNode o = JSON.objectNode();
    for (KeyValue kv : attributes) {
      o.set(kv.getKey(), value(kv.getValue()));
    }
    return o;
  }

  public static JsonNode value(AnyValue v) {
    switch (v.getValueCase()) {
      case STRING_VALUE:
        return JSON.textNode(v.getStringValue());
      case BOOL_VALUE:
        return JSON.booleanNode(v.getBoolValue());
      case INT_VALUE:
        return JSON.numberNode(v.getIntValue());
      case DOUBLE_VALUE:
        double d = v.getDoubleValue();
        return Double.isFinite(d) ? JSON.numberNode(d) : JSON.textNode(Double.toString(d));
      case BYTES_VALUE:
        return JSON.textNode(Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray()));
      case ARRAY_VALUE:
        ArrayNode a = JSON.arrayNode();
        for (AnyValue element : v.getArrayValue().getValuesList()) {
          a.add(value(element));
        }
        return a;
      case KVLIST_VALUE:
        return object(v.getKvlistValue().getValuesList());
      default:
        return JSON.nullNode();
    }
  }
}
