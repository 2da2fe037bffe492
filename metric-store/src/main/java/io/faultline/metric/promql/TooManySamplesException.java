/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

/**
 * The query would hold more samples in memory than the engine's limit allows. Narrow the
 * selectors or the time range, or raise the limit.
 */
public final class TooManySamplesException extends QueryExecutionException {
  private static final long serialVersionUID = 1L;

  TooManySamplesException() {
    super("query processing would load too many samples into memory in query execution");
  }
}
