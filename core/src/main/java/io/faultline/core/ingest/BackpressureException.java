/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.ingest;

import java.time.Duration;

/** The platform cannot take more data right now; the client should retry after {@link #retryAfter()}. */
public final class BackpressureException extends RuntimeException {
  private final Duration retryAfter;

  public BackpressureException(String message, Duration retryAfter) {
    super(message, null, false, false);
    this.retryAfter = retryAfter;
  }

  public Duration retryAfter() {
    return retryAfter;
  }
}
