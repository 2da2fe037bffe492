/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.core.metric.GoFloats;

/** Go-compatible float formatting, so messages and label values match Prometheus'. */
final class Format {
  private Format() {}

  /** strconv.FormatFloat(f, 'f', -1, 64). */
  static String goFloatF(double f) {
    return GoFloats.f(f);
  }

  /** fmt's %g. */
  static String goG(double f) {
    return GoFloats.g(f);
  }

  /** Go's strconv.ParseFloat for the spellings PromQL data uses (Inf, NaN, hex, exponents). */
  static double parseGoFloat(String s) {
    String t = s.trim();
    String lower = t.toLowerCase(java.util.Locale.ROOT);
    switch (lower) {
      case "inf":
      case "+inf":
      case "infinity":
      case "+infinity":
        return Double.POSITIVE_INFINITY;
      case "-inf":
      case "-infinity":
        return Double.NEGATIVE_INFINITY;
      case "nan":
        return Double.NaN;
      default:
        break;
    }
    String body = lower.startsWith("-") || lower.startsWith("+") ? lower.substring(1) : lower;
    if (body.startsWith("0x")) {
      double v;
      if (body.contains("p")) {
        v = Double.parseDouble(body);
      } else {
        v = (double) Long.parseLong(body.substring(2), 16);
      }
      return lower.startsWith("-") ? -v : v;
    }
    if (body.isEmpty() || !(Character.isDigit(body.charAt(0)) || body.charAt(0) == '.')) {
      throw new NumberFormatException("invalid syntax: " + s);
    }
    if (body.endsWith("d") || body.endsWith("f")) {
      throw new NumberFormatException("invalid syntax: " + s);
    }
    return Double.parseDouble(t);
  }
}
