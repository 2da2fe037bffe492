/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Aborting and deleting answer at once; the faults are reverted and slow rollbacks run in the background. */
class AbortTest {
  static final String EXPERIMENT = """
      title: gateway survives a slow inventory
      targets: [{service: inventory}]
      method:
        - {name: slow-inventory, type: fake, target: inventory, duration: 60s, parameters: {latencyMs: 400}}
      rollbacks:
        - {name: reset flags, url: "%s/flags/reset", method: POST, timeout: 30s}
      recoveryDeadline: 20s
      """;

  @TempDir Path dir;
  Testbed bed;
  ChaosAgent agent;
  HttpServer server;
  final CountDownLatch release = new CountDownLatch(1);

  @BeforeEach
  void setUp() throws Exception {
    bed = new Testbed(dir);
    agent = bed.agent(Testbed.settings("node-a"));
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.setExecutor(Executors.newCachedThreadPool());
    // a rollback endpoint that answers only when the test lets it
    server.createContext("/flags/reset", ex -> {
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    server.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    release.countDown();
    agent.close();
    server.stop(0);
    bed.close();
  }

  private String experiment() {
    return EXPERIMENT.formatted("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @Test
  void abortAnswersAtOnceAndTheRollbackFinishesInTheBackground() throws Exception {
    String id = agent.createExperiment(experiment(), "application/yaml", "olivia");
    String runId = agent.startRun(id, "olivia");
    agent.tick();
    assertThat(bed.injector.active).containsKey(runId + "/slow-inventory");

    long t0 = System.nanoTime();
    assertThat(agent.abortRun(runId, "olivia")).isTrue();
    assertThat(agent.abortRun(runId, "olivia")).as("a second abort changes nothing").isFalse();
    agent.tick();
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
    RunRecord run = agent.run(runId).orElseThrow();
    assertThat(ChaosAgent.statusName(run)).isEqualTo("aborting");
    // the fault goes first; the run is over once the rollback answers
    await().atMost(Duration.ofSeconds(5)).until(() -> bed.injector.active.isEmpty());
    release.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> agent.run(runId).orElseThrow().status() == RunStatus.ABORTED);
    assertThat(agent.run(runId).orElseThrow().reason()).isEqualTo("aborted by olivia");
    assertThat(agent.experiment(id).orElseThrow().activeRunId()).isNull();
  }

  @Test
  void ofConcurrentAbortsExactlyOneMovesTheRunToAborting() throws Exception {
    String id = agent.createExperiment(experiment(), "application/yaml", "olivia");
    String runId = agent.startRun(id, "olivia");
    agent.tick();
    assertThat(bed.injector.active).containsKey(runId + "/slow-inventory");

    int n = 8;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CyclicBarrier start = new CyclicBarrier(n);
      List<Future<Boolean>> answers = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String who = "operator-" + i;
        answers.add(pool.submit(() -> {
          start.await(10, TimeUnit.SECONDS);
          return agent.abortRun(runId, who);
        }));
      }
      int aborted = 0;
      for (Future<Boolean> answer : answers) {
        aborted += answer.get(10, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertThat(aborted).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
    assertThat(ChaosAgent.statusName(agent.run(runId).orElseThrow())).isEqualTo("aborting");
    release.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> agent.run(runId).orElseThrow().status() == RunStatus.ABORTED);
    assertThat(agent.run(runId).orElseThrow().reason()).startsWith("aborted by operator-");
    assertThat(bed.injector.active).isEmpty();
    assertThat(agent.abortRun(runId, "olivia")).as("an abort of a run that is over").isFalse();
  }

  @Test
  void deletingAnExperimentWithARunningRunAnswersAtOnceAndAbortsIt() throws Exception {
    String id = agent.createExperiment(experiment(), "application/yaml", "olivia");
    String runId = agent.startRun(id, "olivia");
    agent.tick();

    long t0 = System.nanoTime();
    agent.deleteExperiment(id, "olivia");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
    assertThat(agent.experiment(id)).isEmpty();
    release.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> agent.run(runId).orElseThrow().status() == RunStatus.ABORTED);
    assertThat(agent.run(runId).orElseThrow().reason()).startsWith("experiment deleted by olivia");
    assertThat(bed.injector.active).isEmpty();
  }
}
