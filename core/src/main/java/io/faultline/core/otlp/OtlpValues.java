/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.otlp;

import io.faultline.core.metric.GoFloats;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import java.util.Base64;
import java.util.function.DoubleFunction;

/**
 * Attribute values ({@link AnyValue}) as the text users see and type into a search: strings as they
 * are, booleans {@code true}/{@code false}, integers in decimal, bytes as standard base64, arrays
 * and maps as compact JSON in their original order ({@code ["a",7]}, {@code {"tier":"gold"}}) and
 * an unset value as the empty string. Stores differ only in how they print doubles, so the caller
 * names that; inside JSON a non-finite double is quoted, since JSON has no literal for it.
 */
public final class OtlpValues {
  private OtlpValues() {}

  /** The service of a resource without a usable {@code service.name}, as OpenTelemetry names it. */
  public static final String UNKNOWN_SERVICE = "unknown_service";

  /**
   * The service a resource names, one rule for every reader (service lists, searches and the trace
   * view), so that a name the UI shows can be searched: {@code service.name} as {@link #text}
   * writes it (a non-string value as typed, doubles as {@link #javaScriptNumber}), or {@value
   * #UNKNOWN_SERVICE} when it is missing or empty.
   */
  public static String serviceName(Resource resource) {
    for (KeyValue kv : resource.getAttributesList()) {
      if (kv.getKey().equals("service.name")) {
        String name = text(kv.getValue(), OtlpValues::javaScriptNumber);
        return name.isEmpty() ? UNKNOWN_SERVICE : name;
      }
    }
    return UNKNOWN_SERVICE;
  }

  /**
   * A double as JavaScript prints it (and so the Jaeger UI): {@code 1.5}, {@code 100} for 100.0,
   * {@code 0.00001}, {@code 1e+21}; NaN and infinities as {@code NaN}, {@code Infinity}, {@code
   * -Infinity}.
   */
  public static String javaScriptNumber(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    // JavaScript prints negative zero as "0"; otherwise its layout is encoding/json's
    return d == 0 ? "0" : GoFloats.json(d);
  }

  /**
   * {@code value} as text, doubles printed by {@code doubles} (at the top level and inside arrays
   * and maps alike).
   */
  public static String text(AnyValue value, DoubleFunction<String> doubles) {
    switch (value.getValueCase()) {
      case STRING_VALUE:
        return value.getStringValue();
      case BOOL_VALUE:
        return value.getBoolValue() ? "true" : "false";
      case INT_VALUE:
        return Long.toString(value.getIntValue());
      case DOUBLE_VALUE:
        return doubles.apply(value.getDoubleValue());
      case BYTES_VALUE:
        return Base64.getEncoder().encodeToString(value.getBytesValue().toByteArray());
      case ARRAY_VALUE:
      case KVLIST_VALUE:
        StringBuilder json = new StringBuilder();
        appendJson(json, value, doubles);
        return json.toString();
      default:
        return "";
    }
  }

  private static void appendJson(StringBuilder out, AnyValue v, DoubleFunction<String> doubles) {
    switch (v.getValueCase()) {
      case STRING_VALUE, BYTES_VALUE -> appendString(out, text(v, doubles));
      case BOOL_VALUE, INT_VALUE -> out.append(text(v, doubles));
      case DOUBLE_VALUE -> {
        double d = v.getDoubleValue();
        if (Double.isNaN(d) || Double.isInfinite(d)) {
          appendString(out, doubles.apply(d));
        } else {
          out.append(doubles.apply(d));
        }
      }
      case ARRAY_VALUE -> {
        out.append('[');
        for (int i = 0; i < v.getArrayValue().getValuesCount(); i++) {
          if (i > 0) {
            out.append(',');
          }
          appendJson(out, v.getArrayValue().getValues(i), doubles);
        }
        out.append(']');
      }
      case KVLIST_VALUE -> {
        out.append('{');
        for (int i = 0; i < v.getKvlistValue().getValuesCount(); i++) {
          KeyValue kv = v.getKvlistValue().getValues(i);
          if (i > 0) {
            out.append(',');
          }
          appendString(out, kv.getKey());
          out.append(':');
          appendJson(out, kv.getValue(), doubles);
        }
        out.append('}');
      }
      default -> out.append("null");
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

  /**
   * The UTF-8 length of {@code s}, exact whenever it may exceed {@code limit} (else at most {@code
   * limit}). The parsed message holds its strings decoded (protobuf decodes proto3 strings as it
   * parses), so asking it for their bytes would encode them again and swap the decoded form out for
   * the next reader; counting is cheaper, and most strings are settled by their length alone.
   */
  public static int utf8Length(String s, int limit) {
    int chars = s.length();
    if ((long) chars * 3 <= limit) {
      return chars; // within the limit whatever its characters
    }
    int bytes = 0;
    for (int i = 0; i < chars; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < chars
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3; // other characters (a lone surrogate, which no parsed string holds, counts 3)
      }
    }
    return bytes;
  }
}
