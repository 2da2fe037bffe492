/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.faultline.core.index.PartitionedIndex;
import io.faultline.core.trace.TraceQuery;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FieldInfos;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stored layouts of {@link SpanDocuments}: resources stored once, and the older layout. */
class StoredFormTest {
  private static final Instant NOW = Instant.now();
  @TempDir Path dir;

  private static KeyValue attr(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  private static Span span(int i, byte traceByte) {
    byte[] traceId = new byte[16];
    traceId[0] = traceByte;
    long start = NOW.toEpochMilli() * 1_000_000L + i;
    return Span.newBuilder()
        .setTraceId(ByteString.copyFrom(traceId))
        .setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, (byte) i}))
        .setName("GET /orders")
        .setStartTimeUnixNano(start)
        .setEndTimeUnixNano(start + 5_000_000)
        .addAttributes(attr("http.route", "/orders/{id}"))
        .build();
  }

  private static ResourceSpans resourceSpans(String service, String instance, Span... spans) {
    return ResourceSpans.newBuilder()
        .setResource(
            Resource.newBuilder()
                .addAttributes(attr("service.name", service))
                .addAttributes(attr("service.instance.id", instance)))
        .setSchemaUrl("https://opentelemetry.io/schemas/1.24.0")
        .addScopeSpans(
            ScopeSpans.newBuilder()
                .setScope(InstrumentationScope.newBuilder().setName("io.faultline.test"))
                .setSchemaUrl("https://opentelemetry.io/schemas/1.21.0")
                .addAllSpans(List.of(spans)))
        .build();
  }

  private LuceneTraceStore open() throws Exception {
    return LuceneTraceStore.builder(dir).refreshInterval(Duration.ofMillis(100)).build();
  }

  @Test
  void spansOfManyBatchesShareOneResourceDocumentAndReadBackWithIt() throws Exception {
    ResourceSpans first = resourceSpans("orders", "a", span(1, (byte) 1), span(2, (byte) 1));
    ResourceSpans second = resourceSpans("orders", "a", span(3, (byte) 1));
    ResourceSpans other = resourceSpans("orders", "b", span(4, (byte) 1));
    try (LuceneTraceStore store = open()) {
      BatchIndexerSupport.apply(store, 1, first, other);
      BatchIndexerSupport.apply(store, 2, second);
      store.indexer().commit();

      assertThat(store.spanCount()).isEqualTo(4);
      var trace = store.queries().trace(span(1, (byte) 1).getTraceId().toByteArray()).orElseThrow();
      assertThat(trace.getResourceSpansList())
          .extracting(rs -> rs.getResource().getAttributes(1).getValue().getStringValue())
          .containsExactly("a", "b");
      ResourceSpans a = trace.getResourceSpans(0);
      assertThat(a.getSchemaUrl()).isEqualTo(first.getSchemaUrl());
      assertThat(a.getScopeSpans(0).getScope()).isEqualTo(first.getScopeSpans(0).getScope());
      assertThat(a.getScopeSpans(0).getSchemaUrl())
          .isEqualTo(first.getScopeSpans(0).getSchemaUrl());
      assertThat(a.getScopeSpans(0).getSpansList())
          .containsExactly(span(1, (byte) 1), span(2, (byte) 1), span(3, (byte) 1));
    }
  }

  @Test
  void aResourceLostWithAnUncommittedTailIsWrittenAgainOnReplay() throws Exception {
    ResourceSpans batch = resourceSpans("orders", "a", span(1, (byte) 2));
    try (LuceneTraceStore store = open()) {
      BatchIndexerSupport.apply(store, 1, batch);
      // closed without a commit, as in a crash: the write-ahead log replays position 1
    }
    try (LuceneTraceStore store = open()) {
      BatchIndexerSupport.apply(store, 1, batch);
      store.indexer().commit();
      assertThat(store.queries().trace(span(1, (byte) 2).getTraceId().toByteArray()))
          .hasValueSatisfying(
              t -> assertThat(t.getResourceSpans(0).getResource()).isEqualTo(batch.getResource()));
    }
  }

  @Test
  void readsSpansStoredInTheOlderLayoutWithTheirResource() throws Exception {
    ResourceSpans legacy = resourceSpans("payments", "p", span(7, (byte) 3));
    Span span = legacy.getScopeSpans(0).getSpans(0);
    long startMicros = span.getStartTimeUnixNano() / 1000;
    try (PartitionedIndex index = PartitionedIndex.builder(dir).build()) {
      index.add(
          1,
          startMicros / 1000,
          List.of(
              new StringField(
                  SpanDocuments.TRACE_ID,
                  new BytesRef(span.getTraceId().toByteArray()),
                  Field.Store.NO),
              new StringField(SpanDocuments.SERVICE, "payments", Field.Store.NO),
              new LongPoint(SpanDocuments.START, startMicros),
              new NumericDocValuesField(SpanDocuments.START, startMicros),
              new StoredField(SpanDocuments.SPAN, legacy.toByteArray())));
      index.commit(2);
    }
    try (LuceneTraceStore store = open()) {
      assertThat(store.queries().trace(span.getTraceId().toByteArray()))
          .hasValueSatisfying(t -> assertThat(t.getResourceSpans(0)).isEqualTo(legacy));
    }
  }

  @Test
  void theTimelessFormGivesBackEveryStartAndEnd() throws Exception {
    long now = NOW.toEpochMilli() * 1_000_000L + 123;
    long[][] times = {
      {now, now + 5_000_999}, // sub-microsecond start, nanosecond duration
      {now, now}, // zero duration
      {now, now - 1_500}, // an end before the start is kept as sent
      {0, 0}, // neither set
      {0, now}, // no start
      {now, 0}, // no end
      {-1, Long.MAX_VALUE}, // unsigned 2^64 - 1 as a Java long, and a wrapping difference
      {Long.MIN_VALUE + 7, Long.MIN_VALUE}
    };
    for (long[] t : times) {
      Span span = span(1, (byte) 9).toBuilder().setStartTimeUnixNano(t[0]).setEndTimeUnixNano(t[1]).build();
      byte[] stored = SpanDocuments.timeless(span);
      java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
      com.google.protobuf.CodedOutputStream header =
          com.google.protobuf.CodedOutputStream.newInstance(expected);
      header.writeSInt64NoTag(t[0] - SpanDocuments.startMicros(span) * 1_000);
      header.writeSInt64NoTag(t[1] - t[0]);
      header.flush();
      span.toBuilder().clearStartTimeUnixNano().clearEndTimeUnixNano().build().writeTo(expected);
      assertThat(stored).as("start %d end %d", t[0], t[1]).isEqualTo(expected.toByteArray());
      assertThat(SpanDocuments.fromTimeless(new BytesRef(stored), SpanDocuments.startMicros(span)))
          .as("start %d end %d", t[0], t[1])
          .isEqualTo(span);
      assertThat(stored.length).isLessThan(span.getSerializedSize() + 20);
    }
  }

  @Test
  void spansStoredWithTheirTimesAndStartPointsAreFoundByWindowAndOperationAndTakeMore() throws Exception {
    // the layout of 2026-11-24: whole span bytes, the start as points too, the name alone indexed
    ResourceSpans batch = resourceSpans("payments", "p", span(5, (byte) 6));
    Span span = batch.getScopeSpans(0).getSpans(0);
    long startMicros = SpanDocuments.startMicros(span);
    try (PartitionedIndex index =
        PartitionedIndex.builder(dir).indexSort(SpanDocuments.NEWEST_FIRST).build()) {
      SpanDocuments.SharedResource resource =
          new SpanDocuments.SharedResource(batch, batch.getScopeSpans(0));
      index.add(1, startMicros / 1000, resource.document());
      List<IndexableField> doc =
          new ArrayList<>(SpanDocuments.document("payments", resource, span, true));
      doc.removeIf(f -> f.name().equals(SpanDocuments.SPAN_TIMELESS));
      doc.add(new StoredField(SpanDocuments.SPAN_ONLY, span.toByteArray()));
      doc.add(new StringField("operation", span.getName(), Field.Store.NO));
      index.add(1, startMicros / 1000, doc);
      index.commit(2);
    }
    try (LuceneTraceStore store = open()) {
      // and a span in today's layout beside it, in the same partition, which keeps the points
      ResourceSpans current = resourceSpans("payments", "p", span(6, (byte) 6));
      BatchIndexerSupport.apply(store, 2, current);
      store.indexer().commit();

      for (String service : new String[] {"payments", null}) {
        List<io.opentelemetry.proto.trace.v1.TracesData> found =
            store.queries().findTraces(
                new TraceQuery(
                    service,
                    "GET /orders",
                    Map.of(),
                    startMicros - 1,
                    startMicros + 1,
                    null,
                    null,
                    20));
        assertThat(found).as("service %s", service).hasSize(1);
        assertThat(found.get(0).getResourceSpans(0).getScopeSpans(0).getSpansList())
            .containsExactly(span, current.getScopeSpans(0).getSpans(0));
      }
      assertThat(
              store.queries().findTraces(
                  new TraceQuery(
                      null, "GET /orders", Map.of(), startMicros + 1, startMicros + 9, null, null, 20)))
          .as("outside the window")
          .isEmpty();
      assertThat(
              store.queries().findTraces(
                  new TraceQuery(
                      "payments", "GET", Map.of(), startMicros - 1, startMicros + 1, null, null, 20)))
          .as("a prefix of the name is another operation")
          .isEmpty();
    }
  }

  @Test
  void aNewPartitionKeepsTheStartAsDocValuesOnlyAndTheSpanWithoutItsTimes() throws Exception {
    try (LuceneTraceStore store = open()) {
      BatchIndexerSupport.apply(store, 1, resourceSpans("orders", "a", span(1, (byte) 7)));
      store.indexer().commit();
    }
    List<Path> partitions;
    try (var files = Files.walk(dir)) {
      partitions =
          files
              .filter(f -> f.getFileName().toString().startsWith("segments_"))
              .map(Path::getParent)
              .toList();
    }
    assertThat(partitions).hasSize(1);
    try (var directory = FSDirectory.open(partitions.get(0));
        var reader = DirectoryReader.open(directory)) {
      FieldInfos fields = FieldInfos.getMergedFieldInfos(reader);
      assertThat(fields.fieldInfo(SpanDocuments.START).getPointDimensionCount()).isZero();
      assertThat(fields.fieldInfo(SpanDocuments.SPAN_TIMELESS)).isNotNull();
      assertThat(fields.fieldInfo(SpanDocuments.SPAN_ONLY)).isNull();
    }
  }

  @Test
  void tagValuesUpTo256CharactersAreIndexedWhateverTheirUtf8Length() throws Exception {
    String accents = "é".repeat(256); // 512 bytes of UTF-8, 256 characters
    String tooLong = "é".repeat(257);
    Span a = span(1, (byte) 4).toBuilder().addAttributes(attr("note", accents)).build();
    Span b = span(2, (byte) 5).toBuilder().addAttributes(attr("note", tooLong)).build();
    try (LuceneTraceStore store = open()) {
      BatchIndexerSupport.apply(store, 1, resourceSpans("orders", "a", a, b));
      store.indexer().commit();
      long from = (NOW.toEpochMilli() - 60_000) * 1000;
      long to = (NOW.toEpochMilli() + 60_000) * 1000;
      assertThat(
              store.queries().findTraces(
                  new TraceQuery(null, null, Map.of("note", accents), from, to, null, null, 20)))
          .hasSize(1);
      assertThat(
              store.queries().findTraces(
                  new TraceQuery(null, null, Map.of("note", tooLong), from, to, null, null, 20)))
          .as("stored, not indexed")
          .isEmpty();
      assertThat(store.queries().trace(b.getTraceId().toByteArray())).isPresent();
    }
  }

  /** Feeds batches to the store's indexer as the ingest pipeline would. */
  private static final class BatchIndexerSupport {
    static void apply(LuceneTraceStore store, long position, ResourceSpans... resourceSpans)
        throws Exception {
      ExportTraceServiceRequest request =
          ExportTraceServiceRequest.newBuilder().addAllResourceSpans(List.of(resourceSpans)).build();
      store.indexer().apply(position, position + 1, TelemetryBatch.of(Signal.TRACES, request));
    }
  }
}
