/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.logstash;

import io.faultline.core.ingest.BackpressureException;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A sink that keeps what it accepts, and can be told to have no room or to push back. */
final class CapturingSink implements TelemetrySink {
  /** A record with the service of its resource. */
  record Stored(String service, LogRecord record) {}

  final List<TelemetryBatch> batches = new CopyOnWriteArrayList<>();
  final AtomicInteger backpressureRounds = new AtomicInteger();
  final AtomicInteger refusedAccepts = new AtomicInteger();
  volatile boolean room = true;

  @Override
  public CompletableFuture<Void> accept(TelemetryBatch batch) {
    if (backpressureRounds.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      refusedAccepts.incrementAndGet();
      return CompletableFuture.failedFuture(new BackpressureException("full", Duration.ofMillis(10)));
    }
    batches.add(batch);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public boolean hasRoomFor(long bytes) {
    return room;
  }

  List<Stored> records() {
    List<Stored> out = new ArrayList<>();
    for (TelemetryBatch b : batches) {
      for (ResourceLogs rl : ((ExportLogsServiceRequest) b.message()).getResourceLogsList()) {
        String service = rl.getResource().getAttributes(0).getValue().getStringValue();
        for (ScopeLogs sl : rl.getScopeLogsList()) {
          for (LogRecord r : sl.getLogRecordsList()) {
            out.add(new Stored(service, r));
          }
        }
      }
    }
    return out;
  }

  List<String> bodies() {
    return records().stream().map(s -> s.record().getBody().getStringValue()).toList();
  }
}
