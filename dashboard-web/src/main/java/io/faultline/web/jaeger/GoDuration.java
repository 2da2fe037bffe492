/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.jaeger;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;

/**
 * Durations in Go's {@code time.ParseDuration} syntax, which Jaeger's query API uses for {@code
 * minDuration} and {@code maxDuration}: a sequence of decimal numbers, each with an optional
 * fraction and a unit, with an optional leading sign, such as {@code 300ms}, {@code 1.5h} or {@code
 * 2h45m}. Units are {@code ns}, {@code us} (or {@code µs}), {@code ms}, {@code s}, {@code m} and
 * {@code h}; {@code 0} needs no unit. Fractions of a nanosecond are truncated, as Go does.
 */
public final class GoDuration {

  private static final Map<String, Long> GO_UNITS =
      Map.of(
          "ns", 1L,
          "us", 1_000L,
          "\u00b5s", 1_000L,
          "\u03bcs", 1_000L,
          "ms", 1_000_000L,
          "s", 1_000_000_000L,
          "m", 60_000_000_000L,
          "h", 3_600_000_000_000L);

  private static final Map<String, Long> WITH_DAYS =
      Map.of(
          "ns", 1L,
          "us", 1_000L,
          "\u00b5s", 1_000L,
          "\u03bcs", 1_000L,
          "ms", 1_000_000L,
          "s", 1_000_000_000L,
          "m", 60_000_000_000L,
          "h", 3_600_000_000_000L,
          "d", 86_400_000_000_000L,
          "w", 7 * 86_400_000_000_000L);

  private static final BigInteger MAX = BigInteger.valueOf(Long.MAX_VALUE);

  private GoDuration() {}

  /**
   * Parses a Go duration into nanoseconds.
   *
   * @throws IllegalArgumentException with Go's own wording ({@code time: invalid duration "x"},
   *     {@code time: missing unit in duration "1"}, {@code time: unknown unit "d" in duration
   *     "1d"})
   */
  public static long parseNanos(String text) {
    return parse(text, GO_UNITS);
  }

  /**
   * Like {@link #parseNanos} but also accepting days ({@code d}) and weeks ({@code w}), as the
   * Jaeger UI writes its search lookback ({@code 2d}, {@code 7d}).
   */
  public static long parseLookbackNanos(String text) {
    return parse(text, WITH_DAYS);
  }

  private static long parse(String text, Map<String, Long> units) {
    if (text == null) {
      throw invalid("");
    }
    String s = text;
    int i = 0;
    boolean negative = false;
    if (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
      negative = s.charAt(i) == '-';
      i++;
    }
    if (s.substring(i).equals("0")) {
      return 0;
    }
    if (i == s.length()) {
      throw invalid(text);
    }
    BigInteger total = BigInteger.ZERO;
    while (i < s.length()) {
      int numberStart = i;
      while (i < s.length() && isDigit(s.charAt(i))) {
        i++;
      }
      boolean hasInteger = i > numberStart;
      boolean hasFraction = false;
      if (i < s.length() && s.charAt(i) == '.') {
        i++;
        int fractionStart = i;
        while (i < s.length() && isDigit(s.charAt(i))) {
          i++;
        }
        hasFraction = i > fractionStart;
      }
      if (!hasInteger && !hasFraction) {
        throw invalid(text);
      }
      BigDecimal number = new BigDecimal(normalize(s.substring(numberStart, i)));
      int unitStart = i;
      while (i < s.length() && s.charAt(i) != '.' && !isDigit(s.charAt(i))) {
        i++;
      }
      if (unitStart == i) {
        throw new IllegalArgumentException("time: missing unit in duration " + quote(text));
      }
      String unit = s.substring(unitStart, i);
      Long scale = units.get(unit);
      if (scale == null) {
        throw new IllegalArgumentException(
            "time: unknown unit " + quote(unit) + " in duration " + quote(text));
      }
      total = total.add(number.multiply(BigDecimal.valueOf(scale)).toBigInteger());
      if (total.compareTo(MAX) > 0) {
        throw invalid(text);
      }
    }
    return negative ? -total.longValueExact() : total.longValueExact();
  }

  private static String normalize(String number) {
    String n = number.startsWith(".") ? "0" + number : number;
    return n.endsWith(".") ? n + "0" : n;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException("time: invalid duration " + quote(text));
  }

  private static String quote(String s) {
    return "\"" + s + "\"";
  }
}
