/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

import java.time.Duration;

/**
 * Per-query settings of {@link MetricQueries}, as Prometheus' query API parameters carry them.
 *
 * @param timeout wall-clock limit of this query, or null for the store's default; a value above
 *     the store's configured maximum is lowered to it
 * @param lookbackDelta how far back an instant selector looks for a sample ({@code
 *     lookback_delta}), or null for the store's default (5 minutes)
 * @param limit at most this many series in the result ({@code limit}), 0 for no limit; a
 *     truncated result carries a warning, as in Prometheus 3
 */
public record QueryOptions(Duration timeout, Duration lookbackDelta, int limit) {

  /** Every setting at the store's default. */
  public static final QueryOptions DEFAULTS = new QueryOptions(null, null, 0);

  public QueryOptions {
    if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
      throw new InvalidQueryException("timeout must be positive, got " + timeout);
    }
    if (lookbackDelta != null && (lookbackDelta.isZero() || lookbackDelta.isNegative())) {
      throw new InvalidQueryException("lookback_delta must be positive, got " + lookbackDelta);
    }
    if (limit < 0) {
      throw new InvalidQueryException("limit must be non-negative, got " + limit);
    }
  }
}
