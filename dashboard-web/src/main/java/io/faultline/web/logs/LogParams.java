/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.logs;

import io.faultline.core.log.LogQueryException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parameter parsing shared by the log and Loki resources; failures are {@link LogQueryException}s. */
public final class LogParams {
  private static final Pattern PROM_DURATION =
      Pattern.compile("(?:(\\d+)y)?(?:(\\d+)w)?(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?(?:(\\d+)ms)?");
  private static final long[] UNIT_MILLIS = {
    365L * 86_400_000, 7L * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1
  };

  private LogParams() {}

  /** The whole seconds that int64 Unix nanoseconds, the log store's timestamps, hold. */
  static final Instant MIN_TIME = Instant.ofEpochSecond(Long.MIN_VALUE / 1_000_000_000L);

  static final Instant MAX_TIME = Instant.ofEpochSecond(Long.MAX_VALUE / 1_000_000_000L - 1);

  /** RFC 3339 or Unix milliseconds, between 1677 and 2262; {@code fallback} when absent. */
  public static Instant time(String name, String value, Instant fallback) {
    if (value == null || value.isBlank()) {
      return fallback;
    }
    Instant t = parseTime(name, value);
    if (t.isBefore(MIN_TIME) || t.isAfter(MAX_TIME)) {
      throw new LogQueryException(
          name + " must be between " + MIN_TIME + " and " + MAX_TIME + ", got '" + value + "'");
    }
    return t;
  }

  private static Instant parseTime(String name, String value) {
    String v = value.trim();
    try {
      return Instant.ofEpochMilli(Long.parseLong(v));
    } catch (NumberFormatException e) {
      // not milliseconds
    }
    try {
      return OffsetDateTime.parse(v).toInstant();
    } catch (DateTimeParseException e) {
      throw new LogQueryException(
          name + " must be an RFC 3339 time (2026-11-24T10:00:00Z) or Unix milliseconds, got '" + value + "'");
    }
  }

  /** A Prometheus duration ({@code 30s}, {@code 5m}, {@code 1h30m}) or a number of seconds. */
  public static Duration duration(String name, String value) {
    String v = value.trim();
    try {
      BigDecimal seconds = new BigDecimal(v);
      return Duration.ofMillis(seconds.movePointRight(3).longValue());
    } catch (NumberFormatException | ArithmeticException e) {
      // not plain seconds
    }
    Matcher m = PROM_DURATION.matcher(v);
    if (v.isEmpty() || !m.matches()) {
      throw new LogQueryException(
          name + " must be a duration like 30s, 5m or 1h30m, or a number of seconds; got '" + value + "'");
    }
    long millis = 0;
    try {
      for (int i = 0; i < UNIT_MILLIS.length; i++) {
        if (m.group(i + 1) != null) {
          millis = Math.addExact(millis, Math.multiplyExact(Long.parseLong(m.group(i + 1)), UNIT_MILLIS[i]));
        }
      }
    } catch (NumberFormatException | ArithmeticException e) {
      throw new LogQueryException(name + " is too long to count in milliseconds: '" + value + "'");
    }
    return Duration.ofMillis(millis);
  }

  public static int integer(String name, String value, int fallback, int min, int max) {
    if (value == null || value.isBlank()) {
      return fallback;
    }
    int n;
    try {
      n = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new LogQueryException(name + " must be a whole number, got '" + value + "'");
    }
    if (n < min || n > max) {
      throw new LogQueryException(name + " must be between " + min + " and " + max + ", got " + n);
    }
    return n;
  }
}
