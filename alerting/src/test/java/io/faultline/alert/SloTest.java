/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import static io.faultline.alert.TestMetrics.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SLO math on constructed span metrics: 10 ok calls/s for four days; errors 0.1/s until an hour
 * ago, then 2/s. All series share their sample times, so rate()'s extrapolation cancels in the
 * ratios and the expected values below are exact.
 */
class SloTest {
  private static final long T0 = NOW.toEpochMilli();
  private static final long H = 3_600_000;
  private static final long START = T0 - 96 * H;
  private static final long STEP = 60_000;

  @TempDir Path dir;
  private TestMetrics m;
  private Alerting alerting;

  @BeforeEach
  void data() throws Exception {
    m = new TestMetrics(dir);
    String[] base = {"service", "gateway", "span_name", "GET /checkout", "span_kind",
        "SPAN_KIND_SERVER"};
    m.sampled(labels(base, "traces_spanmetrics_calls_total", "STATUS_CODE_UNSET", null),
        START, T0, STEP, t -> 10 * sec(t - START));
    m.sampled(labels(base, "traces_spanmetrics_calls_total", "STATUS_CODE_ERROR", null),
        START, T0, STEP, SloTest::errors);
    m.sampled(labels(base, "traces_spanmetrics_latency_bucket", "STATUS_CODE_UNSET", "0.512"),
        START, T0, STEP, t -> 9.7 * sec(t - START));
    m.sampled(labels(base, "traces_spanmetrics_latency_bucket", "STATUS_CODE_UNSET", "1.024"),
        START, T0, STEP, t -> 9.9 * sec(t - START));
    m.sampled(labels(base, "traces_spanmetrics_latency_bucket", "STATUS_CODE_UNSET", "+Inf"),
        START, T0, STEP, t -> 10 * sec(t - START));
    // failed calls are fast, but must not count as good
    m.sampled(labels(base, "traces_spanmetrics_latency_bucket", "STATUS_CODE_ERROR", "0.512"),
        START, T0, STEP, SloTest::errors);
    Files.writeString(dir.resolve("slos.yml"), """
        slos:
          - name: availability
            service: gateway
            objective: 99.5
            window: 28d
            description: 99.5 % of gateway requests succeed
          - name: fast
            service: gateway
            objective: 99
            window: 28d
            sli:
              spanName: GET /checkout
              latencyThreshold: 800ms
            labels:
              team: checkout
        """);
    AlertingConfig c = new AlertingConfig();
    c.sloFiles = List.of("slos.yml");
    c.reloadCheckInterval = "0";
    alerting = Alerting.builder(c, m.store.queries(), m, dir.resolve("data"))
        .baseDir(dir).clock(m.clock).build();
    alerting.tick();
  }

  @AfterEach
  void close() throws Exception {
    alerting.close();
    m.close();
  }

  private static double sec(long ms) {
    return ms / 1000.0;
  }

  private static double errors(long t) {
    long cut = T0 - H;
    return t <= cut ? 0.1 * sec(t - START) : 0.1 * sec(cut - START) + 2 * sec(t - cut);
  }

  private static String[] labels(String[] base, String name, String status, String le) {
    List<String> l = new java.util.ArrayList<>(List.of(base));
    l.addAll(List.of("__name__", name, "status_code", status));
    if (le != null) {
      l.addAll(List.of("le", le));
    }
    return l.toArray(String[]::new);
  }

  /** Error ratio over the samples in (T0 - window, T0]: increases over the same points. */
  private static double expectedRatio(long windowMs) {
    long first = Math.max(START, T0 - windowMs + STEP);
    double err = errors(T0) - errors(first);
    double ok = 10 * sec(T0 - first);
    return err / (err + ok);
  }

  private SloStatus status(String name) {
    return alerting.slos().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void errorRatiosBurnRatesAndBudgetOverTheStandardWindows() {
    SloStatus s = status("availability");
    assertThat(s.errorBudget()).isCloseTo(0.005, within(1e-12));
    assertThat(s.window()).isEqualTo("4w");
    assertThat(s.errorRatios().get("5m")).isCloseTo(2.0 / 12, within(1e-9));
    assertThat(s.errorRatios().get("1h")).isCloseTo(2.0 / 12, within(1e-9));
    assertThat(s.errorRatios().get("6h")).isCloseTo(expectedRatio(6 * H), within(1e-9));
    assertThat(s.errorRatios().get("1d")).isCloseTo(expectedRatio(24 * H), within(1e-9));
    assertThat(s.errorRatios().get("3d")).isCloseTo(expectedRatio(72 * H), within(1e-9));
    double period = expectedRatio(28 * 24 * H);
    assertThat(s.errorRatios().get("4w")).isCloseTo(period, within(1e-9));
    assertThat(s.burnRates().get("1h")).isCloseTo(2.0 / 12 / 0.005, within(1e-6));
    assertThat(s.errorBudgetRemaining()).isCloseTo(1 - period / 0.005, within(1e-6));
    assertThat(m.vector("slo:current_burn_rate:ratio{sloth_slo=\"availability\"}", T0)
        .values()).singleElement().satisfies(v -> assertThat(v)
            .isCloseTo(2.0 / 12 / 0.005, within(1e-6)));
    assertThat(m.vector("slo:objective:ratio{sloth_slo=\"availability\"}", T0).values())
        .containsExactly(0.995);
  }

  @Test
  void latencySliCountsSlowAndFailedCallsAsBad() {
    // 800 ms lies between the 0.512 and 1.024 buckets: 9.7 + (9.9 - 9.7) * 0.5625 good per second
    double good = 9.7 + 0.2 * 0.5625;
    SloStatus s = status("fast");
    assertThat(s.errorRatios().get("5m")).isCloseTo(1 - good / 12, within(1e-9));
    assertThat(m.vector("slo:sli_error:ratio_rate5m{sloth_slo=\"fast\"}", T0).keySet())
        .singleElement().satisfies(l -> assertThat(l).containsEntry("team", "checkout")
            .containsEntry("sloth_service", "gateway").containsEntry("sloth_window", "5m"));
  }

  @Test
  void multiWindowBurnRateAlertsFireAndAreQueryable() {
    // 1h and 5m both burn 33x: the 14.4x page alert fires
    assertThat(alerting.isFiring("ErrorBudgetBurn",
        Map.of("slo", "availability", "severity", "page", "long", "1h"))).isTrue();
    assertThat(status("availability").alerts())
        .filteredOn(a -> a.longWindow().equals("1h")).singleElement()
        .satisfies(a -> assertThat(a.state()).isEqualTo("firing"));
    assertThat(alerting.burnRate("availability", Duration.ofHours(1)).getAsDouble())
        .isCloseTo(2.0 / 12 / 0.005, within(1e-6));
    assertThat(alerting.burnRate("availability", Duration.ofMinutes(90)).getAsDouble())
        .isCloseTo(expectedRatio(90 * 60_000) / 0.005, within(1e-6));
    assertThat(alerting.burnRate("unknown", Duration.ofHours(1))).isEmpty();
    assertThat(alerting.sloNames()).containsExactly("availability", "fast");
  }

  @Test
  void invalidSlosAreRejectedWithReasons() throws Exception {
    Files.writeString(dir.resolve("bad.yml"), """
        slos:
          - service: gateway
            objective: 100
            sli:
              latencyThreshold: 30s
              color: red
        """);
    AlertingConfig c = new AlertingConfig();
    c.sloFiles = List.of("bad.yml");
    assertThatThrownBy(() -> Alerting.builder(c, m.store.queries(), m, dir.resolve("d2"))
        .baseDir(dir).clock(m.clock).build())
        .isInstanceOf(RuleFileException.class)
        .hasMessageContaining("bad.yml:2:5: slo 1 \"gateway\": 'objective' must be a percentage")
        .hasMessageContaining("sli: unknown field color")
        .hasMessageContaining("latencyThreshold 30s is outside the span-metrics buckets");
  }
}
