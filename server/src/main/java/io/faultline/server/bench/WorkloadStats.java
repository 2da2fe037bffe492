/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.util.HashSet;
import java.util.Set;

/** The shape of a workload in numbers, for the report. */
record WorkloadStats(
    int services,
    double spansPerTrace,
    int minDepth,
    int maxDepth,
    double attributesPerSpan,
    double errorFraction,
    double eventFraction) {

  static WorkloadStats of(TraceShapes shapes) {
    Set<String> services = new HashSet<>();
    long spans = 0;
    long attributes = 0;
    long errors = 0;
    long withEvents = 0;
    int minDepth = Integer.MAX_VALUE;
    int maxDepth = 0;
    for (TraceTemplate trace : shapes.traces()) {
      minDepth = Math.min(minDepth, trace.depth());
      maxDepth = Math.max(maxDepth, trace.depth());
      for (SpanTemplate span : trace.spans()) {
        services.add(span.service());
        spans++;
        attributes += span.attributes().size();
        errors += span.isError() ? 1 : 0;
        withEvents += span.events().isEmpty() ? 0 : 1;
      }
    }
    return new WorkloadStats(
        services.size(),
        spans / (double) shapes.traces().size(),
        minDepth,
        maxDepth,
        attributes / (double) spans,
        errors / (double) spans,
        withEvents / (double) spans);
  }

  String describe() {
    return String.format(
        "%d services, %.1f spans per trace, depth %d-%d, %.1f attributes per span, %.1f%% error"
            + " spans, %.0f%% spans with events",
        services,
        spansPerTrace,
        minDepth,
        maxDepth,
        attributesPerSpan,
        100 * errorFraction,
        100 * eventFraction);
  }
}
