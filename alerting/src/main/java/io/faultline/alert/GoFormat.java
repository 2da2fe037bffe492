/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import io.faultline.core.metric.ShortestDecimal;
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

  /** Decimal digits without leading or trailing zeros and the decimal point position. */
  private record Digits(String d, int dp) {}

  private static Digits shortest(double v) {
    if (v == 0) {
      return new Digits("", 0);
    }
    return digits(ShortestDecimal.of(Math.abs(v)));
  }

  private static Digits rounded(double v, int precision) {
    if (v == 0) {
      return new Digits("", 0);
    }
    BigDecimal bd =
        new BigDecimal(Math.abs(v)).round(new MathContext(precision, RoundingMode.HALF_EVEN));
    return digits(bd);
  }

  private static Digits digits(BigDecimal bd) {
    bd = bd.stripTrailingZeros();
    String u = bd.unscaledValue().toString();
    return new Digits(u, u.length() - bd.scale());
  }

  private static String special(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    return null;
  }

  /** Go's {@code fmt.Sprint(float64)}: {@code 0.5}, {@code 100000}, {@code 1.234567e+06}. */
  static String v(double v) {
    String s = special(v);
    if (s != null) {
      return s;
    }
    return sign(v) + formatG(shortest(v), -1);
  }

  /** Go's {@code fmt.Sprintf("%.<precision>g", v)}. */
  static String g(double v, int precision) {
    String s = special(v);
    if (s != null) {
      return s;
    }
    int p = Math.max(precision, 1);
    return sign(v) + formatG(rounded(v, p), p);
  }

  /** Go's {@code strconv.FormatFloat(v, 'e', -1, 64)}, as Prometheus renders alert values. */
  static String e(double v) {
    String s = special(v);
    if (s != null) {
      return s;
    }
    Digits d = shortest(v);
    return sign(v) + fmtE(d, Math.max(d.d.length() - 1, 0));
  }

  /** Go's {@code fmt.Sprintf("%.<decimals>f", v)}. */
  static String f(double v, int decimals) {
    String s = special(v);
    if (s != null) {
      return s;
    }
    BigDecimal bd = new BigDecimal(v).setScale(decimals, RoundingMode.HALF_EVEN);
    String out = bd.abs().toPlainString();
    return (v < 0 || (v == 0 && 1 / v < 0) ? "-" : "") + out;
  }

  private static String sign(double v) {
    return (v < 0 || (v == 0 && 1 / v < 0)) ? "-" : "";
  }

  private static String formatG(Digits digs, int prec) {
    boolean shortest = prec < 0;
    int nd = digs.d.length();
    if (shortest) {
      prec = nd;
    }
    int eprec = prec;
    if (eprec > nd && nd >= digs.dp) {
      eprec = nd;
    }
    if (shortest) {
      eprec = 6;
    }
    int exp = digs.dp - 1;
    if (exp < -4 || exp >= eprec) {
      if (prec > nd) {
        prec = nd;
      }
      return fmtE(digs, Math.max(prec - 1, 0));
    }
    if (prec > digs.dp) {
      prec = nd;
    }
    return fmtF(digs, Math.max(prec - digs.dp, 0));
  }

  private static char digit(Digits digs, int i) {
    return i >= 0 && i < digs.d.length() ? digs.d.charAt(i) : '0';
  }

  private static String fmtE(Digits digs, int decimals) {
    StringBuilder b = new StringBuilder();
    b.append(digs.d.isEmpty() ? '0' : digs.d.charAt(0));
    if (decimals > 0) {
      b.append('.');
      for (int i = 1; i <= decimals; i++) {
        b.append(digit(digs, i));
      }
    }
    int exp = digs.d.isEmpty() ? 0 : digs.dp - 1;
    b.append('e').append(exp < 0 ? '-' : '+');
    int a = Math.abs(exp);
    if (a < 10) {
      b.append('0');
    }
    return b.append(a).toString();
  }

  private static String fmtF(Digits digs, int decimals) {
    StringBuilder b = new StringBuilder();
    if (digs.dp > 0) {
      for (int i = 0; i < digs.dp; i++) {
        b.append(digit(digs, i));
      }
    } else {
      b.append('0');
    }
    if (decimals > 0) {
      b.append('.');
      for (int i = 0; i < decimals; i++) {
        b.append(digit(digs, digs.dp + i));
      }
    }
    return b.toString();
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
