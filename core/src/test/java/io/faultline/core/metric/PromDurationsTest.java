/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PromDurationsTest {
  @Test
  void printsAsPrometheusModelDurationString() {
    assertThat(PromDurations.format(Duration.ZERO)).isEqualTo("0s");
    assertThat(PromDurations.format(Duration.ofSeconds(15))).isEqualTo("15s");
    assertThat(PromDurations.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
    assertThat(PromDurations.format(Duration.ofMillis(1500))).isEqualTo("1s500ms");
    assertThat(PromDurations.format(Duration.ofMillis(100))).isEqualTo("100ms");
    // years and weeks only when they divide the whole duration
    assertThat(PromDurations.format(Duration.ofDays(14))).isEqualTo("2w");
    assertThat(PromDurations.format(Duration.ofDays(10))).isEqualTo("10d");
    assertThat(PromDurations.format(Duration.ofDays(28))).isEqualTo("4w");
    assertThat(PromDurations.format(Duration.ofDays(365))).isEqualTo("1y");
    assertThat(PromDurations.format(Duration.ofDays(366))).isEqualTo("366d");
    assertThat(PromDurations.format(Duration.ofDays(7).plusHours(1))).isEqualTo("7d1h");
  }

  @Test
  void parsesPrometheusDurationsAndReadsBackWhatItPrints() {
    assertThat(PromDurations.parse("0")).isEqualTo(Duration.ZERO);
    assertThat(PromDurations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(PromDurations.parse("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(PromDurations.parse("1w3d")).isEqualTo(Duration.ofDays(10));
    assertThat(PromDurations.parse("1s500ms")).isEqualTo(Duration.ofMillis(1500));
    for (long ms : new long[] {1, 999, 60_000, 5_400_000, 864_000_000, 31_536_000_000L}) {
      Duration d = Duration.ofMillis(ms);
      assertThat(PromDurations.parse(PromDurations.format(d))).isEqualTo(d);
    }
    assertThatThrownBy(() -> PromDurations.parse("")).hasMessage("empty duration string");
    assertThatThrownBy(() -> PromDurations.parse("1.5h"))
        .hasMessage("not a valid duration string: \"1.5h\"");
    assertThatThrownBy(() -> PromDurations.parse("30m1h")).hasMessageContaining("not a valid");
  }
}
