/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import io.faultline.core.metric.GoFloats;
import java.util.Locale;

/**
 * Go's {@code strconv.ParseFloat(s, 64)}, which Prometheus' parsers use for sample values: decimal
 * and hexadecimal floats, {@code Inf}/{@code Infinity}/{@code NaN} in any case with an optional
 * sign. Java's own spellings that Go refuses ({@code 1d}, {@code 1f}, leading or trailing blanks)
 * are refused.
 */
final class GoFloat {
  private GoFloat() {}

  static double parse(String s) {
    if (s.isEmpty()) {
      throw new NumberFormatException("empty");
    }
    char first = s.charAt(0);
    boolean signed = first == '+' || first == '-';
    String body = signed ? s.substring(1) : s;
    String lower = body.toLowerCase(Locale.ROOT);
    if (lower.equals("inf") || lower.equals("infinity")) {
      return first == '-' ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    if (lower.equals("nan")) {
      return Double.NaN;
    }
    if (body.isEmpty()) {
      throw new NumberFormatException(s);
    }
    if (lower.startsWith("0x")) {
      // Go: a hexadecimal mantissa needs a 'p' exponent; Java agrees
      if (!lower.contains("p")) {
        throw new NumberFormatException(s);
      }
      return Double.parseDouble(s);
    }
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      boolean ok =
          (c >= '0' && c <= '9')
              || c == '.'
              || c == 'e'
              || c == 'E'
              || ((c == '+' || c == '-') && i > 0 && (body.charAt(i - 1) == 'e' || body.charAt(i - 1) == 'E'));
      if (!ok) {
        throw new NumberFormatException(s);
      }
    }
    return Double.parseDouble(s);
  }

  /**
   * Prometheus' {@code formatOpenMetricsFloat}: Go's shortest {@code 'g'} form, with {@code .0}
   * added to a whole number ({@code 1.0}, {@code 1000.0}, {@code 0.5}, {@code 1e+06}, {@code +Inf}).
   */
  static String formatOpenMetrics(double f) {
    if (f == 1) {
      return "1.0";
    }
    if (f == 0) {
      return "0.0";
    }
    if (f == -1) {
      return "-1.0";
    }
    if (Double.isNaN(f)) {
      return "NaN";
    }
    if (Double.isInfinite(f)) {
      return f > 0 ? "+Inf" : "-Inf";
    }
    String g = GoFloats.g(f);
    return g.indexOf('e') >= 0 || g.indexOf('.') >= 0 ? g : g + ".0";
  }
}
