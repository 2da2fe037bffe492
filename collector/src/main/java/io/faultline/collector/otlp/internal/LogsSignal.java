/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import io.faultline.collector.otlp.IngestLimits;
import io.faultline.collector.otlp.internal.AttributeCheck.Problem;
import io.faultline.core.ingest.Signal;
import io.grpc.MethodDescriptor;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

/**
 * Logs: attributes within {@link IngestLimits}, and at most {@link
 * IngestLimits#maxSpansPerRequest()} records per request (the per-request item limit). A {@code
 * trace_id} or {@code span_id} that is all zero or of the wrong length is no reason to reject a
 * record: OTLP's logs.proto calls it invalid and asks receivers to assume the record is not
 * associated with a trace (or span), so the record is kept as sent and its ids are treated as
 * absent wherever they are indexed or shown. A record with neither {@code time_unix_nano} nor {@code observed_time_unix_nano} gets
 * the receipt time as its observed time, as the OTLP specification asks of a collector, so that
 * every stored record has a stable time (and a replay files it under the same one).
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
    for (ResourceLogs rl : request.getResourceLogsList()) {
      Problem resourceProblem = AttributeCheck.resource(rl.getResource(), limits);
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        Problem scopeProblem = AttributeCheck.scope(sl.getScope(), resourceProblem, limits);
        for (LogRecord record : sl.getLogRecordsList()) {
          if (!verdicts.rejectOverLimit()) {
            verdicts.record(scopeProblem != null ? scopeProblem : checkRecord(record, limits));
          }
        }
      }
    }
    return verdicts.outcome(request, untimed, this::keep);
  }

  private static Problem checkRecord(LogRecord record, IngestLimits limits) {
    return AttributeCheck.check(record.getAttributesList(), limits, "a log record");
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
