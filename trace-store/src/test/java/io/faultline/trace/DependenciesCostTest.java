/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace;

import static org.assertj.core.api.Assertions.assertThat;

import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.trace.TraceQueries.DependencyLink;
import io.faultline.store.TestData;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * How long {@code dependencies} takes over an hour of {@link TestData#randomTraffic} (by default
 * 20,000 traces, about 100,000 spans with ten attributes each; {@code
 * -Dfaultline.measure.traces=N} for more): a measurement, not a check, so it runs only when asked, with
 * {@code -Dfaultline.measure=true -Dtest=DependenciesCostTest}. It prints the median of five runs
 * after two warm-up runs.
 */
@EnabledIfSystemProperty(named = "faultline.measure", matches = "true")
class DependenciesCostTest {
  @TempDir Path dir;

  @Test
  void dependenciesOverAnHourOfTraffic() throws IOException {
    int traces = Integer.getInteger("faultline.measure.traces", 20_000);
    try (LuceneTraceStore store = LuceneTraceStore.builder(dir).clock(TestData.CLOCK).build()) {
      long position = 0;
      for (int seed = 0; seed * 10_000 < traces; seed++) {
        // in slices, so that the test data never fills the heap
        for (ExportTraceServiceRequest r :
            TestData.randomTraffic(seed, Math.min(10_000, traces - seed * 10_000))) {
          long next = position + r.getSerializedSize() + 16;
          store.indexer().apply(position, next, TelemetryBatch.of(Signal.TRACES, r));
          position = next;
        }
      }
      store.indexer().commit();
      long end = TestData.NOW.toEpochMilli();
      long lookback = Duration.ofHours(1).toMillis();
      List<DependencyLink> links = store.queries().dependencies(end, lookback);
      store.queries().dependencies(end, lookback);
      long[] nanos = new long[5];
      for (int i = 0; i < nanos.length; i++) {
        long t0 = System.nanoTime();
        store.queries().dependencies(end, lookback);
        nanos[i] = System.nanoTime() - t0;
      }
      java.util.Arrays.sort(nanos);
      System.out.printf(
          "dependencies over %d spans: median %d ms (min %d, max %d); %s%n",
          store.spanCount(),
          nanos[2] / 1_000_000,
          nanos[0] / 1_000_000,
          nanos[4] / 1_000_000,
          links);
      assertThat(links).isNotEmpty();
    }
  }
}
