/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.prometheus;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Prometheus' HTTP API parameter syntax ({@code web/api/v1}): times as Unix seconds with an
 * optional fraction or RFC 3339, durations as seconds (with fraction) or Prometheus durations such
 * as {@code 1h30m} or {@code 5m}, limits as non-negative integers. Messages are Prometheus' own.
 */
final class PromParams {
  /** Prometheus' {@code MinTime} (the start of {@code /api/v1/series} and labels by default). */
  static final long MIN_TIME_MS = -9223309901257974000L;

  /** Prometheus' {@code MaxTime}. */
  static final long MAX_TIME_MS = 9223309901257974999L;

  private static final String MIN_TIME_TEXT = "-292273086-05-16T16:47:06Z";
  private static final String MAX_TIME_TEXT = "292277025-08-18T07:12:54.999999999Z";

  private static final Pattern DECIMAL =
      Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

  private static final Pattern PROM_DURATION =
      Pattern.compile(
          "(?:(\\d+)y)?(?:(\\d+)w)?(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?(?:(\\d+)ms)?");

  private static final long[] UNIT_MS = {
    365L * 86_400_000, 7L * 86_400_000, 86_400_000, 3_600_000, 60_000, 1_000, 1
  };

  private PromParams() {}

  /** A parameter that does not parse; the message is Prometheus' text after the prefix. */
  static final class BadParam extends Exception {
    private static final long serialVersionUID = 1L;

    BadParam(String message) {
      super(message, null, false, false);
    }
  }

  /** Prometheus' parseTime, in milliseconds since the epoch. */
  static long time(String s) throws BadParam {
    if (s != null && DECIMAL.matcher(s).matches()) {
      double t = Double.parseDouble(s);
      double whole = t < 0 ? Math.ceil(t) : Math.floor(t);
      double fraction = t - whole;
      // Go's math.Round: half away from zero
      long fractionMs = (long) (Math.signum(fraction) * Math.floor(Math.abs(fraction) * 1000 + 0.5));
      if (Math.abs(whole) > 9.2e15) {
        throw new BadParam("cannot parse \"" + s + "\" to a valid timestamp");
      }
      return (long) whole * 1000 + fractionMs;
    }
    if (s != null) {
      if (s.equals(MIN_TIME_TEXT)) {
        return MIN_TIME_MS;
      }
      if (s.equals(MAX_TIME_TEXT)) {
        return MAX_TIME_MS;
      }
      try {
        Instant i = OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1000L), i.getNano() / 1_000_000);
      } catch (DateTimeParseException | ArithmeticException e) {
        // falls through to Prometheus' message
      }
    }
    throw new BadParam("cannot parse \"" + (s == null ? "" : s) + "\" to a valid timestamp");
  }

  /** Prometheus' parseTimeParam: absent is the default; a bad value names the parameter. */
  static long timeParam(String value, String name, long defaultMs) throws BadParam {
    if (value == null || value.isEmpty()) {
      return defaultMs;
    }
    try {
      return time(value);
    } catch (BadParam e) {
      throw new BadParam("Invalid time value for '" + name + "': " + e.getMessage());
    }
  }

  /** Prometheus' parseDuration, in milliseconds. */
  static long durationMs(String s) throws BadParam {
    if (s != null && DECIMAL.matcher(s).matches()) {
      double seconds = Double.parseDouble(s);
      double ns = seconds * 1e9;
      if (ns > Long.MAX_VALUE || ns < Long.MIN_VALUE) {
        throw new BadParam("cannot parse \"" + s + "\" to a valid duration. It overflows int64");
      }
      return (long) ns / 1_000_000;
    }
    if (s != null && !s.isEmpty()) {
      if (s.equals("0")) {
        return 0;
      }
      Matcher m = PROM_DURATION.matcher(s);
      if (m.matches()) {
        long total = 0;
        try {
          for (int i = 0; i < UNIT_MS.length; i++) {
            String g = m.group(i + 1);
            if (g != null) {
              total = Math.addExact(total, Math.multiplyExact(Long.parseLong(g), UNIT_MS[i]));
            }
          }
          if (total <= Long.MAX_VALUE / 1_000_000) {
            return total;
          }
        } catch (NumberFormatException | ArithmeticException overflow) {
          // falls through
        }
      }
    }
    throw new BadParam("cannot parse \"" + (s == null ? "" : s) + "\" to a valid duration");
  }

  /** Prometheus 3's parseLimitParam: absent or 0 is no limit. */
  static int limit(String s) throws BadParam {
    if (s == null || s.isEmpty()) {
      return 0;
    }
    int limit;
    try {
      limit = Integer.parseInt(s);
    } catch (NumberFormatException e) {
      String why = s.matches("[+-]?\\d+") ? "value out of range" : "invalid syntax";
      throw new BadParam("strconv.Atoi: parsing \"" + s + "\": " + why);
    }
    if (limit < 0) {
      throw new BadParam("limit must be non-negative");
    }
    return limit;
  }

  /**
   * A label name from the URL path: Prometheus 3 accepts UTF-8 names, and names escaped as {@code
   * U__} followed by the name with {@code __} for an underscore and {@code _HEX_} for any other
   * character that is not a legacy name character. A name that does not unescape is kept as is.
   */
  static String unescapeLabelName(String name) {
    if (!name.startsWith("U__")) {
      return name;
    }
    String body = name.substring(3);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c == '_') {
        if (i + 1 < body.length() && body.charAt(i + 1) == '_') {
          sb.append('_');
          i++;
          continue;
        }
        int close = body.indexOf('_', i + 1);
        if (close < 0) {
          return name;
        }
        try {
          int cp = Integer.parseInt(body.substring(i + 1, close), 16);
          if (!Character.isValidCodePoint(cp)) {
            return name;
          }
          sb.appendCodePoint(cp);
        } catch (NumberFormatException e) {
          return name;
        }
        i = close;
      } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        sb.append(c);
      } else {
        return name;
      }
    }
    return sb.toString();
  }
}
