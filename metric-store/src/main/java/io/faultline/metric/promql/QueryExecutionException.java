/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

/** The query is valid but cannot be evaluated on this data (Prometheus error type execution). */
public class QueryExecutionException extends PromqlException {
  private static final long serialVersionUID = 1L;

  QueryExecutionException(String message) {
    super(message);
  }

  QueryExecutionException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String errorType() {
    return "execution";
  }
}
