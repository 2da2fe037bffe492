/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.log;

/**
 * A log query that cannot run as written: bad syntax, an unknown field, a bad value or cursor, a
 * limit exceeded. The message says what is wrong and, for syntax errors, where; HTTP answers it
 * with 400.
 */
public final class LogQueryException extends IllegalArgumentException {
  private final int position;

  /** @param position the 0-based character offset of the mistake in the query, or -1 */
  public LogQueryException(String message, int position) {
    super(message);
    this.position = position;
  }

  public LogQueryException(String message) {
    this(message, -1);
  }

  /** The 0-based character offset of the mistake in the query text, or -1 when none applies. */
  public int position() {
    return position;
  }
}
