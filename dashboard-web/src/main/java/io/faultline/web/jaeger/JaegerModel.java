/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.jaeger;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.google.protobuf.ByteString;
import io.faultline.core.otlp.OtlpIds;
import io.faultline.core.otlp.OtlpValues;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OTLP traces as Jaeger's UI JSON model ({@code model/json} in Jaeger), mapped the way Jaeger's own
 * OTLP translator ({@code pkg/translator/jaeger} in the OpenTelemetry Collector) maps them:
 *
 * <ul>
 *   <li>ids as lower-case hex; a trace id whose high 8 bytes are zero is written with 16
 *       characters, as Jaeger's {@code TraceID.String()} does;
 *   <li>the parent becomes the first reference ({@code CHILD_OF}); links become {@code
 *       FOLLOWS_FROM} references, or {@code CHILD_OF} when the link's {@code opentracing.ref_type}
 *       attribute says {@code child_of}; a link to the parent only sets the parent reference's
 *       type;
 *   <li>tags: {@code otel.scope.name}, {@code otel.scope.version}, the span's attributes,
 *       {@code span.kind}, {@code otel.status_code} ({@code OK}/{@code ERROR}), {@code error=true}
 *       for an error status, {@code otel.status_description}, {@code w3c.tracestate}, then the
 *       OpenTelemetry mapping's {@code otel.dropped_attributes_count}, {@code
 *       otel.dropped_events_count} and {@code otel.dropped_links_count} when not zero; sorted by
 *       key as Jaeger's query service sorts them ({@link #TAG_ORDER}), process tags too;
 *   <li>attribute types: string, bool, int64, float64, bytes as {@code binary} (base64), arrays and
 *       maps as a string tag holding their JSON text;
 *   <li>events become logs: {@code event=<name>} (unless an attribute is already called {@code
 *       event}) and the event's attributes, a string {@code event} field first and the others
 *       sorted, as Jaeger's {@code SortTagsAndLogFields} adjuster leaves them;
 *   <li>the resource becomes the process: its service name is the one the store lists and searches
 *       ({@link OtlpValues#serviceName}: {@code service.name} as text, {@code unknown_service} when
 *       missing or empty, where Jaeger's translator would show {@code OTLPResourceNoServiceName}
 *       or an empty name that no search could find), every other resource attribute a process
 *       tag. Identical processes share one id ({@code p1}, {@code p2}, ...).
 * </ul>
 *
 * <p>Times are microseconds since the epoch, durations microseconds, both truncated from OTLP's
 * nanoseconds. Stateless and thread-safe.
 */
public final class JaegerModel {

  private static final String STRING = "string";
  private static final String BOOL = "bool";
  private static final String INT64 = "int64";
  private static final String FLOAT64 = "float64";
  private static final String BINARY = "binary";

  /** Jaeger's value types in the order of its {@code ValueType} enum. */
  private static final List<String> TYPES = List.of(STRING, BOOL, INT64, FLOAT64, BINARY);

  private JaegerModel() {}

  /** A trace as Jaeger's UI reads it. */
  public record Trace(
      String traceID,
      List<JaegerSpan> spans,
      Map<String, Process> processes,
      @JsonInclude(JsonInclude.Include.ALWAYS) List<String> warnings) {}

  /** A span as Jaeger's UI reads it; {@code flags} is left out when zero, like Jaeger does. */
  public record JaegerSpan(
      String traceID,
      String spanID,
      @JsonInclude(JsonInclude.Include.NON_NULL) Integer flags,
      String operationName,
      List<Reference> references,
      long startTime,
      long duration,
      List<Tag> tags,
      List<Log> logs,
      String processID,
      @JsonInclude(JsonInclude.Include.ALWAYS) List<String> warnings) {}

  /** A {@code CHILD_OF} or {@code FOLLOWS_FROM} reference to another span. */
  public record Reference(String refType, String traceID, String spanID) {}

  /** A typed tag or log field; {@code value} is a String, Boolean, Long or Double. */
  public record Tag(String key, String type, Object value) {}

  /** A span event. */
  public record Log(long timestamp, List<Tag> fields) {}

  /** The service that produced spans, with its resource attributes as tags. */
  public record Process(String serviceName, List<Tag> tags) {}

  /**
   * One trace's spans, in the order they appear in {@code data} (resource by resource, scope by
   * scope). Spans of other traces, if any, are kept as they are.
   */
  public static Trace toJaeger(TracesData data) {
    List<JaegerSpan> spans = new ArrayList<>();
    Map<Process, String> processIds = new LinkedHashMap<>();
    for (ResourceSpans resourceSpans : data.getResourceSpansList()) {
      Process process = process(resourceSpans.getResource());
      String processId = processIds.computeIfAbsent(process, p -> "p" + (processIds.size() + 1));
      for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
        for (Span span : scopeSpans.getSpansList()) {
          spans.add(span(span, scopeSpans.getScope(), processId));
        }
      }
    }
    Map<String, Process> processes = new LinkedHashMap<>();
    processIds.forEach((process, id) -> processes.put(id, process));
    String traceId = spans.isEmpty() ? "" : spans.get(0).traceID();
    return new Trace(traceId, spans, processes, null);
  }

  /** Jaeger's text form of a trace id: 32 hex characters, or 16 when the high 8 bytes are zero. */
  public static String traceIdToString(ByteString traceId) {
    String hex = OtlpIds.toHex(traceId);
    if (hex.length() == OtlpIds.TRACE_ID_HEX_LENGTH && hex.startsWith("0000000000000000")) {
      return hex.substring(16);
    }
    return hex;
  }

  /**
   * Parses a trace id as Jaeger's {@code TraceIDFromString} does: 1 to 32 hex characters, left
   * padded with zeros to 16 bytes, so {@code 4bf92f3577b34da6} and {@code
   * 00000000000000004bf92f3577b34da6} name the same trace.
   *
   * @throws IllegalArgumentException when empty, longer than 32 characters or not hex
   */
  public static byte[] parseTraceId(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("trace id is empty; expected 1 to 32 hex characters");
    }
    if (text.length() > OtlpIds.TRACE_ID_HEX_LENGTH) {
      throw new IllegalArgumentException(
          "trace id cannot be longer than 32 hex characters, got " + text.length());
    }
    String padded = "0".repeat(OtlpIds.TRACE_ID_HEX_LENGTH - text.length()) + text;
    try {
      return OtlpIds.traceIdFromHex(padded);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "trace id " + abbreviate(text) + " is not hex: expected 1 to 32 characters 0-9, a-f", e);
    }
  }

  private static JaegerSpan span(Span span, InstrumentationScope scope, String processId) {
    int flags = span.getFlags() & 0xff;
    List<String> warnings = new ArrayList<>(0);
    return new JaegerSpan(
        traceIdToString(span.getTraceId()),
        OtlpIds.toHex(span.getSpanId()),
        flags == 0 ? null : flags,
        span.getName(),
        references(span, warnings),
        span.getStartTimeUnixNano() / 1000,
        Math.max(0, span.getEndTimeUnixNano() - span.getStartTimeUnixNano()) / 1000,
        tags(span, scope),
        logs(span),
        processId,
        warnings.isEmpty() ? null : warnings);
  }

  /**
   * The parent and the links as references. A link to trace id zero (a link to an invalid span
   * context, which OTLP allows and the store keeps) is left out with Jaeger's own warning, as its
   * {@code SpanReferences} adjuster does.
   */
  private static List<Reference> references(Span span, List<String> warnings) {
    List<Reference> refs = new ArrayList<>(span.getLinksCount() + 1);
    String traceId = traceIdToString(span.getTraceId());
    boolean hasParent = isSet(span.getParentSpanId());
    String parentSpanId = OtlpIds.toHex(span.getParentSpanId());
    if (hasParent) {
      refs.add(new Reference("CHILD_OF", traceId, parentSpanId));
    }
    for (Span.Link link : span.getLinksList()) {
      String refType = refType(link);
      if (!isSet(link.getTraceId())) {
        warnings.add(
            // Go's %+v of Jaeger's SpanRef; a zero trace id prints as 16 zeros
            "Invalid span reference removed {TraceID:0000000000000000 SpanID:"
                + goSpanId(link.getSpanId())
                + " RefType:"
                + refType
                + "}");
        continue;
      }
      String linkTraceId = traceIdToString(link.getTraceId());
      String linkSpanId = OtlpIds.toHex(link.getSpanId());
      if (hasParent && linkTraceId.equals(traceId) && linkSpanId.equals(parentSpanId)) {
        refs.set(0, new Reference(refType, traceId, parentSpanId));
        continue;
      }
      refs.add(new Reference(refType, linkTraceId, linkSpanId));
    }
    return refs;
  }

  /** A link's span id as Jaeger's model prints it: 16 hex digits, zeros when it has none. */
  private static String goSpanId(ByteString id) {
    return id.size() == 8 ? OtlpIds.toHex(id) : "0000000000000000";
  }

  private static String refType(Span.Link link) {
    for (KeyValue kv : link.getAttributesList()) {
      if (kv.getKey().equals("opentracing.ref_type")) {
        return kv.getValue().getStringValue().equals("child_of") ? "CHILD_OF" : "FOLLOWS_FROM";
      }
    }
    return "FOLLOWS_FROM";
  }

  private static List<Tag> tags(Span span, InstrumentationScope scope) {
    List<Tag> tags = new ArrayList<>(span.getAttributesCount() + 8);
    if (!scope.getName().isEmpty()) {
      tags.add(new Tag("otel.scope.name", STRING, scope.getName()));
    }
    if (!scope.getVersion().isEmpty()) {
      tags.add(new Tag("otel.scope.version", STRING, scope.getVersion()));
    }
    for (KeyValue kv : span.getAttributesList()) {
      tags.add(tag(kv));
    }
    String kind = spanKind(span.getKind());
    if (kind != null) {
      tags.add(new Tag("span.kind", STRING, kind));
    }
    Status.StatusCode code = span.getStatus().getCode();
    if (code == Status.StatusCode.STATUS_CODE_OK) {
      tags.add(new Tag("otel.status_code", STRING, "OK"));
    } else if (code == Status.StatusCode.STATUS_CODE_ERROR) {
      tags.add(new Tag("otel.status_code", STRING, "ERROR"));
      tags.add(new Tag("error", BOOL, true));
    }
    if (!span.getStatus().getMessage().isEmpty()) {
      tags.add(new Tag("otel.status_description", STRING, span.getStatus().getMessage()));
    }
    if (!span.getTraceState().isEmpty()) {
      tags.add(new Tag("w3c.tracestate", STRING, span.getTraceState()));
    }
    addCount(tags, "otel.dropped_attributes_count", span.getDroppedAttributesCount());
    addCount(tags, "otel.dropped_events_count", span.getDroppedEventsCount());
    addCount(tags, "otel.dropped_links_count", span.getDroppedLinksCount());
    tags.sort(TAG_ORDER);
    return tags;
  }

  /**
   * The order of Jaeger's {@code KeyValues.Sort}, which its query service applies to span and
   * process tags and log fields (the {@code SortTagsAndLogFields} adjuster): by key (as UTF-8
   * bytes, i.e. by code point), then by type (string, bool, int64, float64, binary), then by value.
   */
  static final Comparator<Tag> TAG_ORDER =
      Comparator.comparing(Tag::key, JaegerModel::compareCodePoints)
          .thenComparingInt(tag -> TYPES.indexOf(tag.type()))
          .thenComparing(JaegerModel::compareValues);

  private static int compareCodePoints(String a, String b) {
    return Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
  }

  private static int compareValues(Tag a, Tag b) {
    return switch (a.type()) {
      case BOOL -> Boolean.compare((Boolean) a.value(), (Boolean) b.value());
      case INT64 -> Long.compare((Long) a.value(), (Long) b.value());
      case FLOAT64 -> Double.compare((Double) a.value(), (Double) b.value());
      case BINARY ->
          Arrays.compareUnsigned(
              Base64.getDecoder().decode((String) a.value()),
              Base64.getDecoder().decode((String) b.value()));
      default -> compareCodePoints((String) a.value(), (String) b.value());
    };
  }

  /** Log fields as Jaeger orders them: a string {@code event} field first, the rest sorted. */
  private static List<Tag> logFields(List<Tag> fields) {
    int offset = 0;
    for (int i = 0; i < fields.size(); i++) {
      Tag field = fields.get(i);
      if (field.key().equals("event") && field.type().equals(STRING)) {
        Collections.swap(fields, 0, i);
        offset = 1;
        break;
      }
    }
    fields.subList(offset, fields.size()).sort(TAG_ORDER);
    return fields;
  }

  private static void addCount(List<Tag> tags, String key, int count) {
    if (count != 0) {
      tags.add(new Tag(key, INT64, Integer.toUnsignedLong(count)));
    }
  }

  /** The OpenTracing {@code span.kind} values; an unspecified kind gets no tag. */
  static String spanKind(Span.SpanKind kind) {
    return switch (kind) {
      case SPAN_KIND_CLIENT -> "client";
      case SPAN_KIND_SERVER -> "server";
      case SPAN_KIND_PRODUCER -> "producer";
      case SPAN_KIND_CONSUMER -> "consumer";
      case SPAN_KIND_INTERNAL -> "internal";
      default -> null;
    };
  }

  private static List<Log> logs(Span span) {
    List<Log> logs = new ArrayList<>(span.getEventsCount());
    for (Span.Event event : span.getEventsList()) {
      List<Tag> fields = new ArrayList<>(event.getAttributesCount() + 1);
      boolean hasEventAttribute =
          event.getAttributesList().stream().anyMatch(kv -> kv.getKey().equals("event"));
      if (!event.getName().isEmpty() && !hasEventAttribute) {
        fields.add(new Tag("event", STRING, event.getName()));
      }
      for (KeyValue kv : event.getAttributesList()) {
        fields.add(tag(kv));
      }
      logs.add(new Log(event.getTimeUnixNano() / 1000, logFields(fields)));
    }
    return logs;
  }

  private static Process process(Resource resource) {
    List<Tag> tags = new ArrayList<>(resource.getAttributesCount());
    for (KeyValue kv : resource.getAttributesList()) {
      if (!kv.getKey().equals("service.name")) {
        tags.add(tag(kv));
      }
    }
    tags.sort(TAG_ORDER);
    return new Process(OtlpValues.serviceName(resource), tags);
  }

  /** One attribute as a Jaeger tag, typed as the translator types it. */
  static Tag tag(KeyValue kv) {
    AnyValue value = kv.getValue();
    return switch (value.getValueCase()) {
      case STRING_VALUE -> new Tag(kv.getKey(), STRING, value.getStringValue());
      case BOOL_VALUE -> new Tag(kv.getKey(), BOOL, value.getBoolValue());
      case INT_VALUE -> new Tag(kv.getKey(), INT64, value.getIntValue());
      case DOUBLE_VALUE -> new Tag(kv.getKey(), FLOAT64, value.getDoubleValue());
      case BYTES_VALUE ->
          new Tag(
              kv.getKey(),
              BINARY,
              Base64.getEncoder().encodeToString(value.getBytesValue().toByteArray()));
      case ARRAY_VALUE, KVLIST_VALUE -> new Tag(kv.getKey(), STRING, GoJson.write(value));
      default -> new Tag(kv.getKey(), STRING, "");
    };
  }

  private static boolean isSet(ByteString id) {
    for (int i = 0; i < id.size(); i++) {
      if (id.byteAt(i) != 0) {
        return true;
      }
    }
    return false;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
