/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

/**
 * The query would hold more samples in memory than the store allows ("query processing would
 * load too many samples into memory in query execution"). Narrow the selectors or the time range,
 * use a larger step, or raise the store's limit. Error type {@code execution}, HTTP 422.
 */
public final class SampleLimitException extends QueryFailedException {
  private static final long serialVersionUID = 1L;

  public SampleLimitException(String message, Throwable cause) {
    super(message, cause);
  }
}
