/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.faultline.chaos.experiment.Experiment;
import io.faultline.chaos.experiment.ExperimentParser;
import io.faultline.chaos.experiment.Probe;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP probes (steady state and halt conditions) and HTTP rollbacks against a real HTTP server:
 * status, latency tolerance and timeouts judged; the rollback request sent with its method, body
 * and headers when a run completes, is halted, is aborted, fails its hypothesis before, and when a
 * restarted agent recovers the run a crashed one left.
 */
class HttpProbeAndRollbackIT {
  /** What the rollback endpoint received. */
  record Received(String method, String path, String body, String reason, String contentType) {}

  @TempDir Path dir;
  Testbed bed;
  HttpServer server;
  ScheduledExecutorService late;
  String base;
  final AtomicInteger healthStatus = new AtomicInteger(200);
  final AtomicLong healthDelayMs = new AtomicLong();
  final AtomicInteger rollbackStatus = new AtomicInteger(204);
  final List<String> healthMethods = new CopyOnWriteArrayList<>();
  final List<Received> rollbacks = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    bed = new Testbed(dir);
    late = Executors.newSingleThreadScheduledExecutor();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/health", ex -> {
      healthMethods.add(ex.getRequestMethod());
      ex.getRequestBody().readAllBytes();
      long delay = healthDelayMs.get();
      int status = healthStatus.get();
      if (delay == 0) {
        respond(ex, status, "ok");
      } else {
        // a slow service: the answer leaves later, without holding a server thread
        late.schedule(() -> respond(ex, status, "ok"), delay, TimeUnit.MILLISECONDS);
      }
    });
    server.createContext("/flags/reset", ex -> {
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      rollbacks.add(new Received(ex.getRequestMethod(), ex.getRequestURI().getPath(), body,
          ex.getRequestHeaders().getFirst("X-Chaos-Reason"), ex.getRequestHeaders().getFirst("Content-Type")));
      respond(ex, rollbackStatus.get(), "");
    });
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void tearDown() throws Exception {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    late.shutdownNow();
    bed.close();
  }

  private static void respond(HttpExchange ex, int status, String body) {
    try (ex) {
      byte[] b = ex.getRequestMethod().equals("HEAD") ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
      if (b.length > 0) {
        ex.getResponseBody().write(b);
      }
    } catch (IOException e) {
      // the client gave up (a probe timeout): nothing to answer
    }
  }

  // probes, evaluated directly

  private List<Probe> probes(String steadyState) throws Exception {
    Experiment e = new ExperimentParser(Map.of(FakeInjector.TYPE, bed.injector)).parse("""
        title: probes
        targets: [inventory]
        steadyState:
        %s
        method:
          - {name: slow, type: fake, target: inventory, duration: 1m}
        """.formatted(steadyState.replace("$BASE", base)), ExperimentParser.Format.YAML);
    return e.steadyState();
  }

  private ProbeResult evaluate(Probe p) {
    ProbeEvaluator evaluator = new ProbeEvaluator(bed.metrics.queries(), null, HttpClient.newHttpClient());
    return evaluator.evaluate(p, Instant.now(), false);
  }

  @Test
  void probePassesWithAnExpectedStatusInsideItsLatencyTolerance() throws Exception {
    List<Probe> p = probes("""
          - {type: http, name: health, url: "$BASE/health", tolerance: {max: 2}}
          - {type: http, name: health by HEAD, url: "$BASE/health", method: head, expectStatus: 200}
        """);
    ProbeResult r = evaluate(p.get(0));
    assertThat(r.ok()).as(r.detail()).isTrue();
    assertThat(r.value()).isPositive().isLessThan(2);
    assertThat(r.detail()).startsWith("HTTP 200 in ");
    assertThat(evaluate(p.get(1)).ok()).isTrue();
    assertThat(healthMethods).containsExactly("GET", "HEAD");
  }

  @Test
  void probeFailsOnAnotherStatus() throws Exception {
    List<Probe> p = probes("""
          - {type: http, name: any 2xx, url: "$BASE/health"}
          - {type: http, name: exactly 204, url: "$BASE/health", expectStatus: 204}
        """);
    assertThat(evaluate(p.get(1))).satisfies(r -> {
      assertThat(r.ok()).isFalse();
      assertThat(r.detail()).isEqualTo("HTTP 200 from " + base + "/health, expected 204");
    });
    healthStatus.set(503);
    assertThat(evaluate(p.get(0))).satisfies(r -> {
      assertThat(r.ok()).isFalse();
      assertThat(r.detail()).isEqualTo("HTTP 503 from " + base + "/health, expected 2xx");
    });
  }

  @Test
  void probeFailsWhenTheAnswerIsSlowerThanItsToleranceOrTimesOut() throws Exception {
    List<Probe> p = probes("""
          - {type: http, name: fast enough, url: "$BASE/health", tolerance: {max: 0.2}}
          - {type: http, name: impatient, url: "$BASE/health", timeout: 150ms}
        """);
    assertThat(evaluate(p.get(0)).ok()).isTrue();
    healthDelayMs.set(400);
    assertThat(evaluate(p.get(0))).satisfies(r -> {
      assertThat(r.ok()).isFalse();
      assertThat(r.value()).isGreaterThanOrEqualTo(0.4);
      assertThat(r.detail()).startsWith("answered in ").endsWith("s, outside <= 0.2");
    });
    assertThat(evaluate(p.get(1))).satisfies(r -> {
      assertThat(r.ok()).isFalse();
      assertThat(r.value()).isNaN();
      assertThat(r.detail()).startsWith(base + "/health unreachable: ").contains("timed out");
    });
  }

  @Test
  void probeOfAClosedPortSaysUnreachable() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    Probe p = probes("  - {type: http, name: gone, url: \"http://127.0.0.1:" + closed + "/health\"}\n").get(0);
    assertThat(evaluate(p)).satisfies(r -> {
      assertThat(r.ok()).isFalse();
      assertThat(r.detail()).startsWith("http://127.0.0.1:" + closed + "/health unreachable: ");
    });
  }

  // runs with HTTP probes and rollbacks

  private String experiment(String rollbackUrl) {
    return """
        title: flags survive a slow inventory
        targets: [inventory]
        steadyState:
          - {type: http, name: shop health, url: "$BASE/health", tolerance: {max: 2}}
        method:
          - {name: slow-inventory, type: fake, target: inventory, duration: 20s}
        haltWhen:
          - {type: http, name: shop answers, url: "$BASE/health", timeout: 1s}
        rollbacks:
          - name: reset-flags
            url: "%s"
            method: put
            body: '{"flags":"default"}'
            headers: {X-Chaos-Reason: "run over", Content-Type: application/json}
            timeout: 2s
        recoveryDeadline: 10s
        """.replace("$BASE", base).formatted(rollbackUrl);
  }

  private static final Received EXPECTED =
      new Received("PUT", "/flags/reset", "{\"flags\":\"default\"}", "run over", "application/json");

  @Test
  void aCompletedRunJudgedByHttpProbesSendsItsRollback() throws Exception {
    try (ChaosAgent a = bed.agent(Testbed.settings("node-a"))) {
      String id = a.createExperiment(experiment(base + "/flags/reset"), "application/yaml", "olivia");
      String runId = a.startRun(id, "olivia");
      a.tick();
      assertThat(bed.injector.active).containsKey(runId + "/slow-inventory");
      bed.advance(Duration.ofSeconds(21));
      a.tick();
      assertThat(rollbacks).isEmpty();
      a.tick();

      RunRecord run = a.run(runId).orElseThrow();
      assertThat(run.status()).as(run.reason()).isEqualTo(RunStatus.COMPLETED);
      var json = a.runJson(run, true);
      for (String phase : List.of("before", "during", "after")) {
        assertThat(json.path("hypothesis").path(phase).get(0).path("detail").asText()).as(phase).startsWith("HTTP 200 in ");
      }
      assertThat(json.path("haltChecks").get(0).path("ok").asBoolean()).isTrue();
      assertThat(rollbacks).containsExactly(EXPECTED);
      assertThat(a.journal(runId)).anySatisfy(j -> {
        assertThat(j.event()).isEqualTo("rollback");
        assertThat(j.level()).isEqualTo("INFO");
        assertThat(j.message()).isEqualTo("rollback reset-flags: PUT " + base + "/flags/reset -> HTTP 204");
      });
    }
  }

  @Test
  void aFailingHttpHaltConditionAbortsTheRunAndTheRollbackIsSent() throws Exception {
    try (ChaosAgent a = bed.agent(Testbed.settings("node-a"))) {
      String id = a.createExperiment(experiment(base + "/flags/reset"), "application/yaml", "olivia");
      String runId = a.startRun(id, "olivia");
      a.tick();
      bed.advance(Duration.ofSeconds(5));
      a.tick();
      assertThat(a.run(runId).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);
      healthStatus.set(500);
      bed.advance(Duration.ofSeconds(5));
      a.tick();

      RunRecord run = a.run(runId).orElseThrow();
      assertThat(run.status()).isEqualTo(RunStatus.ABORTED);
      assertThat(run.reason()).isEqualTo("halted: shop answers = HTTP 500 from " + base + "/health, expected 2xx");
      assertThat(bed.injector.active).isEmpty();
      assertThat(rollbacks).containsExactly(EXPECTED);
    }
  }

  @Test
  void anAbortedRunSendsItsRollback() throws Exception {
    try (ChaosAgent a = bed.agent(Testbed.settings("node-a"))) {
      String id = a.createExperiment(experiment(base + "/flags/reset"), "application/yaml", "olivia");
      String runId = a.startRun(id, "olivia");
      a.tick();
      assertThat(a.abortRun(runId, "oscar")).isTrue();
      // the abort answers at once; faults and rollbacks follow in the background
      await().atMost(Duration.ofSeconds(10)).until(() -> a.run(runId).orElseThrow().status() == RunStatus.ABORTED);
      assertThat(bed.injector.active).isEmpty();
      assertThat(rollbacks).containsExactly(EXPECTED);
    }
  }

  @Test
  void anUnhealthySystemGetsNoFaultButStillItsRollback() throws Exception {
    healthStatus.set(503);
    try (ChaosAgent a = bed.agent(Testbed.settings("node-a"))) {
      String id = a.createExperiment(experiment(base + "/flags/reset"), "application/yaml", "olivia");
      String runId = a.startRun(id, "olivia");
      a.tick();
      RunRecord run = a.run(runId).orElseThrow();
      assertThat(run.status()).isEqualTo(RunStatus.ABORTED);
      assertThat(run.reason()).startsWith("system unhealthy before: shop health = HTTP 503").endsWith("(no fault was injected)");
      assertThat(bed.injector.injected).isEmpty();
      assertThat(rollbacks).containsExactly(EXPECTED);
    }
  }

  @Test
  void aRestartedAgentSendsTheRollbackOfTheRunACrashedOneLeft() throws Exception {
    String runId;
    ChaosAgent crashed = bed.agent(Testbed.settings("node-a"));
    String id = crashed.createExperiment(experiment(base + "/flags/reset"), "application/yaml", "olivia");
    runId = crashed.startRun(id, "olivia");
    crashed.tick();
    crashed.simulateCrash();
    assertThat(rollbacks).isEmpty();

    try (ChaosAgent restarted = bed.agent(Testbed.settings("node-a"))) {
      RunRecord run = restarted.run(runId).orElseThrow();
      assertThat(run.status()).isEqualTo(RunStatus.FAILED);
      assertThat(run.reason()).contains("recovered by node-a").contains("reverted slow-inventory");
      assertThat(bed.injector.orphansReverted).containsExactly(runId + "/slow-inventory");
      assertThat(rollbacks).containsExactly(EXPECTED);
    }
  }

  @Test
  void aRollbackThatFailsIsJournaledAsAnErrorWithWhatToDoByHand() throws Exception {
    rollbackStatus.set(500);
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    try (ChaosAgent a = bed.agent(Testbed.settings("node-a"))) {
      String refused = a.createExperiment(experiment(base + "/flags/reset"), "application/yaml", "olivia");
      String r1 = a.startRun(refused, "olivia");
      a.tick();
      a.abortRun(r1, "oscar");
      await().atMost(Duration.ofSeconds(10)).until(() -> a.run(r1).orElseThrow().status().isFinal());
      assertThat(a.journal(r1)).anySatisfy(j -> {
        assertThat(j.level()).isEqualTo("ERROR");
        assertThat(j.message()).isEqualTo("rollback reset-flags: PUT " + base + "/flags/reset -> HTTP 500");
      });

      String gone = a.createExperiment(experiment("http://127.0.0.1:" + closed + "/flags/reset")
          .replace("title: flags", "title: other flags"), "application/yaml", "olivia");
      String r2 = a.startRun(gone, "olivia");
      a.tick();
      a.abortRun(r2, "oscar");
      await().atMost(Duration.ofSeconds(10)).until(() -> a.run(r2).orElseThrow().status().isFinal());
      assertThat(a.journal(r2)).anySatisfy(j -> {
        assertThat(j.level()).isEqualTo("ERROR");
        assertThat(j.message()).startsWith("rollback reset-flags failed (")
            .endsWith("run it by hand: PUT http://127.0.0.1:" + closed + "/flags/reset");
      });
    }
  }
}
