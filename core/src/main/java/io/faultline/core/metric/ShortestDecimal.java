/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * The digits Go prints for a float: the shortest decimal that reads back as the same double, the
 * closest such when several have that length (what {@code strconv.FormatFloat(v, fmt, -1, 64)}
 * starts from, and so what Prometheus, Loki and pdata print). JDK 17's {@code Double.toString} is
 * not always shortest ({@code 2.5e22} comes out as {@code 2.4999999999999998E22}; fixed only in
 * JDK 19), so it serves here as an upper bound only.
 */
public final class ShortestDecimal {
  private ShortestDecimal() {}

  /**
   * The shortest decimal of a finite, positive {@code v}, without trailing zeros.
   *
   * @throws IllegalArgumentException for zero, negative, infinite or NaN values
   */
  public static BigDecimal of(double v) {
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException("not a finite positive number: " + v);
    }
    BigDecimal exact = new BigDecimal(v);
    int n = new BigDecimal(Double.toString(v)).stripTrailingZeros().precision();
    BigDecimal best = closestReadingBack(exact, v, n);
    for (int p = n - 1; p >= 1 && best != null; p--) {
      BigDecimal candidate = closestReadingBack(exact, v, p);
      if (candidate == null) {
        break;
      }
      best = candidate;
    }
    return best.stripTrailingZeros();
  }

  /**
   * Go's {@code strconv.FormatFloat(v, 'f', -1, 64)} of a finite {@code v}: {@code "0"}, {@code
   * "-0"}, {@code "1.5"}, {@code "1000000000000000000000"}.
   */
  public static String plain(double v) {
    if (v == 0) {
      return Double.doubleToRawLongBits(v) < 0 ? "-0" : "0";
    }
    return (v < 0 ? "-" : "") + of(Math.abs(v)).toPlainString();
  }

  /**
   * Of the two {@code p}-digit decimals around positive {@code v}, the closer one that reads back
   * as {@code v}; null when neither does. Both must be tried: next to a power of two the rounding
   * interval is lopsided, so the nearer decimal may miss it while the farther one hits.
   */
  private static BigDecimal closestReadingBack(BigDecimal exact, double v, int p) {
    BigDecimal down = exact.round(new MathContext(p, RoundingMode.FLOOR));
    BigDecimal up = exact.round(new MathContext(p, RoundingMode.CEILING));
    boolean downOk = down.doubleValue() == v;
    boolean upOk = up.doubleValue() == v;
    if (downOk && upOk) {
      int c = exact.subtract(down).compareTo(up.subtract(exact));
      return c <= 0 ? down : up;
    }
    return downOk ? down : upOk ? up : null;
  }
}
