/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.core.metric.ShortestDecimal;
import java.math.BigDecimal;

/** Go-compatible float formatting, so messages and label values match Prometheus'. */
final class Format {
  private Format() {}

  /** strconv.FormatFloat(f, 'f', -1, 64). */
  static String goFloatF(double f) {
    if (Double.isNaN(f)) {
      return "NaN";
    }
    if (Double.isInfinite(f)) {
      return f > 0 ? "+Inf" : "-Inf";
    }
    return ShortestDecimal.plain(f);
  }

  /** fmt's %g. */
  static String goG(double f) {
    return shortest(f, 6);
  }

  /** fmt's %v for a float64. */
  static String goV(double f) {
    return shortest(f, 21);
  }

  private static String shortest(double f, int eprec) {
    if (Double.isNaN(f)) {
      return "NaN";
    }
    if (Double.isInfinite(f)) {
      return f > 0 ? "+Inf" : "-Inf";
    }
    if (f == 0) {
      return (1 / f < 0) ? "-0" : "0";
    }
    BigDecimal bd = ShortestDecimal.of(Math.abs(f));
    String digits = bd.unscaledValue().toString();
    int exp = digits.length() - 1 - bd.scale();
    String sign = f < 0 ? "-" : "";
    if (exp < -4 || exp >= eprec) {
      StringBuilder sb = new StringBuilder(sign).append(digits.charAt(0));
      if (digits.length() > 1) {
        sb.append('.').append(digits, 1, digits.length());
      }
      sb.append('e').append(exp < 0 ? '-' : '+');
      int ae = Math.abs(exp);
      if (ae < 10) {
        sb.append('0');
      }
      return sb.append(ae).toString();
    }
    return sign + bd.toPlainString();
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
