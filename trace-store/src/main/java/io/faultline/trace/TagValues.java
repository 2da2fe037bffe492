/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.math.BigDecimal;
import java.util.Base64;

/**
 * Attribute values as text, the way Jaeger shows them and users type them into a tag search:
 * strings as they are, booleans {@code true}/{@code false}, integers in decimal, doubles as the
 * Jaeger UI (JavaScript) prints them ({@code 1.5}, {@code 100} for 100.0, {@code 0.00001}; NaN and
 * infinities as {@code NaN}, {@code Infinity}, {@code -Infinity}), bytes as standard base64, and
 * arrays and maps as their JSON text ({@code ["a",7]}, {@code {"tier":"gold"}}).
 */
final class TagValues {
  private TagValues() {}

  static String render(AnyValue v) {
    switch (v.getValueCase()) {
      case STRING_VALUE:
        return v.getStringValue();
      case BOOL_VALUE:
        return v.getBoolValue() ? "true" : "false";
      case INT_VALUE:
        return Long.toString(v.getIntValue());
      case DOUBLE_VALUE:
        return renderDouble(v.getDoubleValue());
      case BYTES_VALUE:
        return Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray());
      case ARRAY_VALUE:
      case KVLIST_VALUE:
        StringBuilder json = new StringBuilder();
        appendJson(json, v);
        return json.toString();
      default:
        return "";
    }
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
      return new BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString();
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

  private static void appendJson(StringBuilder out, AnyValue v) {
    switch (v.getValueCase()) {
      case STRING_VALUE:
        appendString(out, v.getStringValue());
        break;
      case BOOL_VALUE:
      case INT_VALUE:
        out.append(render(v));
        break;
      case DOUBLE_VALUE:
        double d = v.getDoubleValue();
        if (Double.isNaN(d) || Double.isInfinite(d)) {
          appendString(out, render(v)); // JSON has no literal for these
        } else {
          out.append(renderDouble(d));
        }
        break;
      case BYTES_VALUE:
        appendString(out, render(v));
        break;
      case ARRAY_VALUE:
        out.append('[');
        for (int i = 0; i < v.getArrayValue().getValuesCount(); i++) {
          if (i > 0) {
            out.append(',');
          }
          appendJson(out, v.getArrayValue().getValues(i));
        }
        out.append(']');
        break;
      case KVLIST_VALUE:
        out.append('{');
        for (int i = 0; i < v.getKvlistValue().getValuesCount(); i++) {
          KeyValue kv = v.getKvlistValue().getValues(i);
          if (i > 0) {
            out.append(',');
          }
          appendString(out, kv.getKey());
          out.append(':');
          appendJson(out, kv.getValue());
        }
        out.append('}');
        break;
      default:
        out.append("null");
    }
  }

  private static void appendString(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
