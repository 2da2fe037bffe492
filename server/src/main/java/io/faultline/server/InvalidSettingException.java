/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

/**
 * A setting that keeps the server from starting. Its message is written for the operator: it names
 * the setting and says what to do, and the launcher prints it without a stack trace.
 */
final class InvalidSettingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  InvalidSettingException(String message) {
    super(message);
  }

  InvalidSettingException(String message, Throwable cause) {
    super(message, cause);
  }
}
