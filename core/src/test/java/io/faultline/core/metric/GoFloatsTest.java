/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.Random;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * Hand-checked against Go's {@code strconv.FormatFloat} and {@code encoding/json} and against
 * ECMAScript's {@code Number::toString}. Before the modules delegated here, every one of their own
 * layouts was compared with these methods on random doubles of every exponent, subnormals and the
 * powers of ten around each switch (commit "core: GoFloats places ShortestDecimal's digits...").
 */
class GoFloatsTest {
  private static final String Z = "0";

  /** value, 'f', 'e', 'g', 'g' switching at 1e21, jsonutil ('f' or 'e'), encoding/json. */
  private static final Object[][] TABLE = {
    {0.0, "0", "0e+00", "0", "0", "0", "0"},
    {-0.0, "-0", "-0e+00", "-0", "-0", "-0", "-0"},
    {1.0, "1", "1e+00", "1", "1", "1", "1"},
    {-1.0, "-1", "-1e+00", "-1", "-1", "-1", "-1"},
    {0.5, "0.5", "5e-01", "0.5", "0.5", "0.5", "0.5"},
    {0.1, "0.1", "1e-01", "0.1", "0.1", "0.1", "0.1"},
    {0.25, "0.25", "2.5e-01", "0.25", "0.25", "0.25", "0.25"},
    {-2.5, "-2.5", "-2.5e+00", "-2.5", "-2.5", "-2.5", "-2.5"},
    {123.456, "123.456", "1.23456e+02", "123.456", "123.456", "123.456", "123.456"},
    {0.1 + 0.2, "0.30000000000000004", "3.0000000000000004e-01", "0.30000000000000004",
        "0.30000000000000004", "0.30000000000000004", "0.30000000000000004"},
    {100000.0, "100000", "1e+05", "100000", "100000", "100000", "100000"},
    {999999.0, "999999", "9.99999e+05", "999999", "999999", "999999", "999999"},
    {1e6, "1000000", "1e+06", "1e+06", "1000000", "1000000", "1000000"},
    {-1e6, "-1000000", "-1e+06", "-1e+06", "-1000000", "-1000000", "-1000000"},
    {1234567.0, "1234567", "1.234567e+06", "1.234567e+06", "1234567", "1234567", "1234567"},
    {1500000.0, "1500000", "1.5e+06", "1.5e+06", "1500000", "1500000", "1500000"},
    {12345678.0, "12345678", "1.2345678e+07", "1.2345678e+07", "12345678", "12345678",
        "12345678"},
    {17560473.0, "17560473", "1.7560473e+07", "1.7560473e+07", "17560473", "17560473",
        "17560473"},
    {1e10, "10000000000", "1e+10", "1e+10", "10000000000", "10000000000", "10000000000"},
    {1e20, "1" + Z.repeat(20), "1e+20", "1e+20", "1" + Z.repeat(20), "1" + Z.repeat(20),
        "1" + Z.repeat(20)},
    {Math.nextDown(1e21), "9999999999999999" + Z.repeat(5), "9.999999999999999e+20",
        "9.999999999999999e+20", "9999999999999999" + Z.repeat(5),
        "9999999999999999" + Z.repeat(5), "9999999999999999" + Z.repeat(5)},
    {1e21, "1" + Z.repeat(21), "1e+21", "1e+21", "1e+21", "1e+21", "1e+21"},
    {-1e21, "-1" + Z.repeat(21), "-1e+21", "-1e+21", "-1e+21", "-1e+21", "-1e+21"},
    {1.2345e22, "12345" + Z.repeat(18), "1.2345e+22", "1.2345e+22", "1.2345e+22", "1.2345e+22",
        "1.2345e+22"},
    // JDK 17's Double.toString prints 2.4999999999999998E22
    {2.5e22, "25" + Z.repeat(21), "2.5e+22", "2.5e+22", "2.5e+22", "2.5e+22", "2.5e+22"},
    {1e100, "1" + Z.repeat(100), "1e+100", "1e+100", "1e+100", "1e+100", "1e+100"},
    {Double.MAX_VALUE, "17976931348623157" + Z.repeat(292), "1.7976931348623157e+308",
        "1.7976931348623157e+308", "1.7976931348623157e+308", "1.7976931348623157e+308",
        "1.7976931348623157e+308"},
    {1e-4, "0.0001", "1e-04", "0.0001", "0.0001", "0.0001", "0.0001"},
    {0.00012345, "0.00012345", "1.2345e-04", "0.00012345", "0.00012345", "0.00012345",
        "0.00012345"},
    {1e-5, "0.00001", "1e-05", "1e-05", "1e-05", "0.00001", "0.00001"},
    {1.5e-5, "0.000015", "1.5e-05", "1.5e-05", "1.5e-05", "0.000015", "0.000015"},
    {1e-6, "0.000001", "1e-06", "1e-06", "1e-06", "0.000001", "0.000001"},
    {9.99999e-7, "0.000000999999", "9.99999e-07", "9.99999e-07", "9.99999e-07", "9.99999e-07",
        "9.99999e-7"},
    {1e-7, "0.0000001", "1e-07", "1e-07", "1e-07", "1e-07", "1e-7"},
    {-1.5e-7, "-0.00000015", "-1.5e-07", "-1.5e-07", "-1.5e-07", "-1.5e-07", "-1.5e-7"},
    {-2.5e-10, "-0.00000000025", "-2.5e-10", "-2.5e-10", "-2.5e-10", "-2.5e-10", "-2.5e-10"},
    // JDK 17's Double.toString prints 5.6843418860808015E-14
    {Math.pow(2, -44), "0.00000000000005684341886080802", "5.684341886080802e-14",
        "5.684341886080802e-14", "5.684341886080802e-14", "5.684341886080802e-14",
        "5.684341886080802e-14"},
    {1e-100, "0." + Z.repeat(99) + "1", "1e-100", "1e-100", "1e-100", "1e-100", "1e-100"},
    {Double.MIN_NORMAL, "0." + Z.repeat(307) + "22250738585072014", "2.2250738585072014e-308",
        "2.2250738585072014e-308", "2.2250738585072014e-308", "2.2250738585072014e-308",
        "2.2250738585072014e-308"},
    {Double.MIN_VALUE, "0." + Z.repeat(323) + "5", "5e-324", "5e-324", "5e-324", "5e-324",
        "5e-324"},
    {-Double.MIN_VALUE, "-0." + Z.repeat(323) + "5", "-5e-324", "-5e-324", "-5e-324", "-5e-324",
        "-5e-324"},
  };

  @Test
  void everyLayoutOfTheTable() {
    assertThat(TABLE.length).isGreaterThanOrEqualTo(40);
    SoftAssertions soft = new SoftAssertions();
    for (Object[] row : TABLE) {
      double v = (Double) row[0];
      String at = "v=" + v;
      soft.assertThat(GoFloats.f(v)).as("f " + at).isEqualTo(row[1]);
      soft.assertThat(GoFloats.e(v)).as("e " + at).isEqualTo(row[2]);
      soft.assertThat(GoFloats.g(v)).as("g " + at).isEqualTo(row[3]);
      soft.assertThat(GoFloats.g(v, 21)).as("g21 " + at).isEqualTo(row[4]);
      soft.assertThat(GoFloats.fOrE(v)).as("fOrE " + at).isEqualTo(row[5]);
      soft.assertThat(GoFloats.json(v)).as("json " + at).isEqualTo(row[6]);
      soft.assertThat(GoFloats.g(v, GoFloats.SHORTEST_G_LIMIT)).as(at).isEqualTo(row[3]);
    }
    soft.assertAll();
  }

  @Test
  void nanAndInfinitiesAsGoSpellsThemExceptInJson() {
    for (double v : new double[] {Double.NaN, Double.longBitsToDouble(0x7ff0000000000002L)}) {
      assertThat(GoFloats.f(v)).isEqualTo("NaN");
      assertThat(GoFloats.e(v)).isEqualTo("NaN");
      assertThat(GoFloats.g(v)).isEqualTo("NaN");
      assertThat(GoFloats.fOrE(v)).isEqualTo("NaN");
    }
    assertThat(GoFloats.f(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
    assertThat(GoFloats.e(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
    assertThat(GoFloats.g(Double.NEGATIVE_INFINITY, 21)).isEqualTo("-Inf");
    assertThat(GoFloats.fOrE(Double.NEGATIVE_INFINITY)).isEqualTo("-Inf");
    assertThatThrownBy(() -> GoFloats.json(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("json: unsupported value: NaN");
    assertThatThrownBy(() -> GoFloats.json(Double.NEGATIVE_INFINITY))
        .hasMessage("json: unsupported value: -Inf");
  }

  @Test
  void roundedDigitsInGLayout() {
    // what fmt's %.<precision>g prints once the digits are rounded to the precision
    assertThat(GoFloats.g(new BigDecimal("1235E1"), 4)).isEqualTo("1.235e+04");
    assertThat(GoFloats.g(new BigDecimal("12E2"), 4)).isEqualTo("1200");
    assertThat(GoFloats.g(new BigDecimal("1.500"), 4)).isEqualTo("1.5");
    assertThat(GoFloats.g(new BigDecimal("123.5"), 4)).isEqualTo("123.5");
    assertThat(GoFloats.g(new BigDecimal("0.0001234"), 4)).isEqualTo("0.0001234");
    assertThat(GoFloats.g(new BigDecimal("0.00001234"), 4)).isEqualTo("1.234e-05");
    assertThat(GoFloats.g(new BigDecimal("1"), 1)).isEqualTo("1");
    assertThat(GoFloats.g(new BigDecimal("1E1"), 1)).isEqualTo("1e+01");
    assertThat(GoFloats.g(new BigDecimal("0.000"), 4)).isEqualTo("0");
    assertThat(GoFloats.g(BigDecimal.ZERO, 0)).isEqualTo("0");
    assertThatThrownBy(() -> GoFloats.g(new BigDecimal("-1"), 4))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void everyLayoutReadsBackAndSwitchesWhereItSays() {
    long seed = Long.getLong("tests.seed", new Random().nextLong());
    Random random = new Random(seed);
    for (int i = 0; i < 20_000; i++) {
      double v = Double.longBitsToDouble(random.nextLong());
      if (Double.isNaN(v) || Double.isInfinite(v)) {
        continue;
      }
      String at = "-Dtests.seed=" + seed + " v=" + v;
      double abs = Math.abs(v);
      String f = GoFloats.f(v);
      String json = GoFloats.json(v);
      for (String s : new String[] {f, GoFloats.e(v), GoFloats.g(v), GoFloats.fOrE(v), json}) {
        assertThat(Double.parseDouble(s)).as(at + " " + s).isEqualTo(v);
      }
      boolean plainJson = abs == 0 || (abs >= 1e-6 && abs < 1e21);
      assertThat(json).as(at).isEqualTo(plainJson ? f : GoFloats.fOrE(v).replace("e-0", "e-"));
      boolean plainG = abs == 0 || (abs >= 1e-4 && abs < 1e6);
      assertThat(GoFloats.g(v).contains("e")).as(at).isNotEqualTo(plainG);
    }
  }
}
