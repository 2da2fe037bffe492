/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.faultline.core.ingest.Signal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunnerTest extends AgentTestCase {
  static final String EXPERIMENT = SLOW_INVENTORY.formatted("gateway_error_ratio", "gateway_error_ratio > 0.2");

  @Test
  void haltConditionTrippingMidRunRevertsWithinSeconds() throws Exception {
    bed.gauge("gateway_error_ratio", 0.01);
    String id = agent.createExperiment(EXPERIMENT, "application/yaml", "olivia");
    String runId = agent.startRun(id, "olivia");
    agent.tick();
    assertThat(bed.injector.active).containsKey(runId + "/slow-inventory");
    assertThat(agent.run(runId).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);

    bed.advance(Duration.ofSeconds(5));
    bed.gauge("gateway_error_ratio", 0.02);
    agent.tick();
    assertThat(bed.injector.active).isNotEmpty();

    bed.advance(Duration.ofSeconds(3));
    bed.gauge("gateway_error_ratio", 0.9);
    Instant breach = bed.clock.now();
    for (int i = 0; i < 10 && !bed.injector.active.isEmpty(); i++) {
      bed.advance(Duration.ofSeconds(1));
      agent.tick();
    }
    RunRecord run = agent.run(runId).orElseThrow();
    assertThat(run.status()).isEqualTo(RunStatus.ABORTED);
    assertThat(run.reason()).startsWith("halted: error storm");
    assertThat(bed.injector.active).isEmpty();
    assertThat(Duration.between(breach, run.endedAt())).isLessThanOrEqualTo(Duration.ofSeconds(5));
    assertThat(agent.journal(runId)).anySatisfy(j -> assertThat(j.event()).isEqualTo("fault.reverted"));
    // the gauge went up and down through the sink as OTLP metrics, and log events as OTLP logs
    assertThat(bed.sink.batches).anySatisfy(b -> assertThat(b.signal()).isEqualTo(Signal.METRICS));
    assertThat(bed.sink.batches).anySatisfy(b -> assertThat(b.signal()).isEqualTo(Signal.LOGS));
    assertThat(agent.annotations(breach.minusSeconds(60), breach.plusSeconds(60)))
        .anySatisfy(a -> assertThat(a.fault()).isEqualTo("slow-inventory"));
  }

  @Test
  void unhealthyBeforeInjectsNothing() throws Exception {
    bed.gauge("gateway_error_ratio", 0.8);
    String id = agent.createExperiment(EXPERIMENT, "application/yaml", "olivia");
    String runId = agent.startRun(id, "olivia");
    agent.tick();
    RunRecord run = agent.run(runId).orElseThrow();
    assertThat(run.status()).isEqualTo(RunStatus.ABORTED);
    assertThat(run.reason()).startsWith("system unhealthy before: gateway errors = 0.8000 outside <= 0.5");
    assertThat(bed.injector.injected).isEmpty();
  }

  @Test
  void haltConditionAlreadyBreachedBeforeTheFaultsInjectsNothing() throws Exception {
    bed.gauge("gateway_error_ratio", 0.3);
    String id = agent.createExperiment(EXPERIMENT, "application/yaml", "olivia");
    String runId = agent.startRun(id, "olivia");
    agent.tick();
    RunRecord run = agent.run(runId).orElseThrow();
    assertThat(run.status()).isEqualTo(RunStatus.ABORTED);
    assertThat(run.reason()).startsWith("halted before injecting: error storm").endsWith("(no fault was injected)");
    assertThat(bed.injector.injected).isEmpty();
  }

  @Test
  void manualRunRefusedBecauseOneIsActiveLeavesNoRecord() throws Exception {
    bed.gauge("gateway_error_ratio", 0.01);
    String id = agent.createExperiment(EXPERIMENT, "application/yaml", "olivia");
    String runId = agent.startRun(id, "olivia");
    assertThatThrownBy(() -> agent.startRun(id, "olivia")).isInstanceOf(ChaosConflictException.class)
        .hasMessage("previous run " + runId + " of this experiment is still active; runs never overlap");
    assertThat(agent.runs(id, null, 100)).extracting(RunRecord::id).containsExactly(runId);
    assertThat(agent.experiment(id).orElseThrow().activeRunId()).isEqualTo(runId);
  }

  @Test
  void completedRunWithoutSpanMetricsSaysNoObservableEffectAndRendersReport() throws Exception {
    bed.gauge("gateway_error_ratio", 0.01);
    String id = agent.createExperiment(EXPERIMENT, "application/yaml", "olivia");
    String runId = agent.startRun(id, "olivia");
    for (int i = 0; i < 40 && !agent.run(runId).orElseThrow().status().isFinal(); i++) {
      agent.tick();
      bed.advance(Duration.ofSeconds(2));
      bed.gauge("gateway_error_ratio", 0.01 + (i % 5) * 0.01);
    }
    RunRecord run = agent.run(runId).orElseThrow();
    assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(run.verdict()).startsWith("no observable effect");
    assertThat(bed.injector.active).isEmpty();
    assertThat(bed.injector.renewals).isEmpty();
    String html = agent.report(runId);
    // charts are embedded, so a report saved with curl shows them
    assertThat(html).contains("<img src=\"data:image/png;base64,iVBORw0KGgo").doesNotContain("src=\"report/")
        .contains("no observable effect");
    byte[] png = agent.reportAsset(runId, "probe-0.png").orElseThrow();
    assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    Path out = Path.of("target", "chaos-report-sample");
    Files.createDirectories(out);
    Files.write(out.resolve("probe-0.png"), png);
    Files.writeString(out.resolve("report.html"), html);
  }

  @Test
  void faultsLeftActiveByACrashedAgentAreRevertedOnRestart() throws Exception {
    bed.gauge("gateway_error_ratio", 0.01);
    String id = agent.createExperiment(EXPERIMENT, "application/yaml", "olivia");
    String runId = agent.startRun(id, "olivia");
    agent.tick();
    assertThat(bed.injector.active).containsKey(runId + "/slow-inventory");
    agent.simulateCrash();

    agent = bed.agent(Testbed.settings("node-a"));
    assertThat(bed.injector.orphansReverted).containsExactly(runId + "/slow-inventory");
    assertThat(bed.injector.active).isEmpty();
    RunRecord run = agent.run(runId).orElseThrow();
    assertThat(run.status()).isEqualTo(RunStatus.FAILED);
    assertThat(run.reason()).contains("stopped").contains("reverted slow-inventory");
    // the experiment is free again
    assertThat(agent.experiment(id).orElseThrow().activeRunId()).isNull();
  }

  @Test
  void killSwitchStopsRunsAndBlocksNewOnes() throws Exception {
    bed.gauge("gateway_error_ratio", 0.01);
    String id = agent.createExperiment(EXPERIMENT, "application/yaml", "olivia");
    String runId = agent.startRun(id, "olivia");
    agent.tick();
    agent.killSwitch(true, "incident 42", "olivia");
    assertThat(bed.injector.active).isEmpty();
    assertThat(agent.run(runId).orElseThrow().reason()).contains("kill switch engaged by olivia: incident 42");
    assertThatThrownBy(() -> agent.startRun(id, "olivia")).isInstanceOf(ChaosConflictException.class)
        .hasMessageContaining("kill switch");
    agent.killSwitch(false, null, "olivia");
    assertThat(agent.startRun(id, "olivia")).isNotNull();
    assertThat(agent.audit(10)).anySatisfy(a -> {
      assertThat(a.action()).isEqualTo("killswitch.engage");
      assertThat(a.principal()).isEqualTo("olivia");
    });
  }

  @Test
  void runOverTheBlastRadiusBudgetIsRefusedWithTheEstimate() throws Exception {
    agent.close();
    agent = bed.agent(Testbed.settings("node-a").withMaxBlastRadius(0.5));
    Map<String, String> edge = Map.of("client", "gateway", "server", "inventory");
    Map<String, String> gw = Map.of("service", "gateway", "span_kind", "SPAN_KIND_SERVER", "span_name", "GET /", "status_code", "STATUS_CODE_UNSET");
    for (int i = 0; i <= 6; i++) {
      bed.counter("traces_service_graph_request_total", i * 100, edge);
      bed.counter("traces_spanmetrics_calls_total", i * 100, gw);
      bed.advance(Duration.ofSeconds(15));
    }
    bed.gauge("gateway_error_ratio", 0.01);
    String id = agent.createExperiment(EXPERIMENT, "application/yaml", "olivia");
    assertThatThrownBy(() -> agent.startRun(id, "olivia"))
        .isInstanceOfSatisfying(ChaosConflictException.class, e -> {
          assertThat(e.getMessage()).contains("blast radius over budget").contains("callers gateway");
          assertThat(e.details().path("blastRadiusEstimate").path("entryTrafficShare").asDouble()).isEqualTo(1.0);
        });
    assertThat(bed.injector.injected).isEmpty();
  }
}
