/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/** Numbers as Loki writes them in metric answers. */
final class LokiFormat {
  private LokiFormat() {}

  /**
   * A sample value: Go's {@code strconv.FormatFloat(v, 'f', -1, 64)}, i.e. the shortest decimal
   * that reads back as {@code v}, never in exponent form; {@code NaN}, {@code +Inf}, {@code -Inf}.
   */
  static String value(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == 0) {
      return Double.doubleToRawLongBits(v) < 0 ? "-0" : "0";
    }
    return (v < 0 ? "-" : "") + shortest(Math.abs(v)).toPlainString();
  }

  /** A sample time: Unix seconds as a JSON number, with the milliseconds when there are any. */
  static JsonNode time(long millis) {
    if (millis % 1000 == 0) {
      return JsonNodeFactory.instance.numberNode(millis / 1000);
    }
    return JsonNodeFactory.instance.numberNode(BigDecimal.valueOf(millis, 3).stripTrailingZeros());
  }

  // JDK 17's Double.toString is not always the shortest form, so it only bounds the search.
  private static BigDecimal shortest(double v) {
    BigDecimal exact = new BigDecimal(v);
    int n = new BigDecimal(Double.toString(v)).stripTrailingZeros().precision();
    BigDecimal best = new BigDecimal(Double.toString(v));
    for (int p = n; p >= 1; p--) {
      BigDecimal candidate = closestReadingBack(exact, v, p);
      if (candidate == null) {
        break;
      }
      best = candidate;
    }
    return best.stripTrailingZeros();
  }

  private static BigDecimal closestReadingBack(BigDecimal exact, double v, int p) {
    BigDecimal down = exact.round(new MathContext(p, RoundingMode.FLOOR));
    BigDecimal up = exact.round(new MathContext(p, RoundingMode.CEILING));
    boolean downOk = down.doubleValue() == v;
    boolean upOk = up.doubleValue() == v;
    if (downOk && upOk) {
      return exact.subtract(down).compareTo(up.subtract(exact)) <= 0 ? down : up;
    }
    return downOk ? down : upOk ? up : null;
  }
}
