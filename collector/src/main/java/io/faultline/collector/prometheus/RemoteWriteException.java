/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

/**
 * A remote write request that cannot be taken as sent; {@link #httpStatus()} is the answer (400
 * undecodable, 413 too large, 415 wrong content type or encoding) and the message tells the sender
 * why. A sender must not retry such a request unchanged.
 */
public final class RemoteWriteException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int httpStatus;

  RemoteWriteException(int httpStatus, String message) {
    super(message, null, false, false);
    this.httpStatus = httpStatus;
  }

  public int httpStatus() {
    return httpStatus;
  }
}
