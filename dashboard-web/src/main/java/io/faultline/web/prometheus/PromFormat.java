/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.prometheus;

import io.faultline.core.metric.ShortestDecimal;
import java.math.BigDecimal;

/**
 * Numbers exactly as Prometheus' HTTP API writes them ({@code util/jsonutil}): sample values as Go's
 * shortest {@code strconv.FormatFloat} in {@code 'f'} form, or {@code 'e'} form when the magnitude
 * is below 1e-6 or at least 1e21 ({@code "1e+21"}, {@code "1.5e-07"}), {@code "NaN"}, {@code
 * "+Inf"}, {@code "-Inf"}; timestamps as seconds with exactly three decimals when there is a
 * fraction ({@code 1.500}, {@code 1435781451.781}, {@code 7}). Scalar and string results are the
 * exception, as in Prometheus (their own {@code MarshalJSON} through {@code encoding/json}): time
 * as the shortest float ({@code 1.5}) and a scalar's value always in {@code 'f'} form ({@code
 * "1000000000000000000000"}). Checked against a running Prometheus.
 */
public final class PromFormat {
  private PromFormat() {}

  /**
   * jsonutil.MarshalFloat, without the quotes: the shortest decimal, in Go's {@code 'e'} form below
   * 1e-6 and from 1e21 on ({@code 1e-07}, {@code 1e+21}), as ECMAScript prints numbers.
   */
  public static String value(double v) {
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
    BigDecimal digits = shortest(abs);
    String sign = v < 0 ? "-" : "";
    if (abs < 1e-6 || abs >= 1e21) {
      return sign + exponential(digits);
    }
    return sign + digits.toPlainString();
  }

  /**
   * A scalar result's value: {@code strconv.FormatFloat(v, 'f', -1, 64)}, the shortest decimal that
   * reads back as {@code v}, never in exponent form; also how Loki writes every sample value.
   */
  public static String scalarValue(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v) || v == 0) {
      return value(v);
    }
    return (v < 0 ? "-" : "") + shortest(Math.abs(v)).toPlainString();
  }

  /** A scalar or string result's time: {@code float64(t)/1000} as {@code encoding/json} writes it. */
  static String scalarTime(long ms) {
    double seconds = ms / 1000.0;
    if (seconds == 0) {
      return "0";
    }
    String digits = shortest(Math.abs(seconds)).toPlainString();
    return (seconds < 0 ? "-" : "") + digits;
  }

  /** jsonutil.MarshalTimestamp. */
  static String time(long ms) {
    StringBuilder sb = new StringBuilder(24);
    long t = ms;
    if (t < 0) {
      sb.append('-');
      t = -t;
    }
    sb.append(t / 1000);
    long fraction = t % 1000;
    if (fraction != 0) {
      sb.append('.');
      if (fraction < 100) {
        sb.append('0');
      }
      if (fraction < 10) {
        sb.append('0');
      }
      sb.append(fraction);
    }
    return sb.toString();
  }

  /** The shortest decimal of positive {@code v} ({@link ShortestDecimal}). */
  static BigDecimal shortest(double v) {
    return ShortestDecimal.of(v);
  }

  /** Go's {@code 'e'} form of positive digits: {@code d[.ddd]e±XX}. */
  private static String exponential(BigDecimal digits) {
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
}
