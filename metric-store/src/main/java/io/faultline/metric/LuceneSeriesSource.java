/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import io.faultline.core.index.PartitionedIndex;
import io.faultline.metric.storage.LabelMatcher;
import io.faultline.metric.storage.Labels;
import io.faultline.metric.storage.Series;
import io.faultline.metric.storage.SeriesSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.SortedSetDocValues;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.SimpleCollector;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.StringHelper;

/**
 * The store as the PromQL engine reads it: series found through the index's series documents,
 * samples from the indexed chunks and from the head, merged with one sample per timestamp.
 */
final class LuceneSeriesSource implements SeriesSource {
  private final PartitionedIndex index;
  private final Head head;
  private final java.time.Clock clock;
  private final long retentionMillis;

  LuceneSeriesSource(PartitionedIndex index, Head head, java.time.Clock clock, long retentionMillis) {
    this.index = index;
    this.head = head;
    this.clock = clock;
    this.retentionMillis = retentionMillis;
  }

  @Override
  public List<Series> select(List<LabelMatcher> matchers, long minTimeMs, long maxTimeMs) {
    // samples past the retention may linger in the head or an undeleted partition: never show them
    long minT = Math.max(minTimeMs, clock.millis() - retentionMillis);
    if (minT > maxTimeMs) {
      return List.of();
    }
    return selectWithin(matchers, minT, maxTimeMs);
  }

  private List<Series> selectWithin(List<LabelMatcher> matchers, long minTimeMs, long maxTimeMs) {
    try {
      return index.search(minTimeMs, maxTimeMs, s -> select(s, matchers, minTimeMs, maxTimeMs));
    } catch (IOException e) {
      throw new UncheckedIOException("reading the metric index failed: " + e.getMessage(), e);
    }
  }

  private List<Series> select(
      IndexSearcher searcher, List<LabelMatcher> matchers, long minT, long maxT)
      throws IOException {
    Map<BytesRef, Labels> found = matchingSeries(searcher, matchers);
    if (found.isEmpty()) {
      return List.of();
    }
    Map<BytesRef, List<byte[]>> chunks = new HashMap<>();
    List<BytesRef> ids = new ArrayList<>(found.keySet());
    collectStored(
        searcher,
        MetricDocuments.chunks(ids, minT, maxT),
        MetricDocuments.DATA,
        bytes -> {
          BytesRef id = new BytesRef(Arrays.copyOfRange(bytes.bytes, bytes.offset,
              bytes.offset + SeriesId.LENGTH));
          chunks.computeIfAbsent(id, k -> new ArrayList<>())
              .add(Arrays.copyOfRange(bytes.bytes, bytes.offset, bytes.offset + bytes.length));
        });
    List<Series> out = new ArrayList<>(found.size());
    for (Map.Entry<BytesRef, Labels> e : found.entrySet()) {
      SampleList samples = new SampleList();
      List<byte[]> cs = chunks.get(e.getKey());
      if (cs != null) {
        cs.sort((a, b) -> Long.compare(firstTimestamp(a), firstTimestamp(b)));
        for (byte[] c : cs) {
          decodeStored(c, minT, maxT, samples);
        }
      }
      MemSeries mem = head.get(e.getKey());
      if (mem != null) {
        mem.copyInto(minT, maxT, samples);
      }
      if (samples.size() == 0) {
        continue;
      }
      Object[] arrays = samples.finish();
      out.add(new Series(e.getValue(), (long[]) arrays[0], (double[]) arrays[1]));
    }
    // series ids are unique, and so are their label sets: a sort replaces a tree of them
    out.sort((a, b) -> a.labels().compareTo(b.labels()));
    return out;
  }

  private static long firstTimestamp(byte[] stored) {
    long t = 0;
    int off = SeriesId.LENGTH + 5;
    for (int i = 0; i < 8; i++) {
      t = (t << 8) | (stored[off + i] & 0xFF);
    }
    return t;
  }

  private static void decodeStored(byte[] c, long minT, long maxT, SampleList out) {
    int flags = c[SeriesId.LENGTH];
    boolean ooo = (flags & MetricDocuments.FLAG_OUT_OF_ORDER) != 0;
    int count =
        ((c[SeriesId.LENGTH + 1] & 0xFF) << 24)
            | ((c[SeriesId.LENGTH + 2] & 0xFF) << 16)
            | ((c[SeriesId.LENGTH + 3] & 0xFF) << 8)
            | (c[SeriesId.LENGTH + 4] & 0xFF);
    int off = SeriesId.LENGTH + 5;
    XorChunk.SampleConsumer add =
        (t, v) -> {
          if (t >= minT && t <= maxT) {
            out.add(t, v, ooo);
          }
        };
    if ((flags & MetricDocuments.FLAG_PACKED) != 0) {
      PackedChunk.decode(c, off, c.length - off, count, add);
    } else {
      XorChunk.decode(c, off, c.length - off, count, add);
    }
  }

  /** Series ids and labels of the series documents matching every matcher. */
  static Map<BytesRef, Labels> matchingSeries(IndexSearcher searcher, List<LabelMatcher> matchers)
      throws IOException {
    Query q = MetricDocuments.series(matchers, searcher.getIndexReader());
    Map<BytesRef, Labels> found = new HashMap<>();
    // pairs decoded in any segment, so that equal labels share their strings
    Map<BytesRef, Pair> byPair = new HashMap<>();
    searcher.search(
        q,
        new SimpleCollector() {
          private BinaryDocValues encoded;
          private SortedSetDocValues pairs;
          /** Decoded pairs of this segment's dictionary: each distinct pair is decoded once. */
          private final Map<Long, Pair> byOrd = new HashMap<>();
          private Pair[] docPairs = new Pair[16];
          private byte[] key = new byte[256];

          @Override
          protected void doSetNextReader(LeafReaderContext context) throws IOException {
            encoded = context.reader().getBinaryDocValues(MetricDocuments.STORED_LABELS);
            pairs = context.reader().getSortedSetDocValues(MetricDocuments.LABEL_SET);
            byOrd.clear();
          }

          @Override
          public void collect(int doc) throws IOException {
            if (pairs != null && pairs.advanceExact(doc)) {
              int n = pairs.docValueCount();
              if (docPairs.length < n) {
                docPairs = new Pair[n];
              }
              boolean ascii = true;
              for (int i = 0; i < n; i++) {
                long ord = pairs.nextOrd();
                Pair p = byOrd.get(ord);
                if (p == null) {
                  BytesRef bytes = pairs.lookupOrd(ord);
                  p = byPair.get(bytes);
                  if (p == null) {
                    p = Pair.of(bytes);
                    byPair.put(BytesRef.deepCopyOf(bytes), p);
                  }
                  byOrd.put(ord, p);
                }
                docPairs[i] = p;
                ascii &= p.asciiName;
              }
              BytesRef id;
              if (ascii) {
                // pairs come in byte order of their names, which for ASCII names is the order
                // SeriesId.encode writes labels in: encode straight from the stored bytes
                int len = encodeKey(n);
                id = SeriesId.of(key, 0, len);
                if (found.containsKey(id)) {
                  return;
                }
                found.put(id, labels(n));
              } else {
                Labels labels = labels(n);
                id = SeriesId.of(SeriesId.encode(labels));
                found.putIfAbsent(id, labels);
              }
            } else if (encoded != null && encoded.advanceExact(doc)) {
              BytesRef bytes = encoded.binaryValue();
              byte[] enc = Arrays.copyOfRange(bytes.bytes, bytes.offset, bytes.offset + bytes.length);
              BytesRef id = SeriesId.of(enc);
              if (!found.containsKey(id)) {
                found.put(id, SeriesId.decode(enc, 0, enc.length));
              }
            }
          }

          private Labels labels(int n) {
            Labels.Builder b = Labels.builder();
            for (int i = 0; i < n; i++) {
              b.set(docPairs[i].name, docPairs[i].value);
            }
            return b.build();
          }

          /** {@link SeriesId#encode}'s layout of this document's pairs, into {@link #key}. */
          private int encodeKey(int n) {
            int len = 5;
            for (int i = 0; i < n; i++) {
              len += 10 + docPairs[i].nameBytes.length + docPairs[i].valueBytes.length;
            }
            if (key.length < len) {
              key = new byte[len];
            }
            int at = putVInt(key, 0, n);
            for (int i = 0; i < n; i++) {
              Pair p = docPairs[i];
              at = putVInt(key, at, p.nameBytes.length);
              System.arraycopy(p.nameBytes, 0, key, at, p.nameBytes.length);
              at += p.nameBytes.length;
              at = putVInt(key, at, p.valueBytes.length);
              System.arraycopy(p.valueBytes, 0, key, at, p.valueBytes.length);
              at += p.valueBytes.length;
            }
            return at;
          }

          @Override
          public ScoreMode scoreMode() {
            return ScoreMode.COMPLETE_NO_SCORES;
          }
        });
    return found;
  }

  private static int putVInt(byte[] buf, int at, int v) {
    while ((v & ~0x7F) != 0) {
      buf[at++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[at++] = (byte) v;
    return at;
  }

  /** One {@code name\0value} pair of a partition's label dictionary, decoded once. */
  private record Pair(
      String name, String value, byte[] nameBytes, byte[] valueBytes, boolean asciiName) {
    static Pair of(BytesRef pair) {
      int sep = -1;
      boolean ascii = true;
      for (int i = 0; i < pair.length; i++) {
        byte c = pair.bytes[pair.offset + i];
        if (c == MetricDocuments.SEP) {
          sep = i;
          break;
        }
        ascii &= c >= 0;
      }
      if (sep < 0) {
        throw new IllegalStateException(
            "corrupt label pair in the metric index: " + pair.utf8ToString());
      }
      byte[] name = Arrays.copyOfRange(pair.bytes, pair.offset, pair.offset + sep);
      byte[] value = Arrays.copyOfRange(pair.bytes, pair.offset + sep + 1, pair.offset + pair.length);
      return new Pair(
          new String(name, StandardCharsets.UTF_8),
          new String(value, StandardCharsets.UTF_8),
          name,
          value,
          ascii);
    }
  }

  interface StoredConsumer {
    void accept(BytesRef bytes) throws IOException;
  }

  static void collectStored(IndexSearcher searcher, Query q, String field, StoredConsumer out)
      throws IOException {
    searcher.search(
        q,
        new SimpleCollector() {
          private BinaryDocValues values;

          @Override
          protected void doSetNextReader(LeafReaderContext context) throws IOException {
            values = context.reader().getBinaryDocValues(field);
          }

          @Override
          public void collect(int doc) throws IOException {
            if (values != null && values.advanceExact(doc)) {
              out.accept(values.binaryValue());
            }
          }

          @Override
          public ScoreMode scoreMode() {
            return ScoreMode.COMPLETE_NO_SCORES;
          }
        });
  }

  @Override
  public List<String> labelNames(List<LabelMatcher> matchers, long minTimeMs, long maxTimeMs) {
    try {
      return index.search(
          minTimeMs,
          maxTimeMs,
          s -> {
            TreeSet<String> names = new TreeSet<>();
            if (matchers.isEmpty()) {
              forEachTerm(s, MetricDocuments.LABEL_NAME, null, t -> names.add(t));
            } else {
              for (Labels l : matchingSeries(s, matchers).values()) {
                for (int i = 0; i < l.size(); i++) {
                  names.add(l.name(i));
                }
              }
            }
            return new ArrayList<>(names);
          });
    } catch (IOException e) {
      throw new UncheckedIOException("reading the metric index failed: " + e.getMessage(), e);
    }
  }

  @Override
  public List<String> labelValues(
      String labelName, List<LabelMatcher> matchers, long minTimeMs, long maxTimeMs) {
    try {
      return index.search(
          minTimeMs,
          maxTimeMs,
          s -> {
            TreeSet<String> values = new TreeSet<>();
            if (matchers.isEmpty()) {
              String prefix = labelName + MetricDocuments.SEP;
              forEachTerm(
                  s, MetricDocuments.LABEL, prefix, t -> values.add(t.substring(prefix.length())));
            } else {
              for (Labels l : matchingSeries(s, matchers).values()) {
                String v = l.get(labelName);
                if (!v.isEmpty()) {
                  values.add(v);
                }
              }
            }
            return new ArrayList<>(values);
          });
    } catch (IOException e) {
      throw new UncheckedIOException("reading the metric index failed: " + e.getMessage(), e);
    }
  }

  private static void forEachTerm(
      IndexSearcher s, String field, String prefix, java.util.function.Consumer<String> out)
      throws IOException {
    BytesRef p = prefix == null ? new BytesRef() : new BytesRef(prefix);
    for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
      Terms terms = leaf.reader().terms(field);
      if (terms == null) {
        continue;
      }
      TermsEnum te = terms.iterator();
      if (te.seekCeil(p) == TermsEnum.SeekStatus.END) {
        continue;
      }
      for (BytesRef t = te.term(); t != null && StringHelper.startsWith(t, p); t = te.next()) {
        out.accept(new String(t.bytes, t.offset, t.length, StandardCharsets.UTF_8));
      }
    }
  }
}
