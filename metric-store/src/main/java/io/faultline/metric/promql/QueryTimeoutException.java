/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

/** The query ran past the engine's timeout and was abandoned (Prometheus error type timeout). */
public final class QueryTimeoutException extends PromqlException {
  private static final long serialVersionUID = 1L;

  QueryTimeoutException(String where) {
    super("query timed out in " + where);
  }

  @Override
  public String errorType() {
    return "timeout";
  }
}
