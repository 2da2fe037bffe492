/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.faultline.core.index.PartitionedIndex;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.log.LogEntry;
import io.faultline.core.log.LogPage;
import io.faultline.core.log.LogQueries;
import io.faultline.core.log.LogQuery;
import io.faultline.store.LogTestData;
import io.faultline.store.TestData;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partitions written by earlier versions (index sorted newest first) stay readable and writable
 * by the current store, and answer every query as a store written by the current version does.
 */
class StoredFormTest {
  private static final Instant FROM = TestData.NOW.minus(Duration.ofHours(1));
  private static final Instant TO = TestData.NOW.plusSeconds(1);

  @TempDir Path legacyDir;
  @TempDir Path currentDir;

  private static LuceneLogStore open(Path dir) throws IOException {
    return LuceneLogStore.builder(dir).clock(TestData.CLOCK).build();
  }

  /** Writes {@code request} at {@code position} in the earlier layout, index sort included. */
  private static void writeLegacy(Path dir, long position, ExportLogsServiceRequest request)
      throws IOException {
    try (PartitionedIndex index =
        PartitionedIndex.builder(dir)
            .indexSort(LogDocuments.NEWEST_FIRST)
            .analyzer(LogTextAnalyzer.forIndexing())
            .clock(TestData.CLOCK)
            .build()) {
      int ordinal = 0;
      for (ResourceLogs rl : request.getResourceLogsList()) {
        LogDocuments.ResourceFields resource = LogDocuments.resourceFields(rl.getResource());
        for (ScopeLogs sl : rl.getScopeLogsList()) {
          for (LogRecord record : sl.getLogRecordsList()) {
            long nanos = LogEntry.timestampNanos(record);
            byte[] stored = LogDocuments.single(rl, sl, record).toByteArray();
            index.add(
                position,
                Math.floorDiv(nanos, 1_000_000L),
                LogDocuments.document(resource, record, nanos, position, ordinal++, stored));
          }
        }
      }
      index.commit(position + 1);
    }
  }

  private static void apply(LuceneLogStore store, long position, ExportLogsServiceRequest request)
      throws IOException {
    store.indexer().apply(position, position + 1, TelemetryBatch.of(Signal.LOGS, request));
    store.indexer().commit();
  }

  /** Every page of {@code query}, newest first, three records a page. */
  private static List<LogEntry> allPages(LogQueries queries, String query) {
    List<LogEntry> out = new ArrayList<>();
    LogQuery q = LogQuery.of(query, FROM, TO, 3);
    while (true) {
      LogPage page = queries.search(q);
      out.addAll(page.logs());
      if (page.nextCursor() == null) {
        return out;
      }
      q = q.next(page.nextCursor());
    }
  }

  @Test
  void aPartitionOfTheEarlierLayoutAnswersAsOneWrittenNow() throws IOException {
    List<ExportLogsServiceRequest> canned = LogTestData.canned();
    List<ExportLogsServiceRequest> more = LogTestData.random(7, 550);
    writeLegacy(legacyDir, 1, canned.get(0));
    try (LuceneLogStore legacy = open(legacyDir);
        LuceneLogStore current = open(currentDir)) {
      apply(current, 1, canned.get(0));
      apply(legacy, 2, canned.get(1));
      apply(current, 2, canned.get(1));
      // one commit per batch: enough segments, sorted and unsorted, for merges between them
      for (int i = 0; i < more.size(); i++) {
        apply(legacy, 3 + i, more.get(i));
        current.indexer().apply(3 + i, 4 + i, TelemetryBatch.of(Signal.LOGS, more.get(i)));
      }
      current.indexer().commit();
      LogQueries old = legacy.queries();
      LogQueries now = current.queries();
      assertThat(legacy.recordCount()).isEqualTo(558).isEqualTo(current.recordCount());
      for (String query :
          List.of(
              "*",
              "body:card",
              "service:payments",
              "level:error",
              "trace_id:*",
              "attributes.seq:[10 TO 20]")) {
        List<LogEntry> expected = allPages(now, query);
        assertThat(allPages(old, query)).as(query).isEqualTo(expected).doesNotHaveDuplicates();
        LogQuery q = LogQuery.of(query, FROM, TO, 10);
        assertThat(old.histogram(q, Duration.ofMinutes(5)))
            .as(query)
            .isEqualTo(now.histogram(q, Duration.ofMinutes(5)));
        assertThat(old.fields(q, 5)).as(query).isEqualTo(now.fields(q, 5));
        LogQuery forward = new LogQuery(query, FROM, TO, LogQuery.Direction.FORWARD, 50, null);
        assertThat(old.search(forward)).as(query).isEqualTo(now.search(forward));
      }
      assertThat(allPages(old, "*")).hasSize(558);
      assertThat(old.labelValues("service_name", FROM, TO))
          .isEqualTo(now.labelValues("service_name", FROM, TO));
    }
    try (LuceneLogStore reopened = open(legacyDir)) {
      assertThat(reopened.recordCount()).isEqualTo(558);
      assertThat(allPages(reopened.queries(), "body:PaymentService")).hasSize(1);
    }
  }

  @Test
  void theStoredFormIsTheSingleRecordMessage() {
    List<ExportLogsServiceRequest> requests = new ArrayList<>(LogTestData.canned());
    requests.addAll(LogTestData.random(11, 120));
    ResourceLogs bare =
        ResourceLogs.newBuilder()
            .addScopeLogs(
                ScopeLogs.newBuilder()
                    .addLogRecords(LogRecord.newBuilder().setBody(
                        io.opentelemetry.proto.common.v1.AnyValue.newBuilder()
                            .setStringValue("x".repeat(300)))))
            .build();
    requests.add(ExportLogsServiceRequest.newBuilder().addResourceLogs(bare).build());
    int checked = 0;
    for (ExportLogsServiceRequest request : requests) {
      for (ResourceLogs rl : request.getResourceLogsList()) {
        for (ScopeLogs sl : rl.getScopeLogsList()) {
          LogDocuments.StoredForm form = new LogDocuments.StoredForm(rl, sl);
          for (LogRecord record : sl.getLogRecordsList()) {
            assertThat(form.of(record)).isEqualTo(LogDocuments.single(rl, sl, record).toByteArray());
            checked++;
          }
        }
      }
    }
    assertThat(checked).isEqualTo(129);
  }
}
