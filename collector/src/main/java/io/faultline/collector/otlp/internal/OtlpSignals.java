/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.util.List;

/** The signals the receivers serve: traces, metrics and logs, on both transports. */
public final class OtlpSignals {
  private OtlpSignals() {}

  public static OtlpSignal<ExportTraceServiceRequest, ExportTraceServiceResponse> traces() {
    return TraceSignal.INSTANCE;
  }

  public static OtlpSignal<ExportLogsServiceRequest, ExportLogsServiceResponse> logs() {
    return LogsSignal.INSTANCE;
  }

  public static OtlpSignal<ExportMetricsServiceRequest, ExportMetricsServiceResponse> metrics() {
    return MetricsSignal.INSTANCE;
  }

  public static List<OtlpSignal<?, ?>> supported() {
    return List.of(TraceSignal.INSTANCE, MetricsSignal.INSTANCE, LogsSignal.INSTANCE);
  }

}
