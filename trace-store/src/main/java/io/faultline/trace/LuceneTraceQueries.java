/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.faultline.core.index.PartitionedIndex;
import io.faultline.core.trace.TraceQueries;
import io.faultline.core.trace.TraceQuery;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.lucene.codecs.StoredFieldsReader;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.DocumentStoredFieldVisitor;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.index.CodecReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.CollectionTerminatedException;
import org.apache.lucene.search.CollectorManager;
import org.apache.lucene.search.FieldDoc;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.Scorable;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.SimpleCollector;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.util.BytesRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trace queries over the span index.
 *
 * <p>Bounds, so that no query can exhaust memory: a search examines at most {@value
 * #MAX_SEARCH_HITS} matching spans while collecting distinct traces, an answer holds at most
 * {@value #MAX_SPANS_PER_ANSWER} spans, and dependencies are computed from at most {@value
 * #MAX_DEPENDENCY_SPANS} spans of the window (newest first within each segment), so over a very
 * busy window the call counts are a sample.
 */
final class LuceneTraceQueries implements TraceQueries {
  static final int MAX_SEARCH_HITS = 100_000;
  static final int MAX_SPANS_PER_ANSWER = 200_000;
  static final int MAX_DEPENDENCY_SPANS = 1_000_000;
  static final int MAX_RESOURCES_PER_TAG = 100_000;
  private static final Logger LOG = LoggerFactory.getLogger(LuceneTraceQueries.class);

  private final PartitionedIndex index;

  private final StoredSpans storedSpans = new StoredSpans();

  LuceneTraceQueries(PartitionedIndex index) {
    this.index = index;
  }

  @Override
  public Optional<TracesData> trace(byte[] traceId) {
    if (traceId == null || traceId.length != 16) {
      throw new IllegalArgumentException(
          "a trace id has 16 bytes, got " + (traceId == null ? "null" : traceId.length));
    }
    List<ResourceSpans> spans =
        search(
            Long.MIN_VALUE,
            Long.MAX_VALUE,
            s -> load(s, new TermQuery(new Term(SpanDocuments.TRACE_ID, new BytesRef(traceId)))));
    return spans.isEmpty() ? Optional.empty() : Optional.of(assemble(spans));
  }

  @Override
  public List<TracesData> findTraces(TraceQuery query) {
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    b.add(
        SpanDocuments.startBetween(query.startMicros(), query.endMicros()),
        BooleanClause.Occur.FILTER);
    String operation =
        query.operation() == null || query.operation().isEmpty() ? null : query.operation();
    if (query.service() != null && !query.service().isEmpty()) {
      b.add(
          new TermQuery(new Term(SpanDocuments.SERVICE, query.service())),
          BooleanClause.Occur.FILTER);
    }
    if (query.minDurationMicros() != null || query.maxDurationMicros() != null) {
      long min = query.minDurationMicros() == null ? Long.MIN_VALUE : query.minDurationMicros();
      long max = query.maxDurationMicros() == null ? Long.MAX_VALUE : query.maxDurationMicros();
      b.add(LongPoint.newRangeQuery(SpanDocuments.DURATION, min, max), BooleanClause.Occur.FILTER);
    }
    Query spanQuery = b.build();
    int limit = query.limit();

    List<BytesRef> ids =
        search(
            Math.floorDiv(query.startMicros(), 1000),
            Math.floorDiv(query.endMicros(), 1000),
            s ->
                newestTraceIds(
                    s,
                    withTags(s, withOperation(s, spanQuery, query.service(), operation), query.tags()),
                    limit));
    if (ids.isEmpty()) {
      return List.of();
    }
    Map<BytesRef, List<ResourceSpans>> byTrace = new LinkedHashMap<>();
    for (BytesRef id : ids) {
      byTrace.put(id, new ArrayList<>());
    }
    List<ResourceSpans> spans =
        search(
            Long.MIN_VALUE,
            Long.MAX_VALUE,
            s -> load(s, new TermInSetQuery(SpanDocuments.TRACE_ID, ids)));
    for (ResourceSpans rs : spans) {
      BytesRef id = new BytesRef(rs.getScopeSpans(0).getSpans(0).getTraceId().toByteArray());
      List<ResourceSpans> list = byTrace.get(id);
      if (list != null) {
        list.add(rs);
      }
    }
    List<TracesData> out = new ArrayList<>(byTrace.size());
    for (List<ResourceSpans> trace : byTrace.values()) {
      if (!trace.isEmpty()) {
        out.add(assemble(trace));
      }
    }
    return out;
  }

  /**
   * Adds a filter on the operation, through the {@code service \0 name \0 kind} terms: those of
   * the service with any kind, or, without a service, those of every service whose name part is
   * the operation.
   */
  private static Query withOperation(
      IndexSearcher s, Query spans, String service, String operation) throws IOException {
    if (operation == null) {
      return spans;
    }
    Set<BytesRef> terms = new TreeSet<>();
    if (service != null && !service.isEmpty()) {
      for (String kind : SpanDocuments.KINDS) {
        terms.add(new BytesRef(SpanDocuments.operationTerm(service, operation, kind)));
      }
    } else {
      byte[] name = (SpanDocuments.SEPARATOR + operation + SpanDocuments.SEPARATOR).getBytes(
          StandardCharsets.UTF_8);
      forEachTerm(
          s,
          SpanDocuments.OPERATION_INDEX,
          t -> {
            if (hasOperation(t, name)) {
              terms.add(BytesRef.deepCopyOf(t));
            }
          });
    }
    return new BooleanQuery.Builder()
        .add(spans, BooleanClause.Occur.FILTER)
        .add(new TermInSetQuery(SpanDocuments.OPERATION_INDEX, terms), BooleanClause.Occur.FILTER)
        .build();
  }

  /** The length of a term's first part, before its first separator (or of the whole term). */
  private static int separator(BytesRef term) {
    for (int i = 0; i < term.length; i++) {
      if (term.bytes[term.offset + i] == SpanDocuments.SEPARATOR) {
        return i;
      }
    }
    return term.length;
  }

  /** Every term of {@code field} in every segment (a term in several segments comes several times). */
  private static void forEachTerm(IndexSearcher s, String field, Consumer<BytesRef> action)
      throws IOException {
    for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
      Terms terms = leaf.reader().terms(field);
      if (terms == null) {
        continue;
      }
      TermsEnum te = terms.iterator();
      for (BytesRef t = te.next(); t != null; t = te.next()) {
        action.accept(t);
      }
    }
  }

  /** Whether {@code service \0 name \0 kind} has the name, given as {@code \0 name \0}. */
  private static boolean hasOperation(BytesRef term, byte[] name) {
    int first = separator(term);
    if (term.length - first < name.length) {
      return false;
    }
    for (int i = 0; i < name.length; i++) {
      if (term.bytes[term.offset + first + i] != name[i]) {
        return false;
      }
    }
    // the kind after the name holds no separator
    for (int i = first + name.length; i < term.length; i++) {
      if (term.bytes[term.offset + i] == SpanDocuments.SEPARATOR) {
        return false;
      }
    }
    return true;
  }

  /**
   * Adds one filter per tag: the span has the tag itself, or its resource document (in the same
   * searcher, since it lives in the span's partition) has it.
   */
  private static Query withTags(IndexSearcher s, Query spans, Map<String, String> tags)
      throws IOException {
    if (tags.isEmpty()) {
      return spans;
    }
    BooleanQuery.Builder b = new BooleanQuery.Builder().add(spans, BooleanClause.Occur.FILTER);
    StoredFields stored = s.storedFields();
    Set<String> refField = Set.of(SpanDocuments.RESOURCE_REF);
    for (Map.Entry<String, String> tag : tags.entrySet()) {
      Term term = new Term(SpanDocuments.TAG, SpanDocuments.tagTerm(tag.getKey(), tag.getValue()));
      Query resources =
          new BooleanQuery.Builder()
              .add(
                  new TermQuery(new Term(SpanDocuments.DOC_TYPE, SpanDocuments.RESOURCE_TYPE)),
                  BooleanClause.Occur.FILTER)
              .add(new TermQuery(term), BooleanClause.Occur.FILTER)
              .build();
      List<BytesRef> refs = new ArrayList<>();
      for (int doc : collect(s, resources, MAX_RESOURCES_PER_TAG)) {
        IndexableField ref = stored.document(doc, refField).getField(SpanDocuments.RESOURCE_REF);
        if (ref != null && ref.numericValue() != null) {
          refs.add(SpanDocuments.keyTerm(ref.numericValue().longValue()));
        }
      }
      Query clause = new TermQuery(term);
      if (!refs.isEmpty()) {
        clause =
            new BooleanQuery.Builder()
                .add(clause, BooleanClause.Occur.SHOULD)
                .add(new TermInSetQuery(SpanDocuments.SPAN_RESOURCE, refs), BooleanClause.Occur.SHOULD)
                .build();
      }
      b.add(clause, BooleanClause.Occur.FILTER);
    }
    return b.build();
  }

  // Pages through the matches newest first (the index order, so each segment stops early) and
  // keeps each trace id the first time it shows up, which ranks traces by their newest match.
  private static List<BytesRef> newestTraceIds(IndexSearcher s, Query q, int limit)
      throws IOException {
    LinkedHashSet<BytesRef> ids = new LinkedHashSet<>();
    int page = Math.min(Math.max(limit * 4, 100), 10_000);
    int examined = 0;
    FieldDoc after = null;
    StoredFields stored = s.storedFields();
    while (ids.size() < limit && examined < MAX_SEARCH_HITS) {
      TopDocs top =
          after == null
              ? s.search(q, page, SpanDocuments.NEWEST_FIRST)
              : s.searchAfter(after, q, page, SpanDocuments.NEWEST_FIRST);
      for (ScoreDoc sd : top.scoreDocs) {
        examined++;
        ids.add(
            new BytesRef(
                StoredSpans.traceId(stored.document(sd.doc, StoredSpans.FIELDS), sd.doc)
                    .toByteArray()));
        if (ids.size() == limit) {
          break;
        }
      }
      if (top.scoreDocs.length < page) {
        break;
      }
      after = (FieldDoc) top.scoreDocs[top.scoreDocs.length - 1];
    }
    return new ArrayList<>(ids);
  }

  @Override
  public List<String> services() {
    return search(
        Long.MIN_VALUE,
        Long.MAX_VALUE,
        s -> {
          TreeSet<String> services = new TreeSet<>();
          forEachTerm(s, SpanDocuments.SERVICE, t -> services.add(t.utf8ToString()));
          return List.copyOf(services);
        });
  }

  @Override
  public List<Operation> operations(String service, String spanKind) {
    if (service == null) {
      throw new IllegalArgumentException("operations need a service");
    }
    String kind = spanKind == null ? null : spanKind.toLowerCase(Locale.ROOT);
    BytesRef prefix = new BytesRef(service + SpanDocuments.SEPARATOR);
    return search(
        Long.MIN_VALUE,
        Long.MAX_VALUE,
        s -> {
          TreeSet<Operation> ops =
              new TreeSet<>(
                  Comparator.comparing(Operation::name).thenComparing(Operation::spanKind));
          for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
            Terms terms = leaf.reader().terms(SpanDocuments.OPERATION_INDEX);
            if (terms == null) {
              continue;
            }
            TermsEnum te = terms.iterator();
            if (te.seekCeil(prefix) == TermsEnum.SeekStatus.END) {
              continue;
            }
            for (BytesRef t = te.term(); t != null && startsWith(t, prefix); t = te.next()) {
              String rest =
                  new String(
                      t.bytes,
                      t.offset + prefix.length,
                      t.length - prefix.length,
                      StandardCharsets.UTF_8);
              int sep = rest.lastIndexOf(SpanDocuments.SEPARATOR);
              String name = rest.substring(0, sep);
              String opKind = rest.substring(sep + 1);
              if (kind == null || kind.isEmpty() || kind.equals(opKind)) {
                ops.add(new Operation(name, opKind));
              }
            }
          }
          return List.copyOf(ops);
        });
  }

  private static boolean startsWith(BytesRef term, BytesRef prefix) {
    if (term.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (term.bytes[term.offset + i] != prefix.bytes[prefix.offset + i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public List<DependencyLink> dependencies(long endMillis, long lookbackMillis) {
    if (lookbackMillis < 0) {
      throw new IllegalArgumentException("lookback must not be negative, was " + lookbackMillis);
    }
    long fromMillis = endMillis - lookbackMillis;
    Query window =
        SpanDocuments.startBetween(
            Math.multiplyExact(fromMillis, 1000), Math.multiplyExact(endMillis, 1000) + 999);
    return search(
        fromMillis,
        endMillis,
        s -> {
          int[] docs = collect(s, window, MAX_DEPENDENCY_SPANS);
          if (docs.length == MAX_DEPENDENCY_SPANS) {
            LOG.warn(
                "dependencies over {} ms read only the first {} spans of the window; their call"
                    + " counts are a sample",
                lookbackMillis,
                MAX_DEPENDENCY_SPANS);
          }
          return links(s, docs);
        });
  }

  /**
   * The calls between services among the spans of {@code docs}. Each span is kept as its ids and
   * the number of its service (five longs, no objects), and a parent is found through an
   * open-addressing table of those rows, so a window of a million spans needs about 50 MB for the
   * length of the call.
   */
  private List<DependencyLink> links(IndexSearcher s, int[] docs) throws IOException {
    int n = docs.length;
    long[] ids = new long[4 * n]; // trace id high, low, span id, parent span id
    int[] serviceOf = new int[n];
    List<String> services = new ArrayList<>();
    Map<String, Integer> serviceNumbers = new HashMap<>();
    Map<Long, Integer> serviceOfResource = new HashMap<>();
    forEachStored(
        s,
        docs,
        (row, doc, fields) -> {
          StoredSpans.ids(fields, doc, ids, 4 * row);
          Long key = StoredSpans.resourceKey(fields);
          Integer number = key == null ? null : serviceOfResource.get(key);
          if (number == null) {
            number =
                serviceNumbers.computeIfAbsent(
                    storedSpans.service(s, fields, doc),
                    name -> {
                      services.add(name);
                      return services.size() - 1;
                    });
            if (key != null) {
              serviceOfResource.put(key, number);
            }
          }
          serviceOf[row] = number;
        });
    int[] table = new int[Integer.highestOneBit(Math.max(1, n)) << 2];
    int mask = table.length - 1;
    for (int row = 0; row < n; row++) {
      int slot = slot(ids[4 * row], ids[4 * row + 1], ids[4 * row + 2], mask);
      while (table[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      table[slot] = row + 1;
    }
    Map<Long, long[]> calls = new HashMap<>();
    for (int row = 0; row < n; row++) {
      long traceHigh = ids[4 * row];
      long traceLow = ids[4 * row + 1];
      long parentId = ids[4 * row + 3];
      if (parentId == 0) {
        continue;
      }
      for (int slot = slot(traceHigh, traceLow, parentId, mask);
          table[slot] != 0;
          slot = (slot + 1) & mask) {
        int parent = table[slot] - 1;
        if (ids[4 * parent + 2] == parentId
            && ids[4 * parent] == traceHigh
            && ids[4 * parent + 1] == traceLow) {
          if (serviceOf[parent] != serviceOf[row]) {
            long pair = ((long) serviceOf[parent] << 32) | serviceOf[row];
            calls.computeIfAbsent(pair, k -> new long[1])[0]++;
          }
          break;
        }
      }
    }
    List<DependencyLink> links = new ArrayList<>(calls.size());
    calls.forEach(
        (pair, count) ->
            links.add(
                new DependencyLink(
                    services.get((int) (pair >>> 32)), services.get((int) (long) pair), count[0])));
    links.sort(
        Comparator.comparing(DependencyLink::parent).thenComparing(DependencyLink::child));
    return links;
  }

  private static int slot(long traceHigh, long traceLow, long spanId, int mask) {
    long h = (traceHigh * 31 + traceLow) * 0x9E3779B97F4A7C15L + spanId;
    h *= 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }

  private <T> T search(long fromMillis, long toMillis, PartitionedIndex.SearchFunction<T> fn) {
    try {
      return index.search(fromMillis, toMillis, fn);
    } catch (IOException e) {
      throw new UncheckedIOException("reading the trace index failed: " + e.getMessage(), e);
    }
  }

  /** The stored spans of every match (up to {@link #MAX_SPANS_PER_ANSWER}), in index order. */
  private List<ResourceSpans> load(IndexSearcher s, Query q) throws IOException {
    int[] docs = collect(s, q, MAX_SPANS_PER_ANSWER);
    if (docs.length == MAX_SPANS_PER_ANSWER) {
      LOG.warn("a trace answer was cut at {} spans", MAX_SPANS_PER_ANSWER);
    }
    StoredFields stored = s.storedFields();
    List<ResourceSpans> out = new ArrayList<>(docs.length);
    for (int doc : docs) {
      out.add(storedSpans.read(s, stored.document(doc, StoredSpans.FIELDS), doc));
    }
    return out;
  }

  /** What {@link #forEachStored} does with each document. */
  private interface StoredAction {
    void accept(int row, int doc, Document fields) throws IOException;
  }

  /**
   * Reads the stored fields of many documents (ascending top-level ids) in bulk: each segment's
   * stored fields are read with Lucene's sequential (merge) reader, which decompresses every block
   * once instead of once per document. {@code row} is the document's index in {@code docs}.
   */
  private static void forEachStored(IndexSearcher s, int[] docs, StoredAction action)
      throws IOException {
    List<LeafReaderContext> leaves = s.getIndexReader().leaves();
    int i = 0;
    while (i < docs.length) {
      LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(docs[i], leaves));
      int end = leaf.docBase + leaf.reader().maxDoc();
      if (leaf.reader() instanceof CodecReader codec) {
        StoredFieldsReader reader = codec.getFieldsReader().getMergeInstance();
        for (; i < docs.length && docs[i] < end; i++) {
          DocumentStoredFieldVisitor visitor = new DocumentStoredFieldVisitor(StoredSpans.FIELDS);
          reader.document(docs[i] - leaf.docBase, visitor);
          action.accept(i, docs[i], visitor.getDocument());
        }
      } else {
        StoredFields stored = s.storedFields();
        for (; i < docs.length && docs[i] < end; i++) {
          action.accept(i, docs[i], stored.document(docs[i], StoredSpans.FIELDS));
        }
      }
    }
  }

  /** Doc ids (of the top-level reader, ascending) of up to {@code max} matches. */
  private static int[] collect(IndexSearcher s, Query q, int max) throws IOException {
    return s.search(
        q,
        new CollectorManager<DocIdCollector, int[]>() {
          @Override
          public DocIdCollector newCollector() {
            return new DocIdCollector(max);
          }

          @Override
          public int[] reduce(Collection<DocIdCollector> collectors) {
            int[] all = new int[0];
            for (DocIdCollector c : collectors) {
              int from = all.length;
              all = Arrays.copyOf(all, from + c.count);
              System.arraycopy(c.docs, 0, all, from, c.count);
            }
            Arrays.sort(all);
            return all.length > max ? Arrays.copyOf(all, max) : all;
          }
        });
  }

  private static final class DocIdCollector extends SimpleCollector {
    private final int max;
    private int[] docs = new int[16];
    private int count;
    private int docBase;

    DocIdCollector(int max) {
      this.max = max;
    }

    @Override
    protected void doSetNextReader(LeafReaderContext context) {
      docBase = context.docBase;
      if (count >= max) {
        throw new CollectionTerminatedException();
      }
    }

    @Override
    public void collect(int doc) {
      if (count >= max) {
        throw new CollectionTerminatedException();
      }
      if (count == docs.length) {
        docs = Arrays.copyOf(docs, Math.min(max, docs.length * 2));
      }
      docs[count++] = docBase + doc;
    }

    @Override
    public void setScorer(Scorable scorer) {}

    @Override
    public ScoreMode scoreMode() {
      return ScoreMode.COMPLETE_NO_SCORES;
    }
  }

  /**
   * Groups single-span {@code ResourceSpans} into one {@code TracesData}: one {@code ResourceSpans}
   * per distinct resource (with schema URL), one {@code ScopeSpans} per distinct scope (with schema
   * URL) inside it, spans by start time (then span id), groups in order of their first span. A
   * span stored more than once, identical with its resource and scope (an exporter's retry of a
   * batch that had arrived), comes once, as Jaeger's span-hash deduplication returns it; spans
   * that share an id but differ in anything are all kept.
   */
  static TracesData assemble(List<ResourceSpans> singles) {
    List<ResourceSpans> sorted = new ArrayList<>(new LinkedHashSet<>(singles));
    sorted.sort(
        Comparator.comparingLong(
                (ResourceSpans rs) -> rs.getScopeSpans(0).getSpans(0).getStartTimeUnixNano())
            .thenComparing(
                rs -> rs.getScopeSpans(0).getSpans(0).getSpanId(),
                ByteString.unsignedLexicographicalComparator()));
    record ResourceKey(Resource resource, String schemaUrl) {}
    record ScopeKey(InstrumentationScope scope, String schemaUrl) {}
    Map<ResourceKey, Map<ScopeKey, ScopeSpans.Builder>> groups = new LinkedHashMap<>();
    for (ResourceSpans rs : sorted) {
      ScopeSpans ss = rs.getScopeSpans(0);
      groups
          .computeIfAbsent(
              new ResourceKey(rs.getResource(), rs.getSchemaUrl()), k -> new LinkedHashMap<>())
          .computeIfAbsent(
              new ScopeKey(ss.getScope(), ss.getSchemaUrl()),
              k -> ScopeSpans.newBuilder().setScope(k.scope()).setSchemaUrl(k.schemaUrl()))
          .addSpans(ss.getSpans(0));
    }
    TracesData.Builder trace = TracesData.newBuilder();
    groups.forEach(
        (resource, scopes) -> {
          ResourceSpans.Builder rs =
              trace
                  .addResourceSpansBuilder()
                  .setResource(resource.resource())
                  .setSchemaUrl(resource.schemaUrl());
          scopes.values().forEach(rs::addScopeSpans);
        });
    return trace.build();
  }
}
