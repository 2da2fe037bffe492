/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

/**
 * The calendar fields of {@code time.Unix(int64(v), 0).UTC()} as Go computes them, which is what
 * PromQL's date functions ({@code hour}, {@code year}, {@code days_in_month}, ...) return.
 *
 * <p>Java's {@code Instant} stops at about ±3.2e16 seconds and throws beyond, but PromQL takes any
 * sample value: {@code year(vector(1e17))} is 3168875820 in Prometheus, and a NaN or infinite
 * sample still gets an answer. So this is Go's own arithmetic (time.go up to Go 1.22): the float is
 * converted as amd64 converts it ({@code int64(NaN)}, {@code int64(±Inf)} and anything out of range
 * become {@link Long#MIN_VALUE}), and seconds are shifted to Go's "absolute" epoch in wrapping
 * unsigned 64-bit arithmetic. For every time Java can represent, the answers are the proleptic
 * Gregorian calendar's.
 */
final class GoTime {
  private static final long SECONDS_PER_MINUTE = 60;
  private static final long SECONDS_PER_HOUR = 3_600;
  private static final long SECONDS_PER_DAY = 86_400;
  private static final long SECONDS_PER_WEEK = 7 * SECONDS_PER_DAY;
  private static final long DAYS_PER_400_YEARS = 365 * 400 + 97;
  private static final long DAYS_PER_100_YEARS = 365 * 100 + 24;
  private static final long DAYS_PER_4_YEARS = 365 * 4 + 1;
  private static final long ABSOLUTE_ZERO_YEAR = -292_277_022_399L;

  /**
   * {@code unixToInternal + internalToAbsolute}: 62135596800 plus {@code -(absoluteZeroYear -
   * 1) * 365.2425 * 86400}, exact as Go's untyped constants are.
   */
  private static final long UNIX_TO_ABSOLUTE = 9_223_372_028_715_321_600L;

  private static final int[] DAYS_BEFORE = {
    0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365,
  };

  /** Seconds since Go's absolute zero, an unsigned 64-bit number. */
  private final long abs;

  private long year;
  private int month;
  private int day;
  private int yearDay;

  private GoTime(long unixSeconds) {
    this.abs = unixSeconds + UNIX_TO_ABSOLUTE; // wraps, as Go's uint64 conversion does
    date();
  }

  /** The time of a sample value read as Unix seconds. */
  static GoTime ofValue(double seconds) {
    return new GoTime(goInt64(seconds));
  }

  static GoTime ofUnixSeconds(long seconds) {
    return new GoTime(seconds);
  }

  /** Go's {@code int64(f)} on amd64: truncation, and MinInt64 for NaN and out-of-range values. */
  static long goInt64(double f) {
    if (Double.isNaN(f) || f >= 0x1p63 || f < -0x1p63) {
      return Long.MIN_VALUE;
    }
    return (long) f;
  }

  long year() {
    return year;
  }

  int month() {
    return month;
  }

  int dayOfMonth() {
    return day;
  }

  int dayOfYear() {
    return yearDay + 1;
  }

  int hour() {
    return (int) (Long.remainderUnsigned(abs, SECONDS_PER_DAY) / SECONDS_PER_HOUR);
  }

  int minute() {
    return (int) (Long.remainderUnsigned(abs, SECONDS_PER_HOUR) / SECONDS_PER_MINUTE);
  }

  /** Sunday is 0. */
  int dayOfWeek() {
    // Go: (abs + Monday*secondsPerDay) % secondsPerWeek / secondsPerDay, in uint64
    return (int)
        (Long.remainderUnsigned(abs + SECONDS_PER_DAY, SECONDS_PER_WEEK) / SECONDS_PER_DAY);
  }

  /** Prometheus: {@code 32 - time.Date(year, month, 32, ...).Day()}. */
  int daysInMonth() {
    if (month == 2 && isLeap(year)) {
      return 29;
    }
    return DAYS_BEFORE[month] - DAYS_BEFORE[month - 1];
  }

  private static boolean isLeap(long year) {
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  }

  /** Go's absDate. */
  private void date() {
    long d = Long.divideUnsigned(abs, SECONDS_PER_DAY); // < 2^64 / 86400, so positive
    long n = d / DAYS_PER_400_YEARS;
    long y = 400 * n;
    d -= DAYS_PER_400_YEARS * n;
    n = d / DAYS_PER_100_YEARS;
    n -= n >> 2;
    y += 100 * n;
    d -= DAYS_PER_100_YEARS * n;
    n = d / DAYS_PER_4_YEARS;
    y += 4 * n;
    d -= DAYS_PER_4_YEARS * n;
    n = d / 365;
    n -= n >> 2;
    y += n;
    d -= 365 * n;
    year = y + ABSOLUTE_ZERO_YEAR;
    yearDay = (int) d;
    int dd = yearDay;
    if (isLeap(year)) {
      if (dd > 31 + 29 - 1) {
        dd--;
      } else if (dd == 31 + 29 - 1) {
        month = 2;
        day = 29;
        return;
      }
    }
    int m = dd / 31;
    int end = DAYS_BEFORE[m + 1];
    int begin;
    if (dd >= end) {
      m++;
      begin = end;
    } else {
      begin = DAYS_BEFORE[m];
    }
    month = m + 1;
    day = dd - begin + 1;
  }
}
