/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LokiTailRequestTest {
  private static final Instant NOW = Instant.parse("2026-11-25T08:00:00Z");

  @Test
  void defaultsAreLokisAndParametersAreRead() {
    LokiTail.Request r = LokiTail.Request.of(Map.of("query", List.of("{service_name=\"a\"} |= \"x\"")), NOW);
    assertThat(r.limit()).isEqualTo(100);
    assertThat(r.start()).isEqualTo(NOW.minus(Duration.ofHours(1)));
    assertThat(r.delay()).isZero();
    LokiTail.Request set = LokiTail.Request.of(Map.of("query", List.of("{service_name=\"a\"}"), "limit", List.of("7"),
        "start", List.of("1795590000000000000"), "delay_for", List.of("2")), NOW);
    assertThat(set.limit()).isEqualTo(7);
    assertThat(set.start()).isEqualTo(Instant.ofEpochSecond(1795590000L));
    assertThat(set.delay()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void badParametersAreRefusedWithTheReason() {
    assertThatThrownBy(() -> LokiTail.Request.of(Map.of(), NOW)).hasMessageContaining("missing query");
    assertThatThrownBy(() -> LokiTail.Request.of(Map.of("query", List.of("count_over_time({a=\"b\"}[1m])")), NOW))
        .hasMessageContaining("log query, not a metric query");
    assertThatThrownBy(() -> LokiTail.Request.of(Map.of("query", List.of("{a=")), NOW)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LokiTail.Request.of(Map.of("query", List.of("{a=\"b\"}"), "limit", List.of("0")), NOW))
        .hasMessageContaining("limit");
    assertThatThrownBy(() -> LokiTail.Request.of(Map.of("query", List.of("{a=\"b\"}"), "delay_for", List.of("6")), NOW))
        .hasMessageContaining("delay_for");
  }
}
