/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.log;

import com.google.protobuf.InvalidProtocolBufferException;
import io.faultline.core.index.PartitionedIndex;
import io.faultline.core.log.LogEntry;
import io.faultline.core.log.LogPage;
import io.faultline.core.log.LogQueries;
import io.faultline.core.log.LogQuery;
import io.faultline.core.log.LogQuery.Direction;
import io.faultline.core.log.LogQueryException;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.PointValues;
import org.apache.lucene.index.SortedSetDocValues;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.CollectionTerminatedException;
import org.apache.lucene.search.FieldDoc;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.SimpleCollector;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.util.BytesRef;

/**
 * Log queries over the record index.
 *
 * <p>Bounds: facets count the first {@value #MAX_FACET_DOCS} matches (newest first within each
 * index segment); live tail refreshes the index at most every {@value #TAIL_REFRESH_MILLIS} ms
 * however many clients poll.
 */
final class LuceneLogQueries implements LogQueries {
  static final int MAX_FACET_DOCS = 1_000_000;
  static final long TAIL_REFRESH_MILLIS = 100;
  private static final int DENSE_ORDS = 1 << 20;

  private static final Sort BACKWARD =
      new Sort(
          new SortField(LogDocuments.TIMESTAMP, SortField.Type.LONG, true),
          new SortField(LogDocuments.POSITION, SortField.Type.LONG, true),
          new SortField(LogDocuments.ORDINAL, SortField.Type.LONG, true));
  private static final Sort FORWARD =
      new Sort(
          new SortField(LogDocuments.TIMESTAMP, SortField.Type.LONG),
          new SortField(LogDocuments.POSITION, SortField.Type.LONG),
          new SortField(LogDocuments.ORDINAL, SortField.Type.LONG));
  private static final Sort ARRIVAL =
      new Sort(
          new SortField(LogDocuments.POSITION, SortField.Type.LONG),
          new SortField(LogDocuments.ORDINAL, SortField.Type.LONG));

  private final PartitionedIndex index;
  private final LongSupplier appliedPosition;
  private final Object tailLock = new Object();
  private long visibleThrough;
  private long lastTailRefreshMillis = Long.MIN_VALUE;

  LuceneLogQueries(PartitionedIndex index, LongSupplier appliedPosition) {
    this.index = index;
    this.appliedPosition = appliedPosition;
  }

  // ---- search

  @Override
  public LogPage search(LogQuery q) {
    Query query = filtered(q);
    Direction direction = q.direction();
    FieldDoc after = null;
    if (q.cursor() != null) {
      Cursors.SearchKey key = Cursors.search(direction, q.cursor());
      // inclusive "after" of the next key in sort order, so the cursor's own record is excluded
      long ord = direction == Direction.BACKWARD ? key.ordinal() - 1 : key.ordinal() + 1;
      after = new FieldDoc(-1, Float.NaN, new Object[] {key.timestampNanos(), key.position(), ord});
    }
    FieldDoc searchAfter = after;
    int limit = q.limit();
    return search(
        q.start(),
        q.end(),
        s -> {
          long total = s.count(query);
          TopDocs top =
              page(s, query, nanos(q.start()), nanos(q.end()), direction, searchAfter, limit + 1, total);
          int n = Math.min(limit, top.scoreDocs.length);
          List<LogEntry> logs = load(s, top.scoreDocs, n);
          String next = null;
          if (top.scoreDocs.length > limit) {
            Object[] f = ((FieldDoc) top.scoreDocs[n - 1]).fields;
            next =
                Cursors.search(
                    direction, new Cursors.SearchKey((Long) f[0], (Long) f[1], (Long) f[2]));
          }
          return new LogPage(total, logs, next);
        });
  }

  /**
   * The first {@code n} matches in the direction's order. Records sit in a partition roughly in
   * arrival order, so sorting every match by time makes almost every match of a newest-first page
   * competitive (each is newer than the last): over 30,000 matches that cost more than finding
   * them. Instead the page is looked for in the part of the range (cut to the records' own time
   * span) next to where it starts, sized to hold about four pages at the matches' average density,
   * and the part grows eightfold until it holds a page or is the whole range. Every record outside
   * the part sorts after every record in it, so a part that holds {@code n} matches holds the page.
   *
   * @param from first nanosecond of the range
   * @param to nanosecond after the range
   * @param total the number of matches over the whole range
   */
  private static TopDocs page(
      IndexSearcher s,
      Query query,
      long from,
      long to,
      Direction direction,
      FieldDoc after,
      int n,
      long total)
      throws IOException {
    Sort sort = direction == Direction.BACKWARD ? BACKWARD : FORWARD;
    long lo = from;
    long hi = to; // exclusive
    if (after != null) {
      long cursor = (Long) after.fields[0];
      if (direction == Direction.BACKWARD) {
        hi = Math.min(hi, cursor == Long.MAX_VALUE ? cursor : cursor + 1);
      } else {
        lo = Math.max(lo, cursor);
      }
    }
    // the records' own time span, when the range asked for reaches past it
    byte[] min = PointValues.getMinPackedValue(s.getIndexReader(), LogDocuments.TIMESTAMP);
    byte[] max = PointValues.getMaxPackedValue(s.getIndexReader(), LogDocuments.TIMESTAMP);
    if (min != null && max != null) {
      lo = Math.max(lo, LongPoint.decodeDimension(min, 0));
      long newest = LongPoint.decodeDimension(max, 0);
      hi = Math.min(hi, newest == Long.MAX_VALUE ? newest : newest + 1);
    }
    double range = (double) hi - (double) lo;
    long width = total <= 4L * n || range <= 0 ? Long.MAX_VALUE : (long) (range * 4 * n / total) + 1;
    while (true) {
      Query part = query;
      if (width < range) {
        long partFrom = direction == Direction.BACKWARD ? hi - width : lo;
        long partTo = direction == Direction.BACKWARD ? hi - 1 : lo + width - 1;
        part =
            new BooleanQuery.Builder()
                .add(query, BooleanClause.Occur.FILTER)
                .add(
                    LongPoint.newRangeQuery(LogDocuments.TIMESTAMP, partFrom, partTo),
                    BooleanClause.Occur.FILTER)
                .build();
      }
      TopDocs top = after == null ? s.search(part, n, sort) : s.searchAfter(after, part, n, sort);
      if (part == query || top.scoreDocs.length >= n) {
        return top;
      }
      width = width > range / 8 ? Long.MAX_VALUE : width * 8;
    }
  }

  private static List<LogEntry> load(IndexSearcher s, ScoreDoc[] docs, int n) throws IOException {
    StoredFields stored = s.storedFields();
    List<LogEntry> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(entry(stored, docs[i].doc));
    }
    return out;
  }

  private static LogEntry entry(StoredFields stored, int doc) throws IOException {
    BytesRef bytes = stored.document(doc).getBinaryValue(LogDocuments.RECORD);
    try {
      return new LogEntry(ResourceLogs.parseFrom(java.nio.ByteBuffer.wrap(bytes.bytes, bytes.offset, bytes.length)));
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("stored log record of document " + doc + " is damaged", e);
    }
  }

  // ---- histogram

  @Override
  public List<Bucket> histogram(LogQuery q, Duration step) {
    long stepMillis = step == null ? 0 : step.toMillis();
    if (stepMillis <= 0) {
      throw new LogQueryException("the histogram step must be at least 1ms, was " + step);
    }
    long first = Math.floorDiv(q.start().toEpochMilli(), stepMillis) * stepMillis;
    long lastMillis = Math.floorDiv(Math.max(nanos(q.start()), nanos(q.end()) - 1), 1_000_000L);
    long last = Math.floorDiv(lastMillis, stepMillis) * stepMillis;
    long buckets = (last - first) / stepMillis + 1;
    if (buckets > MAX_BUCKETS) {
      throw new LogQueryException(
          "a step of "
              + step
              + " over this time range gives "
              + buckets
              + " buckets, more than the "
              + MAX_BUCKETS
              + " allowed; use a larger step or a shorter range");
    }
    long[] counts = new long[(int) buckets];
    if (q.start().equals(q.end())) {
      return toBuckets(first, stepMillis, new long[0]);
    }
    Query query = filtered(q);
    search(
        q.start(),
        q.end(),
        s -> {
          s.search(
              query,
              new SimpleCollector() {
                private NumericDocValues times;

                @Override
                protected void doSetNextReader(LeafReaderContext context) throws IOException {
                  times = DocValues.getNumeric(context.reader(), LogDocuments.TIMESTAMP);
                }

                @Override
                public void collect(int doc) throws IOException {
                  if (times.advanceExact(doc)) {
                    long ms = Math.floorDiv(times.longValue(), 1_000_000L);
                    int i = (int) Math.floorDiv(ms - first, stepMillis);
                    if (i >= 0 && i < counts.length) {
                      counts[i]++;
                    }
                  }
                }

                @Override
                public ScoreMode scoreMode() {
                  return ScoreMode.COMPLETE_NO_SCORES;
                }
              });
          return null;
        });
    return toBuckets(first, stepMillis, counts);
  }

  private static List<Bucket> toBuckets(long first, long stepMillis, long[] counts) {
    List<Bucket> out = new ArrayList<>(counts.length);
    for (int i = 0; i < counts.length; i++) {
      out.add(new Bucket(first + i * stepMillis, counts[i]));
    }
    return out;
  }

  // ---- facets

  @Override
  public List<FieldValues> fields(LogQuery q, int maxValues) {
    if (maxValues < 1) {
      throw new LogQueryException("maxValues must be at least 1, was " + maxValues);
    }
    Query query = filtered(q);
    Map<String, Long> counts =
        search(
            q.start(),
            q.end(),
            s -> {
              FacetCollector collector = new FacetCollector();
              try {
                s.search(query, collector);
              } catch (CollectionTerminatedException e) {
                // cap reached in the last leaf
              }
              collector.finishLeaf();
              return collector.counts;
            });
    Map<String, List<ValueCount>> byField = new TreeMap<>();
    counts.forEach(
        (term, count) -> {
          int sep = term.indexOf(LogDocuments.SEPARATOR);
          if (sep < 0 || sep + 1 >= term.length()) {
            return;
          }
          String field = term.substring(0, sep);
          AnyValue value = typed(term.charAt(sep + 1), term.substring(sep + 2));
          byField.computeIfAbsent(field, k -> new ArrayList<>()).add(new ValueCount(value, count));
        });
    List<FieldValues> out = new ArrayList<>(byField.size());
    Comparator<ValueCount> order =
        Comparator.comparingLong(ValueCount::count)
            .reversed()
            .thenComparing(v -> LogDocuments.render(v.value()));
    byField.forEach(
        (field, values) -> {
          values.sort(order);
          out.add(new FieldValues(field, values.subList(0, Math.min(maxValues, values.size()))));
        });
    return out;
  }

  private static AnyValue typed(char type, String text) {
    AnyValue.Builder v = AnyValue.newBuilder();
    try {
      switch (type) {
        case 'i' -> v.setIntValue(Long.parseLong(text));
        case 'd' -> v.setDoubleValue(Double.parseDouble(text));
        case 'b' -> v.setBoolValue(Boolean.parseBoolean(text));
        default -> v.setStringValue(text);
      }
    } catch (NumberFormatException e) {
      v.setStringValue(text);
    }
    return v.build();
  }

  /** Counts facet terms per leaf by ordinal, then merges them by term. */
  private static final class FacetCollector extends SimpleCollector {
    final Map<String, Long> counts = new HashMap<>();
    private SortedSetDocValues values;
    private int[] dense;
    private Map<Long, Integer> sparse;
    private int seen;

    @Override
    protected void doSetNextReader(LeafReaderContext context) throws IOException {
      finishLeaf();
      values = DocValues.getSortedSet(context.reader(), LogDocuments.FACET);
      long n = values.getValueCount();
      if (n <= DENSE_ORDS) {
        dense = new int[(int) n];
        sparse = null;
      } else {
        dense = null;
        sparse = new HashMap<>();
      }
    }

    @Override
    public void collect(int doc) throws IOException {
      if (++seen > MAX_FACET_DOCS) {
        throw new CollectionTerminatedException();
      }
      if (!values.advanceExact(doc)) {
        return;
      }
      for (int i = 0, n = values.docValueCount(); i < n; i++) {
        long ord = values.nextOrd();
        if (dense != null) {
          dense[(int) ord]++;
        } else {
          sparse.merge(ord, 1, Integer::sum);
        }
      }
    }

    void finishLeaf() throws IOException {
      if (values == null) {
        return;
      }
      if (dense != null) {
        for (int ord = 0; ord < dense.length; ord++) {
          if (dense[ord] > 0) {
            counts.merge(values.lookupOrd(ord).utf8ToString(), (long) dense[ord], Long::sum);
          }
        }
      } else {
        for (Map.Entry<Long, Integer> e : sparse.entrySet()) {
          counts.merge(values.lookupOrd(e.getKey()).utf8ToString(), (long) e.getValue(), Long::sum);
        }
      }
      values = null;
    }

    @Override
    public ScoreMode scoreMode() {
      return ScoreMode.COMPLETE_NO_SCORES;
    }
  }

  // ---- Loki labels

  private static final Map<String, List<String>> LABEL_TERMS =
      Map.of(
          "service_name", List.of(LogDocuments.SERVICE),
          "level", List.of(LogDocuments.LEVEL),
          "service_namespace", List.of("resource.service.namespace"),
          "deployment_environment",
              List.of("resource.deployment.environment.name", "resource.deployment.environment"));

  @Override
  public List<String> labelNames(Instant start, Instant end) {
    TreeSet<String> names = new TreeSet<>();
    for (String label : LABEL_TERMS.keySet()) {
      if (!labelValues(label, start, end).isEmpty()) {
        names.add(label);
      }
    }
    names.addAll(pushedLabelNames(start, end));
    return List.copyOf(names);
  }

  /**
   * The names of the labels of streams pushed through Loki's push API: resource attributes named
   * like a Loki label ({@link LogEntry#isStreamLabelKey}) with a non-empty string value somewhere,
   * found in the facet field, which records each value's type ({@code resource.<key> \0 s<value>}),
   * one seek per attribute key.
   */
  private Set<String> pushedLabelNames(Instant start, Instant end) {
    return search(
        start,
        end,
        s -> {
          Set<String> names = new TreeSet<>();
          byte[] prefix = LogDocuments.RESOURCE_PREFIX.getBytes(StandardCharsets.UTF_8);
          for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
            SortedSetDocValues facets = leaf.reader().getSortedSetDocValues(LogDocuments.FACET);
            if (facets == null) {
              continue;
            }
            TermsEnum te = facets.termsEnum();
            if (te.seekCeil(new BytesRef(prefix)) == TermsEnum.SeekStatus.END) {
              continue;
            }
            BytesRef t = te.term();
            while (t != null && startsWith(t, prefix)) {
              int sep = -1;
              for (int i = prefix.length; i < t.length; i++) {
                if (t.bytes[t.offset + i] == LogDocuments.SEPARATOR) {
                  sep = i;
                  break;
                }
              }
              if (sep < 0) {
                t = te.next();
                continue;
              }
              String key =
                  new String(
                      t.bytes, t.offset + prefix.length, sep - prefix.length, StandardCharsets.UTF_8);
              if (LogEntry.isStreamLabelKey(key)
                  && !LABEL_TERMS.containsKey(key)
                  && !names.contains(key)) {
                // a non-empty string value of this key: "resource.<key>\0s" and at least one byte
                byte[] typed =
                    (LogDocuments.RESOURCE_PREFIX + key + LogDocuments.SEPARATOR + "s")
                        .getBytes(StandardCharsets.UTF_8);
                if (te.seekCeil(new BytesRef(typed)) != TermsEnum.SeekStatus.END) {
                  BytesRef v = te.term();
                  if (startsWith(v, typed) && v.length > typed.length) {
                    names.add(key);
                  }
                }
              }
              // past every value of this key: "resource.<key>\1"
              byte[] next =
                  (LogDocuments.RESOURCE_PREFIX + key + '\u0001').getBytes(StandardCharsets.UTF_8);
              t = te.seekCeil(new BytesRef(next)) == TermsEnum.SeekStatus.END ? null : te.term();
            }
          }
          return names;
        });
  }

  @Override
  public List<String> labelValues(String label, Instant start, Instant end) {
    List<String> sources = LABEL_TERMS.get(label);
    if (sources == null) {
      return LogEntry.isStreamLabelKey(label) ? pushedLabelValues(label, start, end) : List.of();
    }
    return search(
        start,
        end,
        s -> {
          TreeSet<String> values = new TreeSet<>();
          for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
            for (String source : sources) {
              boolean attr = source.startsWith(LogDocuments.RESOURCE_PREFIX);
              Terms terms = leaf.reader().terms(attr ? LogDocuments.ATTR : source);
              if (terms == null) {
                continue;
              }
              TermsEnum te = terms.iterator();
              if (!attr) {
                for (BytesRef t = te.next(); t != null; t = te.next()) {
                  values.add(t.utf8ToString());
                }
                continue;
              }
              byte[] prefix = (source + LogDocuments.SEPARATOR).getBytes(StandardCharsets.UTF_8);
              addSuffixes(te, prefix, true, values);
            }
          }
          return List.copyOf(values);
        });
  }

  /** The non-empty string values of resource attribute {@code label}, from the facet field. */
  private List<String> pushedLabelValues(String label, Instant start, Instant end) {
    byte[] prefix =
        (LogDocuments.RESOURCE_PREFIX + label + LogDocuments.SEPARATOR + "s")
            .getBytes(StandardCharsets.UTF_8);
    return search(
        start,
        end,
        s -> {
          TreeSet<String> values = new TreeSet<>();
          for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
            SortedSetDocValues facets = leaf.reader().getSortedSetDocValues(LogDocuments.FACET);
            if (facets == null) {
              continue;
            }
            addSuffixes(facets.termsEnum(), prefix, false, values);
          }
          return List.copyOf(values);
        });
  }

  /**
   * Adds to {@code out} the rest after {@code prefix} of every term of {@code te} that starts with
   * it; an empty rest only when {@code withEmpty}.
   */
  private static void addSuffixes(
      TermsEnum te, byte[] prefix, boolean withEmpty, Collection<String> out) throws IOException {
    if (te.seekCeil(new BytesRef(prefix)) == TermsEnum.SeekStatus.END) {
      return;
    }
    for (BytesRef t = te.term(); t != null && startsWith(t, prefix); t = te.next()) {
      if (withEmpty || t.length > prefix.length) {
        out.add(
            new String(
                t.bytes, t.offset + prefix.length, t.length - prefix.length, StandardCharsets.UTF_8));
      }
    }
  }

  private static boolean startsWith(BytesRef term, byte[] prefix) {
    if (term.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (term.bytes[term.offset + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  // ---- tail

  @Override
  public String tailCursor() {
    return Cursors.tail(new Cursors.TailKey(appliedPosition.getAsLong(), -1));
  }

  @Override
  public TailPage tail(String queryText, String cursor, int limit) {
    if (limit < 1 || limit > LogQuery.MAX_LIMIT) {
      throw new LogQueryException("limit must be between 1 and " + LogQuery.MAX_LIMIT + ", was " + limit);
    }
    Query text = LogQueryParser.parseQuery(queryText);
    Cursors.TailKey from = Cursors.tail(cursor);
    long safe = visibleThrough();
    if (from.position() >= safe) {
      return new TailPage(List.of(), cursor);
    }
    Query query =
        new BooleanQuery.Builder()
            .add(text, BooleanClause.Occur.MUST)
            .add(
                LongPoint.newRangeQuery(LogDocuments.POSITION, from.position(), safe - 1),
                BooleanClause.Occur.FILTER)
            .build();
    FieldDoc after = new FieldDoc(-1, Float.NaN, new Object[] {from.position(), from.ordinal() + 1});
    return search(
        Long.MIN_VALUE,
        Long.MAX_VALUE,
        s -> {
          TopDocs top = s.searchAfter(after, query, limit, ARRIVAL);
          List<LogEntry> logs = load(s, top.scoreDocs, top.scoreDocs.length);
          Cursors.TailKey next;
          if (top.scoreDocs.length == limit) {
            Object[] f = ((FieldDoc) top.scoreDocs[limit - 1]).fields;
            next = new Cursors.TailKey((Long) f[0], (Long) f[1]);
          } else {
            next = new Cursors.TailKey(safe, -1);
          }
          return new TailPage(logs, Cursors.tail(next));
        });
  }

  /**
   * The position below which every applied record is searchable: the applied position read
   * before a refresh, so all records below it were added before the refresh began.
   */
  private long visibleThrough() {
    synchronized (tailLock) {
      // a rate limit on real work, so it uses the monotonic clock rather than the store's clock
      long now = System.nanoTime() / 1_000_000L;
      if (lastTailRefreshMillis != Long.MIN_VALUE && now - lastTailRefreshMillis < TAIL_REFRESH_MILLIS) {
        return visibleThrough;
      }
      long applied = appliedPosition.getAsLong();
      try {
        index.refreshNow();
      } catch (IOException e) {
        throw new UncheckedIOException("refreshing the log index failed: " + e.getMessage(), e);
      }
      visibleThrough = applied;
      lastTailRefreshMillis = now;
      return applied;
    }
  }

  // ---- shared

  private static Query filtered(LogQuery q) {
    Query text = LogQueryParser.parseQuery(q.query());
    long from = nanos(q.start());
    long to = nanos(q.end());
    Query time =
        to <= from
            ? LongPoint.newSetQuery(LogDocuments.TIMESTAMP)
            : LongPoint.newRangeQuery(LogDocuments.TIMESTAMP, from, to - 1);
    if (text instanceof MatchAllDocsQuery) {
      return time;
    }
    return new BooleanQuery.Builder()
        .add(text, BooleanClause.Occur.MUST)
        .add(time, BooleanClause.Occur.FILTER)
        .build();
  }

  static long nanos(Instant t) {
    try {
      return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    } catch (ArithmeticException e) {
      return t.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  private <T> T search(Instant start, Instant end, PartitionedIndex.SearchFunction<T> fn) {
    long from = Math.floorDiv(nanos(start), 1_000_000L);
    long to = Math.floorDiv(nanos(end), 1_000_000L);
    return search(from, to, fn);
  }

  private <T> T search(long fromMillis, long toMillis, PartitionedIndex.SearchFunction<T> fn) {
    try {
      return index.search(fromMillis, toMillis, fn);
    } catch (IOException e) {
      throw new UncheckedIOException("reading the log index failed: " + e.getMessage(), e);
    }
  }
}
