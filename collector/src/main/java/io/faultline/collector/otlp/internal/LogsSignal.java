/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import io.faultline.collector.otlp.IngestLimits;
import io.faultline.collector.otlp.internal.AttributeCheck.Problem;
import io.faultline.core.ingest.Signal;
import io.faultline.core.log.LogEntry;
import io.grpc.MethodDescriptor;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Logs: attributes within {@link IngestLimits}, at most {@link IngestLimits#maxSpansPerRequest()}
 * records per request (the per-request item limit), and none older than {@link
 * IngestLimits#logRetention()}. A {@code trace_id} or {@code span_id} that is all zero or of the
 * wrong length is no reason to reject a record: OTLP's logs.proto calls it invalid and asks
 * receivers to assume the record is not associated with a trace (or span), so the record is kept as
 * sent and its ids are treated as absent wherever they are indexed or shown. A record with neither
 * {@code time_unix_nano} nor {@code observed_time_unix_nano} gets the receipt time as its observed
 * time, as the OTLP specification asks of a collector, so that every stored record has a stable
 * time (and a replay files it under the same one).
 */
final class LogsSignal implements OtlpSignal<ExportLogsServiceRequest, ExportLogsServiceResponse> {
  static final LogsSignal INSTANCE = new LogsSignal(Clock.systemUTC());

  private final Clock clock;

  LogsSignal(Clock clock) {
    this.clock = clock;
  }

  @Override
  public Signal signal() {
    return Signal.LOGS;
  }

  @Override
  public String name() {
    return "logs";
  }

  @Override
  public String itemName() {
    return "log records";
  }

  @Override
  public MethodDescriptor<ExportLogsServiceRequest, ExportLogsServiceResponse> grpcMethod() {
    return LogsServiceGrpc.getExportMethod();
  }

  @Override
  public ExportLogsServiceRequest requestPrototype() {
    return ExportLogsServiceRequest.getDefaultInstance();
  }

  @Override
  public ExportLogsServiceResponse success() {
    return ExportLogsServiceResponse.getDefaultInstance();
  }

  @Override
  public ExportLogsServiceResponse partialSuccess(long rejected, String errorMessage) {
    return ExportLogsServiceResponse.newBuilder()
        .setPartialSuccess(
            ExportLogsPartialSuccess.newBuilder()
                .setRejectedLogRecords(rejected)
                .setErrorMessage(errorMessage))
        .build();
  }

  @Override
  public Validation<ExportLogsServiceRequest> validate(
      ExportLogsServiceRequest request, IngestLimits limits) {
    int total = 0;
    boolean untimed = false;
    for (ResourceLogs rl : request.getResourceLogsList()) {
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        total += sl.getLogRecordsCount();
        for (LogRecord r : sl.getLogRecordsList()) {
          untimed |= untimed(r);
        }
      }
    }
    Verdicts verdicts =
        new Verdicts(
            total, limits.maxSpansPerRequest(), RejectReason.TOO_MANY_LOG_RECORDS, itemName());
    TimeBounds bounds = TimeBounds.of(limits.logRetention(), limits.clock());
    for (ResourceLogs rl : request.getResourceLogsList()) {
      Problem resourceProblem = AttributeCheck.resource(rl.getResource(), limits);
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        Problem scopeProblem = AttributeCheck.scope(sl.getScope(), resourceProblem, limits);
        for (LogRecord record : sl.getLogRecordsList()) {
          if (!verdicts.rejectOverLimit()) {
            Problem p = scopeProblem != null ? scopeProblem : checkRecord(record, limits);
            // an untimed record is filed under its receipt time, so it is never too old
            if (p == null && !untimed(record) && LogEntry.timestampNanos(record) < bounds.oldestNanos()) {
              p = tooOld(record, limits);
            }
            if (p == null && !untimed(record) && bounds.tooNew(LogEntry.timestampNanos(record))) {
              p =
                  TimeBounds.tooNew(
                      RejectReason.LOG_RECORD_TOO_NEW,
                      "a log record",
                      LogEntry.timestampNanos(record));
            }
            verdicts.record(p);
          }
        }
      }
    }
    return verdicts.outcome(request, untimed, this::keep);
  }

  private static Problem checkRecord(LogRecord record, IngestLimits limits) {
    return AttributeCheck.check(record.getAttributesList(), limits, "a log record");
  }

  /** Judged by the time the log store files the record under, {@link LogEntry#timestampNanos}. */
  private static Problem tooOld(LogRecord record, IngestLimits limits) {
    return new Problem(
        RejectReason.LOG_RECORD_TOO_OLD,
        "a log record is at "
            + Instant.ofEpochSecond(0, LogEntry.timestampNanos(record))
            + (record.getTimeUnixNano() != 0
                ? " (time_unix_nano)"
                : " (observed_time_unix_nano; it has no time_unix_nano)")
            + ", longer ago than the log retention of "
            + TraceSignal.human(limits.logRetention())
            + ", so it would be deleted at once; check the sender's clock and timestamps");
  }

  private ExportLogsServiceRequest keep(
      ExportLogsServiceRequest request, Verdicts.Cursor verdicts) {
    long receivedNanos = TimeUnit.MILLISECONDS.toNanos(clock.millis());
    ExportLogsServiceRequest.Builder out = ExportLogsServiceRequest.newBuilder();
    for (ResourceLogs rl : request.getResourceLogsList()) {
      ResourceLogs.Builder kept =
          Verdicts.keep(
              rl.getScopeLogsList(),
              sl ->
                  Verdicts.keep(
                      sl.getLogRecordsList(),
                      record -> verdicts.nextAccepted() ? timed(record, receivedNanos) : null,
                      () -> sl.toBuilder().clearLogRecords(),
                      ScopeLogs.Builder::addLogRecords),
              () -> rl.toBuilder().clearScopeLogs(),
              ResourceLogs.Builder::addScopeLogs);
      if (kept != null) {
        out.addResourceLogs(kept);
      }
    }
    return out.build();
  }

  /** The record with the receipt time as its observed time when it carries no time at all. */
  private static LogRecord timed(LogRecord record, long receivedNanos) {
    return untimed(record)
        ? record.toBuilder().setObservedTimeUnixNano(receivedNanos).build()
        : record;
  }

  private static boolean untimed(LogRecord record) {
    return record.getTimeUnixNano() == 0 && record.getObservedTimeUnixNano() == 0;
  }
}
