/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault;

/** A fault could not be injected, renewed or reverted; the message says what to check. */
public class FaultException extends Exception {
  public FaultException(String message) {
    super(message);
  }

  public FaultException(String message, Throwable cause) {
    super(message, cause);
  }
}
