/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

/** No experiment or run with the given id. */
public final class ChaosNotFoundException extends Exception {
  public ChaosNotFoundException(String message) {
    super(message);
  }
}
