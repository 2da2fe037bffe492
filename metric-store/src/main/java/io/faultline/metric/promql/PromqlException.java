/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

/**
 * Base of every query failure. {@link #errorType()} is the Prometheus HTTP API error type the
 * HTTP layer answers with: {@code bad_data} (400), {@code execution} (422) or {@code timeout}
 * (503).
 */
public abstract class PromqlException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  PromqlException(String message) {
    super(message);
  }

  PromqlException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The Prometheus API error type for this failure. */
  public abstract String errorType();
}
