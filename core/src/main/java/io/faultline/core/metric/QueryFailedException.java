/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

/**
 * A valid query failed while evaluating on the stored data (e.g. "vector cannot contain metrics
 * with the same labelset"). Error type {@code execution}, HTTP 422.
 */
public class QueryFailedException extends MetricQueryException {
  private static final long serialVersionUID = 1L;

  public QueryFailedException(String message) {
    super(message, null);
  }

  public QueryFailedException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String errorType() {
    return "execution";
  }

  @Override
  public int httpStatus() {
    return 422;
  }
}
