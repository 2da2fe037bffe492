/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ShortestDecimalTest {

  @Test
  void valuesJdk17PrintsTooLongComeOutAsGoPrintsThem() {
    // JDK 17: Double.toString(2.5e22) is "2.4999999999999998E22"; Go prints 2.5e+22
    assertThat(ShortestDecimal.of(2.5e22)).isEqualByComparingTo("2.5e22");
    assertThat(ShortestDecimal.of(2.5e22).unscaledValue().toString()).isEqualTo("25");
    assertThat(ShortestDecimal.plain(2e23)).isEqualTo("200000000000000000000000");
    assertThat(ShortestDecimal.plain(-1.5)).isEqualTo("-1.5");
    assertThat(ShortestDecimal.plain(0.1)).isEqualTo("0.1");
    assertThat(ShortestDecimal.plain(-0.0)).isEqualTo("-0");
    assertThat(ShortestDecimal.plain(Double.MIN_VALUE)).isEqualTo("0." + "0".repeat(323) + "5");
    assertThatThrownBy(() -> ShortestDecimal.of(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void digitsAlwaysReadBackAndAreNeverLongerThanTheJdks() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    for (int i = 0; i < 20_000; i++) {
      double v = Math.abs(Double.longBitsToDouble(random.nextLong()));
      if (Double.isNaN(v) || Double.isInfinite(v) || v == 0) {
        continue;
      }
      BigDecimal d = ShortestDecimal.of(v);
      assertThat(d.doubleValue()).as("seed %d", seed).isEqualTo(v);
      int jdk = new BigDecimal(Double.toString(v)).stripTrailingZeros().precision();
      assertThat(d.precision()).as("seed %d: %s", seed, v).isLessThanOrEqualTo(jdk);
    }
  }
}
