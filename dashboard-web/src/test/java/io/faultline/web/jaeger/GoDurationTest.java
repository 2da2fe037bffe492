/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.jaeger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GoDurationTest {

  @ParameterizedTest
  @CsvSource({
    "1.2s, 1200000000",
    "300ms, 300000000",
    "50us, 50000",
    "50µs, 50000",
    "50μs, 50000",
    "7ns, 7",
    "1m, 60000000000",
    "2h45m, 9900000000000",
    "1h0.5m1s, 3631000000000",
    ".5s, 500000000",
    "1.s, 1000000000",
    "0, 0",
    "+0, 0",
    "-1.5ms, -1500000",
    "0.0000000015s, 1",
    "2562047h47m16.854775807s, 9223372036854775807"
  })
  void parsesGoSyntax(String text, long nanos) {
    assertThat(GoDuration.parseNanos(text)).isEqualTo(nanos);
  }

  @Test
  void reportsProblemsInGoWording() {
    assertThatThrownBy(() -> GoDuration.parseNanos("")).hasMessage("time: invalid duration \"\"");
    assertThatThrownBy(() -> GoDuration.parseNanos("abc"))
        .hasMessage("time: invalid duration \"abc\"");
    assertThatThrownBy(() -> GoDuration.parseNanos("1"))
        .hasMessage("time: missing unit in duration \"1\"");
    assertThatThrownBy(() -> GoDuration.parseNanos("1s2"))
        .hasMessage("time: missing unit in duration \"1s2\"");
    assertThatThrownBy(() -> GoDuration.parseNanos("2d"))
        .hasMessage("time: unknown unit \"d\" in duration \"2d\"");
    assertThatThrownBy(() -> GoDuration.parseNanos(".s"))
        .hasMessage("time: invalid duration \".s\"");
    assertThatThrownBy(() -> GoDuration.parseNanos("-")).hasMessage("time: invalid duration \"-\"");
    assertThatThrownBy(() -> GoDuration.parseNanos("9999999999h"))
        .hasMessage("time: invalid duration \"9999999999h\"");
    assertThatThrownBy(() -> GoDuration.parseNanos("1 s"))
        .hasMessageContaining("unknown unit \" s\"");
  }

  @Test
  void lookbackAlsoAcceptsDaysAndWeeks() {
    assertThat(GoDuration.parseLookbackNanos("2d")).isEqualTo(2 * 86_400_000_000_000L);
    assertThat(GoDuration.parseLookbackNanos("1w")).isEqualTo(7 * 86_400_000_000_000L);
    assertThat(GoDuration.parseLookbackNanos("1h")).isEqualTo(3_600_000_000_000L);
  }
}
