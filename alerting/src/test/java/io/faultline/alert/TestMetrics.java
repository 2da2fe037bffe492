/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import io.faultline.core.ingest.BatchIndexer;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import io.faultline.core.metric.PromqlResult;
import io.faultline.core.metric.QueryOptions;
import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.Sample;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import io.faultline.metric.LuceneMetricStore;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * A real {@link LuceneMetricStore} on a temporary folder, a movable clock and a sink that
 * indexes and commits synchronously, so that what rules write is queryable at once.
 */
final class TestMetrics implements TelemetrySink, Closeable {
  /** A fixed "now" on a whole hour, so aligned evaluation times are predictable. */
  static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");

  final MovableClock clock = new MovableClock(NOW);
  final Path dir;
  LuceneMetricStore store;
  private long position = 1;
  final List<WriteRequest> written = new ArrayList<>();

  TestMetrics(Path dir) throws IOException {
    this.dir = dir;
    open();
  }

  private void open() throws IOException {
    store = LuceneMetricStore.builder(dir.resolve("metrics")).clock(clock)
        .outOfOrderWindow(Duration.ofDays(1)).build();
  }

  /** Closes after a commit and opens again, as a restart of the platform does. */
  void restart() throws IOException {
    store.indexer().commit();
    store.close();
    open();
  }

  @Override
  public synchronized CompletableFuture<Void> accept(TelemetryBatch batch) {
    try {
      if (batch.signal() == Signal.PROMETHEUS_WRITE) {
        written.add((WriteRequest) batch.message());
      }
      apply(batch);
      return CompletableFuture.completedFuture(null);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private void apply(TelemetryBatch batch) throws IOException {
    BatchIndexer indexer = store.indexer();
    long next = position + batch.bytes().length + 16;
    indexer.apply(position, next, batch);
    position = next;
    indexer.commit();
  }

  /** Writes samples of one series: {@code labels} as name, value pairs; points as t(ms), v pairs. */
  void series(String[] labels, double... points) {
    TimeSeries.Builder ts = TimeSeries.newBuilder();
    TreeMap<String, String> sorted = new TreeMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      sorted.put(labels[i], labels[i + 1]);
    }
    sorted.forEach((k, v) -> ts.addLabels(Label.newBuilder().setName(k).setValue(v)));
    for (int i = 0; i < points.length; i += 2) {
      ts.addSamples(Sample.newBuilder().setTimestamp((long) points[i]).setValue(points[i + 1]));
    }
    try {
      apply(TelemetryBatch.of(Signal.PROMETHEUS_WRITE,
          WriteRequest.newBuilder().addTimeseries(ts).build()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A series sampled every {@code stepMs} from {@code fromMs} to {@code toMs} with f(t). */
  void sampled(String[] labels, long fromMs, long toMs, long stepMs,
      java.util.function.LongToDoubleFunction f) {
    List<Double> pts = new ArrayList<>();
    for (long t = fromMs; t <= toMs; t += stepMs) {
      pts.add((double) t);
      pts.add(f.applyAsDouble(t));
    }
    double[] a = new double[pts.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = pts.get(i);
    }
    series(labels, a);
  }

  /** Instant query at {@code tMs}: sorted label sets to values. */
  Map<Map<String, String>, Double> vector(String expr, long tMs) {
    PromqlResult r = store.queries().instantQuery(expr, tMs, QueryOptions.DEFAULTS);
    Map<Map<String, String>, Double> out = new HashMap<>();
    for (PromqlResult.Series s : r.series()) {
      out.put(new TreeMap<>(s.labels()), s.values()[s.values().length - 1]);
    }
    return out;
  }

  static long ms(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  @Override
  public void close() throws IOException {
    store.close();
  }

  static final class MovableClock extends Clock {
    private volatile Instant now;

    MovableClock(Instant now) {
      this.now = now;
    }

    void set(Instant t) {
      now = t;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
