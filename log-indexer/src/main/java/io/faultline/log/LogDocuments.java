/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.log;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.faultline.core.log.LogEntry;
import io.faultline.core.otlp.OtlpIds;
import io.faultline.core.otlp.OtlpValues;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import io.faultline.core.metric.ShortestDecimal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.IntPoint;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.SortedSetDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.NumericUtils;

/**
 * One Lucene document per log record. Indexed:
 *
 * <ul>
 *   <li>{@value #BODY}: the body (a string body as is, any other as its JSON text), analysed by
 *       {@link LogTextAnalyzer}, positions without norms.
 *   <li>{@value #SERVICE}, {@value #SEVERITY} (lowercased text), {@value #LEVEL}, {@value
 *       #TRACE_ID}, {@value #SPAN_ID} (lowercase hex, valid ids only): exact terms.
 *   <li>{@value #SEVERITY_NUMBER}: an int point.
 *   <li>{@value #ATTR}: {@code attributes.<key> \0 value} and {@code resource.<key> \0 value} for
 *       every attribute (maps flattened to dotted keys, each array element a value), values
 *       rendered as {@link #render} does; {@value #ATTR_NUM}: a 2-d point {@code (hash(field),
 *       sortable(value))} for numeric values, for numeric ranges without a Lucene field per key.
 *   <li>{@value #FACET}: sorted-set doc values {@code field \0 type value} (type {@code s}, {@code
 *       i}, {@code d}, {@code b}) for the facet fields, so facets keep value types.
 *   <li>{@value #TIMESTAMP}: nanoseconds since the epoch, point and doc values; {@value
 *       #POSITION} (point and doc values) and {@value #ORDINAL} (doc values): the batch's
 *       write-ahead-log position and the record's index in the batch, which together name a record
 *       uniquely and order records by arrival (paging and tail).
 *   <li>{@value #RECORD}: the record stored once as a single-record {@code ResourceLogs} (written
 *       by {@link StoredForm}). Its resource and scope are repeated in every record, but the
 *       stored-fields compression removes most of that: storing the bare {@code LogRecord}
 *       instead measured 6 (DEFLATE) to 9 (LZ4) bytes less per record of the benchmark's 300,
 *       in 60 KB blocks; not worth a second document kind and a lookup per read.
 * </ul>
 *
 * <p>No index sort (see {@link #NEWEST_FIRST} for partitions written with one).
 *
 * <p>Terms and facet values longer than {@value #MAX_VALUE_LENGTH} characters are not indexed.
 */
final class LogDocuments {
  static final String BODY = "body";
  static final String SERVICE = "service";
  static final String SEVERITY = "severity";
  static final String SEVERITY_NUMBER = "severity_number";
  static final String LEVEL = "level";
  static final String TRACE_ID = "trace_id";
  static final String SPAN_ID = "span_id";
  static final String TIMESTAMP = "timestamp";
  static final String ATTR = "attr";
  static final String ATTR_NUM = "attr_num";
  static final String FACET = "facet";
  static final String POSITION = "pos";
  static final String ORDINAL = "ord";
  static final String RECORD = "record";

  static final String ATTRIBUTES_PREFIX = "attributes.";
  static final String RESOURCE_PREFIX = "resource.";
  static final char SEPARATOR = '\u0000';
  static final int MAX_VALUE_LENGTH = 256;
  private static final int MAX_FLATTEN_DEPTH = 4;

  /**
   * The index sort of partitions written by earlier versions. Newer partitions have none: sorting
   * every flushed segment and re-compressing stored fields doc by doc in every merge cost more
   * indexing CPU than it saved in searches, which count every match anyway and skip
   * non-competitive documents by the timestamp's points. Such partitions stay readable and
   * writable (Lucene accepts sorted segments in an index without a configured sort).
   */
  static final Sort NEWEST_FIRST = new Sort(new SortField(TIMESTAMP, SortField.Type.LONG, true));

  private static final FieldType BODY_TYPE = new FieldType();

  static {
    BODY_TYPE.setTokenized(true);
    BODY_TYPE.setOmitNorms(true);
    BODY_TYPE.setIndexOptions(IndexOptions.DOCS_AND_FREQS_AND_POSITIONS);
    BODY_TYPE.freeze();
  }

  private LogDocuments() {}

  /** What a resource contributes to each of its records' documents, computed once. */
  record ResourceFields(String service, List<IndexableField> fields) {}

  /**
   * The severity fields of a document ({@value #SEVERITY}, {@value #SEVERITY_NUMBER}, {@value
   * #LEVEL} and their facets), built once per distinct severity and reused: a field's value is
   * read again for every document it is added to. For the one thread that indexes.
   */
  static final class SeverityFields {
    private static final int MAX_CACHED = 512;
    private final Map<Long, Map<String, List<IndexableField>>> byNumber = new HashMap<>();
    private int cached;

    List<IndexableField> of(int number, String severity) {
      Map<String, List<IndexableField>> texts = byNumber.get((long) number);
      List<IndexableField> fields = texts == null ? null : texts.get(severity);
      if (fields != null) {
        return fields;
      }
      fields = build(number, severity);
      if (cached >= MAX_CACHED) {
        // client-chosen severity texts are unbounded; a handful is the normal case
        byNumber.clear();
        cached = 0;
      }
      byNumber.computeIfAbsent((long) number, k -> new HashMap<>()).put(severity, fields);
      cached++;
      return fields;
    }

    private static List<IndexableField> build(int number, String severity) {
      List<IndexableField> doc = new ArrayList<>(5);
      if (!severity.isEmpty() && severity.length() <= MAX_VALUE_LENGTH) {
        doc.add(new StringField(SEVERITY, severity.toLowerCase(Locale.ROOT), Field.Store.NO));
        addFacet(doc, SEVERITY, 's', severity);
      }
      if (number > 0) {
        doc.add(new IntPoint(SEVERITY_NUMBER, number));
      }
      String level = level(number, severity);
      doc.add(new StringField(LEVEL, level, Field.Store.NO));
      addFacet(doc, LEVEL, 's', level);
      return List.copyOf(doc);
    }
  }

  private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  /** The lowercase hex of an id as the UTF-8 bytes of its term, without a String in between. */
  static BytesRef hex(com.google.protobuf.ByteString id) {
    byte[] out = new byte[id.size() * 2];
    for (int i = 0; i < id.size(); i++) {
      byte b = id.byteAt(i);
      out[2 * i] = HEX_DIGITS[(b >> 4) & 0xf];
      out[2 * i + 1] = HEX_DIGITS[b & 0xf];
    }
    return new BytesRef(out);
  }

  /**
   * Writes the stored form of {@link #single} for the records of one resource and scope without
   * building a message per record: the resource, scope and schema URLs are encoded once, and each
   * record is framed around them. The bytes are those of {@code single(...).toByteArray()}.
   */
  static final class StoredForm {
    private static final int RESOURCE_LOGS_RESOURCE = 1;
    private static final int RESOURCE_LOGS_SCOPE_LOGS = 2;
    private static final int RESOURCE_LOGS_SCHEMA_URL = 3;
    private static final int SCOPE_LOGS_SCOPE = 1;
    private static final int SCOPE_LOGS_LOG_RECORDS = 2;
    private static final int SCOPE_LOGS_SCHEMA_URL = 3;

    private final byte[] resource;
    private final byte[] scope;
    private final byte[] scopeSchema;
    private final byte[] resourceSchema;

    StoredForm(ResourceLogs rl, ScopeLogs sl) {
      resource = field(RESOURCE_LOGS_RESOURCE, rl.getResource().toByteString());
      scope = field(SCOPE_LOGS_SCOPE, sl.getScope().toByteString());
      scopeSchema =
          sl.getSchemaUrl().isEmpty()
              ? new byte[0]
              : field(SCOPE_LOGS_SCHEMA_URL, sl.getSchemaUrlBytes());
      resourceSchema =
          rl.getSchemaUrl().isEmpty()
              ? new byte[0]
              : field(RESOURCE_LOGS_SCHEMA_URL, rl.getSchemaUrlBytes());
    }

    private static byte[] field(int number, com.google.protobuf.ByteString value) {
      byte[] out = new byte[CodedOutputStream.computeBytesSize(number, value)];
      CodedOutputStream o = CodedOutputStream.newInstance(out);
      try {
        o.writeBytes(number, value);
        o.checkNoSpaceLeft();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return out;
    }

    byte[] of(LogRecord record) {
      int recordSize = record.getSerializedSize();
      int scopeLogsSize =
          scope.length
              + CodedOutputStream.computeTagSize(SCOPE_LOGS_LOG_RECORDS)
              + CodedOutputStream.computeUInt32SizeNoTag(recordSize)
              + recordSize
              + scopeSchema.length;
      int total =
          resource.length
              + CodedOutputStream.computeTagSize(RESOURCE_LOGS_SCOPE_LOGS)
              + CodedOutputStream.computeUInt32SizeNoTag(scopeLogsSize)
              + scopeLogsSize
              + resourceSchema.length;
      byte[] out = new byte[total];
      CodedOutputStream o = CodedOutputStream.newInstance(out);
      try {
        o.writeRawBytes(resource);
        o.writeTag(RESOURCE_LOGS_SCOPE_LOGS, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        o.writeUInt32NoTag(scopeLogsSize);
        o.writeRawBytes(scope);
        o.writeTag(SCOPE_LOGS_LOG_RECORDS, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        o.writeUInt32NoTag(recordSize);
        record.writeTo(o);
        o.writeRawBytes(scopeSchema);
        o.writeRawBytes(resourceSchema);
        o.checkNoSpaceLeft();
      } catch (IOException e) {
        // writing into an array of the computed size cannot fail; if it does, the sizes are wrong
        throw new IllegalStateException("stored form of a log record has the wrong size", e);
      }
      return out;
    }
  }

  static ResourceFields resourceFields(Resource resource) {
    String service = LogEntry.service(resource);
    List<IndexableField> fields = new ArrayList<>();
    fields.add(new StringField(SERVICE, service, Field.Store.NO));
    addFacet(fields, SERVICE, 's', service);
    addAttributes(fields, RESOURCE_PREFIX, resource.getAttributesList());
    return new ResourceFields(service, fields);
  }

  static List<IndexableField> document(
      ResourceFields resource, LogRecord record, long timestampNanos, long position, int ordinal, byte[] stored) {
    return document(
        new SeverityFields(), resource, record, timestampNanos, position, ordinal, stored);
  }

  static List<IndexableField> document(
      SeverityFields severities,
      ResourceFields resource,
      LogRecord record,
      long timestampNanos,
      long position,
      int ordinal,
      byte[] stored) {
    List<IndexableField> doc = new ArrayList<>(24 + record.getAttributesCount() * 3);
    doc.addAll(resource.fields());
    String body = bodyText(record.getBody());
    if (!body.isEmpty()) {
      doc.add(new Field(BODY, body, BODY_TYPE));
    }
    doc.addAll(severities.of(record.getSeverityNumberValue(), record.getSeverityText()));
    if (OtlpIds.isValidTraceId(record.getTraceId())) {
      doc.add(new StringField(TRACE_ID, hex(record.getTraceId()), Field.Store.NO));
    }
    if (OtlpIds.isValidSpanId(record.getSpanId())) {
      doc.add(new StringField(SPAN_ID, hex(record.getSpanId()), Field.Store.NO));
    }
    addAttributes(doc, ATTRIBUTES_PREFIX, record.getAttributesList());
    doc.add(new LongPoint(TIMESTAMP, timestampNanos));
    doc.add(new NumericDocValuesField(TIMESTAMP, timestampNanos));
    doc.add(new LongPoint(POSITION, position));
    doc.add(new NumericDocValuesField(POSITION, position));
    doc.add(new NumericDocValuesField(ORDINAL, ordinal));
    doc.add(new StoredField(RECORD, stored));
    return doc;
  }

  /** One record with its resource and scope (and both schema URLs), as the stored form. */
  static ResourceLogs single(ResourceLogs rl, ScopeLogs sl, LogRecord record) {
    return ResourceLogs.newBuilder()
        .setResource(rl.getResource())
        .setSchemaUrl(rl.getSchemaUrl())
        .addScopeLogs(
            ScopeLogs.newBuilder().setScope(sl.getScope()).setSchemaUrl(sl.getSchemaUrl()).addLogRecords(record))
        .build();
  }

  /** Loki's {@code level}; see {@link LogEntry#level(int, String)}. */
  static String level(int severityNumber, String severityText) {
    return LogEntry.level(severityNumber, severityText);
  }

  static String bodyText(AnyValue body) {
    return switch (body.getValueCase()) {
      case STRING_VALUE -> body.getStringValue();
      case VALUE_NOT_SET -> "";
      default -> render(body);
    };
  }

  private static void addAttributes(List<IndexableField> doc, String prefix, List<KeyValue> attributes) {
    Set<String> seen = new LinkedHashSet<>();
    for (KeyValue kv : attributes) {
      addValue(doc, seen, prefix + kv.getKey(), kv.getValue(), 0);
    }
  }

  private static void addValue(
      List<IndexableField> doc, Set<String> seen, String field, AnyValue value, int depth) {
    if (field.length() > MAX_VALUE_LENGTH) {
      return;
    }
    switch (value.getValueCase()) {
      case KVLIST_VALUE -> {
        if (depth < MAX_FLATTEN_DEPTH) {
          for (KeyValue kv : value.getKvlistValue().getValuesList()) {
            addValue(doc, seen, field + "." + kv.getKey(), kv.getValue(), depth + 1);
          }
        }
      }
      case ARRAY_VALUE -> {
        if (depth < MAX_FLATTEN_DEPTH) {
          for (AnyValue element : value.getArrayValue().getValuesList()) {
            addValue(doc, seen, field, element, depth + 1);
          }
        }
      }
      case VALUE_NOT_SET -> {}
      default -> {
        String text = render(value);
        if (text.length() > MAX_VALUE_LENGTH || !seen.add(field + SEPARATOR + text)) {
          return;
        }
        doc.add(new StringField(ATTR, attrTerm(field, text), Field.Store.NO));
        switch (value.getValueCase()) {
          case INT_VALUE -> {
            doc.add(numericPoint(field, value.getIntValue()));
            addFacet(doc, field, 'i', text);
          }
          case DOUBLE_VALUE -> {
            doc.add(numericPoint(field, value.getDoubleValue()));
            addFacet(doc, field, 'd', Double.toString(value.getDoubleValue()));
          }
          case BOOL_VALUE -> addFacet(doc, field, 'b', text);
          case STRING_VALUE -> addFacet(doc, field, 's', text);
          default -> {}
        }
      }
    }
  }

  static String attrTerm(String field, String value) {
    return field + SEPARATOR + value;
  }

  static LongPoint numericPoint(String field, double value) {
    return new LongPoint(ATTR_NUM, fieldHash(field), NumericUtils.doubleToSortableLong(value));
  }

  /** 64-bit FNV-1a of the field name: the first dimension of {@value #ATTR_NUM}. */
  static long fieldHash(String field) {
    long h = 0xcbf29ce484222325L;
    for (byte b : field.getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    return h;
  }

  private static void addFacet(List<IndexableField> doc, String field, char type, String value) {
    if (value.length() <= MAX_VALUE_LENGTH) {
      doc.add(new SortedSetDocValuesField(FACET, new BytesRef(field + SEPARATOR + type + value)));
    }
  }

  /**
   * Attribute values as users type them ({@link OtlpValues#text}): strings as they are, booleans
   * {@code true}/{@code false}, integers in decimal, doubles in their shortest plain form ({@code
   * 1.5}, {@code 100} for 100.0), bytes as base64, arrays and maps as JSON text.
   */
  static String render(AnyValue v) {
    return OtlpValues.text(v, LogDocuments::renderNumber);
  }

  static String renderNumber(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      return Double.toString(d);
    }
    if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      return Long.toString((long) d);
    }
    return ShortestDecimal.plain(d);
  }
}
