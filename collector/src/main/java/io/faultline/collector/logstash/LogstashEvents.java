/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.logstash;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.faultline.core.otlp.OtlpIds;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * Maps one logstash-logback-encoder JSON event onto an OTLP log record (see interfaces.md,
 * "Logstash input"):
 *
 * <ul>
 *   <li>{@code @timestamp} (ISO 8601 with offset, or Unix milliseconds) is the record's time; the
 *       arrival time is its observed time.
 *   <li>{@code message} is the body; {@code level} the severity text, and its number (TRACE 1,
 *       DEBUG 5, INFO 9, WARN 13, ERROR 17, FATAL 21; java.util.logging names too).
 *   <li>{@code service} or {@code service.name} names the service (the resource's {@code
 *       service.name}); otherwise the input's default.
 *   <li>{@code trace_id}/{@code span_id} (OpenTelemetry MDC) or {@code traceId}/{@code spanId}
 *       (Micrometer Tracing) become the record's trace context when they are valid hex ids.
 *   <li>Every other field is an attribute with its JSON type (strings, integers, doubles,
 *       booleans, arrays, objects as maps); {@code stack_trace} is kept whole. JSON nulls are
 *       left out.
 * </ul>
 */
final class LogstashEvents {
  static final String UNKNOWN_SERVICE = "unknown_service";

  /**
   * The longest service name taken from an event, in UTF-8 bytes: the log store indexes the service
   * as one Lucene term (at most 32766 bytes), and would drop a record with a longer one. A longer
   * value is kept as an attribute, as a non-string one is.
   */
  static final int MAX_SERVICE_BYTES = 16_000;

  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  private LogstashEvents() {}

  /** A record and the service it belongs to. */
  record Event(String service, LogRecord record) {}

  /** Thrown for a line that is not one JSON object. */
  static final class MalformedEventException extends Exception {
    MalformedEventException(String message) {
      super(message, null, false, false);
    }
  }

  static Event parse(String line, String defaultService, long observedNanos)
      throws MalformedEventException {
    JsonNode root;
    try {
      root = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new MalformedEventException("not JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new MalformedEventException("not a JSON object");
    }
    LogRecord.Builder r = LogRecord.newBuilder().setObservedTimeUnixNano(observedNanos);
    String service = null;
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String key = field.getKey();
      JsonNode value = field.getValue();
      if (value.isNull()) {
        continue;
      }
      switch (key) {
        case "@timestamp" -> {
          long t = timeNanos(value);
          if (t > 0) {
            r.setTimeUnixNano(t);
          } else {
            r.addAttributes(attribute(key, value));
          }
        }
        case "message" -> r.setBody(value(value));
        case "level" -> {
          String level = value.asText();
          r.setSeverityText(level);
          r.setSeverityNumber(severity(level));
        }
        case "service", "service.name" -> {
          if (value.isTextual()
              && !value.asText().isEmpty()
              && value.asText().getBytes(StandardCharsets.UTF_8).length <= MAX_SERVICE_BYTES
              && service == null) {
            service = value.asText();
          } else {
            r.addAttributes(attribute(key, value));
          }
        }
        case "trace_id", "traceId" -> {
          if (value.isTextual() && OtlpIds.isValidTraceId(value.asText())) {
            r.setTraceId(OtlpIds.traceIdByteString(value.asText()));
          } else {
            r.addAttributes(attribute(key, value));
          }
        }
        case "span_id", "spanId" -> {
          if (value.isTextual() && OtlpIds.isValidSpanId(value.asText())) {
            r.setSpanId(OtlpIds.spanIdByteString(value.asText()));
          } else {
            r.addAttributes(attribute(key, value));
          }
        }
        default -> r.addAttributes(attribute(key, value));
      }
    }
    return new Event(service != null ? service : defaultService, r.build());
  }

  static SeverityNumber severity(String level) {
    return switch (level.trim().toUpperCase(Locale.ROOT)) {
      case "TRACE", "FINEST", "FINER" -> SeverityNumber.SEVERITY_NUMBER_TRACE;
      case "DEBUG", "FINE", "CONFIG" -> SeverityNumber.SEVERITY_NUMBER_DEBUG;
      case "INFO", "INFORMATION", "NOTICE" -> SeverityNumber.SEVERITY_NUMBER_INFO;
      case "WARN", "WARNING" -> SeverityNumber.SEVERITY_NUMBER_WARN;
      case "ERROR", "SEVERE", "ERR" -> SeverityNumber.SEVERITY_NUMBER_ERROR;
      case "FATAL", "CRITICAL", "PANIC" -> SeverityNumber.SEVERITY_NUMBER_FATAL;
      default -> SeverityNumber.SEVERITY_NUMBER_UNSPECIFIED;
    };
  }

  private static long timeNanos(JsonNode value) {
    if (value.isIntegralNumber()) {
      long millis = value.asLong();
      return millis > 0 && millis < Long.MAX_VALUE / 1_000_000L ? millis * 1_000_000L : 0;
    }
    if (!value.isTextual()) {
      return 0;
    }
    String text = value.asText();
    try {
      Instant t = OffsetDateTime.parse(text).toInstant();
      return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    } catch (DateTimeParseException | ArithmeticException e) {
      return 0;
    }
  }

  private static KeyValue attribute(String key, JsonNode value) {
    return KeyValue.newBuilder().setKey(key).setValue(value(value)).build();
  }

  static AnyValue value(JsonNode node) {
    AnyValue.Builder v = AnyValue.newBuilder();
    if (node.isTextual()) {
      v.setStringValue(node.asText());
    } else if (node.isBoolean()) {
      v.setBoolValue(node.asBoolean());
    } else if (node.isIntegralNumber() && node.canConvertToLong()) {
      v.setIntValue(node.asLong());
    } else if (node.isNumber()) {
      v.setDoubleValue(node.asDouble());
    } else if (node.isArray()) {
      ArrayValue.Builder a = ArrayValue.newBuilder();
      for (JsonNode element : node) {
        a.addValues(value(element));
      }
      v.setArrayValue(a);
    } else if (node.isObject()) {
      KeyValueList.Builder kv = KeyValueList.newBuilder();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isNull()) {
          kv.addValues(attribute(e.getKey(), e.getValue()));
        }
      }
      v.setKvlistValue(kv);
    }
    return v.build();
  }
}
