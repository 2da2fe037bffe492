/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How Loki's Logs Drilldown endpoints judge values, so that {@code detected_labels}, {@code
 * detected_fields} and {@code detected_field/{name}/values} keep, type and spell them as Loki does
 * ({@code pkg/querier/querier.go} and {@code pkg/querier/queryrange/detected_fields.go}).
 */
final class DetectedValues {
  /** The labels {@code detected_labels} keeps whatever their values, as Loki's querier does. */
  static final Set<String> STATIC_LABELS = Set.of("cluster", "namespace", "instance", "pod");

  private static final Pattern INT = Pattern.compile("[+-]?[0-9]+");
  private static final Set<String> BOOLS =
      Set.of("1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False");
  // google/uuid's Parse: 36 characters, or with "urn:uuid:" or braces around, or 32 hex digits
  private static final String UUID36 = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
  private static final Pattern UUID =
      Pattern.compile("(?:(?i:urn:uuid:)" + UUID36 + ")|(?:\\{" + UUID36 + "\\})|(?:" + UUID36 + ")|(?:[0-9a-fA-F]{32})");
  /** The units after which Loki rewrites a byte size in {@code detected_field/{name}/values}. */
  private static final List<String> BYTES_UNITS =
      List.of("b", "kib", "kb", "mib", "mb", "gib", "gb", "tib", "tb", "pib", "pb", "eib", "eb", "ki", "k", "mi",
          "m", "gi", "g", "ti", "t", "pi", "p", "ei", "e");
  private static final String[] SI_SIZES = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};

  private DetectedValues() {}

  /**
   * Loki's {@code determineType}: the first of {@code int} ({@code strconv.ParseInt}), {@code
   * float}, {@code boolean} ({@code strconv.ParseBool}), {@code duration} ({@code
   * time.ParseDuration}) and {@code bytes} (go-humanize's {@code ParseBytes}) the value reads as,
   * else {@code string}. So {@code 200} is an int, {@code 35ms} a duration and {@code 10 MB} bytes.
   */
  static String type(String value) {
    if (isInt(value)) {
      return "int";
    }
    if (parses(() -> GoValues.parseFloat(value))) {
      return "float";
    }
    if (BOOLS.contains(value)) {
      return "boolean";
    }
    if (parses(() -> GoValues.parseDuration(value))) {
      return "duration";
    }
    if (parses(() -> GoValues.parseBytes(value))) {
      return "bytes";
    }
    return "string";
  }

  /**
   * Loki's {@code shouldRejectLabel}: {@code detected_labels} leaves out a label without values, and
   * one whose values are all IDs (numbers or UUIDs), except a label of only {@code 0} and {@code 1}
   * values, which Loki takes for a flag.
   */
  static boolean rejectLabel(Collection<String> values) {
    if (values.isEmpty()) {
      return true;
    }
    if (values.size() <= 2 && values.stream().allMatch(v -> v.equals("0") || v.equals("1"))) {
      return false;
    }
    return values.stream().allMatch(DetectedValues::isId);
  }

  /** Loki's {@code containsAllIDTypes} for one value: a Go float or a UUID. */
  static boolean isId(String value) {
    return parses(() -> GoValues.parseFloat(value)) || UUID.matcher(value).matches();
  }

  /**
   * A parsed value as {@code detected_field/{name}/values} lists it: a byte size with a unit ({@code
   * 1.5MB}, {@code 2KiB}, {@code 12m}) rewritten as go-humanize's {@code Bytes} writes it without
   * the space ({@code 1.5MB}, {@code 2.0kB}, {@code 12MB}), so it can go into a query as is; any
   * other value unchanged.
   */
  static String fieldValue(String value) {
    long bytes;
    try {
      bytes = GoValues.parseBytes(value);
    } catch (IllegalArgumentException e) {
      return value;
    }
    String lower = value.toLowerCase(Locale.ROOT);
    if (BYTES_UNITS.stream().noneMatch(lower::endsWith)) {
      return value;
    }
    return humanizeBytes(bytes).replaceFirst(" ", "");
  }

  /** go-humanize's {@code Bytes}: SI units, one decimal under 10 ({@code 2.0 kB}, {@code 512 B}). */
  static String humanizeBytes(long s) {
    if (s < 10) {
      return s + " B";
    }
    int e = (int) Math.floor(Math.log(s) / Math.log(1000));
    double val = Math.floor(s / Math.pow(1000, e) * 10 + 0.5) / 10;
    return String.format(Locale.ROOT, val < 10 ? "%.1f %s" : "%.0f %s", val, SI_SIZES[e]);
  }

  private static boolean isInt(String value) {
    if (!INT.matcher(value).matches()) {
      return false;
    }
    try {
      Long.parseLong(value.startsWith("+") ? value.substring(1) : value);
      return true;
    } catch (NumberFormatException e) {
      return false; // out of int64's range, as strconv.ParseInt refuses it
    }
  }

  private static boolean parses(Runnable parse) {
    try {
      parse.run();
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
