/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import io.faultline.core.metric.GoFloats;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Go's float formatting ({@code %v}, {@code %.4g}, {@code 'e'}) and Prometheus' template humanize
 * functions, so that annotations and API values read exactly as Prometheus writes them.
 */
final class GoFormat {
  private static final DateTimeFormatter GO_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);

  private GoFormat() {}

  /** Go's {@code fmt.Sprint(float64)}: {@code 0.5}, {@code 100000}, {@code 1.234567e+06}. */
  static String v(double v) {
    return GoFloats.g(v);
  }

  /** Go's {@code fmt.Sprintf("%.<precision>g", v)}. */
  static String g(double v, int precision) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return GoFloats.f(v);
    }
    int p = Math.max(precision, 1);
    BigDecimal digits =
        v == 0
            ? BigDecimal.ZERO
            : new BigDecimal(Math.abs(v))
                .round(new MathContext(p, RoundingMode.HALF_EVEN))
                .stripTrailingZeros();
    int nd = digits.signum() == 0 ? 0 : digits.precision();
    int dp = nd - digits.scale();
    // strconv's formatDigits: the trailing zeros a precision asks for are not printed in 'e' form
    int limit = p > nd && nd >= dp ? nd : p;
    return sign(v) + GoFloats.g(digits, limit);
  }

  /** Go's {@code strconv.FormatFloat(v, 'e', -1, 64)}, as Prometheus renders alert values. */
  static String e(double v) {
    return GoFloats.e(v);
  }

  /** Go's {@code fmt.Sprintf("%.<decimals>f", v)}. */
  static String f(double v, int decimals) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return GoFloats.f(v);
    }
    BigDecimal bd = new BigDecimal(v).setScale(decimals, RoundingMode.HALF_EVEN);
    String out = bd.abs().toPlainString();
    return sign(v) + out;
  }

  private static String sign(double v) {
    return (v < 0 || (v == 0 && 1 / v < 0)) ? "-" : "";
  }

  private static final String[] BIG = {"k", "M", "G", "T", "P", "E", "Z", "Y"};
  private static final String[] SMALL = {"m", "u", "n", "p", "f", "a", "z", "y"};
  private static final String[] BIG_1024 = {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"};

  /** Prometheus' {@code humanize}: SI prefixes, four significant digits. */
  static String humanize(double v) {
    if (v == 0 || Double.isNaN(v) || Double.isInfinite(v)) {
      return g(v, 4);
    }
    String prefix = "";
    if (Math.abs(v) >= 1) {
      for (String p : BIG) {
        if (Math.abs(v) < 1000) {
          break;
        }
        prefix = p;
        v /= 1000;
      }
      return g(v, 4) + prefix;
    }
    for (String p : SMALL) {
      if (Math.abs(v) >= 1) {
        break;
      }
      prefix = p;
      v *= 1000;
    }
    return g(v, 4) + prefix;
  }

  /** Prometheus' {@code humanize1024}. */
  static String humanize1024(double v) {
    if (Math.abs(v) <= 1 || Double.isNaN(v) || Double.isInfinite(v)) {
      return g(v, 4);
    }
    String prefix = "";
    for (String p : BIG_1024) {
      if (Math.abs(v) < 1024) {
        break;
      }
      prefix = p;
      v /= 1024;
    }
    return g(v, 4) + prefix;
  }

  /** Prometheus' {@code humanizeDuration} of seconds: {@code 1d 2h 3m 4s}, {@code 1.5s}, {@code 20ms}. */
  static String humanizeDuration(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return g(v, 4);
    }
    if (v == 0) {
      return g(v, 4) + "s";
    }
    if (Math.abs(v) >= 1) {
      String sign = "";
      if (v < 0) {
        sign = "-";
        v = -v;
      }
      long duration = (long) v;
      long seconds = duration % 60;
      long minutes = (duration / 60) % 60;
      long hours = (duration / 60 / 60) % 24;
      long days = duration / 60 / 60 / 24;
      if (days != 0) {
        return sign + days + "d " + hours + "h " + minutes + "m " + seconds + "s";
      }
      if (hours != 0) {
        return sign + hours + "h " + minutes + "m " + seconds + "s";
      }
      if (minutes != 0) {
        return sign + minutes + "m " + seconds + "s";
      }
      return sign + g(v, 4) + "s";
    }
    String prefix = "";
    for (String p : SMALL) {
      if (Math.abs(v) >= 1) {
        break;
      }
      prefix = p;
      v *= 1000;
    }
    return g(v, 4) + prefix + "s";
  }

  /** Prometheus' {@code humanizePercentage}: {@code 0.1234} becomes {@code 12.34%}. */
  static String humanizePercentage(double v) {
    return g(v * 100, 4) + "%";
  }

  /** Prometheus' {@code humanizeTimestamp}: Go's {@code time.Time.String()} in UTC. */
  static String humanizeTimestamp(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return g(v, 4);
    }
    long nanos = (long) (v * 1e9);
    Instant t = Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L),
        Math.floorMod(nanos, 1_000_000_000L));
    StringBuilder b = new StringBuilder(GO_TIME.format(t));
    if (t.getNano() != 0) {
      String frac = String.format(Locale.ROOT, "%09d", t.getNano()).replaceAll("0+$", "");
      b.append('.').append(frac);
    }
    return b.append(" +0000 UTC").toString();
  }
}
