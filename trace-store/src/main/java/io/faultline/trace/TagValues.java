/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace;

import io.faultline.core.otlp.OtlpValues;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.faultline.core.metric.ShortestDecimal;

/**
 * Attribute values as text, the way Jaeger shows them and users type them into a tag search:
 * strings as they are, booleans {@code true}/{@code false}, integers in decimal, doubles as the
 * Jaeger UI (JavaScript) prints them ({@code 1.5}, {@code 100} for 100.0, {@code 0.00001}; NaN and
 * infinities as {@code NaN}, {@code Infinity}, {@code -Infinity}), bytes as standard base64, and
 * arrays and maps as their JSON text ({@code ["a",7]}, {@code {"tier":"gold"}}); all but the
 * doubles as {@link OtlpValues#text} writes them.
 */
final class TagValues {
  private TagValues() {}

  static String render(AnyValue v) {
    return OtlpValues.text(v, TagValues::renderDouble);
  }

  static String renderDouble(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return "0";
    }
    double abs = Math.abs(d);
    if (abs >= 1e-7 && abs < 1e21) {
      // Double.toString gives the shortest digits that round-trip; only the layout differs from JS
      return ShortestDecimal.plain(d);
    }
    String s = Double.toString(d).replace("E", "e");
    int e = s.indexOf('e');
    String mantissa = s.substring(0, e);
    if (mantissa.endsWith(".0")) {
      mantissa = mantissa.substring(0, mantissa.length() - 2);
    }
    String exponent = s.substring(e + 1);
    return mantissa + "e" + (exponent.startsWith("-") ? exponent : "+" + exponent);
  }
}
