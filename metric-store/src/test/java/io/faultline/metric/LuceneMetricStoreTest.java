/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import static io.faultline.store.MetricTestData.nowMs;
import static io.faultline.store.MetricTestData.series;
import static io.faultline.store.MetricTestData.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.faultline.core.metric.InvalidQueryException;
import io.faultline.core.metric.MetricStore;
import io.faultline.core.metric.PromDurations;
import io.faultline.core.metric.PromqlResult;
import io.faultline.core.metric.QueryOptions;
import io.faultline.core.prometheus.WriteRequest;
import io.faultline.metric.promql.PromqlEngine;
import io.faultline.metric.promql.QueryResult;
import io.faultline.metric.storage.InMemorySeriesSource;
import io.faultline.metric.storage.Labels;
import io.faultline.store.MetricStoreContract;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.util.BytesRef;
import org.junit.jupiter.api.Test;

class LuceneMetricStoreTest extends MetricStoreContract {
  private int maxSeries = 1_000;

  @Override
  protected MetricStore newStore(Path dir, Clock clock, Duration retention) throws IOException {
    return LuceneMetricStore.builder(dir)
        .clock(clock)
        .retention(retention)
        .maxActiveSeries(maxSeries)
        .outOfOrderWindow(Duration.ofMinutes(10))
        .build();
  }

  private LuceneMetricStore lucene() {
    return (LuceneMetricStore) store;
  }

  @Test
  void aRangeWiderThanInt64MillisecondsIsTooManyPoints() {
    // end - start overflowed to a negative span, passed both limits and ran the heap out
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () ->
            assertThatThrownBy(
                    () ->
                        store.queries()
                            .rangeQuery(
                                "1",
                                -9223309901257974000L,
                                9223309901257974999L,
                                100_000_000,
                                QueryOptions.DEFAULTS))
                .isInstanceOf(InvalidQueryException.class)
                .hasMessageStartingWith("exceeded maximum resolution of 11,000 points"));
  }

  @Test
  void aRangeOverTheLimitSaysBothInPrometheusDurations() {
    long end = nowMs();
    long start = end - Duration.ofDays(3650).toMillis();
    assertThatThrownBy(
            () -> store.queries().rangeQuery("1", start, end, 86_400_000, QueryOptions.DEFAULTS))
        .isInstanceOf(InvalidQueryException.class)
        .hasMessage(
            "the query time range of 10y exceeds the limit of "
                + PromDurations.format(LuceneMetricStore.DEFAULT_MAX_QUERY_RANGE)
                + "; narrow start and end");
  }

  @Test
  void newSeriesOverTheLimitAreRejectedAndCounted() throws IOException {
    long t = nowMs() - 1000;
    WriteRequest.Builder w = WriteRequest.newBuilder();
    for (int i = 0; i < 1_005; i++) {
      w.addTimeseries(series(new String[] {"__name__", "boom", "id", Integer.toString(i)}, t, i));
    }
    apply(w.build());
    commit();
    assertThat(lucene().activeSeries()).isEqualTo(1_000);
    assertThat(lucene().samplesRejected()).containsEntry("series_limit", 5L);
    assertThat(vector("count(boom)").values()).containsExactly(1000.0);
  }

  @Test
  void remoteWrittenNativeHistogramsBecomeClassicBuckets() throws IOException {
    long t = nowMs() - 1000;
    // schema 0 (base 2): Prometheus bucket i is (2^(i-1), 2^i]; populated 1, 2 and 4 (3 empty),
    // counts 3, 5, 2 as deltas; negative bucket 0 is [-1, -0.5) with 1; the zero bucket holds 4
    io.faultline.core.prometheus.Histogram h =
        io.faultline.core.prometheus.Histogram.newBuilder()
            .setTimestamp(t)
            .setSchema(0)
            .setCountInt(15)
            .setSum(42)
            .setZeroThreshold(0.001)
            .setZeroCountInt(4)
            .addPositiveSpans(span(1, 2))
            .addPositiveSpans(span(1, 1))
            .addAllPositiveDeltas(List.of(3L, 2L, -3L))
            .addNegativeSpans(span(0, 1))
            .addNegativeDeltas(1)
            .build();
    // integer deltas with a float count: malformed, which of them holds is anyone's guess
    io.faultline.core.prometheus.Histogram mixed =
        h.toBuilder().clearCountInt().setCountFloat(15).build();
    apply(
        WriteRequest.newBuilder()
            .addTimeseries(
                io.faultline.core.prometheus.TimeSeries.newBuilder()
                    .addLabels(label("__name__", "rpc_seconds"))
                    .addLabels(label("job", "api"))
                    .addHistograms(h))
            .addTimeseries(
                io.faultline.core.prometheus.TimeSeries.newBuilder()
                    .addLabels(label("__name__", "from_a_rule"))
                    .addHistograms(mixed))
            .build());
    commit();
    Map<String, Double> buckets = new java.util.TreeMap<>();
    vector("rpc_seconds_bucket").forEach((labels, v) -> buckets.put(labels.get("le"), v));
    assertThat(buckets)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("-0.5", 1.0, "0.001", 5.0, "2", 8.0, "4", 13.0, "8", 13.0, "16", 15.0, "+Inf", 15.0));
    assertThat(vector("rpc_seconds_count")).containsExactly(Map.entry(Map.of("__name__", "rpc_seconds_count", "job", "api"), 15.0));
    assertThat(vector("rpc_seconds_sum").values()).containsExactly(42.0);
    // rank 7.5 of 15 falls in (0.001, 2], which holds the 6th to 8th observation
    assertThat(vector("histogram_quantile(0.5, rpc_seconds_bucket)").values())
        .containsExactly(0.001 + (2 - 0.001) * (7.5 - 5) / 3);
    // a malformed histogram is counted as invalid, not stored as something else
    assertThat(instant("{__name__=~\"from_a_rule.*\"}", nowMs()).series()).isEmpty();
    assertThat(lucene().samplesRejected()).containsEntry("invalid", 1L);
  }

  @Test
  void remoteWrittenFloatAndCustomBucketHistogramsBecomeClassicBuckets() throws IOException {
    long t = nowMs() - 1000;
    // a recording rule's float histogram of schema 0: positive buckets 1 (1, 2] 1.5 and 3 (4, 8]
    // 2.5, negative bucket 1 [-2, -1) 0.5, the zero bucket 0.25: count 4.75
    io.faultline.core.prometheus.Histogram rule =
        io.faultline.core.prometheus.Histogram.newBuilder()
            .setTimestamp(t).setSchema(0).setCountFloat(4.75).setSum(14)
            .setZeroThreshold(0.001).setZeroCountFloat(0.25)
            .addPositiveSpans(span(1, 1)).addPositiveSpans(span(1, 1)).addAllPositiveCounts(List.of(1.5, 2.5))
            .addNegativeSpans(span(1, 1)).addNegativeCounts(0.5)
            .setResetHint(io.faultline.core.prometheus.Histogram.ResetHint.GAUGE)
            .build();
    // custom buckets (a classic histogram as Prometheus' NHCB): bounds 0.1, 0.5, 1, 5 holding 2,
    // 0 (not sent), 3, 1, and 1 above 5; integer deltas, and the same as float counts a minute on
    io.faultline.core.prometheus.Histogram nhcb =
        io.faultline.core.prometheus.Histogram.newBuilder()
            .setTimestamp(t - 60_000).setSchema(-53).setCountInt(7).setSum(9)
            .addPositiveSpans(span(0, 1)).addPositiveSpans(span(1, 3)).addAllPositiveDeltas(List.of(2L, 1L, -2L, 0L))
            .addAllCustomValues(List.of(0.1, 0.5, 1.0, 5.0))
            .build();
    io.faultline.core.prometheus.Histogram nhcbFloat =
        nhcb.toBuilder().setTimestamp(t).clearCountInt().setCountFloat(14).setZeroCountFloat(0)
            .clearPositiveDeltas().addAllPositiveCounts(List.of(4.0, 6.0, 2.0, 2.0)).setSum(18)
            .build();
    // a remote-write 1.0 batch: the store reads it in its wire form (RemoteWriteReader)
    apply(
        WriteRequest.newBuilder()
            .addTimeseries(
                io.faultline.core.prometheus.TimeSeries.newBuilder()
                    .addLabels(label("__name__", "rule_seconds"))
                    .addHistograms(rule))
            .addTimeseries(
                io.faultline.core.prometheus.TimeSeries.newBuilder()
                    .addLabels(label("__name__", "nhcb_seconds"))
                    .addLabels(label("job", "api"))
                    .addHistograms(nhcb)
                    .addHistograms(nhcbFloat))
            .build());
    commit();
    Map<String, Double> buckets = new java.util.TreeMap<>();
    vector("rule_seconds_bucket").forEach((labels, v) -> buckets.put(labels.get("le"), v));
    assertThat(buckets)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("-1", 0.5, "0.001", 0.75, "2", 2.25, "4", 2.25, "8", 4.75, "+Inf", 4.75));
    assertThat(vector("rule_seconds_count").values()).containsExactly(4.75);
    assertThat(vector("rule_seconds_sum").values()).containsExactly(14.0);
    // rank 2.375 of 4.75 falls in (4, 8], which holds the 2.25th to 4.75th observation
    assertThat(vector("histogram_quantile(0.5, rule_seconds_bucket)").values())
        .containsExactly(4 + (8 - 4) * (2.375 - 2.25) / 2.5);

    buckets.clear();
    vector("nhcb_seconds_bucket").forEach((labels, v) -> buckets.put(labels.get("le"), v));
    assertThat(buckets)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("0.1", 4.0, "0.5", 4.0, "1", 10.0, "5", 12.0, "+Inf", 14.0));
    assertThat(vector("nhcb_seconds_count"))
        .containsExactly(Map.entry(Map.of("__name__", "nhcb_seconds_count", "job", "api"), 14.0));
    // rank 7 of 14 falls in (0.5, 1], which holds the 5th to 10th observation
    assertThat(vector("histogram_quantile(0.5, nhcb_seconds_bucket)").values())
        .containsExactly(0.5 + (1 - 0.5) * (7 - 4) / 6.0);
    // a minute earlier: the integer sample; the increase between the two as a classic histogram's
    assertThat(vector("nhcb_seconds_count", t - 60_000).values()).containsExactly(7.0);
    assertThat(vector("histogram_quantile(0.5, nhcb_seconds_bucket)", t - 60_000).values())
        .containsExactly(0.5 + (1 - 0.5) * (3.5 - 2) / 3.0);
    assertThat(vector("histogram_quantile(0.5, increase(nhcb_seconds_bucket[2m]))").values())
        .containsExactly(0.5 + (1 - 0.5) * (3.5 - 2) / 3.0);
    assertThat(lucene().samplesRejected()).containsEntry("invalid", 0L);
  }

  private static io.faultline.core.prometheus.BucketSpan span(int offset, int length) {
    return io.faultline.core.prometheus.BucketSpan.newBuilder().setOffset(offset).setLength(length).build();
  }

  private static io.faultline.core.prometheus.Label label(String name, String value) {
    return io.faultline.core.prometheus.Label.newBuilder().setName(name).setValue(value).build();
  }

  @Test
  void duplicatesAndOutOfOrderSamplesFollowPrometheus() throws IOException {
    long t = nowMs() - 60_000;
    String[] l = {"__name__", "g"};
    apply(write(series(l, t, 1, t + 10_000, 2, t + 20_000, 3)));
    apply(write(series(l, t + 20_000, 3)));           // same sample again: ignored
    apply(write(series(l, t + 20_000, 9)));           // same time, other value: rejected
    apply(write(series(l, t + 5_000, 1.5)));          // within the window: accepted
    apply(write(series(l, t - 3_600_000, 0)));        // behind the window: rejected
    commit();
    PromqlResult r = store.queries().rangeQuery("g", t, t + 20_000, 5_000, QueryOptions.DEFAULTS);
    assertThat(r.series().get(0).values()).containsExactly(1, 1.5, 2, 2, 3);
    assertThat(lucene().samplesDuplicateIgnored()).isEqualTo(1);
    assertThat(lucene().samplesRejected())
        .containsEntry("duplicate", 1L)
        .containsEntry("out_of_order", 1L);
    reopen();
    r = store.queries().rangeQuery("g", t, t + 20_000, 5_000, QueryOptions.DEFAULTS);
    assertThat(r.series().get(0).values()).containsExactly(1, 1.5, 2, 2, 3);
  }

  @Test
  void xorChunksRoundTripEveryValue() {
    long seed = System.nanoTime();
    System.out.println("XorChunk round trip seed " + seed);
    Random rnd = new Random(seed);
    XorChunk c = new XorChunk();
    int n = 1000;
    long[] ts = new long[n];
    double[] vs = new double[n];
    long t = 1_700_000_000_000L;
    for (int i = 0; i < n; i++) {
      t += switch (rnd.nextInt(4)) {
        case 0 -> 15_000;
        case 1 -> 15_000 + rnd.nextInt(200) - 100;
        case 2 -> 1 + rnd.nextInt(5_000_000);
        default -> 1 + Math.abs(rnd.nextLong() % 100_000_000_000L);
      };
      ts[i] = t;
      vs[i] = switch (rnd.nextInt(5)) {
        case 0 -> rnd.nextDouble();
        case 1 -> i;
        case 2 -> Double.NaN;
        case 3 -> io.faultline.metric.storage.Series.STALE_NAN;
        default -> i > 0 ? vs[i - 1] : 0;
      };
      c.append(ts[i], vs[i]);
    }
    long[] gotT = new long[n];
    long[] gotV = new long[n];
    int[] k = {0};
    XorChunk.decode(c.bytes(), c.count(), (tt, vv) -> {
      gotT[k[0]] = tt;
      gotV[k[0]] = Double.doubleToRawLongBits(vv);
      k[0]++;
    });
    assertThat(k[0]).isEqualTo(n);
    assertThat(gotT).containsExactly(ts);
    for (int i = 0; i < n; i++) {
      assertThat(gotV[i]).isEqualTo(Double.doubleToRawLongBits(vs[i]));
    }
  }

  @Test
  void promqlOverTheStoreEqualsPromqlInMemory() throws IOException {
    long seed = System.nanoTime();
    System.out.println("PromQL equivalence seed " + seed);
    Random rnd = new Random(seed);
    InMemorySeriesSource memory = new InMemorySeriesSource();
    long start = nowMs() - 2 * 3_600_000L;
    String[] jobs = {"api", "db", "cache"};
    for (int batch = 0; batch < 4; batch++) {
      WriteRequest.Builder w = WriteRequest.newBuilder();
      for (int s = 0; s < 12; s++) {
        String job = jobs[s % 3];
        String inst = "i" + s;
        double[] tv = new double[2 * 120];
        double v = s * 10;
        for (int i = 0; i < 120; i++) {
          long t = start + (batch * 120L + i) * 15_000 + rnd.nextInt(50);
          v += rnd.nextInt(10) == 0 ? 0 : rnd.nextInt(5);
          if (rnd.nextInt(200) == 0) {
            v = 0;
          }
          tv[2 * i] = t;
          tv[2 * i + 1] = v;
          memory.add(Labels.of("__name__", "req_total", "job", job, "instance", inst), t, v);
        }
        w.addTimeseries(series(
            new String[] {"__name__", "req_total", "job", job, "instance", inst}, tv));
      }
      apply(w.build());
      if (batch == 1) {
        commit();
      }
    }
    PromqlEngine reference = PromqlEngine.builder(memory).build();
    long end = start + 4 * 120 * 15_000L;
    for (String q : List.of(
        "sum by (job) (rate(req_total[5m]))",
        "topk(3, req_total)",
        "count_over_time(req_total{job=~\"a.*|c.*\"}[10m])",
        "max_over_time(req_total{instance!=\"i3\"}[1h]) - min_over_time(req_total[1h])",
        "increase(req_total{job!~\"db\"}[30m])")) {
      QueryResult want = reference.rangeQuery(q, start, end, 60_000);
      PromqlResult got = store.queries().rangeQuery(q, start, end, 60_000, QueryOptions.DEFAULTS);
      assertThat(got.series()).as(q).hasSize(want.matrix().size());
      for (int i = 0; i < want.matrix().size(); i++) {
        QueryResult.MatrixSeries ws = want.matrix().get(i);
        PromqlResult.Series gs = got.series().get(i);
        assertThat(gs.labels()).as(q).isEqualTo(ws.labels().toMap());
        assertThat(gs.timestampsMs()).as(q).containsExactly(ws.timestampsMs());
        assertThat(gs.values()).as(q).containsExactly(ws.values());
      }
    }
  }

  @Test
  void seriesAndChunksInTheFirstOnDiskFormatStayReadable() throws IOException {
    long t = nowMs() - 2 * 3_600_000L;
    Labels legacy = Labels.of("__name__", "legacy_total", "job", "old");
    byte[] enc = SeriesId.encode(legacy);
    BytesRef id = SeriesId.of(enc);
    // a series document and a chunk document laid out as the store wrote them before sorted-set
    // labels and packed chunks: labels as one binary doc value, XorChunk bytes, flags 0
    Document series = new Document();
    series.add(new StringField("kind", "s", Field.Store.NO));
    series.add(new StringField("sid", id, Field.Store.NO));
    for (int i = 0; i < legacy.size(); i++) {
      series.add(new StringField("l", legacy.name(i) + "\0" + legacy.value(i), Field.Store.NO));
      series.add(new StringField("ln", legacy.name(i), Field.Store.NO));
    }
    series.add(new BinaryDocValuesField("labels", new BytesRef(enc)));
    XorChunk xor = new XorChunk();
    for (int i = 0; i < 100; i++) {
      xor.append(t + i * 15_000L, i * 3.5);
    }
    byte[] data = xor.bytes();
    byte[] stored = new byte[16 + 5 + data.length];
    System.arraycopy(id.bytes, id.offset, stored, 0, 16);
    stored[17] = 0;
    stored[18] = 0;
    stored[19] = 0;
    stored[20] = 100;
    System.arraycopy(data, 0, stored, 21, data.length);
    Document chunk = new Document();
    chunk.add(new StringField("kind", "c", Field.Store.NO));
    chunk.add(new StringField("sid", id, Field.Store.NO));
    chunk.add(new NumericDocValuesField("minT", t));
    chunk.add(new NumericDocValuesField("maxT", t + 99 * 15_000L));
    chunk.add(new BinaryDocValuesField("data", new BytesRef(stored)));
    lucene().index().add(0, t, series);
    lucene().index().add(0, t, chunk);
    // the current format next to it, in the same partition, and a newer sample of the old series
    apply(write(
        series(new String[] {"__name__", "legacy_total", "job", "new"}, t, 1, t + 15_000, 2),
        series(new String[] {"__name__", "legacy_total", "job", "old"}, t + 100 * 15_000L, 400)));
    commit();
    for (int pass = 0; pass < 2; pass++) {
      PromqlResult r =
          store.queries().rangeQuery(
              "legacy_total", t, t + 100 * 15_000L, 15_000, QueryOptions.DEFAULTS);
      assertThat(r.series()).hasSize(2);
      PromqlResult.Series old = r.series().get(1);
      assertThat(old.labels()).containsEntry("job", "old");
      assertThat(old.values()).hasSize(101);
      assertThat(old.values()[37]).isEqualTo(37 * 3.5);
      assertThat(old.values()[100]).isEqualTo(400);
      assertThat(vector("count by (job) (legacy_total{job=~\"o.*|n.*\"} @ "
              + (t + 15_000) / 1000.0 + ")"))
          .containsEntry(labels("job", "old"), 1.0)
          .containsEntry(labels("job", "new"), 1.0);
      reopen();
    }
  }


  @Test
  void aHeadSnapshotOfTheFirstVersionIsRestored() throws IOException {
    long t = nowMs() - 3_600_000L;
    String[] l = {"__name__", "open_total", "job", "a"};
    double[] tv = new double[2 * 50];
    XorChunk open = new XorChunk();
    for (int i = 0; i < 50; i++) {
      tv[2 * i] = t + i * 15_000L;
      tv[2 * i + 1] = 1000 + i * 7.25;
      open.append(t + i * 15_000L, 1000 + i * 7.25);
    }
    apply(write(series(l, tv)));
    commit();
    store.close();
    store = null;
    // replace the snapshot the commit wrote by the same head in version 1's layout
    long pos;
    Path snap;
    try (var files = java.nio.file.Files.list(dir.resolve(LuceneMetricIndexer.HEAD_DIR))) {
      snap = files.filter(f -> f.getFileName().toString().endsWith(".snap")).findFirst().get();
    }
    String name = snap.getFileName().toString();
    pos = Long.parseLong(name.substring("head-".length(), name.length() - ".snap".length()));
    Labels labels = Labels.of(l);
    byte[] enc = SeriesId.encode(labels);
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
    out.writeInt(0x464c4d48);
    out.writeInt(1);
    out.writeLong(pos);
    out.writeInt(1);
    out.writeInt(enc.length);
    out.write(enc);
    out.writeLong(t + 49 * 15_000L);
    out.writeLong(Double.doubleToRawLongBits(1000 + 49 * 7.25));
    out.writeLong(clock.millis());
    out.writeLong(Math.floorDiv(t, 86_400_000L) * 86_400_000L);
    out.writeBoolean(true);
    open.writeTo(out);
    out.writeInt(0);
    new OtlpTranslator().writeTo(out);
    new MetadataRegistry().writeTo(out);
    out.flush();
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(bytes.toByteArray());
    out.writeLong(crc.getValue());
    java.nio.file.Files.write(snap, bytes.toByteArray());

    store = newStore(dir, clock, RETENTION);
    assertThat(lucene().activeSeries()).isEqualTo(1);
    // the restored open chunk takes further samples where it left off
    apply(write(series(l, t + 50 * 15_000L, 2000)));
    PromqlResult r =
        store.queries().rangeQuery("open_total", t, t + 50 * 15_000L, 15_000, QueryOptions.DEFAULTS);
    assertThat(r.series()).hasSize(1);
    double[] values = r.series().get(0).values();
    assertThat(values).hasSize(51);
    assertThat(values[0]).isEqualTo(1000);
    assertThat(values[49]).isEqualTo(1000 + 49 * 7.25);
    assertThat(values[50]).isEqualTo(2000);
    commit();
    reopen();
    r = store.queries().rangeQuery("open_total", t, t + 50 * 15_000L, 15_000, QueryOptions.DEFAULTS);
    assertThat(r.series().get(0).values()).containsExactly(values);
  }


  @Test
  void seriesWithNonAsciiLabelNamesAreFoundInIndexAndHead() throws IOException {
    long t = nowMs() - 600_000L;
    // "é" sorts after "z" in both byte and UTF-16 order, "\u00e9t\u00e9" before "\uff5a"
    String[] l = {"__name__", "utf8_gauge", "z", "1", "\u00e9t\u00e9", "\u00e0", "\uff5a", "x"};
    apply(write(series(l, t, 1, t + 15_000, 2)));
    commit();
    apply(write(series(l, t + 30_000, 3)));
    PromqlResult r =
        store.queries().rangeQuery("utf8_gauge", t, t + 30_000, 15_000, QueryOptions.DEFAULTS);
    assertThat(r.series()).hasSize(1);
    assertThat(r.series().get(0).labels()).containsEntry("\u00e9t\u00e9", "\u00e0");
    assertThat(r.series().get(0).values()).containsExactly(1, 2, 3);
  }

}
