/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.otlp;

/**
 * A body that is not valid OTLP/JSON. The message names the problem and, where there is one, the
 * path to the offending value, e.g. {@code resourceSpans[0].scopeSpans[0].spans[3].traceId:
 * expected 32 hex characters, got 31}, so a receiver can answer 400 with it as it is.
 */
public final class OtlpJsonException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public OtlpJsonException(String message) {
    super(message);
  }

  public OtlpJsonException(String message, Throwable cause) {
    super(message, cause);
  }
}
