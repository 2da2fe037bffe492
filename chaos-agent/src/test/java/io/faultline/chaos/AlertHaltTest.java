/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.faultline.core.alert.AlertStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** #8 part 6: haltWhen on an alert or an SLO burn rate, answered by alerting's AlertStatus. */
class AlertHaltTest extends AgentTestCase {
  static final String EXPERIMENT = """
      title: checkout survives a slow inventory
      targets: [{service: inventory}]
      method:
        - {name: slow-inventory, type: fake, target: inventory, duration: 60s, parameters: {latencyMs: 400}}
      haltWhen:
        - {type: sloBurnRate, name: budget burn, slo: checkout-availability, window: 5m, above: 14.4}
        - {type: alert, name: checkout paging, alert: ErrorBudgetBurn, labels: {service: checkout, severity: page}}
      recoveryDeadline: 20s
      """;

  final FakeAlertStatus alerts = new FakeAlertStatus();

  @Override
  ChaosAgent newAgent() {
    return bed.agent(Testbed.settings("node-a"), alerts);
  }

  @Test
  void sloBurnRateAboveTheThresholdHaltsAndRevertsWithinSeconds() throws Exception {
    alerts.burnRate("checkout-availability", 0.8);
    String runId = agent.startRun(agent.createExperiment(EXPERIMENT, "application/yaml", "olivia"), "olivia");
    agent.tick();
    assertThat(bed.injector.active).containsKey(runId + "/slow-inventory");

    // burning fast, but not above the threshold: the run goes on
    for (int i = 0; i < 10; i++) {
      bed.advance(Duration.ofSeconds(1));
      alerts.burnRate("checkout-availability", 14.4);
      agent.tick();
    }
    assertThat(agent.run(runId).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);
    assertThat(alerts.windowsAsked).isNotEmpty().allMatch(w -> w.equals(Duration.ofMinutes(5)));

    alerts.burnRate("checkout-availability", 20.5);
    Instant breach = bed.clock.now();
    for (int i = 0; i < 10 && !bed.injector.active.isEmpty(); i++) {
      bed.advance(Duration.ofSeconds(1));
      agent.tick();
    }
    RunRecord run = agent.run(runId).orElseThrow();
    assertThat(run.status()).isEqualTo(RunStatus.ABORTED);
    assertThat(run.reason())
        .isEqualTo("halted: budget burn = SLO checkout-availability burn rate over 5m = 20.50 above 14.40");
    assertThat(bed.injector.active).isEmpty();
    assertThat(Duration.between(breach, run.endedAt())).isLessThanOrEqualTo(Duration.ofSeconds(5));
    assertThat(agent.journal(runId)).anySatisfy(j -> assertThat(j.event()).isEqualTo("fault.reverted"));
    JsonNode json = agent.runJson(run, true);
    assertThat(json.path("haltReason").asText()).startsWith("halted: budget burn");
    assertThat(json.path("haltChecks")).anySatisfy(h -> {
      assertThat(h.path("value").asDouble()).isEqualTo(20.5);
      assertThat(h.path("ok").asBoolean()).isFalse();
    });
  }

  @Test
  void firingAlertWithMatchingLabelsHaltsPendingOrOtherLabelsDoNot() throws Exception {
    String runId = agent.startRun(agent.createExperiment(EXPERIMENT, "application/yaml", "olivia"), "olivia");
    agent.tick();
    alerts.pending("ErrorBudgetBurn", Map.of("service", "checkout", "severity", "page"));
    alerts.fire("ErrorBudgetBurn", Map.of("service", "checkout", "severity", "ticket"));
    alerts.fire("ErrorBudgetBurn", Map.of("service", "gateway", "severity", "page"));
    for (int i = 0; i < 10; i++) {
      bed.advance(Duration.ofSeconds(1));
      agent.tick();
    }
    assertThat(agent.run(runId).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);

    alerts.fire("ErrorBudgetBurn", Map.of("service", "checkout", "severity", "page", "long", "1h"));
    for (int i = 0; i < 10 && !bed.injector.active.isEmpty(); i++) {
      bed.advance(Duration.ofSeconds(1));
      agent.tick();
    }
    RunRecord run = agent.run(runId).orElseThrow();
    assertThat(run.status()).isEqualTo(RunStatus.ABORTED);
    assertThat(run.reason()).isEqualTo(
        "halted: checkout paging = alert ErrorBudgetBurn{service=checkout, severity=page} is firing");
    assertThat(bed.injector.active).isEmpty();
  }

  @Test
  void withoutAlertingTheConditionsAreAllowedButThePlanWarnsAndTheyNeverHalt() throws Exception {
    agent.close();
    agent = bed.agent(Testbed.settings("node-a"));
    String id = agent.createExperiment(EXPERIMENT, "application/yaml", "olivia");
    JsonNode plan = agent.dryRun(id, "olivia");
    assertThat(plan.path("refused").isNull()).isTrue();
    assertThat(plan.path("warnings")).hasSize(2).allSatisfy(w -> assertThat(w.asText()).contains("alerting not configured"));
    assertThat(plan.path("haltWhenNow").get(0).path("detail").asText()).startsWith("alerting not configured");

    String runId = agent.startRun(id, "olivia");
    for (int i = 0; i < 20; i++) {
      agent.tick();
      bed.advance(Duration.ofSeconds(1));
    }
    assertThat(agent.run(runId).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);
  }

  @Test
  void unknownSloIsWarnedAboutAndDoesNotHalt() throws Exception {
    alerts.burnRate("payments-availability", 50);
    String id = agent.createExperiment(EXPERIMENT, "application/yaml", "olivia");
    JsonNode plan = agent.dryRun(id, "olivia");
    assertThat(plan.path("warnings")).singleElement().asString()
        .contains("no SLO named checkout-availability is declared (declared: payments-availability)");
    assertThat(plan.path("haltWhenNow").get(0).path("ok").asBoolean()).isTrue();
    assertThat(AlertStatus.none().burnRate("checkout-availability", Duration.ofMinutes(5))).isEmpty();
  }

  @Test
  void alertNoRuleDefinesIsWarnedAboutLikeAnUnknownSlo() throws Exception {
    alerts.burnRate("checkout-availability", 0.5);
    alerts.defineRules("HighLatency", "InstanceDown");
    String id = agent.createExperiment(EXPERIMENT, "application/yaml", "olivia");
    JsonNode plan = agent.dryRun(id, "olivia");
    assertThat(plan.path("warnings")).singleElement().asString()
        .contains("halt condition checkout paging: no alerting rule named ErrorBudgetBurn is defined (defined: HighLatency, InstanceDown)");

    alerts.defineRules("ErrorBudgetBurn");
    assertThat(agent.dryRun(id, "olivia").path("warnings")).isEmpty();
  }
}
