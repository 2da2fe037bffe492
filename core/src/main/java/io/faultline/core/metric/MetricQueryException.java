/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

/**
 * Base of every {@link MetricQueries} failure. The message is the one Prometheus would put in its
 * error envelope's {@code error} field.
 */
public abstract class MetricQueryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  MetricQueryException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Prometheus' API error type: {@code bad_data}, {@code execution} or {@code timeout}. */
  public abstract String errorType();

  /** The HTTP status Prometheus' API answers this failure with. */
  public abstract int httpStatus();
}
