/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import io.faultline.web.jaeger.GoDuration;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Label values read the way Loki's Go code reads them, so that a value Loki refuses is refused
 * here too, with Go's own words in {@code __error_details__}: numbers as {@code
 * strconv.ParseFloat}, durations as {@code time.ParseDuration} and byte sizes as go-humanize's
 * {@code ParseBytes}. Every method throws {@link IllegalArgumentException} with that message.
 */
final class GoValues {
  private static final Pattern FLOAT =
      Pattern.compile("[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");
  private static final Pattern SPECIAL = Pattern.compile("(?i)[+-]?(?:inf|infinity|nan)");

  // go-humanize's bytesSizeTable: SI and IEC units, with or without the trailing "b".
  private static final Map<String, Long> BYTE_UNITS =
      Map.ofEntries(
          Map.entry("", 1L), Map.entry("b", 1L),
          Map.entry("k", 1_000L), Map.entry("kb", 1_000L), Map.entry("ki", 1L << 10), Map.entry("kib", 1L << 10),
          Map.entry("m", 1_000_000L), Map.entry("mb", 1_000_000L), Map.entry("mi", 1L << 20), Map.entry("mib", 1L << 20),
          Map.entry("g", 1_000_000_000L), Map.entry("gb", 1_000_000_000L), Map.entry("gi", 1L << 30),
          Map.entry("gib", 1L << 30),
          Map.entry("t", 1_000_000_000_000L), Map.entry("tb", 1_000_000_000_000L), Map.entry("ti", 1L << 40),
          Map.entry("tib", 1L << 40),
          Map.entry("p", 1_000_000_000_000_000L), Map.entry("pb", 1_000_000_000_000_000L),
          Map.entry("pi", 1L << 50), Map.entry("pib", 1L << 50),
          Map.entry("e", 1_000_000_000_000_000_000L), Map.entry("eb", 1_000_000_000_000_000_000L),
          Map.entry("ei", 1L << 60), Map.entry("eib", 1L << 60));

  private GoValues() {}

  /** Go's {@code strconv.ParseFloat(s, 64)} for decimal numbers, Inf and NaN. */
  static double parseFloat(String s) {
    if (SPECIAL.matcher(s).matches()) {
      String t = s.toLowerCase(Locale.ROOT);
      if (t.endsWith("nan")) {
        return Double.NaN;
      }
      return t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    if (!FLOAT.matcher(s).matches()) {
      throw new IllegalArgumentException("strconv.ParseFloat: parsing " + quote(s) + ": invalid syntax");
    }
    double v = Double.parseDouble(s);
    if (Double.isInfinite(v)) {
      throw new IllegalArgumentException("strconv.ParseFloat: parsing " + quote(s) + ": value out of range");
    }
    return v;
  }

  /** Go's {@code time.ParseDuration}, in nanoseconds. */
  static long parseDuration(String s) {
    return GoDuration.parseNanos(s);
  }

  /**
   * go-humanize's {@code ParseBytes}: a number (digits, '.', ',') and an optional unit, {@code
   * 42}, {@code 1.5 MB} (SI, powers of 1000), {@code 2KiB} (IEC, powers of 1024), case-insensitive.
   */
  static long parseBytes(String s) {
    int end = 0;
    while (end < s.length() && (Character.isDigit(s.charAt(end)) || s.charAt(end) == '.' || s.charAt(end) == ',')) {
      end++;
    }
    double number = parseFloat(s.substring(0, end).replace(",", ""));
    String unit = s.substring(end).strip().toLowerCase(Locale.ROOT);
    Long multiplier = BYTE_UNITS.get(unit);
    if (multiplier == null) {
      throw new IllegalArgumentException("unhandled size name: " + unit);
    }
    double bytes = number * multiplier;
    if (bytes >= 0x1p63) {
      throw new IllegalArgumentException("too large: " + s);
    }
    return (long) bytes;
  }

  private static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
