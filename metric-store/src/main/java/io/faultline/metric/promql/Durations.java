/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

/** Prometheus duration strings such as {@code 1h30m} or {@code 250ms}, in milliseconds. */
final class Durations {
  /**
   * The longest duration Prometheus parses: Go's {@code time.Duration} counts nanoseconds in an
   * int64, about 292 years; {@code model.ParseDuration} says "duration out of range" beyond.
   */
  static final long MAX_MILLIS = Long.MAX_VALUE / 1_000_000;

  private Durations() {}

  static double parse(String text, String query, int pos) {
    long total = 0;
    int i = 0;
    int lastRank = -1;
    while (i < text.length()) {
      int j = i;
      while (j < text.length() && Character.isDigit(text.charAt(j))) {
        j++;
      }
      if (j == i) {
        throw new ParseException(query, pos, "not a valid duration string: \"" + text + "\"");
      }
      long n;
      try {
        n = Long.parseLong(text.substring(i, j));
      } catch (NumberFormatException e) {
        throw new ParseException(query, pos, "duration out of range");
      }
      long unit;
      int rank;
      if (text.startsWith("ms", j)) {
        unit = 1;
        rank = 6;
        j += 2;
      } else {
        char c = text.charAt(j);
        switch (c) {
          case 'y':
            unit = 365L * 24 * 3600 * 1000;
            rank = 0;
            break;
          case 'w':
            unit = 7L * 24 * 3600 * 1000;
            rank = 1;
            break;
          case 'd':
            unit = 24L * 3600 * 1000;
            rank = 2;
            break;
          case 'h':
            unit = 3600L * 1000;
            rank = 3;
            break;
          case 'm':
            unit = 60L * 1000;
            rank = 4;
            break;
          case 's':
            unit = 1000L;
            rank = 5;
            break;
          default:
            throw new ParseException(query, pos, "not a valid duration string: \"" + text + "\"");
        }
        j++;
      }
      if (rank <= lastRank) {
        throw new ParseException(query, pos, "not a valid duration string: \"" + text + "\"");
      }
      lastRank = rank;
      if (n > MAX_MILLIS / unit || total + n * unit > MAX_MILLIS) {
        throw new ParseException(query, pos, "duration out of range");
      }
      total += n * unit;
      i = j;
    }
    return total;
  }
}
