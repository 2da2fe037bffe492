/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.faultline.chaos.experiment.ExperimentValidationException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** PromQL that does not parse is refused when saved; a query that fails at run time is never ok. */
class QueryValidationTest extends AgentTestCase {
  @Test
  void malformedQueriesAreRefusedOnCreateAndUpdateNamingTheField() throws Exception {
    String bad = SLOW_INVENTORY.formatted("sum(rate(x[1m])", "up ==== 1");
    assertThatThrownBy(() -> agent.createExperiment(bad, "application/yaml", "olivia"))
        .isInstanceOfSatisfying(ExperimentValidationException.class, e -> assertThat(e.problems()).satisfiesExactly(
            p -> assertThat(p).startsWith("steadyState[0].query: ").contains("parse error"),
            p -> assertThat(p).startsWith("haltWhen[0].query: ").contains("parse error")));
    assertThat(agent.experiments()).isEmpty();

    String id = agent.createExperiment(SLOW_INVENTORY.formatted("gateway_error_ratio", "gateway_error_ratio > 0.2"), "application/yaml", "olivia");
    assertThatThrownBy(() -> agent.updateExperiment(id, SLOW_INVENTORY.formatted("gateway_error_ratio", "up ==== 1"), "application/yaml", "olivia"))
        .isInstanceOfSatisfying(ExperimentValidationException.class,
            e -> assertThat(e.problems()).singleElement().asString().startsWith("haltWhen[0].query: 1:"));
  }

  @Test
  void aHaltConditionWhoseQueryFailsIsNotOkAndIsWarnedAbout() throws Exception {
    // parses, but fails when evaluated: two series end up with the same (empty) label set
    bed.gauge("gateway_error_ratio", 0.01);
    bed.gauge("gateway_a", 1);
    bed.gauge("gateway_b", 2);
    String failing = "{__name__=~\\\"gateway_[ab]\\\"} * 2";
    String id = agent.createExperiment(SLOW_INVENTORY.formatted("gateway_error_ratio", failing), "application/yaml", "olivia");

    JsonNode plan = agent.dryRun(id, "olivia");
    JsonNode halt = plan.path("haltWhenNow").get(0);
    assertThat(halt.path("ok").asBoolean()).isFalse();
    assertThat(halt.path("evaluated").asBoolean(true)).isFalse();
    assertThat(halt.path("detail").asText()).startsWith("query failed");
    assertThat(plan.path("warnings")).singleElement().satisfies(w -> assertThat(w.asText())
        .startsWith("halt condition error storm cannot be evaluated, so it cannot halt the run: query failed"));

    String runId = agent.startRun(id, "olivia");
    for (int i = 0; i < 4; i++) {
      agent.tick();
      bed.advance(Duration.ofSeconds(3));
    }
    assertThat(agent.run(runId).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);
    assertThat(agent.journal(runId)).filteredOn(j -> j.event().equals("halt.unevaluated")).singleElement()
        .satisfies(j -> assertThat(j.level()).isEqualTo("WARN"));
  }
}
