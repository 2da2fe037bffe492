/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import io.faultline.metric.storage.LabelMatcher;
import io.faultline.metric.storage.Labels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.SortedSetDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.StringHelper;

/**
 * The two kinds of document in a metric partition.
 *
 * <ul>
 *   <li>A <b>series</b> document per series per partition in which it has samples: one {@code
 *       l} term {@code name\0value} and one {@code ln} term {@code name} per label, so that every
 *       matcher is answered by the index (regular expressions by enumerating the label's values in
 *       the term dictionary), and the same pairs as sorted-set doc values ({@link #LABEL_SET}) to
 *       read the label set back.
 *   <li>A <b>chunk</b> document per sealed chunk: the series id as a term, the time range as doc
 *       values, and the compressed samples as a binary doc value (read per document without
 *       decompressing a whole stored-fields block).
 * </ul>
 */
final class MetricDocuments {
  static final String KIND = "kind";
  static final String SERIES = "s";
  static final String CHUNK = "c";
  static final String ID = "sid";
  static final String LABEL = "l";
  static final String LABEL_NAME = "ln";
  /**
   * The label set as one binary doc value ({@link SeriesId#encode}); series documents written
   * before {@link #LABEL_SET} existed carry it, and it stays readable.
   */
  static final String STORED_LABELS = "labels";
  /**
   * The label set as sorted-set doc values of {@code name\0value}: the partition stores each
   * distinct pair once in its dictionary and every series document only its ordinals, a few bytes
   * instead of the whole label set.
   */
  static final String LABEL_SET = "ls";
  static final String MIN_T = "minT";
  static final String MAX_T = "maxT";
  static final String DATA = "data";
  static final char SEP = '\0';

  private static final StringField SERIES_KIND = new StringField(KIND, SERIES, Field.Store.NO);
  private static final StringField CHUNK_KIND = new StringField(KIND, CHUNK, Field.Store.NO);

  private MetricDocuments() {}

  static Document series(MemSeries s) {
    Document d = new Document();
    d.add(SERIES_KIND);
    d.add(new StringField(ID, s.id, Field.Store.NO));
    Labels l = s.labels;
    for (int i = 0; i < l.size(); i++) {
      BytesRef pair = new BytesRef(l.name(i) + SEP + l.value(i));
      d.add(new StringField(LABEL, pair, Field.Store.NO));
      d.add(new SortedSetDocValuesField(LABEL_SET, pair));
      d.add(new StringField(LABEL_NAME, l.name(i), Field.Store.NO));
    }
    return d;
  }

  /** Flag of a stored chunk: it holds out-of-order samples. */
  static final int FLAG_OUT_OF_ORDER = 1;

  /**
   * Flag of a stored chunk: its samples are {@link PackedChunk}-encoded. Chunks written before
   * that encoding existed lack it and hold {@link XorChunk} bytes; both stay readable.
   */
  static final int FLAG_PACKED = 2;

  /**
   * Stored chunk layout: series id (16 bytes), flags ({@link #FLAG_OUT_OF_ORDER}, {@link
   * #FLAG_PACKED}), count (4), samples.
   */
  static Document chunk(SealedChunk c) {
    Document d = new Document();
    d.add(CHUNK_KIND);
    d.add(new StringField(ID, c.seriesId(), Field.Store.NO));
    d.add(new NumericDocValuesField(MIN_T, c.minT()));
    d.add(new NumericDocValuesField(MAX_T, c.maxT()));
    byte[] data = c.data();
    byte[] stored = new byte[SeriesId.LENGTH + 5 + data.length];
    BytesRef id = c.seriesId();
    System.arraycopy(id.bytes, id.offset, stored, 0, SeriesId.LENGTH);
    stored[SeriesId.LENGTH] = (byte) ((c.outOfOrder() ? FLAG_OUT_OF_ORDER : 0) | FLAG_PACKED);
    int n = c.count();
    stored[SeriesId.LENGTH + 1] = (byte) (n >>> 24);
    stored[SeriesId.LENGTH + 2] = (byte) (n >>> 16);
    stored[SeriesId.LENGTH + 3] = (byte) (n >>> 8);
    stored[SeriesId.LENGTH + 4] = (byte) n;
    System.arraycopy(data, 0, stored, SeriesId.LENGTH + 5, data.length);
    d.add(new BinaryDocValuesField(DATA, new BytesRef(stored)));
    return d;
  }

  static Query allSeries() {
    return new TermQuery(new Term(KIND, SERIES));
  }

  static Query seriesById(BytesRef id) {
    return new BooleanQuery.Builder()
        .add(new TermQuery(new Term(KIND, SERIES)), Occur.FILTER)
        .add(new TermQuery(new Term(ID, id)), Occur.FILTER)
        .build();
  }

  static Query chunks(List<BytesRef> ids, long minT, long maxT) {
    return new BooleanQuery.Builder()
        .add(new TermQuery(new Term(KIND, CHUNK)), Occur.FILTER)
        .add(new TermInSetQuery(ID, ids), Occur.FILTER)
        .add(NumericDocValuesField.newSlowRangeQuery(MIN_T, Long.MIN_VALUE, maxT), Occur.FILTER)
        .add(NumericDocValuesField.newSlowRangeQuery(MAX_T, minT, Long.MAX_VALUE), Occur.FILTER)
        .build();
  }

  /** Series documents whose labels satisfy every matcher, resolved against this reader's terms. */
  static Query series(List<LabelMatcher> matchers, IndexReader reader) throws IOException {
    BooleanQuery.Builder q = new BooleanQuery.Builder();
    q.add(new TermQuery(new Term(KIND, SERIES)), Occur.FILTER);
    for (LabelMatcher m : matchers) {
      Query has = new TermQuery(new Term(LABEL_NAME, m.name()));
      boolean emptyMatches = m.matches("");
      switch (m.type()) {
        case EQUAL, NOT_EQUAL -> {
          boolean positive = m.type() == LabelMatcher.Type.EQUAL;
          if (m.value().isEmpty()) {
            q.add(has, positive ? Occur.MUST_NOT : Occur.FILTER);
          } else {
            q.add(new TermQuery(new Term(LABEL, m.name() + SEP + m.value())),
                positive ? Occur.FILTER : Occur.MUST_NOT);
          }
        }
        case REGEX -> {
          List<BytesRef> values = matchingValues(reader, m, true);
          Query in = values.isEmpty() ? new MatchNoDocsQuery() : new TermInSetQuery(LABEL, values);
          if (emptyMatches) {
            q.add(
                new BooleanQuery.Builder()
                    .add(in, Occur.SHOULD)
                    .add(
                        new BooleanQuery.Builder()
                            .add(new TermQuery(new Term(KIND, SERIES)), Occur.FILTER)
                            .add(has, Occur.MUST_NOT)
                            .build(),
                        Occur.SHOULD)
                    .build(),
                Occur.FILTER);
          } else {
            q.add(in, Occur.FILTER);
          }
        }
        case NOT_REGEX -> {
          // the values that the regex itself matches are excluded
          List<BytesRef> values = matchingValues(reader, m, false);
          if (!values.isEmpty()) {
            q.add(new TermInSetQuery(LABEL, values), Occur.MUST_NOT);
          }
          if (!emptyMatches) {
            // the regex matches "", so series without the label fail the matcher
            q.add(has, Occur.FILTER);
          }
        }
        default -> throw new IllegalStateException("unknown matcher type " + m.type());
      }
    }
    return q.build();
  }

  /**
   * The {@code l} terms of label {@code m.name()} whose value the matcher accepts ({@code
   * accepted}) or, for a negative matcher, whose value its regex matches.
   */
  private static List<BytesRef> matchingValues(IndexReader reader, LabelMatcher m, boolean accepted)
      throws IOException {
    BytesRef prefix = new BytesRef(m.name() + SEP);
    List<BytesRef> out = new ArrayList<>();
    java.util.Set<BytesRef> seen = new java.util.HashSet<>();
    for (LeafReaderContext leaf : reader.leaves()) {
      Terms terms = leaf.reader().terms(LABEL);
      if (terms == null) {
        continue;
      }
      TermsEnum te = terms.iterator();
      if (te.seekCeil(prefix) == TermsEnum.SeekStatus.END) {
        continue;
      }
      for (BytesRef t = te.term(); t != null && StringHelper.startsWith(t, prefix); t = te.next()) {
        String value =
            new String(t.bytes, t.offset + prefix.length, t.length - prefix.length,
                StandardCharsets.UTF_8);
        boolean match = accepted ? m.matches(value) : !m.matches(value);
        if (match) {
          BytesRef copy = BytesRef.deepCopyOf(t);
          if (seen.add(copy)) {
            out.add(copy);
          }
        }
      }
    }
    return out;
  }
}
