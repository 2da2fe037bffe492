/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

/**
 * The query cannot run as written: a PromQL syntax or type error (the message carries the
 * position, e.g. {@code 1:14: parse error: unexpected ...}), or a bad parameter or limit. The
 * client must change the request. Error type {@code bad_data}, HTTP 400.
 */
public final class InvalidQueryException extends MetricQueryException {
  private static final long serialVersionUID = 1L;

  public InvalidQueryException(String message) {
    super(message, null);
  }

  public InvalidQueryException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String errorType() {
    return "bad_data";
  }

  @Override
  public int httpStatus() {
    return 400;
  }
}
