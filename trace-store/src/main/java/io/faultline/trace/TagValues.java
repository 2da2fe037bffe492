/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace;

import io.faultline.core.otlp.OtlpValues;
import io.opentelemetry.proto.common.v1.AnyValue;

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
    return OtlpValues.javaScriptNumber(d);
  }
}
