/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PromFormatTest {

  @Test
  void valuesAsPrometheusMarshalsThem() {
    // expected strings are Go's strconv.AppendFloat with jsonutil.MarshalFloat's format choice
    assertThat(PromFormat.value(1)).isEqualTo("1");
    assertThat(PromFormat.value(-2.5)).isEqualTo("-2.5");
    assertThat(PromFormat.value(0.1 + 0.2)).isEqualTo("0.30000000000000004");
    assertThat(PromFormat.value(1500000)).isEqualTo("1500000");
    assertThat(PromFormat.value(1e20)).isEqualTo("100000000000000000000");
    assertThat(PromFormat.value(1e21)).isEqualTo("1e+21");
    assertThat(PromFormat.value(1.2345e22)).isEqualTo("1.2345e+22");
    assertThat(PromFormat.value(1e-6)).isEqualTo("0.000001");
    assertThat(PromFormat.value(1e-7)).isEqualTo("1e-07");
    assertThat(PromFormat.value(-1.5e-7)).isEqualTo("-1.5e-07");
    assertThat(PromFormat.value(Double.MIN_VALUE)).isEqualTo("5e-324");
    assertThat(PromFormat.value(Double.MAX_VALUE)).isEqualTo("1.7976931348623157e+308");
    // JDK 17's Double.toString gives 5.6843418860808015E-14 here, one digit too many
    assertThat(PromFormat.value(Math.pow(2, -44))).isEqualTo("5.684341886080802e-14");
    assertThat(PromFormat.value(Double.NaN)).isEqualTo("NaN");
    assertThat(PromFormat.value(Double.longBitsToDouble(0x7ff0000000000002L))).isEqualTo("NaN");
    assertThat(PromFormat.value(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
    assertThat(PromFormat.value(Double.NEGATIVE_INFINITY)).isEqualTo("-Inf");
    assertThat(PromFormat.value(0.0)).isEqualTo("0");
    assertThat(PromFormat.value(-0.0)).isEqualTo("-0");
  }

  @Test
  void shortestDigitsAlwaysReadBackAndAreNeverLongerThanTheJdks() {
    long seed = new Random().nextLong();
    System.out.println("PromFormatTest seed " + seed);
    Random random = new Random(seed);
    for (int i = 0; i < 20_000; i++) {
      double v = Double.longBitsToDouble(random.nextLong());
      if (Double.isNaN(v) || Double.isInfinite(v) || v == 0) {
        continue;
      }
      String s = PromFormat.value(v);
      assertThat(Double.parseDouble(s)).as("seed %d: %s", seed, s).isEqualTo(v);
      int jdkDigits = new java.math.BigDecimal(Double.toString(Math.abs(v))).stripTrailingZeros().precision();
      assertThat(PromFormat.shortest(Math.abs(v)).precision()).isLessThanOrEqualTo(jdkDigits);
    }
  }

  @Test
  void scalarsAsPrometheusEncodingJsonWritesThem() {
    // checked against Prometheus 2.42: query=1e21&time=1.5 -> [1.5,"1000000000000000000000"]
    assertThat(PromFormat.scalarValue(1e21)).isEqualTo("1000000000000000000000");
    assertThat(PromFormat.scalarValue(1e-7)).isEqualTo("0.0000001");
    assertThat(PromFormat.scalarValue(-2.5)).isEqualTo("-2.5");
    assertThat(PromFormat.scalarValue(Double.NaN)).isEqualTo("NaN");
    assertThat(PromFormat.scalarTime(1500)).isEqualTo("1.5");
    assertThat(PromFormat.scalarTime(1050)).isEqualTo("1.05");
    assertThat(PromFormat.scalarTime(1435781451781L)).isEqualTo("1435781451.781");
    assertThat(PromFormat.scalarTime(-1500)).isEqualTo("-1.5");
    assertThat(PromFormat.scalarTime(0)).isEqualTo("0");
  }

  @Test
  void timestampsAsSecondsWithThreeDecimals() {
    assertThat(PromFormat.time(1435781451781L)).isEqualTo("1435781451.781");
    assertThat(PromFormat.time(1500)).isEqualTo("1.500");
    assertThat(PromFormat.time(50)).isEqualTo("0.050");
    assertThat(PromFormat.time(5)).isEqualTo("0.005");
    assertThat(PromFormat.time(7000)).isEqualTo("7");
    assertThat(PromFormat.time(-1500)).isEqualTo("-1.500");
    assertThat(PromFormat.time(0)).isEqualTo("0");
  }

  @Test
  void parameterTimes() throws Exception {
    assertThat(PromParams.time("1435781451.781")).isEqualTo(1435781451781L);
    assertThat(PromParams.time("1435781451")).isEqualTo(1435781451000L);
    assertThat(PromParams.time("2015-07-01T20:10:51.781Z")).isEqualTo(1435781451781L);
    assertThat(PromParams.time("2015-07-01T22:10:51.781+02:00")).isEqualTo(1435781451781L);
    assertThat(PromParams.time("1e3")).isEqualTo(1_000_000L);
    assertThat(PromParams.time("-1.5")).isEqualTo(-1500L);
    assertThat(PromParams.time("0.0005")).isEqualTo(1L);
    assertThat(PromParams.time("-292273086-05-16T16:47:06Z")).isEqualTo(PromParams.MIN_TIME_MS);
    assertThatThrownBy(() -> PromParams.time("yesterday"))
        .hasMessage("cannot parse \"yesterday\" to a valid timestamp");
    assertThatThrownBy(() -> PromParams.timeParam("x", "time", 0))
        .hasMessage("Invalid time value for 'time': cannot parse \"x\" to a valid timestamp");
    assertThat(PromParams.timeParam(null, "time", 42)).isEqualTo(42);
  }

  @Test
  void parameterDurationsAndLimits() throws Exception {
    assertThat(PromParams.durationMs("5m")).isEqualTo(300_000);
    assertThat(PromParams.durationMs("1h30m")).isEqualTo(5_400_000);
    assertThat(PromParams.durationMs("1d")).isEqualTo(86_400_000);
    assertThat(PromParams.durationMs("1y")).isEqualTo(365L * 86_400_000);
    assertThat(PromParams.durationMs("250ms")).isEqualTo(250);
    assertThat(PromParams.durationMs("15")).isEqualTo(15_000);
    assertThat(PromParams.durationMs("0.5")).isEqualTo(500);
    assertThat(PromParams.durationMs("0")).isZero();
    assertThatThrownBy(() -> PromParams.durationMs("5x")).hasMessage("cannot parse \"5x\" to a valid duration");
    assertThatThrownBy(() -> PromParams.durationMs("m5")).hasMessage("cannot parse \"m5\" to a valid duration");
    assertThatThrownBy(() -> PromParams.durationMs("1e300")).hasMessageContaining("It overflows int64");
    assertThat(PromParams.limit(null)).isZero();
    assertThat(PromParams.limit("10")).isEqualTo(10);
    assertThatThrownBy(() -> PromParams.limit("-1")).hasMessage("limit must be non-negative");
    assertThatThrownBy(() -> PromParams.limit("ten"))
        .hasMessage("strconv.Atoi: parsing \"ten\": invalid syntax");
  }

  @Test
  void escapedLabelNames() {
    assertThat(PromParams.unescapeLabelName("job")).isEqualTo("job");
    assertThat(PromParams.unescapeLabelName("U__http_2e_method")).isEqualTo("http.method");
    assertThat(PromParams.unescapeLabelName("U__a__b")).isEqualTo("a_b");
    assertThat(PromParams.unescapeLabelName("U__bad_zz_")).isEqualTo("U__bad_zz_");
  }
}
