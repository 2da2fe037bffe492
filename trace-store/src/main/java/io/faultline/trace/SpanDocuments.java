/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.faultline.core.index.PartitionedIndex;
import io.faultline.core.otlp.OtlpValues;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.search.IndexSortSortedNumericDocValuesRangeQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.util.BytesRef;

/**
 * One Lucene document per span. Only what queries filter on is indexed, all as exact terms with
 * document ids only (no frequencies, positions or norms); the span itself is stored once, as its
 * OTLP bytes, so answers are lossless.
 *
 * <p>Its resource and scope (with their schema URLs), which every span of a service instance
 * shares, are kept once per partition in a resource document: {@value #DOC_TYPE} {@value
 * #RESOURCE_TYPE}, {@value #RESOURCE_KEY} the 8-byte digest of its bytes (indexed, and stored as a
 * long in {@value #RESOURCE_REF}), {@value #RESOURCE} a {@code ResourceSpans} holding the resource
 * and one empty {@code ScopeSpans} with the scope, and the {@value #TAG} terms of the resource and
 * scope attributes. A span document refers to it by the digest, stored ({@value #RESOURCE_REF}) and
 * indexed ({@value #SPAN_RESOURCE}), so a tag search matches a span by its own tags or by its
 * resource's. Storing and indexing the resource with every span cost about a kilobyte of raw
 * stored bytes and a dozen terms per span, to compress, invert and merge again and again. Documents
 * written before this layout store a whole single-span {@code ResourceSpans} in {@value #SPAN} and
 * carry the resource's tags themselves; readers accept both ({@link StoredSpans}).
 *
 * <ul>
 *   <li>{@value #TRACE_ID}: the 16 trace id bytes.
 *   <li>{@value #SERVICE}: service name ({@code unknown_service} when the resource has none, as
 *       OpenTelemetry does): lists services, and finds a service's spans one posting list at a
 *       time, newest first.
 *   <li>{@value #OPERATION_INDEX}: {@code service \0 name \0 kind}, which lists operations with
 *       their kinds through the terms dictionary and finds the spans of an operation. (Documents
 *       written before 2026-11-25 also index the span name alone in {@code operation} and the
 *       status in {@code status}; nothing reads them.)
 *   <li>{@value #START}: start in microseconds since the epoch, as doc values: the index sort
 *       (newest first) and time ranges, found by binary search in that order ({@link
 *       #startBetween}). Partitions written before 2026-11-25 also index it as points, and keep
 *       doing so (Lucene keeps a field's kinds of index for the life of an index).
 *   <li>{@value #DURATION}: microseconds (points only).
 *   <li>{@value #TAG}: {@code key \0 value} for every span and event attribute (values as
 *       {@link TagValues} renders them) plus the tags Jaeger derives, each when the Jaeger view
 *       shows it: {@code span.kind} (none for an unspecified kind, as Jaeger's OTLP translator
 *       does), {@code otel.status_code} (none for UNSET), {@code error=true} for ERROR, {@code
 *       otel.status_description} and {@code w3c.tracestate} when not empty, {@code
 *       otel.dropped_attributes_count}, {@code otel.dropped_events_count} and {@code
 *       otel.dropped_links_count} when not zero, {@code otel.scope.name}, {@code
 *       otel.scope.version} and {@code event} (each event's name). (Documents written before
 *       2026-11-25 lack the trace state, the dropped counts and the description of an UNSET
 *       status.) Values longer than {@value #MAX_TAG_VALUE_LENGTH} characters are stored but not
 *       indexed.
 * </ul>
 *
 * <p>The span is stored in {@value #SPAN_TIMELESS} without its start and end times, which are
 * the least compressible bytes of a span (16 bytes of nanoseconds that DEFLATE cannot predict):
 * {@link #timeless} puts the start's sub-microsecond remainder and the duration in nanoseconds
 * before the rest, and the start's microseconds come back from {@value #START}'s doc value.
 * Documents written before 2026-11-25 store the whole span in {@value #SPAN_ONLY}.
 *
 * <p>Span and parent span ids are deliberately not indexed: no query filters on them, and as unique
 * terms they would cost more bytes per span than everything else indexed together. Dependencies
 * read them from the stored span.
 */
final class SpanDocuments {
  static final String TRACE_ID = "trace_id";
  static final String SERVICE = "service";
  static final String OPERATION_INDEX = "service_operation";
  static final String START = "start";
  static final String DURATION = "duration";
  static final String TAG = "tag";
  /** Older layout: a single-span {@code ResourceSpans}. */
  static final String SPAN = "span";

  /** Older layout: the span's OTLP {@code Span} bytes. */
  static final String SPAN_ONLY = "span_otlp";

  /** The span's OTLP bytes without its times, behind the header of {@link #timeless}. */
  static final String SPAN_TIMELESS = "span_otlp_t";

  static final String RESOURCE_REF = "resource_ref";
  static final String SPAN_RESOURCE = "span_resource";
  static final String DOC_TYPE = "doc_type";
  static final String RESOURCE_TYPE = "resource";
  static final String RESOURCE_KEY = "resource_key";
  static final String RESOURCE = "resource";

  static final char SEPARATOR = '\u0000';
  private static final String ERROR_TRUE = tagTerm("error", "true");
  static final int MAX_TAG_VALUE_LENGTH = 256;
  static final String UNKNOWN_SERVICE = OtlpValues.UNKNOWN_SERVICE;

  /** Newest first, so most-recent-first searches stop early in every segment. */
  static final Sort NEWEST_FIRST = new Sort(new SortField(START, SortField.Type.LONG, true));

  private SpanDocuments() {}

  /** The service name of a resource, by the rule every reader shares. */
  static String serviceName(Resource resource) {
    return OtlpValues.serviceName(resource);
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

  /** Every value of {@link #kind}. */
  static final List<String> KINDS = List.of("", "server", "client", "producer", "consumer", "internal");

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

  /**
   * The document of one span. A term that shows up twice (a span attribute that repeats a resource
   * attribute) is simply indexed twice: postings keep document ids only, so the duplicate costs
   * nothing, where removing it would cost a set per span.
   *
   * @param resource the span's resource and scope
   * @param startPoints whether to index the start as points too, which a partition written by an
   *     earlier version needs ({@link PartitionedIndex#indexesAsPoints})
   */
  static List<IndexableField> document(
      String service, SharedResource resource, Span span, boolean startPoints) {
    String kind = kind(span.getKind());
    long start = startMicros(span);
    List<String> spanTags = new ArrayList<>(span.getAttributesCount() + 4);
    addAttributes(spanTags, span.getAttributesList());
    for (Span.Event event : span.getEventsList()) {
      add(spanTags, "event", event.getName());
      addAttributes(spanTags, event.getAttributesList());
    }
    add(spanTags, "span.kind", kind);
    Status.StatusCode code = span.getStatus().getCode();
    if (code == Status.StatusCode.STATUS_CODE_ERROR || code == Status.StatusCode.STATUS_CODE_OK) {
      add(spanTags, "otel.status_code", status(code));
    }
    if (code == Status.StatusCode.STATUS_CODE_ERROR) {
      spanTags.add(ERROR_TRUE);
    }
    // the Jaeger view shows these whenever they are set, so a search must find them as shown
    add(spanTags, "otel.status_description", span.getStatus().getMessage());
    add(spanTags, "w3c.tracestate", span.getTraceState());
    addCount(spanTags, "otel.dropped_attributes_count", span.getDroppedAttributesCount());
    addCount(spanTags, "otel.dropped_events_count", span.getDroppedEventsCount());
    addCount(spanTags, "otel.dropped_links_count", span.getDroppedLinksCount());

    List<IndexableField> doc = new ArrayList<>(12 + spanTags.size());
    doc.add(
        new StringField(TRACE_ID, new BytesRef(span.getTraceId().toByteArray()), Field.Store.NO));
    doc.add(new StringField(SERVICE, service, Field.Store.NO));
    doc.add(
        new StringField(
            OPERATION_INDEX, operationTerm(service, span.getName(), kind), Field.Store.NO));
    if (startPoints) {
      doc.add(new LongPoint(START, start));
    }
    doc.add(new NumericDocValuesField(START, start));
    doc.add(new LongPoint(DURATION, durationMicros(span)));
    doc.add(resource.refTerm);
    for (String tag : spanTags) {
      doc.add(new StringField(TAG, tag, Field.Store.NO));
    }
    doc.add(new StoredField(SPAN_TIMELESS, timeless(span)));
    doc.add(resource.ref);
    return doc;
  }

  /**
   * The resource and scope of a group of spans, with the reference every span document of the
   * group carries (Lucene reads a field without changing it, so one instance can go into many
   * documents).
   */
  static final class SharedResource {
    final byte[] bytes;
    final long key;
    final List<IndexableField> tagFields;
    final StoredField ref;
    final StringField refTerm;

    SharedResource(ResourceSpans rs, ScopeSpans ss) {
      bytes =
          ResourceSpans.newBuilder()
              .setResource(rs.getResource())
              .setSchemaUrl(rs.getSchemaUrl())
              .addScopeSpans(
                  ScopeSpans.newBuilder().setScope(ss.getScope()).setSchemaUrl(ss.getSchemaUrl()))
              .build()
              .toByteArray();
      key = digest(bytes);
      ref = new StoredField(RESOURCE_REF, key);
      refTerm = new StringField(SPAN_RESOURCE, keyTerm(key), Field.Store.NO);
      List<String> tags = new ArrayList<>(rs.getResource().getAttributesCount() + 2);
      addAttributes(tags, rs.getResource().getAttributesList());
      add(tags, "otel.scope.name", ss.getScope().getName());
      add(tags, "otel.scope.version", ss.getScope().getVersion());
      tagFields = new ArrayList<>(tags.size());
      for (String tag : tags) {
        tagFields.add(new StringField(TAG, tag, Field.Store.NO));
      }
    }

    /** The resource document, written once per partition. */
    List<IndexableField> document() {
      List<IndexableField> doc = new ArrayList<>(tagFields.size() + 4);
      doc.add(new StringField(DOC_TYPE, RESOURCE_TYPE, Field.Store.NO));
      doc.add(new StringField(RESOURCE_KEY, keyTerm(key), Field.Store.NO));
      doc.add(new StoredField(RESOURCE_REF, key));
      doc.add(new StoredField(RESOURCE, bytes));
      doc.addAll(tagFields);
      return doc;
    }
  }

  /** Spans whose {@value #START} lies in {@code [fromMicros, toMicros]}. */
  static Query startBetween(long fromMicros, long toMicros) {
    // Segments of this index are sorted on START, so the range is found by binary search over
    // the doc values; the fallback serves a segment that is not, doc by doc.
    return new IndexSortSortedNumericDocValuesRangeQuery(
        START,
        fromMicros,
        toMicros,
        NumericDocValuesField.newSlowRangeQuery(START, fromMicros, toMicros));
  }

  /**
   * A span's stored form: zigzag varints of its start's remainder below {@link #startMicros} (in
   * nanoseconds) and of its end minus its start (in nanoseconds), then its OTLP bytes without
   * start and end. Exact for every pair of times, even an end before the start.
   */
  static byte[] timeless(Span span) {
    long start = span.getStartTimeUnixNano();
    long remainder = start - startMicros(span) * 1_000;
    long duration = span.getEndTimeUnixNano() - start;
    byte[] whole = span.toByteArray();
    int header =
        CodedOutputStream.computeSInt64SizeNoTag(remainder)
            + CodedOutputStream.computeSInt64SizeNoTag(duration);
    byte[] out = new byte[header + whole.length];
    try {
      CodedOutputStream o = CodedOutputStream.newInstance(out, 0, header);
      o.writeSInt64NoTag(remainder);
      o.writeSInt64NoTag(duration);
      o.checkNoSpaceLeft();
      // the span's own fields but its start and end, cut out of its encoding as they are
      CodedInputStream in = CodedInputStream.newInstance(whole);
      int length = header;
      while (!in.isAtEnd()) {
        int from = in.getTotalBytesRead();
        int tag = in.readTag();
        in.skipField(tag);
        int field = WireFormat.getTagFieldNumber(tag);
        if (field != Span.START_TIME_UNIX_NANO_FIELD_NUMBER
            && field != Span.END_TIME_UNIX_NANO_FIELD_NUMBER) {
          int to = in.getTotalBytesRead();
          System.arraycopy(whole, from, out, length, to - from);
          length += to - from;
        }
      }
      return length == out.length ? out : Arrays.copyOf(out, length);
    } catch (IOException e) {
      throw new UncheckedIOException("a span's own encoding did not parse", e);
    }
  }

  /**
   * The span of {@link #timeless} bytes, given its document's {@value #START} doc value.
   *
   * @throws InvalidProtocolBufferException if the bytes are not such a span
   */
  static Span fromTimeless(BytesRef stored, long startMicros)
      throws InvalidProtocolBufferException {
    CodedInputStream in = CodedInputStream.newInstance(stored.bytes, stored.offset, stored.length);
    try {
      long start = startMicros * 1_000 + in.readSInt64();
      long end = start + in.readSInt64();
      return Span.newBuilder()
          .mergeFrom(in)
          .setStartTimeUnixNano(start)
          .setEndTimeUnixNano(end)
          .build();
    } catch (InvalidProtocolBufferException e) {
      throw e;
    } catch (IOException e) {
      throw new InvalidProtocolBufferException(e);
    }
  }

  static BytesRef keyTerm(long key) {
    return new BytesRef(ByteBuffer.allocate(Long.BYTES).putLong(key).array());
  }

  /** The first 8 bytes of the SHA-256 of a resource's bytes: a collision is out of reach. */
  private static long digest(byte[] bytes) {
    try {
      return ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(bytes)).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** A span with the resource and scope its document refers to, as one {@code ResourceSpans}. */
  static ResourceSpans single(ResourceSpans resourceAndScope, Span span) {
    ResourceSpans.Builder b = resourceAndScope.toBuilder();
    b.getScopeSpansBuilder(0).addSpans(span);
    return b.build();
  }

  /**
   * Adds the tag terms of attributes. The parsed message holds keys and string values as decoded
   * strings (protobuf decodes proto3 strings as it parses), so terms are built from those: asking
   * for their bytes would encode each again and swap the decoded form out for the next reader.
   */
  private static void addAttributes(List<String> tags, List<KeyValue> attributes) {
    for (KeyValue kv : attributes) {
      AnyValue v = kv.getValue();
      add(
          tags,
          kv.getKey(),
          v.getValueCase() == AnyValue.ValueCase.STRING_VALUE
              ? v.getStringValue()
              : TagValues.render(v));
    }
  }

  /** Adds a dropped-items count as the view shows it: unsigned, and only when not zero. */
  private static void addCount(List<String> tags, String key, int count) {
    if (count != 0) {
      tags.add(tagTerm(key, Long.toString(Integer.toUnsignedLong(count))));
    }
  }

  /** Adds {@code key \0 value} unless the value is empty or either is too long to index. */
  private static void add(List<String> tags, String key, String value) {
    if (value.isEmpty()
        || value.length() > MAX_TAG_VALUE_LENGTH
        || key.length() > MAX_TAG_VALUE_LENGTH) {
      return;
    }
    tags.add(tagTerm(key, value));
  }

}
