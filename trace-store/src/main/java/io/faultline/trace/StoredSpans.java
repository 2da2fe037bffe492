/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.util.BytesRef;

/**
 * Reads span documents back into single-span {@code ResourceSpans}, in both stored layouts of
 * {@link SpanDocuments}. A span's resource is looked up by its digest in the same searcher (its
 * document lives in the span's partition) and cached: the digest names the bytes, so a cached
 * resource never goes stale.
 */
final class StoredSpans {
  /** The stored fields a reader needs from a span document. */
  static final Set<String> FIELDS =
      Set.of(
          SpanDocuments.SPAN,
          SpanDocuments.SPAN_ONLY,
          SpanDocuments.SPAN_TIMELESS,
          SpanDocuments.RESOURCE_REF);

  private static final int MAX_CACHED_RESOURCES = 4096;

  private final Map<Long, ResourceSpans> resources =
      new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, ResourceSpans> eldest) {
          return size() > MAX_CACHED_RESOURCES;
        }
      };

  /** The span of a document with its resource and scope. */
  ResourceSpans read(IndexSearcher searcher, Document fields, int doc) throws IOException {
    BytesRef single = fields.getBinaryValue(SpanDocuments.SPAN);
    if (single != null) {
      try {
        return ResourceSpans.parseFrom(bytes(single));
      } catch (InvalidProtocolBufferException e) {
        throw corrupt(doc, e);
      }
    }
    return SpanDocuments.single(resource(searcher, fields, doc), span(searcher, fields, doc));
  }

  /**
   * Only the span of a document (a top-level id of the searcher), without its resource.
   *
   * @param searcher the searcher of the document, whose start time it reads
   */
  static Span span(IndexSearcher searcher, Document fields, int doc) throws IOException {
    return span(fields, doc, searcher);
  }

  /** The trace id of a span document, without its times. */
  static ByteString traceId(Document fields, int doc) throws IOException {
    return span(fields, doc, null).getTraceId();
  }

  /**
   * The trace id (two longs, high then low), span id and parent span id (0 when absent) of a span
   * document, written to {@code out[at..at+3]}. Only the start of the stored span is decoded: its
   * ids are its first fields (1, 2 and 4 of OTLP's {@code Span}, which protobuf writes in field
   * order), so the attributes, events and links after them are never parsed. Dependencies read
   * every span of their window, and this is most of what they would otherwise spend.
   */
  static void ids(Document fields, int doc, long[] out, int at) throws IOException {
    BytesRef timeless = fields.getBinaryValue(SpanDocuments.SPAN_TIMELESS);
    if (timeless == null) {
      Span span = storedWhole(fields, doc);
      putIds(span.getTraceId(), span.getSpanId(), span.getParentSpanId(), out, at);
      return;
    }
    CodedInputStream in =
        CodedInputStream.newInstance(timeless.bytes, timeless.offset, timeless.length);
    ByteString traceId = ByteString.EMPTY;
    ByteString spanId = ByteString.EMPTY;
    ByteString parentId = ByteString.EMPTY;
    try {
      in.readSInt64(); // the start's remainder
      in.readSInt64(); // the duration
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        int field = WireFormat.getTagFieldNumber(tag);
        if (field == Span.TRACE_ID_FIELD_NUMBER) {
          traceId = in.readBytes();
        } else if (field == Span.SPAN_ID_FIELD_NUMBER) {
          spanId = in.readBytes();
        } else if (field == Span.PARENT_SPAN_ID_FIELD_NUMBER) {
          parentId = in.readBytes();
        } else if (field > Span.PARENT_SPAN_ID_FIELD_NUMBER) {
          break;
        } else {
          in.skipField(tag);
        }
      }
    } catch (InvalidProtocolBufferException e) {
      throw corrupt(doc, e);
    }
    putIds(traceId, spanId, parentId, out, at);
  }

  private static void putIds(
      ByteString traceId, ByteString spanId, ByteString parentId, long[] out, int at) {
    out[at] = firstLong(traceId, 0);
    out[at + 1] = firstLong(traceId, 8);
    out[at + 2] = firstLong(spanId, 0);
    out[at + 3] = firstLong(parentId, 0);
  }

  /** Eight bytes from {@code from} as a big-endian long, zeros past the end of the id. */
  private static long firstLong(ByteString id, int from) {
    long v = 0;
    for (int i = from; i < from + 8; i++) {
      v = (v << 8) | (i < id.size() ? id.byteAt(i) & 0xff : 0);
    }
    return v;
  }

  /**
   * The digest of a span document's resource, or null for a document of the older layout, which
   * holds its whole single-span {@code ResourceSpans}.
   */
  static Long resourceKey(Document fields) {
    if (fields.getBinaryValue(SpanDocuments.SPAN) != null) {
      return null;
    }
    IndexableField ref = fields.getField(SpanDocuments.RESOURCE_REF);
    return ref == null || ref.numericValue() == null ? null : ref.numericValue().longValue();
  }

  /** The service name of a span document, read through its resource. */
  String service(IndexSearcher searcher, Document fields, int doc) throws IOException {
    BytesRef single = fields.getBinaryValue(SpanDocuments.SPAN);
    if (single != null) {
      try {
        return SpanDocuments.serviceName(ResourceSpans.parseFrom(bytes(single)).getResource());
      } catch (InvalidProtocolBufferException e) {
        throw corrupt(doc, e);
      }
    }
    return SpanDocuments.serviceName(resource(searcher, fields, doc).getResource());
  }

  /** The span; its times only when {@code startsFrom}, the document's searcher, is given. */
  private static Span span(Document fields, int doc, IndexSearcher startsFrom) throws IOException {
    BytesRef timeless = fields.getBinaryValue(SpanDocuments.SPAN_TIMELESS);
    if (timeless == null) {
      return storedWhole(fields, doc);
    }
    try {
      return SpanDocuments.fromTimeless(
          timeless, startsFrom == null ? 0 : startMicros(startsFrom, doc));
    } catch (InvalidProtocolBufferException e) {
      throw corrupt(doc, e);
    }
  }

  private static long startMicros(IndexSearcher searcher, int doc) throws IOException {
    List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
    LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
    NumericDocValues start = DocValues.getNumeric(leaf.reader(), SpanDocuments.START);
    if (!start.advanceExact(doc - leaf.docBase)) {
      throw new IOException("span document " + doc + " of the trace index has no start time");
    }
    return start.longValue();
  }

  /** A span of the older layouts, stored with its times. */
  private static Span storedWhole(Document fields, int doc) throws IOException {
    try {
      BytesRef single = fields.getBinaryValue(SpanDocuments.SPAN);
      if (single != null) {
        return ResourceSpans.parseFrom(bytes(single)).getScopeSpans(0).getSpans(0);
      }
      BytesRef span = fields.getBinaryValue(SpanDocuments.SPAN_ONLY);
      if (span == null) {
        throw new IOException("document " + doc + " of the trace index holds no span");
      }
      return Span.parseFrom(bytes(span));
    } catch (InvalidProtocolBufferException e) {
      throw corrupt(doc, e);
    }
  }

  private ResourceSpans resource(IndexSearcher searcher, Document fields, int doc)
      throws IOException {
    IndexableField ref = fields.getField(SpanDocuments.RESOURCE_REF);
    if (ref == null || ref.numericValue() == null) {
      throw new IOException("span document " + doc + " of the trace index names no resource");
    }
    long key = ref.numericValue().longValue();
    synchronized (resources) {
      ResourceSpans cached = resources.get(key);
      if (cached != null) {
        return cached;
      }
    }
    TopDocs hit =
        searcher.search(
            new TermQuery(new Term(SpanDocuments.RESOURCE_KEY, SpanDocuments.keyTerm(key))), 1);
    if (hit.scoreDocs.length == 0) {
      throw new IOException(
          "the resource of span document "
              + doc
              + " is missing from the trace index; the partition is damaged");
    }
    int resourceDoc = hit.scoreDocs[0].doc;
    BytesRef stored =
        searcher
            .storedFields()
            .document(resourceDoc, Set.of(SpanDocuments.RESOURCE))
            .getBinaryValue(SpanDocuments.RESOURCE);
    ResourceSpans resource;
    try {
      resource = stored == null ? null : ResourceSpans.parseFrom(bytes(stored));
    } catch (InvalidProtocolBufferException e) {
      throw corrupt(resourceDoc, e);
    }
    if (resource == null || resource.getScopeSpansCount() != 1) {
      throw new IOException("resource document " + resourceDoc + " of the trace index is corrupt");
    }
    synchronized (resources) {
      resources.put(key, resource);
    }
    return resource;
  }

  private static ByteString bytes(BytesRef ref) {
    return ByteString.copyFrom(ref.bytes, ref.offset, ref.length);
  }

  private static IOException corrupt(int doc, Exception cause) {
    return new IOException("stored span of document " + doc + " is corrupt", cause);
  }
}
