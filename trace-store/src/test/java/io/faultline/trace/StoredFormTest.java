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
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
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
