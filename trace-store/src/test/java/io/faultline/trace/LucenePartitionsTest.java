/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace;

import static org.assertj.core.api.Assertions.assertThat;

import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.trace.TraceQuery;
import io.faultline.store.TestData;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the Lucene store does with time partitions: spans split by start, retention by partition.
 */
class LucenePartitionsTest {
  private static final Instant HOUR_START = TestData.NOW.minus(Duration.ofHours(1));

  @TempDir Path dir;
  private final MovingClock clock = new MovingClock();
  private long position;

  private LuceneTraceStore open() throws IOException {
    return LuceneTraceStore.builder(dir)
        .partitionLength(Duration.ofHours(1))
        .retention(Duration.ofHours(3))
        .clock(clock)
        .build();
  }

  private void write(LuceneTraceStore store, ExportTraceServiceRequest request) throws IOException {
    long next = position + request.getSerializedSize();
    store.indexer().apply(position, next, TelemetryBatch.of(Signal.TRACES, request));
    position = next;
    store.indexer().commit();
  }

  /** frontend at 08:59:59.950 → cart at 09:00:00.050: one trace over two partitions. */
  private static ExportTraceServiceRequest boundaryTrace() {
    Instant start = HOUR_START.minusMillis(50);
    return TestData.request(
        TestData.resourceSpans(
            TestData.resource("frontend"),
            io.opentelemetry.proto.common.v1.InstrumentationScope.getDefaultInstance(),
            TestData.span(
                7,
                1,
                null,
                "GET /",
                Span.SpanKind.SPAN_KIND_SERVER,
                start,
                Duration.ZERO,
                Duration.ofMillis(200))),
        TestData.resourceSpans(
            TestData.resource("cart"),
            io.opentelemetry.proto.common.v1.InstrumentationScope.getDefaultInstance(),
            TestData.span(
                7,
                2,
                1,
                "GetCart",
                Span.SpanKind.SPAN_KIND_SERVER,
                start,
                Duration.ofMillis(100),
                Duration.ofMillis(20))));
  }

  @Test
  void aTraceOverTwoPartitionsIsFoundWhole() throws IOException {
    try (LuceneTraceStore store = open()) {
      write(store, boundaryTrace());

      assertThat(store.diskBytesByPartition())
          .containsOnlyKeys("2026-11-24T08-00-00", "2026-11-24T09-00-00");
      assertThat(store.queries().trace(TestData.traceId(7)).orElseThrow().getResourceSpansCount())
          .isEqualTo(2);
      // only the 09:00 partition overlaps the search window, yet the answer holds both spans
      TraceQuery query =
          new TraceQuery(
              "cart", null, Map.of(), micros(HOUR_START), micros(TestData.NOW), null, null, 10);
      assertThat(store.queries().findTraces(query))
          .singleElement()
          .satisfies(t -> assertThat(t.getResourceSpansCount()).isEqualTo(2));
      TraceQuery before =
          new TraceQuery(
              "cart",
              null,
              Map.of(),
              micros(HOUR_START.minusSeconds(600)),
              micros(HOUR_START.minusMillis(1)),
              null,
              null,
              10);
      assertThat(store.queries().findTraces(before)).isEmpty();
    }
  }

  @Test
  void retentionRemovesWholePartitions() throws IOException {
    try (LuceneTraceStore store = open()) {
      write(store, boundaryTrace());
      write(store, TestData.singleSpanTrace(8, "late", "tick", TestData.NOW.minusSeconds(60)));

      clock.advance(Duration.ofHours(2)); // now 12:00, the 08:00 partition ended before 09:00
      assertThat(store.index().applyRetention()).containsExactly("2026-11-24T08-00-00");

      assertThat(store.diskBytesByPartition()).containsOnlyKeys("2026-11-24T09-00-00");
      assertThat(store.queries().trace(TestData.traceId(7)).orElseThrow().getResourceSpansCount())
          .as("the cart span in the 09:00 partition stays")
          .isEqualTo(1);
      assertThat(store.queries().services()).containsExactly("cart", "late");
    }
  }

  private static long micros(Instant t) {
    return t.toEpochMilli() * 1000;
  }

  private static final class MovingClock extends Clock {
    private volatile Instant now = TestData.NOW;

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
