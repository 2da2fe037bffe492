/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace.derived;

import static io.faultline.trace.derived.DerivedMetricsGeneratorTest.calls;
import static io.faultline.trace.derived.DerivedMetricsGeneratorTest.checkoutTrace;
import static io.faultline.trace.derived.DerivedMetricsGeneratorTest.edge;
import static io.faultline.trace.derived.DerivedTestSupport.NOW;
import static io.faultline.trace.derived.DerivedTestSupport.latest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.faultline.core.ingest.BatchIndexer;
import io.faultline.core.ingest.IngestPipeline;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.trace.derived.DerivedTestSupport.MutableClock;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generator as one of the real ingest pipeline's indexers, with the pipeline as its sink:
 * derived metrics go through the write-ahead log to the metric indexers, and a restart re-derives
 * only what was not yet durable.
 */
class DerivedMetricsPipelineTest {
  private static final Duration DEADLINE = Duration.ofSeconds(20);

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(NOW);

  /** Stands in for the metric store: records the metric batches it is handed. */
  static final class MetricBatches implements BatchIndexer {
    final List<ExportMetricsServiceRequest> requests = new CopyOnWriteArrayList<>();

    @Override
    public Set<Signal> signals() {
      return Set.of(Signal.METRICS);
    }

    @Override
    public void apply(long position, long nextPosition, TelemetryBatch batch) {
      requests.add((ExportMetricsServiceRequest) batch.message());
    }

    @Override
    public long checkpoint() {
      return 0;
    }

    @Override
    public long commit() {
      return 0;
    }
  }

  private DerivedMetricsGenerator generator() throws IOException {
    return DerivedMetricsGenerator.builder(dir.resolve("derived"))
        .clock(clock)
        .emitInterval(Duration.ofHours(1))
        .build();
  }

  private IngestPipeline pipeline(BatchIndexer... indexers) {
    return IngestPipeline.builder(dir.resolve("wal"))
        .indexers(List.of(indexers))
        .commitInterval(Duration.ofHours(1))
        .build();
  }

  @Test
  void derivedMetricsAreDurableAndARestartCountsEachSpanOnce() throws Exception {
    String checkout = calls("frontend", "GET /checkout", "SERVER", "UNSET");
    String ordersToInventory =
        edge("traces_service_graph_request_total", "orders", "inventory", "");

    // first life: trace 1 is derived and its metrics acknowledged; trace 2 is derived but the
    // process stops before its metrics are written
    DerivedMetricsGenerator first = generator();
    MetricBatches metrics = new MetricBatches();
    IngestPipeline pipeline = pipeline(first, metrics);
    pipeline.start();
    first.start(pipeline);
    for (TelemetryBatch b : checkoutTrace(1)) {
      pipeline.accept(b).join();
    }
    await().atMost(DEADLINE).until(() -> first.activeSeries() == 13);
    first.emit();
    await().atMost(DEADLINE).until(() -> !metrics.requests.isEmpty());
    Map<String, Double> firstValues = latest(metrics.requests);
    assertThat(firstValues).containsEntry(checkout, 1.0).containsEntry(ordersToInventory, 1.0);
    await().atMost(DEADLINE).until(() -> first.checkpoint() > 0);
    long afterTrace1 = first.checkpoint();

    for (TelemetryBatch b : checkoutTrace(2)) {
      pipeline.accept(b).join();
    }
    await().atMost(DEADLINE).until(() -> first.pendingEdges() == 2);
    pipeline.close(); // its final commit cannot write through a closed pipeline
    first.close();
    assertThat(first.checkpoint()).isEqualTo(afterTrace1);

    // second life: the log is replayed from the generator's checkpoint
    clock.advanceMillis(60_000);
    DerivedMetricsGenerator second = generator();
    assertThat(second.checkpoint()).isEqualTo(afterTrace1);
    MetricBatches replayed = new MetricBatches();
    IngestPipeline restarted = pipeline(second, replayed);
    restarted.start();
    // the metrics of trace 1 were durable: the metric store gets them again from the log
    assertThat(latest(replayed.requests)).containsEntry(checkout, 1.0);
    int before = replayed.requests.size();
    second.start(restarted);
    second.emit();
    await().atMost(DEADLINE).until(() -> replayed.requests.size() > before);
    Map<String, Double> secondValues =
        latest(replayed.requests.subList(before, replayed.requests.size()));
    // trace 2 only: a counter reset to 1, never 2 (trace 1 again) or 0 (trace 2 lost)
    assertThat(secondValues).containsEntry(checkout, 1.0).containsEntry(ordersToInventory, 1.0);
    await().atMost(DEADLINE).until(() -> second.checkpoint() > afterTrace1);
    restarted.close();
    second.close();
  }
}
