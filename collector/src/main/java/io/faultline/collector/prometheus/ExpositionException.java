/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

/** A scraped body is not valid text format or OpenMetrics; the message names the line. */
final class ExpositionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ExpositionException(String message) {
    super(message, null, false, false);
  }
}
