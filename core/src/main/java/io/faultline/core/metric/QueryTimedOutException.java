/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

/**
 * The query ran past its timeout and was abandoned ("query timed out in ..."). Retry later or
 * with a narrower query. Error type {@code timeout}, HTTP 503.
 */
public final class QueryTimedOutException extends MetricQueryException {
  private static final long serialVersionUID = 1L;

  public QueryTimedOutException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String errorType() {
    return "timeout";
  }

  @Override
  public int httpStatus() {
    return 503;
  }
}
