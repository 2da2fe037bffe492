/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.jaeger;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.faultline.core.metric.GoFloats;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Array and map attribute values as JSON text, byte for byte as the OpenTelemetry Collector's
 * {@code pcommon.Value.AsString} writes them with Go's {@code encoding/json}: map keys sorted,
 * bytes as base64, {@code <>&} escaped, floats in Go's shortest form ({@code 1}, {@code 0.5},
 * {@code 1e+21}). Jaeger shows such attributes as string tags holding this text, so tag search
 * compares against the same text. {@link #appendString} serves every other answer that must
 * read as Go writes JSON (Jaeger's metrics).
 */
public final class GoJson {

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** Code point order equals the byte order of UTF-8, which is how Go sorts map keys. */
  private static final Comparator<String> UTF8_ORDER =
      (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
          int ca = a.codePointAt(i);
          int cb = b.codePointAt(j);
          if (ca != cb) {
            return Integer.compare(ca, cb);
          }
          i += Character.charCount(ca);
          j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
      };

  private GoJson() {}

  static String write(AnyValue value) {
    StringBuilder out = new StringBuilder();
    append(out, value);
    return out.toString();
  }

  private static void append(StringBuilder out, AnyValue value) {
    switch (value.getValueCase()) {
      case STRING_VALUE -> appendString(out, value.getStringValue());
      case BOOL_VALUE -> out.append(value.getBoolValue());
      case INT_VALUE -> out.append(value.getIntValue());
      case DOUBLE_VALUE -> appendDouble(out, value.getDoubleValue());
      case BYTES_VALUE -> {
        if (value.getBytesValue().isEmpty()) {
          out.append("null");
        } else {
          appendString(
              out, Base64.getEncoder().encodeToString(value.getBytesValue().toByteArray()));
        }
      }
      case ARRAY_VALUE -> {
        out.append('[');
        List<AnyValue> values = value.getArrayValue().getValuesList();
        for (int i = 0; i < values.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          append(out, values.get(i));
        }
        out.append(']');
      }
      case KVLIST_VALUE -> {
        Map<String, AnyValue> byKey = new LinkedHashMap<>();
        for (KeyValue kv : value.getKvlistValue().getValuesList()) {
          byKey.put(kv.getKey(), kv.getValue());
        }
        out.append('{');
        boolean first = true;
        for (String key : byKey.keySet().stream().sorted(UTF8_ORDER).toList()) {
          if (!first) {
            out.append(',');
          }
          first = false;
          appendString(out, key);
          out.append(':');
          append(out, byKey.get(key));
        }
        out.append('}');
      }
      default -> out.append("null");
    }
  }

  /**
   * Go's float encoder: %f between 1e-6 and 1e21, else shortest %e with a compact exponent; NaN and
   * the infinities as the strings {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"} (as
   * protobuf's JSON writes them).
   */
  public static void appendDouble(StringBuilder out, double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      // Go's encoder refuses these; a quoted name keeps the text valid JSON and readable.
      appendString(out, Double.toString(d));
      return;
    }
    out.append(GoFloats.json(d));
  }

  /** A JSON string as Go's {@code encoding/json} writes it ({@code <>&} escaped). */
  public static void appendString(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '<', '>', '&', '\u2028', '\u2029' -> unicodeEscape(out, c);
        default -> {
          if (c < 0x20) {
            unicodeEscape(out, c);
          } else if (Character.isSurrogate(c)) {
            if (Character.isHighSurrogate(c)
                && i + 1 < s.length()
                && Character.isLowSurrogate(s.charAt(i + 1))) {
              out.append(c).append(s.charAt(++i));
            } else {
              out.append("\\ufffd");
            }
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  private static void unicodeEscape(StringBuilder out, char c) {
    out.append("\\u")
        .append(HEX[(c >> 12) & 0xf])
        .append(HEX[(c >> 8) & 0xf])
        .append(HEX[(c >> 4) & 0xf])
        .append(HEX[c & 0xf]);
  }
}
