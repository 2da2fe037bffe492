/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.log;

import com.google.protobuf.InvalidProtocolBufferException;
import io.faultline.core.index.PartitionedIndex;
import io.faultline.core.ingest.BatchIndexer;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.log.LogEntry;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.io.IOException;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Indexes log batches record by record. A record with neither a time nor an observed time (the
 * receivers always set the observed time) is indexed at the clock's "now" and counted.
 */
final class LuceneLogIndexer implements BatchIndexer {
  private static final Logger LOG = LoggerFactory.getLogger(LuceneLogIndexer.class);

  private final PartitionedIndex index;
  private final Clock clock;
  private final LongAdder untimed = new LongAdder();
  /** Only the indexing thread (the caller of {@link #apply}) touches it. */
  private final LogDocuments.SeverityFields severities = new LogDocuments.SeverityFields();
  private volatile long appliedPosition;

  LuceneLogIndexer(PartitionedIndex index, Clock clock) {
    this.index = index;
    this.clock = clock;
    this.appliedPosition = index.checkpoint();
  }

  @Override
  public String name() {
    return "logs";
  }

  @Override
  public Set<Signal> signals() {
    return Set.of(Signal.LOGS);
  }

  @Override
  public void apply(long position, long nextPosition, TelemetryBatch batch) throws IOException {
    if (batch.signal() != Signal.LOGS) {
      throw new IllegalArgumentException("the log store indexes only LOGS batches, got " + batch.signal());
    }
    ExportLogsServiceRequest request = request(batch, position);
    int ordinal = 0;
    for (ResourceLogs rl : request.getResourceLogsList()) {
      LogDocuments.ResourceFields resource = LogDocuments.resourceFields(rl.getResource());
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        LogDocuments.StoredForm storedForm = new LogDocuments.StoredForm(rl, sl);
        for (LogRecord record : sl.getLogRecordsList()) {
          long nanos = LogEntry.timestampNanos(record);
          if (nanos == 0) {
            untimed.increment();
            nanos = Math.multiplyExact(clock.millis(), 1_000_000L);
          }
          index.add(
              position,
              Math.floorDiv(nanos, 1_000_000L),
              LogDocuments.document(
                  severities, resource, record, nanos, position, ordinal++, storedForm.of(record)));
        }
      }
    }
    // Written after the adds: tail treats every position below it as fully added.
    appliedPosition = Math.max(appliedPosition, nextPosition);
  }

  private static ExportLogsServiceRequest request(TelemetryBatch batch, long position) {
    try {
      return batch.messageAs(ExportLogsServiceRequest.getDefaultInstance());
    } catch (InvalidProtocolBufferException e) {
      // The log checksums its records, so this is a bug upstream, not disk damage: skip, loudly.
      LOG.error("log batch at log position {} is not an ExportLogsServiceRequest; skipped", position, e);
      return ExportLogsServiceRequest.getDefaultInstance();
    }
  }

  @Override
  public long checkpoint() {
    return index.checkpoint();
  }

  @Override
  public long commit() throws IOException {
    return index.commit(appliedPosition);
  }

  long appliedPosition() {
    return appliedPosition;
  }

  long untimedRecords() {
    return untimed.sum();
  }
}
