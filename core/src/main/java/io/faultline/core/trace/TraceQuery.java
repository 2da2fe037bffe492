/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.trace;

import java.util.Map;
import java.util.Objects;

/**
 * A trace search, in Jaeger's terms. A trace matches when one of its spans satisfies every given
 * condition at once: its service, its operation, every tag (found among the span's attributes, its
 * resource attributes or its events' attributes, compared as Jaeger shows values: strings as is,
 * booleans as {@code true}/{@code false}, numbers in their decimal form), its start within the
 * range and its duration within the bounds.
 *
 * @param service service name, or null for any
 * @param operation span name, or null for any
 * @param tags tag key to value, all required; empty for none
 * @param startMicros earliest span start (inclusive), microseconds since the epoch
 * @param endMicros latest span start (inclusive), microseconds since the epoch
 * @param minDurationMicros minimum span duration (inclusive), or null
 * @param maxDurationMicros maximum span duration (inclusive), or null
 * @param limit maximum number of traces, at least 1
 */
public record TraceQuery(
    String service,
    String operation,
    Map<String, String> tags,
    long startMicros,
    long endMicros,
    Long minDurationMicros,
    Long maxDurationMicros,
    int limit) {

  public TraceQuery {
    tags = Map.copyOf(Objects.requireNonNull(tags, "tags"));
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, was " + limit);
    }
    if (endMicros < startMicros) {
      throw new IllegalArgumentException("end must not be before start");
    }
  }
}
