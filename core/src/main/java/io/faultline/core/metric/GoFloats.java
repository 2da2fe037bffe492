/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

import java.math.BigDecimal;

/**
 * Where Go puts the {@link ShortestDecimal} digits of a float: the layouts of {@code
 * strconv.FormatFloat(v, fmt, -1, 64)} ({@code 'f'}, {@code 'e'}, {@code 'g'}) and of {@code
 * encoding/json}, which is ECMAScript's {@code Number::toString}. Every method is thread-safe and
 * returns a new string; NaN and infinities are spelled as Go spells them ({@code NaN}, {@code +Inf},
 * {@code -Inf}) except in {@link #json}, which refuses them as Go's encoder does. A caller that
 * spells them otherwise (JavaScript's {@code Infinity}) checks for them first.
 */
public final class GoFloats {
  /** {@code 'g'}'s exponent limit when the precision is the shortest: {@code 1e+06}. */
  public static final int SHORTEST_G_LIMIT = 6;

  /** Where {@code encoding/json} and ECMAScript switch to exponent form: from 1e21 on. */
  private static final int JSON_LIMIT = 21;

  /** Below 1e-6 {@code encoding/json} and ECMAScript switch to exponent form too. */
  private static final int JSON_LOWEST = -6;

  /** Below 1e-4 {@code 'g'} switches to exponent form. */
  private static final int G_LOWEST = -4;

  private GoFloats() {}

  /**
   * {@code strconv.FormatFloat(v, 'f', -1, 64)}: {@code "1.5"}, {@code "-0"}, {@code
   * "1000000000000000000000"}, {@code "0.0000001"}, {@code "+Inf"}.
   */
  public static String f(double v) {
    String special = special(v);
    return special != null ? special : ShortestDecimal.plain(v);
  }

  /**
   * {@code strconv.FormatFloat(v, 'e', -1, 64)}: {@code "1e+00"}, {@code "2.5e-01"}, {@code
   * "1.5e-07"}, {@code "1e+21"}, {@code "-0e+00"}, {@code "NaN"}.
   */
  public static String e(double v) {
    String special = special(v);
    if (special != null) {
      return special;
    }
    StringBuilder out = sign(v);
    return v == 0 ? out.append("0e+00").toString() : exponent(out, shortest(v), true);
  }

  /**
   * {@code strconv.FormatFloat(v, 'g', -1, 64)}, also {@code fmt}'s {@code %g}: plain from 1e-4 up
   * to below 1e6, else exponent form: {@code "100000"}, {@code "1e+06"}, {@code "0.0001"}, {@code
   * "1e-05"}, {@code "-0"}, {@code "+Inf"}.
   */
  public static String g(double v) {
    return g(v, SHORTEST_G_LIMIT);
  }

  /**
   * The shortest {@code 'g'} layout with another exponent limit: plain when the decimal exponent
   * is at least -4 and below {@code limit} ({@link #SHORTEST_G_LIMIT} for Go's own choice), else
   * exponent form with at least two exponent digits. {@code g(1e20, 21)} is {@code
   * "100000000000000000000"}, {@code g(1e21, 21)} is {@code "1e+21"}.
   */
  public static String g(double v, int limit) {
    String special = special(v);
    if (special != null) {
      return special;
    }
    StringBuilder out = sign(v);
    return v == 0 ? out.append('0').toString() : layout(out, shortest(v), G_LOWEST, limit, true);
  }

  /**
   * {@code 'g'}'s layout of digits already rounded (for an explicit precision, {@code %.4g}),
   * without a sign: plain when the decimal exponent is at least -4 and below {@code limit}, else
   * exponent form. Zero is {@code "0"}; {@code g(new BigDecimal("1235E1"), 4)} is {@code
   * "1.235e+04"}, {@code g(new BigDecimal("12E2"), 4)} is {@code "1200"}.
   *
   * @throws IllegalArgumentException when {@code digits} is negative
   */
  public static String g(BigDecimal digits, int limit) {
    if (digits.signum() < 0) {
      throw new IllegalArgumentException("negative digits: " + digits);
    }
    if (digits.signum() == 0) {
      return "0";
    }
    return layout(new StringBuilder(), digits.stripTrailingZeros(), G_LOWEST, limit, true);
  }

  /**
   * Prometheus' {@code jsonutil.MarshalFloat}: {@link #f} from 1e-6 up to below 1e21, else {@link
   * #e}: {@code "0.000001"}, {@code "1e-07"}, {@code "100000000000000000000"}, {@code "1e+21"},
   * {@code "-0"}, {@code "+Inf"}.
   */
  public static String fOrE(double v) {
    String special = special(v);
    if (special != null) {
      return special;
    }
    StringBuilder out = sign(v);
    return v == 0
        ? out.append('0').toString()
        : layout(out, shortest(v), JSON_LOWEST, JSON_LIMIT, true);
  }

  /**
   * {@code encoding/json}'s float64, which is ECMAScript's {@code Number::toString} but for
   * negative zero: plain from 1e-6 up to below 1e21, else exponent form without a padded exponent:
   * {@code "0.000001"}, {@code "1e-7"}, {@code "-2.5e-10"}, {@code "1e+21"}, {@code "-0"}.
   *
   * @throws IllegalArgumentException for NaN and infinities, which JSON cannot hold
   */
  public static String json(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      throw new IllegalArgumentException("json: unsupported value: " + f(v));
    }
    StringBuilder out = sign(v);
    return v == 0
        ? out.append('0').toString()
        : layout(out, shortest(v), JSON_LOWEST, JSON_LIMIT, false);
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

  private static StringBuilder sign(double v) {
    StringBuilder out = new StringBuilder(24);
    return Double.doubleToRawLongBits(v) < 0 ? out.append('-') : out;
  }

  private static BigDecimal shortest(double v) {
    return ShortestDecimal.of(Math.abs(v));
  }

  /** Positive digits without trailing zeros, plain when {@code lowest <= exponent < limit}. */
  private static String layout(
      StringBuilder out, BigDecimal digits, int lowest, int limit, boolean padExponent) {
    int exponent = digits.precision() - 1 - digits.scale();
    if (exponent >= lowest && exponent < limit) {
      return out.append(digits.toPlainString()).toString();
    }
    return exponent(out, digits, padExponent);
  }

  /** {@code d[.ddd]e±X}, the exponent padded to two digits as Go's {@code 'e'} pads it. */
  private static String exponent(StringBuilder out, BigDecimal digits, boolean padExponent) {
    String unscaled = digits.unscaledValue().toString();
    int exponent = unscaled.length() - 1 - digits.scale();
    out.append(unscaled.charAt(0));
    if (unscaled.length() > 1) {
      out.append('.').append(unscaled, 1, unscaled.length());
    }
    out.append('e').append(exponent < 0 ? '-' : '+');
    int magnitude = Math.abs(exponent);
    if (padExponent && magnitude < 10) {
      out.append('0');
    }
    return out.append(magnitude).toString();
  }
}
