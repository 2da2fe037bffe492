/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Temporary: the layouts each module wrote for itself, copied verbatim, against {@link GoFloats}.
 * Replaced by hand-checked tables once every caller delegates.
 */
class GoFloatsCharacterizationTest {

  static List<Double> values() {
    long seed = Long.getLong("tests.seed", new Random().nextLong());
    System.out.println("GoFloatsCharacterizationTest seed " + seed);
    Random random = new Random(seed);
    List<Double> vs = new ArrayList<>();
    for (int i = 0; i < 30_000; i++) {
      vs.add(Double.longBitsToDouble(random.nextLong()));
    }
    for (int i = 0; i < 5_000; i++) {
      vs.add(random.nextDouble() * Math.pow(10, random.nextInt(60) - 30));
      vs.add((double) random.nextInt(2_000_000) - 1_000_000);
      vs.add(Math.scalb(random.nextDouble(), -1074 + random.nextInt(60))); // subnormals
      vs.add(Double.longBitsToDouble(random.nextLong() & 0x000fffffffffffffL));
    }
    for (int e = -330; e <= 310; e++) {
      double p = Double.parseDouble("1e" + e);
      for (double v : new double[] {p, Math.nextUp(p), Math.nextDown(p), 1.5 * p, 9.999999 * p, 0.99999999 * p}) {
        vs.add(v);
        vs.add(-v);
      }
    }
    for (double v : new double[] {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE, Double.MIN_NORMAL, 1, -1,
        1e-7, 1e-6, 1e-5, 1e-4, 1e20, 1e21, 1e6, 999999, 100000, 0.1 + 0.2, 2.5e22, 123456789}) {
      vs.add(v);
      vs.add(-v);
    }
    return vs;
  }

  @Test
  void everyOldLayoutMatches() {
    int checked = 0;
    for (double v : values()) {
      boolean finite = !Double.isNaN(v) && !Double.isInfinite(v);
      String at = "v=" + v + " bits=" + Long.toHexString(Double.doubleToRawLongBits(v));
      // collector GoFloat.shortestG (finite, non-zero)
      if (finite && v != 0) {
        assertThat(GoFloats.g(v)).as(at).isEqualTo(collectorShortestG(v));
      }
      // metric-store Format
      assertThat(GoFloats.g(v)).as(at).isEqualTo(metricShortest(v, 6));
      assertThat(GoFloats.g(v, 21)).as(at).isEqualTo(metricShortest(v, 21));
      assertThat(GoFloats.f(v)).as(at).isEqualTo(goFloatF(v));
      // dashboard-web PromFormat
      assertThat(GoFloats.fOrE(v)).as(at).isEqualTo(promValue(v));
      assertThat(GoFloats.f(v)).as(at).isEqualTo(promScalarValue(v));
      // alerting GoFormat
      assertThat(GoFloats.g(v)).as(at).isEqualTo(GoFormatOld.v(v));
      assertThat(GoFloats.e(v)).as(at).isEqualTo(GoFormatOld.e(v));
      for (int p = 0; p <= 20; p++) {
        assertThat(newGoFormatG(v, p)).as(at + " p=" + p).isEqualTo(GoFormatOld.g(v, p));
      }
      if (finite) {
        // dashboard-web GoJson
        StringBuilder sb = new StringBuilder();
        goJsonAppendDouble(sb, v);
        assertThat(GoFloats.json(v)).as(at).isEqualTo(sb.toString());
        // metric-store OtlpTranslator
        assertThat(GoFloats.json(v)).as(at).isEqualTo(es6Float(v));
        // dashboard-web StructuredMetadata.goDouble
        assertThat(GoFloats.json(v)).as(at)
            .isEqualTo(promValue(v).replaceFirst("e-0(\\d)$", "e-$1"));
        // core OtlpValues
        assertThat(v == 0 ? "0" : GoFloats.json(v)).as(at).isEqualTo(javaScriptNumber(v));
      }
      checked++;
    }
    assertThat(checked).isGreaterThan(40_000);
  }

  /** GoFormat.g as it will read once it delegates. */
  static String newGoFormatG(double v, int precision) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return GoFloats.f(v);
    }
    int p = Math.max(precision, 1);
    BigDecimal d = v == 0 ? BigDecimal.ZERO
        : new BigDecimal(Math.abs(v)).round(new MathContext(p, RoundingMode.HALF_EVEN)).stripTrailingZeros();
    int nd = d.signum() == 0 ? 0 : d.precision();
    int dp = nd - d.scale();
    int eprec = p > nd && nd >= dp ? nd : p;
    String sign = (v < 0 || (v == 0 && 1 / v < 0)) ? "-" : "";
    return sign + GoFloats.g(d, eprec);
  }

  // ---- collector GoFloat

  private static String collectorShortestG(double f) {
    BigDecimal d = ShortestDecimal.of(Math.abs(f));
    String digits = d.unscaledValue().toString();
    int exp = digits.length() - 1 - d.scale();
    StringBuilder sb = new StringBuilder();
    if (f < 0) {
      sb.append('-');
    }
    if (exp < -4 || exp >= 6) {
      sb.append(digits.charAt(0));
      if (digits.length() > 1) {
        sb.append('.').append(digits, 1, digits.length());
      }
      sb.append('e').append(exp < 0 ? '-' : '+');
      int a = Math.abs(exp);
      if (a < 10) {
        sb.append('0');
      }
      sb.append(a);
    } else {
      sb.append(d.toPlainString());
    }
    return sb.toString();
  }

  // ---- metric-store Format

  static String goFloatF(double f) {
    if (Double.isNaN(f)) {
      return "NaN";
    }
    if (Double.isInfinite(f)) {
      return f > 0 ? "+Inf" : "-Inf";
    }
    return ShortestDecimal.plain(f);
  }

  private static String metricShortest(double f, int eprec) {
    if (Double.isNaN(f)) {
      return "NaN";
    }
    if (Double.isInfinite(f)) {
      return f > 0 ? "+Inf" : "-Inf";
    }
    if (f == 0) {
      return (1 / f < 0) ? "-0" : "0";
    }
    BigDecimal bd = ShortestDecimal.of(Math.abs(f));
    String digits = bd.unscaledValue().toString();
    int exp = digits.length() - 1 - bd.scale();
    String sign = f < 0 ? "-" : "";
    if (exp < -4 || exp >= eprec) {
      StringBuilder sb = new StringBuilder(sign).append(digits.charAt(0));
      if (digits.length() > 1) {
        sb.append('.').append(digits, 1, digits.length());
      }
      sb.append('e').append(exp < 0 ? '-' : '+');
      int ae = Math.abs(exp);
      if (ae < 10) {
        sb.append('0');
      }
      return sb.append(ae).toString();
    }
    return sign + bd.toPlainString();
  }

  // ---- metric-store OtlpTranslator

  static String es6Float(double f) {
    double abs = Math.abs(f);
    if (abs != 0 && (abs < 1e-6 || abs >= 1e21)) {
      BigDecimal d = ShortestDecimal.of(abs);
      String digits = d.unscaledValue().toString();
      int exp = digits.length() - 1 - d.scale();
      StringBuilder sb = new StringBuilder();
      if (f < 0) {
        sb.append('-');
      }
      sb.append(digits.charAt(0));
      if (digits.length() > 1) {
        sb.append('.').append(digits, 1, digits.length());
      }
      return sb.append('e').append(exp < 0 ? '-' : '+').append(Math.abs(exp)).toString();
    }
    return goFloatF(f);
  }

  // ---- dashboard-web PromFormat

  static String promValue(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == 0) {
      return (Double.doubleToRawLongBits(v) < 0) ? "-0" : "0";
    }
    double abs = Math.abs(v);
    BigDecimal digits = ShortestDecimal.of(abs);
    String sign = v < 0 ? "-" : "";
    if (abs < 1e-6 || abs >= 1e21) {
      return sign + promExponential(digits);
    }
    return sign + digits.toPlainString();
  }

  static String promScalarValue(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v) || v == 0) {
      return promValue(v);
    }
    return (v < 0 ? "-" : "") + ShortestDecimal.of(Math.abs(v)).toPlainString();
  }

  private static String promExponential(BigDecimal digits) {
    String unscaled = digits.unscaledValue().toString();
    int exponent = unscaled.length() - 1 - digits.scale();
    StringBuilder sb = new StringBuilder().append(unscaled.charAt(0));
    if (unscaled.length() > 1) {
      sb.append('.').append(unscaled, 1, unscaled.length());
    }
    sb.append('e').append(exponent < 0 ? '-' : '+');
    int abs = Math.abs(exponent);
    if (abs < 10) {
      sb.append('0');
    }
    return sb.append(abs).toString();
  }

  // ---- dashboard-web GoJson

  static void goJsonAppendDouble(StringBuilder out, double d) {
    if (d == 0) {
      out.append(1 / d < 0 ? "-0" : "0");
      return;
    }
    double abs = Math.abs(d);
    BigDecimal exact = ShortestDecimal.of(abs);
    if (abs >= 1e-6 && abs < 1e21) {
      out.append(d < 0 ? "-" : "").append(exact.toPlainString());
      return;
    }
    String digits = exact.unscaledValue().abs().toString();
    int exponent = digits.length() - 1 - exact.scale();
    if (d < 0) {
      out.append('-');
    }
    out.append(digits.charAt(0));
    if (digits.length() > 1) {
      out.append('.').append(digits, 1, digits.length());
    }
    out.append('e').append(exponent < 0 ? '-' : '+').append(Math.abs(exponent));
  }

  // ---- core OtlpValues

  static String javaScriptNumber(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return "0";
    }
    double abs = Math.abs(d);
    if (abs >= 1e-6 && abs < 1e21) {
      return ShortestDecimal.plain(d);
    }
    BigDecimal digits = ShortestDecimal.of(abs);
    String unscaled = digits.unscaledValue().toString();
    int exponent = unscaled.length() - 1 - digits.scale();
    StringBuilder sb = new StringBuilder(d < 0 ? "-" : "").append(unscaled.charAt(0));
    if (unscaled.length() > 1) {
      sb.append('.').append(unscaled, 1, unscaled.length());
    }
    return sb.append('e').append(exponent < 0 ? '-' : '+').append(Math.abs(exponent)).toString();
  }

  // ---- alerting GoFormat

  static final class GoFormatOld {
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

    static String v(double v) {
      String s = special(v);
      if (s != null) {
        return s;
      }
      return sign(v) + formatG(shortest(v), -1);
    }

    static String g(double v, int precision) {
      String s = special(v);
      if (s != null) {
        return s;
      }
      int p = Math.max(precision, 1);
      return sign(v) + formatG(rounded(v, p), p);
    }

    static String e(double v) {
      String s = special(v);
      if (s != null) {
        return s;
      }
      Digits d = shortest(v);
      return sign(v) + fmtE(d, Math.max(d.d.length() - 1, 0));
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
  }
}
