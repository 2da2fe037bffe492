/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.List;

/**
 * One span of a {@link TraceTemplate}: everything but the ids, the absolute times and the per-trace
 * values ({@code user.id}, {@code order.id}), which every generated trace varies.
 *
 * @param parent index of the parent span in the template, -1 for the root
 * @param resource index into {@link TraceShapes#resources()}
 * @param scope index into {@link TraceShapes#scopes()}
 * @param startOffsetNanos start relative to the trace's start
 * @param userIdAt index of the {@code user.id} attribute, -1 when absent
 * @param orderIdAt index of the {@code order.id} attribute, -1 when absent
 * @param remoteService the called service for client and producer spans, else null
 */
record SpanTemplate(
    int parent,
    int resource,
    int scope,
    String service,
    String name,
    Span.SpanKind kind,
    long startOffsetNanos,
    long durationNanos,
    List<KeyValue> attributes,
    int userIdAt,
    int orderIdAt,
    List<EventTemplate> events,
    Status status,
    String remoteService) {

  boolean isError() {
    return status.getCode() == Status.StatusCode.STATUS_CODE_ERROR;
  }

  /** A span event at a fixed offset from the trace's start. */
  record EventTemplate(long offsetNanos, String name, List<KeyValue> attributes) {}
}
