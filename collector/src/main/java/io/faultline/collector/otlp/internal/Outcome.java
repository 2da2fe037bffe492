/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

/** How one export request ended: the {@code outcome} label of {@code faultline_receiver_requests_total}. */
public enum Outcome {
  SUCCESS("success"),
  PARTIAL_SUCCESS("partial_success"),
  INVALID("invalid"),
  TOO_LARGE("too_large"),
  UNSUPPORTED_MEDIA_TYPE("unsupported_media_type"),
  BACKPRESSURE("backpressure"),
  UNAVAILABLE("unavailable"),
  NOT_FOUND("not_found"),
  METHOD_NOT_ALLOWED("method_not_allowed"),
  UNAUTHENTICATED("unauthenticated");

  private final String label;

  Outcome(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
