/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.trace;

import io.opentelemetry.proto.trace.v1.TracesData;
import java.util.List;
import java.util.Optional;

/**
 * The read side of a trace store. Answers are OTLP {@link TracesData}: lossless, with every span's
 * resource and scope. Thread-safe; every method may be called concurrently with ingest.
 */
public interface TraceQueries {

  /**
   * All spans of one trace, grouped by resource and scope, spans ordered by start time. A span
   * received more than once, identical in every field and with the same resource and scope, is
   * returned once (here and in {@link #findTraces}).
   *
   * @param traceId 16 bytes
   * @return empty when no span of that trace is stored
   */
  Optional<TracesData> trace(byte[] traceId);

  /**
   * Traces that contain at least one span matching every condition of the query, most recent
   * first (by that span's start time), each one complete (all of its stored spans).
   */
  List<TracesData> findTraces(TraceQuery query);

  /** The names of services that sent spans, sorted. */
  List<String> services();

  /**
   * The operations (span names) of one service, with their span kinds, sorted by name then kind.
   *
   * @param spanKind a Jaeger span kind ({@code server}, {@code client}, {@code producer}, {@code
   *     consumer}, {@code internal}) or null for all
   */
  List<Operation> operations(String service, String spanKind);

  /**
   * Calls between services seen in spans that started within {@code [endMillis - lookbackMillis,
   * endMillis]}: a parent span of service A with a child span of service B (A != B) counts one call
   * from A to B.
   */
  List<DependencyLink> dependencies(long endMillis, long lookbackMillis);

  /** An operation of a service as Jaeger lists it. */
  record Operation(String name, String spanKind) {}

  /** Calls from one service to another. */
  record DependencyLink(String parent, String child, long callCount) {}
}
