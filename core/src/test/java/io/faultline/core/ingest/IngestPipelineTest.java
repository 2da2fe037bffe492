/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestPipelineTest {
  private static final Duration PATIENCE = Duration.ofSeconds(10);

  @TempDir Path dir;

  @Test
  void acceptedBatchReachesTheIndexersOfItsSignalOnce() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    RecordingIndexer traces = indexer("traces", Signal.TRACES);
    RecordingIndexer logs = indexer("logs", Signal.LOGS);
    RecordingIndexer all = indexer("all", Signal.TRACES, Signal.LOGS, Signal.METRICS);
    try (IngestPipeline pipeline = pipeline(traces, logs, all).registry(registry).build()) {
      pipeline.start();
      TelemetryBatch span = traces("span-0");
      TelemetryBatch line = logs("hello");
      pipeline.accept(span).join();
      pipeline.accept(line).join();

      await().atMost(PATIENCE).untilAsserted(() -> assertThat(all.applied).hasSize(2));
      await().atMost(PATIENCE).untilAsserted(() -> assertThat(logs.applied).hasSize(1));
      assertThat(traces.applied).hasSize(1);
      Applied got = traces.applied.get(0);
      assertThat(got.position()).isZero();
      assertThat(got.next()).isEqualTo(9 + span.bytes().length);
      assertThat(got.batch().message()).isEqualTo(span.message());
      assertThat(logs.applied.get(0).position()).isEqualTo(got.next());
      assertThat(logs.applied.get(0).batch().message()).isEqualTo(line.message());
      assertThat(all.applied).extracting(Applied::position).containsExactly(0L, got.next());
      assertThat(labelled(registry, "faultline_ingest_batches", "signal", "traces")).isEqualTo(1);
      assertThat(pipeline.check().isHealthy()).isTrue();
    }
  }

  @Test
  void restartReplaysFromEachIndexersCheckpoint() throws Exception {
    List<TelemetryBatch> sent = List.of(traces("a"), traces("b"), traces("c"));
    RecordingIndexer volatileStore = indexer("volatile", Signal.TRACES);
    volatileStore.persistCommits = false; // as if it crashed before every commit
    RecordingIndexer durableStore = indexer("durable", Signal.TRACES);
    List<Long> positions = new ArrayList<>();
    try (IngestPipeline pipeline = pipeline(volatileStore, durableStore).build()) {
      pipeline.start();
      pipeline.accept(sent.get(0)).join();
      pipeline.accept(sent.get(1)).join();
      await().atMost(PATIENCE).untilAsserted(() -> assertThat(durableStore.applied).hasSize(2));
      durableStore.applied.forEach(a -> positions.add(a.position()));
    }
    assertThat(durableStore.checkpoint()).isPositive();
    assertThat(volatileStore.checkpoint()).isZero();

    RecordingIndexer volatile2 = indexer("volatile", Signal.TRACES);
    volatile2.persistCommits = false;
    RecordingIndexer durable2 = indexer("durable", Signal.TRACES);
    try (IngestPipeline pipeline = pipeline(volatile2, durable2).build()) {
      pipeline.start();
      assertThat(volatile2.applied)
          .extracting(Applied::position)
          .containsExactlyElementsOf(positions);
      assertThat(volatile2.applied)
          .extracting(a -> a.batch().message())
          .containsExactly(sent.get(0).message(), sent.get(1).message());
      assertThat(durable2.applied).as("committed everything before the restart").isEmpty();
      pipeline.accept(sent.get(2)).join();
      await().atMost(PATIENCE).untilAsserted(() -> assertThat(durable2.applied).hasSize(1));
      positions.add(durable2.applied.get(0).position());
      durable2.persistCommits = false; // crash: its last batch is applied but not committed
    }

    RecordingIndexer volatile3 = indexer("volatile", Signal.TRACES);
    RecordingIndexer durable3 = indexer("durable", Signal.TRACES);
    try (IngestPipeline pipeline = pipeline(volatile3, durable3).build()) {
      pipeline.start();
      assertThat(volatile3.applied)
          .extracting(Applied::position)
          .containsExactlyElementsOf(positions);
      assertThat(durable3.applied).extracting(Applied::position).containsExactly(positions.get(2));
      assertThat(durable3.applied.get(0).batch().message()).isEqualTo(sent.get(2).message());
    }
  }

  @Test
  void backpressureWhenIndexersFallBehindAndRoomAgainOnceTheyCatchUp() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    TelemetryBatch first = traces("first");
    TelemetryBatch second = traces("second");
    long size = first.bytes().length;
    long max = size + size / 2;
    RecordingIndexer slow = indexer("slow", Signal.TRACES);
    slow.gate = new CountDownLatch(1);
    try (IngestPipeline pipeline =
        pipeline(slow)
            .maxInFlightBytes(max)
            .retryAfter(Duration.ofMillis(250))
            .registry(registry)
            .build()) {
      pipeline.start();
      pipeline.accept(first).join(); // durable even though no store applied it yet
      assertThat(pipeline.hasRoomFor(size)).isFalse();

      assertThatThrownBy(() -> pipeline.accept(second).join())
          .isInstanceOf(CompletionException.class)
          .cause()
          .isInstanceOf(BackpressureException.class)
          .hasMessageContaining(String.valueOf(max))
          .satisfies(
              e ->
                  assertThat(((BackpressureException) e).retryAfter())
                      .isEqualTo(Duration.ofMillis(250)));
      assertThat(labelled(registry, "faultline_ingest_rejected", "reason", "backpressure"))
          .isEqualTo(1);
      assertThat(gauge(registry, "faultline_ingest_inflight_bytes", null, null)).isEqualTo(size);
      assertThat(gauge(registry, "faultline_ingest_queue_depth", "store", "slow")).isEqualTo(1);

      slow.gate.countDown();
      await().atMost(PATIENCE).until(() -> pipeline.hasRoomFor(size));
      pipeline.accept(second).join();
      await().atMost(PATIENCE).untilAsserted(() -> assertThat(slow.applied).hasSize(2));
      await()
          .atMost(PATIENCE)
          .untilAsserted(
              () ->
                  assertThat(gauge(registry, "faultline_ingest_inflight_bytes", null, null))
                      .isZero());
    }
  }

  @Test
  void aBatchLargerThanTheLimitIsTakenWhenNothingElseIsInFlight() throws Exception {
    TelemetryBatch small = traces("small");
    TelemetryBatch large = traces("large".repeat(200));
    int max = small.bytes().length;
    assertThat(large.bytes().length).isGreaterThan(max);
    RecordingIndexer slow = indexer("slow", Signal.TRACES);
    slow.gate = new CountDownLatch(1);
    try (IngestPipeline pipeline = pipeline(slow).maxInFlightBytes(max).build()) {
      pipeline.start();
      pipeline.accept(small).join();
      assertThatThrownBy(() -> pipeline.accept(large).join())
          .cause()
          .isInstanceOf(BackpressureException.class);

      slow.gate.countDown();
      await().atMost(PATIENCE).until(() -> pipeline.hasRoomFor(large.bytes().length));
      pipeline.accept(large).join();
      await().atMost(PATIENCE).untilAsserted(() -> assertThat(slow.applied).hasSize(2));
    }
  }

  @Test
  void segmentsAreDeletedOnceEveryIndexerCommittedPastThem() throws Exception {
    RecordingIndexer fast = indexer("fast", Signal.TRACES);
    RecordingIndexer lagging = indexer("lagging", Signal.TRACES);
    lagging.persistCommits = false;
    try (IngestPipeline pipeline = pipeline(fast, lagging).maxSegmentBytes(1024).build()) {
      pipeline.start();
      List<CompletableFuture<Void>> acks = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        acks.add(pipeline.accept(traces("span-" + i + "-" + "x".repeat(150))));
      }
      acks.forEach(CompletableFuture::join);
      int before = segments().size();
      assertThat(before).isGreaterThan(2);

      pipeline.commitNow();
      assertThat(fast.checkpoint()).isPositive();
      assertThat(segments()).as("lagging store still needs them").hasSize(before);

      lagging.persistCommits = true;
      pipeline.commitNow();
      assertThat(lagging.checkpoint()).isEqualTo(fast.checkpoint());
      assertThat(segments()).hasSize(1);
    }
  }

  @Test
  void aCleanStopLeavesNoLogAndTheNextStartAppliesOnlyNewBatches() throws Exception {
    RecordingIndexer traces = indexer("traces", Signal.TRACES);
    RecordingIndexer idle = indexer("logs", Signal.LOGS);
    long end;
    try (IngestPipeline pipeline = pipeline(traces, idle).maxSegmentBytes(1024).build()) {
      pipeline.start();
      for (int i = 0; i < 10; i++) {
        pipeline.accept(traces("span-" + i + "-" + "x".repeat(150))).join();
      }
      await().atMost(PATIENCE).untilAsserted(() -> assertThat(traces.applied).hasSize(10));
    }
    end = traces.checkpoint();
    assertThat(end).isPositive();
    assertThat(segments()).as("everything was committed at close").isEmpty();

    RecordingIndexer tracesAgain = indexer("traces", Signal.TRACES);
    RecordingIndexer idleAgain = indexer("logs", Signal.LOGS);
    try (IngestPipeline pipeline = pipeline(tracesAgain, idleAgain).build()) {
      pipeline.start();
      pipeline.accept(traces("after-restart")).join();
      await().atMost(PATIENCE).untilAsserted(() -> assertThat(tracesAgain.applied).hasSize(1));
      assertThat(tracesAgain.applied.get(0).position()).isEqualTo(end);
    }
  }

  @Test
  void aStoreThatReceivesNothingDoesNotKeepTheLogAlive() throws Exception {
    // #2: a logs store without any log traffic pinned every trace segment on disk forever
    RecordingIndexer traces = indexer("traces", Signal.TRACES);
    RecordingIndexer idle = indexer("logs", Signal.LOGS);
    try (IngestPipeline pipeline = pipeline(traces, idle).maxSegmentBytes(1024).build()) {
      pipeline.start();
      List<CompletableFuture<Void>> acks = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        acks.add(pipeline.accept(traces("span-" + i + "-" + "x".repeat(150))));
      }
      acks.forEach(CompletableFuture::join);
      assertThat(segments().size()).isGreaterThan(2);

      pipeline.commitNow();
      assertThat(idle.checkpoint()).isZero();
      assertThat(segments()).hasSize(1);
    }
  }

  @Test
  void failedIndexerStopsBeforeTheFailedBatchAndGetsItAgainAfterRestart() throws Exception {
    List<TelemetryBatch> sent = List.of(traces("ok"), traces("poison"), traces("later"));
    RecordingIndexer failing = indexer("failing", Signal.TRACES);
    failing.failOn = b -> b.equals(sent.get(1));
    RecordingIndexer healthy = indexer("healthy", Signal.TRACES);
    try (IngestPipeline pipeline = pipeline(failing, healthy).build()) {
      pipeline.start();
      pipeline.accept(sent.get(0)).join();
      await().atMost(PATIENCE).untilAsserted(() -> assertThat(failing.applied).hasSize(1));
      pipeline.commitNow();
      long committed = failing.checkpoint();
      assertThat(committed).isEqualTo(failing.applied.get(0).next());

      pipeline.accept(sent.get(1)).join();
      pipeline.accept(sent.get(2)).join();
      await().atMost(PATIENCE).untilAsserted(() -> assertThat(healthy.applied).hasSize(3));
      await()
          .atMost(PATIENCE)
          .until(() -> pipeline.hasRoomFor(IngestPipeline.DEFAULT_MAX_IN_FLIGHT_BYTES));
      assertThat(failing.applied).hasSize(1);
      assertThat(pipeline.check().isHealthy()).isFalse();
      assertThat(pipeline.check().message())
          .contains("failing")
          .contains(String.valueOf(healthy.applied.get(1).position()));
      pipeline.commitNow();
      assertThat(failing.checkpoint()).isEqualTo(committed);
    }

    RecordingIndexer fixed = indexer("failing", Signal.TRACES);
    RecordingIndexer healthy2 = indexer("healthy", Signal.TRACES);
    try (IngestPipeline pipeline = pipeline(fixed, healthy2).build()) {
      pipeline.start();
      assertThat(fixed.applied)
          .extracting(a -> a.batch().message())
          .containsExactly(sent.get(1).message(), sent.get(2).message());
      assertThat(healthy2.applied).isEmpty();
      assertThat(pipeline.check().isHealthy()).isTrue();
    }
  }

  @Test
  void aBatchWhoseDataTripsABugIsSkippedAndTheStoreGoesOn() throws Exception {
    List<TelemetryBatch> sent = List.of(traces("ok"), traces("trips a bug"), traces("later"));
    RecordingIndexer buggy = indexer("buggy", Signal.TRACES);
    buggy.failOn = b -> b.equals(sent.get(1));
    buggy.bug = new IllegalArgumentException("a bug meeting this data (test)");
    PrometheusRegistry registry = new PrometheusRegistry();
    try (IngestPipeline pipeline = pipeline(buggy).registry(registry).build()) {
      pipeline.start();
      for (TelemetryBatch b : sent) {
        pipeline.accept(b).join();
      }
      await().atMost(PATIENCE).untilAsserted(() -> assertThat(buggy.applied).hasSize(2));
      assertThat(buggy.applied)
          .extracting(a -> a.batch().message())
          .containsExactly(sent.get(0).message(), sent.get(2).message());
      assertThat(pipeline.check().isHealthy()).isTrue();
      pipeline.commitNow();
      assertThat(buggy.checkpoint()).isEqualTo(buggy.applied.get(1).next());
      assertThat(labelled(registry, "faultline_ingest_batches_skipped", "store", "buggy"))
          .isEqualTo(1);
    }
  }

  @Test
  void aClosedIndexStopsTheStoreAsADiskErrorDoesInsteadOfSkippingTheBatch() throws Exception {
    List<TelemetryBatch> sent = List.of(traces("refused"), traces("later"));
    RecordingIndexer closed = indexer("closed", Signal.TRACES);
    closed.failOn = b -> true;
    closed.bug = new org.apache.lucene.store.AlreadyClosedException("index is closed (test)");
    PrometheusRegistry registry = new PrometheusRegistry();
    try (IngestPipeline pipeline = pipeline(closed).registry(registry).build()) {
      pipeline.start();
      for (TelemetryBatch b : sent) {
        pipeline.accept(b).join();
      }
      await().atMost(PATIENCE).until(() -> !pipeline.check().isHealthy());
      assertThat(pipeline.check().message()).contains("closed").contains("stopped indexing");
      assertThat(labelled(registry, "faultline_ingest_batches_skipped", "store", "closed"))
          .isZero();
      pipeline.commitNow();
      assertThat(closed.checkpoint()).isZero();
    }
  }

  @Test
  void anIndexerBusyTooLongIsReportedStuck() throws Exception {
    MutableClock clock = new MutableClock();
    RecordingIndexer slow = indexer("slow", Signal.TRACES);
    slow.gate = new CountDownLatch(1);
    try (IngestPipeline pipeline =
        pipeline(slow).clock(clock).stuckAfter(Duration.ofSeconds(30)).build()) {
      pipeline.start();
      pipeline.accept(traces("t")).join();
      assertThat(slow.entered.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
      assertThat(pipeline.check().isHealthy()).isTrue();
      clock.advance(Duration.ofSeconds(31));
      assertThat(pipeline.check().isHealthy()).isFalse();
      assertThat(pipeline.check().message()).contains("slow").contains("31 s");
      slow.gate.countDown();
      await().atMost(PATIENCE).until(() -> pipeline.check().isHealthy());
    }
  }

  @Test
  void acceptFailsBeforeStartAndAfterCloseAndCloseIsIdempotent() throws Exception {
    RecordingIndexer store = indexer("store", Signal.TRACES);
    IngestPipeline pipeline = pipeline(store).build();
    assertThatThrownBy(() -> pipeline.accept(traces("early")).join())
        .hasCauseInstanceOf(IllegalStateException.class);
    pipeline.start();
    pipeline.accept(traces("ok")).join();
    pipeline.close();
    pipeline.close();
    assertThatThrownBy(() -> pipeline.accept(traces("late")).join())
        .hasCauseInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThat(store.applied).hasSize(1);
    assertThat(store.checkpoint()).as("committed at close").isEqualTo(store.applied.get(0).next());
    assertThat(pipeline.check().isHealthy()).isFalse();
  }

  @Test
  void indexerNamesMustDiffer() {
    assertThatThrownBy(
            () ->
                IngestPipeline.builder(dir)
                    .indexers(
                        List.of(indexer("same", Signal.LOGS), indexer("same", Signal.TRACES))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("same");
  }

  private IngestPipeline.Builder pipeline(BatchIndexer... indexers) {
    return IngestPipeline.builder(dir.resolve("wal"))
        .indexers(List.of(indexers))
        .commitInterval(Duration.ofHours(1));
  }

  private RecordingIndexer indexer(String name, Signal... signals) {
    return new RecordingIndexer(name, dir.resolve(name + ".checkpoint"), Set.of(signals));
  }

  private List<Path> segments() throws IOException {
    try (Stream<Path> files = Files.list(dir.resolve("wal"))) {
      return files.filter(p -> p.toString().endsWith(".wal")).toList();
    }
  }

  private static TelemetryBatch traces(String spanName) {
    return TelemetryBatch.of(
        Signal.TRACES,
        ExportTraceServiceRequest.newBuilder()
            .addResourceSpans(
                ResourceSpans.newBuilder()
                    .addScopeSpans(
                        ScopeSpans.newBuilder().addSpans(Span.newBuilder().setName(spanName))))
            .build());
  }

  private static TelemetryBatch logs(String body) {
    return TelemetryBatch.of(
        Signal.LOGS,
        ExportLogsServiceRequest.newBuilder()
            .addResourceLogs(
                ResourceLogs.newBuilder()
                    .addScopeLogs(
                        ScopeLogs.newBuilder()
                            .addLogRecords(
                                LogRecord.newBuilder()
                                    .setBody(AnyValue.newBuilder().setStringValue(body)))))
            .build());
  }

  private static MetricSnapshot snapshot(PrometheusRegistry registry, String name) {
    return registry.scrape().stream()
        .filter(s -> s.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no metric " + name));
  }

  private static <D extends DataPointSnapshot> D point(List<D> points, String label, String value) {
    return points.stream()
        .filter(p -> label == null || value.equals(p.getLabels().get(label)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no data point " + label + "=" + value));
  }

  private static double labelled(
      PrometheusRegistry registry, String name, String label, String value) {
    return point(((CounterSnapshot) snapshot(registry, name)).getDataPoints(), label, value)
        .getValue();
  }

  private static double gauge(
      PrometheusRegistry registry, String name, String label, String value) {
    return point(((GaugeSnapshot) snapshot(registry, name)).getDataPoints(), label, value)
        .getValue();
  }

  record Applied(long position, long next, TelemetryBatch batch) {}

  /** A store that remembers what it got and keeps its checkpoint in a file. */
  static final class RecordingIndexer implements BatchIndexer {
    final List<Applied> applied = new CopyOnWriteArrayList<>();
    final CountDownLatch entered = new CountDownLatch(1);
    volatile CountDownLatch gate;
    volatile boolean persistCommits = true;
    volatile Predicate<TelemetryBatch> failOn = b -> false;
    /** What a batch that {@link #failOn} picks throws: a disk problem unless set otherwise. */
    volatile RuntimeException bug;
    private final String name;
    private final Path checkpointFile;
    private final Set<Signal> signals;
    private volatile long appliedUpTo;

    RecordingIndexer(String name, Path checkpointFile, Set<Signal> signals) {
      this.name = name;
      this.checkpointFile = checkpointFile;
      this.signals = signals;
      this.appliedUpTo = checkpoint();
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Set<Signal> signals() {
      return signals;
    }

    @Override
    public void apply(long position, long nextPosition, TelemetryBatch batch) throws IOException {
      entered.countDown();
      CountDownLatch g = gate;
      if (g != null) {
        try {
          g.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
      if (failOn.test(batch)) {
        if (bug != null) {
          throw bug;
        }
        throw new IOException("disk full (test)");
      }
      assertThat(position).isGreaterThanOrEqualTo(appliedUpTo);
      applied.add(new Applied(position, nextPosition, batch));
      appliedUpTo = nextPosition;
    }

    @Override
    public long checkpoint() {
      try {
        return Files.exists(checkpointFile) ? Long.parseLong(Files.readString(checkpointFile)) : 0;
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public long commit() throws IOException {
      if (persistCommits) {
        Files.writeString(checkpointFile, Long.toString(appliedUpTo));
      }
      return checkpoint();
    }
  }

  static final class MutableClock extends Clock {
    private final AtomicLong millis = new AtomicLong(1_700_000_000_000L);

    void advance(Duration d) {
      millis.addAndGet(d.toMillis());
    }

    @Override
    public long millis() {
      return millis.get();
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
