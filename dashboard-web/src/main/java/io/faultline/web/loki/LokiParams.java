/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import io.faultline.core.log.LogQueryException;
import io.faultline.web.GoForm;
import jakarta.ws.rs.core.MultivaluedMap;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A request's parameters, read as Loki reads them (its {@code pkg/loghttp/params.go}): from the
 * form body of a POST first, then from the URL, as Go's {@code Request.Form} merges them; times by
 * {@link #timestamp}, {@code since} as a Prometheus duration, {@code step} as a duration or float
 * seconds. Failures are {@link LogQueryException}s carrying Loki's message.
 */
final class LokiParams extends GoForm {
  private static final Pattern PROM_DURATION =
      Pattern.compile("(?:(\\d+)y)?(?:(\\d+)w)?(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?(?:(\\d+)ms)?");
  private static final long[] UNIT_MILLIS = {
    365L * 86_400_000, 7L * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1
  };
  // the decimal forms of Go's strconv.ParseFloat (hexadecimal, Inf and NaN are refused)
  private static final Pattern FLOAT = Pattern.compile("[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?");

  /** The whole seconds that int64 Unix nanoseconds hold. */
  private static final Instant MIN_TIME = Instant.ofEpochSecond(Long.MIN_VALUE / 1_000_000_000L);

  private static final Instant MAX_TIME = Instant.ofEpochSecond(Long.MAX_VALUE / 1_000_000_000L - 1);

  LokiParams(MultivaluedMap<String, String> query, MultivaluedMap<String, String> form) {
    super(query, form);
  }


  /**
   * {@code start} and {@code end} as Loki's {@code determineBounds}: {@code end} defaults to now;
   * {@code start} to {@code since} (default {@code defaultSince}) before {@code end}, or before now
   * when {@code end} is in the future.
   */
  Instant[] bounds(Instant now, Duration defaultSince) {
    Duration since = defaultSince;
    String sinceText = value("since");
    if (sinceText != null && !sinceText.isEmpty()) {
      since = promDuration("since", sinceText);
    }
    Instant end = param("end", now);
    Instant endOrNow = end.isAfter(now) ? now : end;
    Instant sinceStart = endOrNow.minus(since);
    Instant start = param("start", sinceStart.isBefore(MIN_TIME) ? MIN_TIME : sinceStart);
    return new Instant[] {start, end};
  }

  /** A time parameter by {@link #timestamp}, with Loki's "could not parse" prefix on failure. */
  Instant param(String name, Instant fallback) {
    try {
      Instant t = timestamp(value(name), fallback);
      if (t.isBefore(MIN_TIME) || t.isAfter(MAX_TIME)) {
        // queries work in Unix nanoseconds (Go's UnixNano), which end there
        throw new LogQueryException(
            "timestamp \"" + value(name) + "\" is out of range: it must be between " + MIN_TIME
                + " and " + MAX_TIME);
      }
      return t;
    } catch (LogQueryException e) {
      throw new LogQueryException("could not parse '" + name + "' parameter: " + e.getMessage());
    }
  }

  /**
   * Loki's {@code parseTimestamp}: empty is {@code fallback}; a value with a {@code .} is float
   * seconds (the fraction rounded to milliseconds, as Loki does); an integer of at most 10
   * characters is seconds, a longer one nanoseconds; anything else RFC 3339 with optional
   * fraction. {@code 1700000000}, {@code 1700000000.25}, {@code 1700000000000000000} and {@code
   * 2023-11-14T22:13:20Z} are the same instant, to the quarter second for the second one.
   */
  static Instant timestamp(String value, Instant fallback) {
    if (value == null || value.isEmpty()) {
      return fallback;
    }
    if (value.indexOf('.') >= 0 && FLOAT.matcher(value).matches()) {
      double t = Double.parseDouble(value);
      if (Math.abs(t) < 9.2e18) {
        // math.Modf then math.Round(frac*1000)/1000, rounding halves away from zero as Go does
        long seconds = (long) t;
        double frac = t - seconds;
        double millis = Math.signum(frac) * Math.floor(Math.abs(frac) * 1000 + 0.5);
        return Instant.ofEpochSecond(seconds, (long) (millis / 1000 * 1e9));
      }
    }
    long n;
    try {
      n = Long.parseLong(value);
    } catch (NumberFormatException e) {
      try {
        return OffsetDateTime.parse(value).toInstant();
      } catch (DateTimeParseException notRfc3339) {
        throw new LogQueryException(
            "cannot parse \"" + value + "\" as a timestamp: use Unix seconds, Unix nanoseconds, seconds"
                + " with a fraction, or RFC 3339");
      }
    }
    if (value.length() <= 10) {
      return Instant.ofEpochSecond(n);
    }
    return Instant.ofEpochSecond(Math.floorDiv(n, 1_000_000_000L), Math.floorMod(n, 1_000_000_000L));
  }

  /** Loki's {@code parseSecondsOrDuration}: float seconds ({@code 0.5}, {@code 30}) or {@code 5m}. */
  static long secondsOrDurationNanos(String value) {
    if (FLOAT.matcher(value).matches()) {
      double nanos = Double.parseDouble(value) * 1e9;
      if (nanos > Long.MAX_VALUE || nanos < Long.MIN_VALUE) {
        throw new LogQueryException("cannot parse \"" + value + "\" to a valid duration. It overflows int64");
      }
      return (long) nanos;
    }
    try {
      return Math.multiplyExact(promDurationMillis(value), 1_000_000L);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new LogQueryException("cannot parse \"" + value + "\" to a valid duration");
    }
  }

  /** Prometheus' {@code model.ParseDuration}, the only form {@code since} takes. */
  static Duration promDuration(String name, String value) {
    try {
      return Duration.ofMillis(promDurationMillis(value));
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new LogQueryException(
          "could not parse '" + name + "' parameter: not a valid duration string: \"" + value + "\"");
    }
  }

  private static long promDurationMillis(String value) {
    if (value.equals("0")) {
      return 0;
    }
    Matcher m = PROM_DURATION.matcher(value);
    if (value.isEmpty() || !m.matches()) {
      throw new IllegalArgumentException(value);
    }
    long millis = 0;
    for (int i = 0; i < UNIT_MILLIS.length; i++) {
      if (m.group(i + 1) != null) {
        millis = Math.addExact(millis, Math.multiplyExact(Long.parseLong(m.group(i + 1)), UNIT_MILLIS[i]));
      }
    }
    return millis;
  }
}
