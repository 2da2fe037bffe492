/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import static io.faultline.alert.TestMetrics.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.faultline.core.alert.AlertStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * #8 part 6: what the chaos agent's halt condition {@code {type: sloBurnRate, slo: availability,
 * window: 5m, above: 14.4}} reads from the real {@link Alerting} over span metrics in the real
 * metric store. Span metrics arrive every 15 s as the clock moves: 10 ok calls/s and 0.01 failed
 * calls/s (burn rate about 0.2), then from the spike on 5 failed calls/s. Counters start high so
 * that rate()'s extrapolation is the same for every series and cancels in the ratio.
 */
class SloBurnRateHaltTest {
  private static final long STEP = 15_000;
  private static final long SPIKE = NOW.toEpochMilli();
  private static final long START = SPIKE - 3_600_000;
  private static final Duration WINDOW = Duration.ofMinutes(5);
  private static final double ABOVE = 14.4;
  private static final double BUDGET = 0.005;
  private static final String[] OK = labels("STATUS_CODE_UNSET");
  private static final String[] ERROR = labels("STATUS_CODE_ERROR");

  @TempDir Path dir;
  private TestMetrics m;
  private Alerting alerting;

  @BeforeEach
  void setUp() throws Exception {
    m = new TestMetrics(dir);
    m.clock.set(NOW.minus(Duration.ofMinutes(2)));
    long now = m.clock.millis();
    m.sampled(OK, START, now, STEP, SloBurnRateHaltTest::ok);
    m.sampled(ERROR, START, now, STEP, SloBurnRateHaltTest::errors);
    Files.writeString(dir.resolve("slos.yml"), """
        slos:
          - name: availability
            service: gateway
            objective: 99.5
            window: 28d
        """);
    AlertingConfig c = new AlertingConfig();
    c.sloFiles = List.of("slos.yml");
    c.reloadCheckInterval = "0";
    alerting = Alerting.builder(c, m.store.queries(), m, dir.resolve("data"))
        .baseDir(dir).clock(m.clock).build();
  }

  @AfterEach
  void tearDown() throws Exception {
    alerting.close();
    m.close();
  }

  private static String[] labels(String status) {
    return new String[] {"__name__", "traces_spanmetrics_calls_total", "service", "gateway",
        "span_name", "GET /checkout", "span_kind", "SPAN_KIND_SERVER", "status_code", status};
  }

  private static double ok(long t) {
    return 1e6 + 10 * (t - START) / 1000.0;
  }

  private static double errors(long t) {
    return 1e4 + 0.01 * (Math.min(t, SPIKE) - START) / 1000.0
        + (t > SPIKE ? 5 * (t - SPIKE) / 1000.0 : 0);
  }

  /** The burn rate from the samples in (t - 5m, t], as rate() sees them when extrapolation cancels. */
  private static double expected(long t) {
    long first = t - WINDOW.toMillis() + STEP;
    double bad = errors(t) - errors(first);
    double all = bad + ok(t) - ok(first);
    return bad / all / BUDGET;
  }

  @Test
  void burnRateOverFiveMinutesTripsTheHaltThresholdShortlyAfterErrorsSpike() {
    AlertStatus status = alerting;
    assertThat(status.sloNames()).containsExactly("availability");
    long trippedAt = -1;
    for (long t = m.clock.millis(); t <= SPIKE + 180_000; t += STEP) {
      m.clock.set(java.time.Instant.ofEpochMilli(t));
      m.series(OK, t, ok(t));
      m.series(ERROR, t, errors(t));
      OptionalDouble rate = status.burnRate("availability", WINDOW);
      assertThat(rate).as("burn rate at %s", m.clock.instant()).isPresent();
      assertThat(rate.getAsDouble()).as("burn rate at %s", m.clock.instant())
          .isCloseTo(expected(t), within(1e-6));
      boolean tripped = rate.getAsDouble() > ABOVE;
      if (t <= SPIKE) {
        assertThat(rate.getAsDouble()).isLessThan(1);
      }
      if (tripped && trippedAt < 0) {
        trippedAt = t;
      }
    }
    assertThat(trippedAt).as("the halt condition never tripped").isPositive();
    // 5 of 15 calls failing for 45-60 s of the 5 minutes crosses 14.4x a 0.5 % budget
    assertThat(trippedAt - SPIKE).isBetween(30_000L, 90_000L);
    assertThat(status.burnRate("availability", WINDOW).getAsDouble()).isGreaterThan(ABOVE);
    assertThat(status.burnRate("checkout", WINDOW)).isEmpty();
  }
}
