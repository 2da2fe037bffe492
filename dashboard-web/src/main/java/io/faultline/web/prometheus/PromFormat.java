/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.prometheus;

import io.faultline.core.metric.GoFloats;
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
    return GoFloats.fOrE(v);
  }

  /**
   * A scalar result's value: {@code strconv.FormatFloat(v, 'f', -1, 64)}, the shortest decimal that
   * reads back as {@code v}, never in exponent form; also how Loki writes every sample value.
   */
  public static String scalarValue(double v) {
    return GoFloats.f(v);
  }

  /** A scalar or string result's time: {@code float64(t)/1000} as {@code encoding/json} writes it. */
  static String scalarTime(long ms) {
    return ShortestDecimal.plain(ms / 1000.0);
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
}
