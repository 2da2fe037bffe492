/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.loki;

/**
 * A push request that cannot be taken as sent; {@link #httpStatus()} is the answer (400
 * undecodable or wholly invalid, 413 too large, 415 an encoding that is not accepted) and the
 * message tells the sender why. A sender must not retry such a request unchanged.
 */
public final class LokiPushException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int httpStatus;

  LokiPushException(int httpStatus, String message) {
    super(message, null, false, false);
    this.httpStatus = httpStatus;
  }

  public int httpStatus() {
    return httpStatus;
  }
}
