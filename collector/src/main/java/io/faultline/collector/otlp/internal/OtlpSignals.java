/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.util.List;

/** The signals the receivers serve. Adding logs: a LogsSignal here, out of {@link #unsupported()}. */
public final class OtlpSignals {
  private OtlpSignals() {}

  public static OtlpSignal<ExportTraceServiceRequest, ExportTraceServiceResponse> traces() {
    return TraceSignal.INSTANCE;
  }

  public static List<OtlpSignal<?, ?>> supported() {
    return List.of(TraceSignal.INSTANCE);
  }

  public static List<UnsupportedSignal> unsupported() {
    return List.of(
        new UnsupportedSignal("logs", LogsServiceGrpc.getExportMethod()),
        new UnsupportedSignal("metrics", MetricsServiceGrpc.getExportMethod()));
  }
}
