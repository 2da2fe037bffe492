/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import static io.faultline.alert.TestMetrics.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.faultline.core.alert.ActiveAlert;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertingTest {
  private static final long T0 = NOW.toEpochMilli();
  private static final long MIN = 60_000;

  @TempDir Path dir;
  private TestMetrics m;
  private Alerting alerting;

  @BeforeEach
  void open() throws IOException {
    m = new TestMetrics(dir);
  }

  @AfterEach
  void close() throws IOException {
    if (alerting != null) {
      alerting.close();
    }
    m.close();
  }

  private Alerting start(String... ruleFiles) throws Exception {
    AlertingConfig c = new AlertingConfig();
    c.ruleFiles = List.of(ruleFiles);
    c.reloadCheckInterval = "0";
    return Alerting.builder(c, m.store.queries(), m, dir.resolve("data"))
        .baseDir(dir).clock(m.clock).build();
  }

  private Path rules(String name, String yaml) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, yaml);
    return p;
  }

  private Path resource(String name) throws IOException {
    Path p = dir.resolve(name);
    Files.copy(Objects.requireNonNull(getClass().getResourceAsStream("/rules/" + name)), p);
    return p;
  }

  /** Moves the clock to T0 + minutes and evaluates. */
  private void at(double minutes) {
    m.clock.set(Instant.ofEpochMilli(T0 + (long) (minutes * MIN)));
    alerting.tick();
  }

  private String state(String alert) {
    return alerting.activeAlerts().stream().filter(a -> a.name().equals(alert))
        .map(a -> a.state().apiName()).findFirst().orElse("inactive");
  }

  private static final String[] UP = {"__name__", "up", "job", "api", "instance", "a:80"};

  /** up is 1, then 0 from minute 2 to minute 10 (exclusive), then 1 again. */
  private void upDownUp() {
    m.sampled(UP, T0 - 10 * MIN, T0 + 30 * MIN, 15_000,
        t -> t >= T0 + 2 * MIN && t < T0 + 10 * MIN ? 0 : 1);
  }

  @Test
  void pendingThenFiringAfterForThenResolved() throws Exception {
    upDownUp();
    alerting = start(resource("prometheus-docs.yml").getFileName().toString());
    at(0);
    assertThat(state("InstanceDown")).isEqualTo("inactive");
    at(2);
    assertThat(state("InstanceDown")).isEqualTo("pending");
    at(6);
    assertThat(state("InstanceDown")).isEqualTo("pending");
    at(7);
    assertThat(state("InstanceDown")).isEqualTo("firing");
    ActiveAlert a = alerting.activeAlerts().stream()
        .filter(x -> x.name().equals("InstanceDown")).findFirst().orElseThrow();
    assertThat(a.activeAt()).isEqualTo(Instant.ofEpochMilli(T0 + 2 * MIN));
    assertThat(a.labels()).containsEntry("severity", "page").containsEntry("instance", "a:80")
        .containsEntry("job", "api").doesNotContainKey("__name__");
    assertThat(a.annotations())
        .containsEntry("summary", "Instance a:80 down")
        .containsEntry("description", "a:80 of job api has been down for more than 5 minutes.");
    assertThat(alerting.isFiring("InstanceDown")).isTrue();
    assertThat(alerting.isFiring("InstanceDown", Map.of("job", "db"))).isFalse();
    at(9);
    assertThat(state("InstanceDown")).isEqualTo("firing");
    at(10);
    assertThat(state("InstanceDown")).isEqualTo("inactive");
    assertThat(alerting.isFiring("InstanceDown")).isFalse();

    // ALERTS and ALERTS_FOR_STATE were written back, with stale markers on state changes
    String sel = "{alertname=\"InstanceDown\",instance=\"a:80\",job=\"api\",severity=\"page\"}";
    assertThat(m.vector("ALERTS" + sel.replace("}", ",alertstate=\"pending\"}"), T0 + 3 * MIN))
        .containsValue(1.0);
    assertThat(m.vector("ALERTS{alertstate=\"pending\"}", T0 + 8 * MIN)).isEmpty();
    assertThat(m.vector("ALERTS{alertstate=\"firing\"}", T0 + 8 * MIN)).hasSize(1);
    assertThat(m.vector("ALERTS{alertstate=\"firing\"}", T0 + 11 * MIN)).isEmpty();
    assertThat(m.vector("ALERTS_FOR_STATE" + sel, T0 + 8 * MIN).values())
        .containsExactly((double) (T0 + 2 * MIN) / 1000);
  }

  @Test
  void keepFiringForHoldsAFiringAlert() throws Exception {
    upDownUp();
    rules("keep.yml", """
        groups:
          - name: keep
            interval: 1m
            rules:
              - alert: Down
                expr: up == 0
                keep_firing_for: 3m
        """);
    alerting = start("keep.yml");
    at(2);
    assertThat(state("Down")).isEqualTo("firing");  // for: 0 fires at once
    at(10);
    assertThat(state("Down")).isEqualTo("firing");
    RuleGroupSnapshot.Alert a = alerting.groups().get(0).rules().get(0).alerts().get(0);
    assertThat(a.keepFiringSince()).isEqualTo(Instant.ofEpochMilli(T0 + 10 * MIN));
    at(12);
    assertThat(state("Down")).isEqualTo("firing");
    at(13);
    assertThat(state("Down")).isEqualTo("inactive");
  }

  @Test
  void prometheusDocExamplesRecordAndAlertInOneGroup() throws Exception {
    // request_latency mean over 5m: 0.6 s for job myjob, 0.2 s for job other
    for (String[] job : new String[][] {{"myjob", "0.6"}, {"other", "0.2"}}) {
      double mean = Double.parseDouble(job[1]);
      m.sampled(new String[] {"__name__", "request_latency_seconds_count", "job", job[0]},
          T0 - 30 * MIN, T0 + 40 * MIN, 15_000, t -> (t - (T0 - 30 * MIN)) / 1000.0);
      m.sampled(new String[] {"__name__", "request_latency_seconds_sum", "job", job[0]},
          T0 - 30 * MIN, T0 + 40 * MIN, 15_000, t -> mean * (t - (T0 - 30 * MIN)) / 1000.0);
    }
    m.series(new String[] {"__name__", "prometheus_http_requests_total", "code", "200",
        "handler", "/a"}, T0 - 30_000, 3);
    m.series(new String[] {"__name__", "prometheus_http_requests_total", "code", "200",
        "handler", "/b"}, T0 - 30_000, 4);
    alerting = start(resource("prometheus-docs.yml").getFileName().toString());
    at(0);
    assertThat(m.vector("code:prometheus_http_requests_total:sum", T0))
        .containsExactly(Map.entry(Map.of("__name__", "code:prometheus_http_requests_total:sum",
            "code", "200"), 7.0));
    Map<Map<String, String>, Double> mean = m.vector("job:request_latency_seconds:mean5m", T0);
    assertThat(mean).hasSize(2);
    assertThat(mean.get(Map.of("__name__", "job:request_latency_seconds:mean5m", "job", "myjob",
        "team", "myteam"))).isCloseTo(0.6, org.assertj.core.data.Offset.offset(1e-9));
    // the alert read the mean recorded in the same evaluation, so it is pending right away
    assertThat(state("HighRequestLatency")).isEqualTo("pending");
    at(9);
    assertThat(state("HighRequestLatency")).isEqualTo("pending");
    at(10);
    assertThat(state("HighRequestLatency")).isEqualTo("firing");
    ActiveAlert a = alerting.activeAlerts().stream()
        .filter(x -> x.name().equals("HighRequestLatency")).findFirst().orElseThrow();
    assertThat(a.labels()).isEqualTo(Map.of("alertname", "HighRequestLatency", "job", "myjob",
        "severity", "page", "team", "myteam"));
    assertThat(a.annotations()).isEqualTo(Map.of("summary", "High request latency"));
    assertThat(alerting.groups()).extracting(RuleGroupSnapshot::name)
        .containsExactly("example", "latency", "templating");
    assertThat(alerting.groups().get(1).rules()).allSatisfy(r -> assertThat(r.health())
        .isEqualTo("ok"));
  }

  @Test
  void alertStateSurvivesARestart() throws Exception {
    upDownUp();
    String file = resource("prometheus-docs.yml").getFileName().toString();
    alerting = start(file);
    at(2);
    at(7);
    assertThat(state("InstanceDown")).isEqualTo("firing");
    alerting.close();
    m.restart();
    m.clock.set(Instant.ofEpochMilli(T0 + 8 * MIN));
    alerting = start(file);
    at(8);
    assertThat(state("InstanceDown")).isEqualTo("firing");
    assertThat(alerting.activeAlerts().get(0).activeAt())
        .isEqualTo(Instant.ofEpochMilli(T0 + 2 * MIN));
  }

  @Test
  void pendingTimeExcludesDowntimeAfterARestart() throws Exception {
    upDownUp();
    String file = resource("prometheus-docs.yml").getFileName().toString();
    alerting = start(file);
    at(2);
    at(4);
    alerting.close();
    alerting = start(file);
    at(5);  // one minute down: `for` counts from minute 3 now
    assertThat(state("InstanceDown")).isEqualTo("pending");
    at(7);
    assertThat(state("InstanceDown")).isEqualTo("pending");
    at(8);
    assertThat(state("InstanceDown")).isEqualTo("firing");
  }

  @Test
  void invalidFilesAreReportedLikePromtoolAndOldRulesStay() throws Exception {
    resource("invalid.yml");
    assertThatThrownBy(() -> start("invalid.yml"))
        .isInstanceOf(RuleFileException.class)
        .satisfies(e -> {
          List<String> errors = ((RuleFileException) e).errors();
          String f = dir.resolve("invalid.yml").toString();
          assertThat(errors).anySatisfy(s -> assertThat(s)
              .startsWith(f + ":5:11: group \"bad\", rule 1, \"job:up:sum\": could not parse"
                  + " expression: 1:"));
          assertThat(errors).contains(
              f + ":6:10: group \"bad\", rule 1, \"job:up:sum\": invalid field 'for' in"
                  + " recording rule",
              f + ":7:5: group \"bad\", rule 2, \"NoExpr\": field 'expr' must be set in rule",
              f + ":11:7: group \"bad\", rule 3, \"BadTemplate\": invalid label name: bad-label",
              f + ":14:5: field recrd not found in type rulefmt.RuleNode",
              f + ":16:9: groupname: \"bad\" is repeated in the same file");
          assertThat(errors).anySatisfy(s -> assertThat(s)
              .contains("rule 3, \"BadTemplate\": msg=\"error parsing template summary\"")
              .contains("\"if\" is not supported"));
        });

    Path good = rules("live.yml", """
        groups:
          - name: g
            rules:
              - alert: Down
                expr: up == 0
        """);
    alerting = start("live.yml");
    Files.writeString(good, "groups:\n  - name: g\n    rules:\n      - alert: Down\n"
        + "        expr: up ==\n");
    assertThatThrownBy(alerting::reload).isInstanceOf(RuleFileException.class)
        .hasMessageContaining("live.yml:5:15: group \"g\", rule 1, \"Down\": could not parse");
    assertThat(alerting.groups()).hasSize(1);
    assertThat(alerting.lastReloadError()).contains("could not parse expression");
    Files.writeString(good, "groups:\n  - name: g\n    rules:\n      - alert: Up\n"
        + "        expr: up == 1\n");
    alerting.reload();
    assertThat(alerting.groups().get(0).rules().get(0).name()).isEqualTo("Up");
    assertThat(alerting.lastReloadError()).isEmpty();
  }

  @Test
  void changedFilesAreReloadedByTheWatcher() throws Exception {
    m.sampled(UP, T0 - 10 * MIN, T0 + 30 * MIN, 15_000, t -> 1);
    Path file = rules("w.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n"
        + "        expr: up == 0\n");
    AlertingConfig c = new AlertingConfig();
    c.ruleFiles = List.of("*.yml");
    c.reloadCheckInterval = "30s";
    alerting = Alerting.builder(c, m.store.queries(), m, dir.resolve("data"))
        .baseDir(dir).clock(m.clock).build();
    at(0);
    Files.writeString(file, "groups:\n  - name: g\n    rules:\n      - alert: B\n"
        + "        expr: up == 1\n");
    Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(T0 + MIN));
    at(1);
    assertThat(state("B")).isEqualTo("firing");
  }

  @Test
  void evaluationErrorsShowInRuleHealth() throws Exception {
    m.series(new String[] {"__name__", "x", "a", "1"}, T0 - 1000, 1);
    m.series(new String[] {"__name__", "x", "a", "2"}, T0 - 1000, 1);
    rules("dup.yml", """
        groups:
          - name: dup
            rules:
              - record: y
                expr: x
                labels:
                  a: same
        """);
    alerting = start("dup.yml");
    at(0);
    RuleGroupSnapshot.Rule r = alerting.groups().get(0).rules().get(0);
    assertThat(r.health()).isEqualTo("err");
    assertThat(r.lastError())
        .isEqualTo("vector contains metrics with the same labelset after applying rule labels");
  }

  @Test
  void groupsAreEvaluatedAtTheirIntervalOnly() throws Exception {
    m.sampled(UP, T0 - 10 * MIN, T0 + 30 * MIN, 15_000, t -> 1);
    rules("i.yml", """
        groups:
          - name: slow
            interval: 5m
            rules:
              - record: up:sum
                expr: sum(up)
        """);
    alerting = start("i.yml");
    at(1);
    at(2);
    at(5.5);
    int writes = m.written.size();
    at(6);
    assertThat(m.written).hasSize(writes);
    assertThat(alerting.groups().get(0).lastEvaluation())
        .isEqualTo(Instant.ofEpochMilli(T0 + 5 * MIN));
    assertThat(m.vector("up:sum", T0 + 5 * MIN + 1000)).hasSize(1);
    assertThat(Duration.ofSeconds((long) alerting.groups().get(0).intervalSeconds()))
        .isEqualTo(Duration.ofMinutes(5));
  }
}
