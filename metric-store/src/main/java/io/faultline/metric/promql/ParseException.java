/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

/**
 * The query text is not valid PromQL (syntax or type error). The message carries the position
 * as Prometheus does: {@code 1:14: parse error: unexpected ...}.
 */
public final class ParseException extends PromqlException {
  private static final long serialVersionUID = 1L;

  private final int position;
  private final String detail;

  ParseException(String query, int position, String detail) {
    super(positionPrefix(query, position) + ": parse error: " + detail);
    this.position = position;
    this.detail = detail;
  }

  /** A query that parses but cannot be run in the requested form (no position). */
  ParseException(String message) {
    super(message);
    this.position = -1;
    this.detail = message;
  }

  static String positionPrefix(String query, int pos) {
    int line = 1;
    int lastNl = -1;
    for (int i = 0; i < Math.min(pos, query.length()); i++) {
      if (query.charAt(i) == '\n') {
        line++;
        lastNl = i;
      }
    }
    return line + ":" + (pos - lastNl);
  }

  /** Zero-based character offset of the error in the query. */
  public int position() {
    return position;
  }

  /** The message without the position prefix. */
  public String detail() {
    return detail;
  }

  @Override
  public String errorType() {
    return "bad_data";
  }
}
