/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

/**
 * The request cannot be decoded or carries nothing valid; the client must not retry it as is
 * (400 / INVALID_ARGUMENT). The message says what is wrong.
 */
public final class InvalidRequestException extends RuntimeException {
  public InvalidRequestException(String message) {
    super(message, null, false, false);
  }

  public InvalidRequestException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
