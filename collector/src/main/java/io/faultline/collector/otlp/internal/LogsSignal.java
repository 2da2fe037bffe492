/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import com.google.protobuf.ByteString;
import io.faultline.collector.otlp.IngestLimits;
import io.faultline.core.ingest.Signal;
import io.faultline.core.otlp.OtlpIds;
import io.grpc.MethodDescriptor;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Logs: trace context must be absent or well formed, attributes within {@link IngestLimits}, and
 * at most {@link IngestLimits#maxSpansPerRequest()} records per request (the per-request item
 * limit). A record with neither {@code time_unix_nano} nor {@code observed_time_unix_nano} gets
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
          untimed |= r.getTimeUnixNano() == 0 && r.getObservedTimeUnixNano() == 0;
        }
      }
    }
    RejectReason[] verdicts = new RejectReason[total];
    Rejections rejections = new Rejections();
    int index = 0;
    for (ResourceLogs rl : request.getResourceLogsList()) {
      AttributeCheck.Problem resourceProblem =
          AttributeCheck.check(rl.getResource().getAttributesList(), limits, "a resource");
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        AttributeCheck.Problem scopeProblem =
            resourceProblem != null
                ? resourceProblem
                : AttributeCheck.check(
                    sl.getScope().getAttributesList(),
                    limits,
                    "scope " + AttributeCheck.quote(sl.getScope().getName()));
        for (LogRecord record : sl.getLogRecordsList()) {
          RejectReason verdict;
          if (index >= limits.maxSpansPerRequest()) {
            verdict = RejectReason.TOO_MANY_LOG_RECORDS;
            rejections.add(
                verdict,
                "a request may carry "
                    + limits.maxSpansPerRequest()
                    + " log records; send the rest in another request");
          } else if (scopeProblem != null) {
            verdict = scopeProblem.reason();
            rejections.add(verdict, scopeProblem.detail());
          } else {
            verdict = checkRecord(record, limits, rejections);
          }
          verdicts[index++] = verdict;
        }
      }
    }
    if (rejections.isEmpty() && !untimed) {
      return new Validation<>(request, total, Map.of(), "");
    }
    long accepted = total - rejections.total();
    return new Validation<>(
        keep(request, verdicts),
        accepted,
        rejections.counts(),
        rejections.isEmpty() ? "" : rejections.message(total, "log records"));
  }

  private static RejectReason checkRecord(
      LogRecord record, IngestLimits limits, Rejections rejections) {
    ByteString traceId = record.getTraceId();
    ByteString spanId = record.getSpanId();
    if (!traceId.isEmpty() && traceId.size() != OtlpIds.TRACE_ID_BYTES
        || !spanId.isEmpty() && spanId.size() != OtlpIds.SPAN_ID_BYTES) {
      rejections.add(
          RejectReason.INVALID_LOG_CONTEXT,
          "a log record has a trace_id of "
              + traceId.size()
              + " bytes and a span_id of "
              + spanId.size()
              + " bytes; they must be empty or 16 and 8 bytes");
      return RejectReason.INVALID_LOG_CONTEXT;
    }
    AttributeCheck.Problem p =
        AttributeCheck.check(record.getAttributesList(), limits, "a log record");
    if (p != null) {
      rejections.add(p.reason(), p.detail());
      return p.reason();
    }
    return null;
  }

  private ExportLogsServiceRequest keep(ExportLogsServiceRequest request, RejectReason[] verdicts) {
    long receivedNanos = TimeUnit.MILLISECONDS.toNanos(clock.millis());
    ExportLogsServiceRequest.Builder out = ExportLogsServiceRequest.newBuilder();
    int index = 0;
    for (ResourceLogs rl : request.getResourceLogsList()) {
      ResourceLogs.Builder rlOut = null;
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        ScopeLogs.Builder slOut = null;
        for (LogRecord record : sl.getLogRecordsList()) {
          if (verdicts[index++] == null) {
            if (slOut == null) {
              slOut = sl.toBuilder().clearLogRecords();
            }
            slOut.addLogRecords(
                record.getTimeUnixNano() == 0 && record.getObservedTimeUnixNano() == 0
                    ? record.toBuilder().setObservedTimeUnixNano(receivedNanos).build()
                    : record);
          }
        }
        if (slOut != null) {
          if (rlOut == null) {
            rlOut = rl.toBuilder().clearScopeLogs();
          }
          rlOut.addScopeLogs(slOut);
        }
      }
      if (rlOut != null) {
        out.addResourceLogs(rlOut);
      }
    }
    return out.build();
  }
}
