/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

/** A scraped body is not valid text format or OpenMetrics; the message names the line. */
final class ExpositionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int samplesBefore;

  ExpositionException(String message) {
    this(message, 0);
  }

  /** @param samplesBefore samples read before the error, which Prometheus reports as scraped */
  ExpositionException(String message, int samplesBefore) {
    super(message, null, false, false);
    this.samplesBefore = samplesBefore;
  }

  int samplesBefore() {
    return samplesBefore;
  }
}
