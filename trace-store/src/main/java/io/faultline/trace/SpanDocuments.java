/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace;

import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.util.BytesRef;

/**
 * One Lucene document per span. Only what queries filter on is indexed, all as exact terms with
 * document ids only (no frequencies, positions or norms); the span itself is stored once, as the
 * bytes of a {@code ResourceSpans} holding its resource, its scope and the span, so answers are
 * lossless.
 *
 * <ul>
 *   <li>{@value #TRACE_ID}: the 16 trace id bytes.
 *   <li>{@value #SERVICE}, {@value #OPERATION}: service name ({@code unknown_service} when the
 *       resource has none, as OpenTelemetry does) and span name.
 *   <li>{@value #OPERATION_INDEX}: {@code service \0 name \0 kind}, which lists operations with
 *       their kinds through the terms dictionary, without doc values.
 *   <li>{@value #STATUS}: {@code UNSET}, {@code OK} or {@code ERROR}.
 *   <li>{@value #START}: start in microseconds since the epoch (points, and doc values for the
 *       index sort, newest first); {@value #DURATION}: microseconds (points only).
 *   <li>{@value #TAG}: {@code key \0 value} for every span, resource and event attribute (values as
 *       {@link TagValues} renders them) plus the tags Jaeger derives: {@code span.kind} (none for
 *       an unspecified kind, as Jaeger's OTLP translator does), {@code otel.status_code} (none for
 *       UNSET), {@code otel.status_description}, {@code error=true} for ERROR, {@code
 *       otel.scope.name}, {@code otel.scope.version} and {@code event} (each event's name). Values
 *       longer than {@value #MAX_TAG_VALUE_LENGTH} characters are stored but not indexed.
 * </ul>
 *
 * <p>Span and parent span ids are deliberately not indexed: no query filters on them, and as unique
 * terms they would cost more bytes per span than everything else indexed together. Dependencies
 * read them from the stored span.
 */
final class SpanDocuments {
  static final String TRACE_ID = "trace_id";
  static final String SERVICE = "service";
  static final String OPERATION = "operation";
  static final String OPERATION_INDEX = "service_operation";
  static final String STATUS = "status";
  static final String START = "start";
  static final String DURATION = "duration";
  static final String TAG = "tag";
  static final String SPAN = "span";

  static final char SEPARATOR = '\u0000';
  static final int MAX_TAG_VALUE_LENGTH = 256;
  static final String UNKNOWN_SERVICE = "unknown_service";

  /** Newest first, so most-recent-first searches stop early in every segment. */
  static final Sort NEWEST_FIRST = new Sort(new SortField(START, SortField.Type.LONG, true));

  private SpanDocuments() {}

  static String serviceName(Resource resource) {
    for (KeyValue kv : resource.getAttributesList()) {
      if (kv.getKey().equals("service.name")) {
        String name = TagValues.render(kv.getValue());
        return name.isEmpty() ? UNKNOWN_SERVICE : name;
      }
    }
    return UNKNOWN_SERVICE;
  }

  /** Jaeger's name for a span kind; empty for an unspecified or unknown kind. */
  static String kind(Span.SpanKind kind) {
    switch (kind) {
      case SPAN_KIND_SERVER:
        return "server";
      case SPAN_KIND_CLIENT:
        return "client";
      case SPAN_KIND_PRODUCER:
        return "producer";
      case SPAN_KIND_CONSUMER:
        return "consumer";
      case SPAN_KIND_INTERNAL:
        return "internal";
      default:
        return "";
    }
  }

  static String status(Status.StatusCode code) {
    switch (code) {
      case STATUS_CODE_OK:
        return "OK";
      case STATUS_CODE_ERROR:
        return "ERROR";
      default:
        return "UNSET";
    }
  }

  static long startMicros(Span span) {
    return span.getStartTimeUnixNano() / 1_000;
  }

  static long durationMicros(Span span) {
    long d = span.getEndTimeUnixNano() - span.getStartTimeUnixNano();
    return d > 0 ? d / 1_000 : 0;
  }

  static String tagTerm(String key, String value) {
    return key + SEPARATOR + value;
  }

  static String operationTerm(String service, String name, String kind) {
    return service + SEPARATOR + name + SEPARATOR + kind;
  }

  /** Tags of a resource, computed once for all its spans. */
  static List<String> resourceTags(Resource resource) {
    List<String> tags = new ArrayList<>(resource.getAttributesCount());
    addAttributes(tags, resource.getAttributesList());
    return tags;
  }

  static List<String> scopeTags(InstrumentationScope scope) {
    List<String> tags = new ArrayList<>(2);
    add(tags, "otel.scope.name", scope.getName());
    add(tags, "otel.scope.version", scope.getVersion());
    return tags;
  }

  /**
   * The document of one span.
   *
   * @param stored the span as a single-span {@code ResourceSpans}, see {@link #single}
   */
  static List<IndexableField> document(
      String service, List<String> resourceTags, List<String> scopeTags, Span span, byte[] stored) {
    String kind = kind(span.getKind());
    long start = startMicros(span);
    Set<String> tags = new LinkedHashSet<>(resourceTags);
    tags.addAll(scopeTags);
    List<String> spanTags = new ArrayList<>();
    addAttributes(spanTags, span.getAttributesList());
    for (Span.Event event : span.getEventsList()) {
      add(spanTags, "event", event.getName());
      addAttributes(spanTags, event.getAttributesList());
    }
    add(spanTags, "span.kind", kind);
    Status.StatusCode code = span.getStatus().getCode();
    if (code == Status.StatusCode.STATUS_CODE_ERROR || code == Status.StatusCode.STATUS_CODE_OK) {
      add(spanTags, "otel.status_code", status(code));
      add(spanTags, "otel.status_description", span.getStatus().getMessage());
    }
    if (code == Status.StatusCode.STATUS_CODE_ERROR) {
      spanTags.add(tagTerm("error", "true"));
    }
    tags.addAll(spanTags);

    List<IndexableField> doc = new ArrayList<>(10 + tags.size());
    doc.add(
        new StringField(TRACE_ID, new BytesRef(span.getTraceId().toByteArray()), Field.Store.NO));
    doc.add(new StringField(SERVICE, service, Field.Store.NO));
    doc.add(new StringField(OPERATION, span.getName(), Field.Store.NO));
    doc.add(
        new StringField(
            OPERATION_INDEX, operationTerm(service, span.getName(), kind), Field.Store.NO));
    doc.add(new StringField(STATUS, status(code), Field.Store.NO));
    doc.add(new LongPoint(START, start));
    doc.add(new NumericDocValuesField(START, start));
    doc.add(new LongPoint(DURATION, durationMicros(span)));
    for (String tag : tags) {
      doc.add(new StringField(TAG, tag, Field.Store.NO));
    }
    doc.add(new StoredField(SPAN, stored));
    return doc;
  }

  /** One span with its resource and scope (and both schema URLs), as the stored form. */
  static ResourceSpans single(ResourceSpans rs, ScopeSpans ss, Span span) {
    return ResourceSpans.newBuilder()
        .setResource(rs.getResource())
        .setSchemaUrl(rs.getSchemaUrl())
        .addScopeSpans(
            ScopeSpans.newBuilder()
                .setScope(ss.getScope())
                .setSchemaUrl(ss.getSchemaUrl())
                .addSpans(span))
        .build();
  }

  private static void addAttributes(List<String> tags, List<KeyValue> attributes) {
    for (KeyValue kv : attributes) {
      add(tags, kv.getKey(), TagValues.render(kv.getValue()));
    }
  }

  private static void add(List<String> tags, String key, String value) {
    if (value.isEmpty()
        || value.length() > MAX_TAG_VALUE_LENGTH
        || key.length() > MAX_TAG_VALUE_LENGTH) {
      return;
    }
    tags.add(tagTerm(key, value));
  }
}
