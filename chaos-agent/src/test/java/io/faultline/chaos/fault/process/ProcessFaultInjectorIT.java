/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.faultline.chaos.fault.ActiveFault;
import io.faultline.chaos.fault.FaultContext;
import io.faultline.chaos.fault.FaultException;
import io.faultline.chaos.fault.FaultSpec;
import io.faultline.chaos.fault.LeaseTimer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Process faults on real child processes, observed through /proc/<pid>/stat. */
class ProcessFaultInjectorIT {
  @TempDir Path dir;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final List<Process> started = new java.util.ArrayList<>();

  @AfterEach
  void cleanUp() {
    for (Process p : started) {
      ProcessHandle.of(p.pid()).ifPresent(h -> {
        try {
          ProcessFaultInjector.signal(h.pid(), "CONT");
        } catch (FaultException e) {
          // already gone
        }
        h.destroyForcibly();
      });
    }
    scheduler.shutdownNow();
  }

  private Process sleeper() throws IOException {
    Process p = new ProcessBuilder("sleep", "60").start();
    started.add(p);
    return p;
  }

  private static FaultSpec spec(String name, Map<String, Object> params) {
    return new FaultSpec(name, "process", "demo", params, Duration.ofSeconds(30));
  }

  @Test
  void pausesAndResumes() throws Exception {
    ProcessFaultInjector injector = new ProcessFaultInjector(new LeaseTimer(scheduler, Clock.systemUTC()), dir);
    Process p = sleeper();
    Instant lease = Instant.now().plusSeconds(60);
    ActiveFault fault = injector.inject(spec("pause", Map.of("pid", p.pid(), "action", "pause")),
        new FaultContext("e", "r", lease));
    await().atMost(Duration.ofSeconds(5)).until(() -> ProcessFaultInjector.state(p.pid()).orElse('?') == 'T');
    assertThat(fault.spec().parameters()).containsEntry("_pid", p.pid());
    fault.revert();
    await().atMost(Duration.ofSeconds(5)).until(() -> ProcessFaultInjector.state(p.pid()).orElse('?') != 'T');
    assertThat(ProcessFaultInjector.state(p.pid())).contains('S');
    fault.revert(); // idempotent
  }

  @Test
  void theWatchdogResumesAfterTheLeaseEvenIfTheAgentDoesNothing() throws Exception {
    // the agent's clock stands still, so only the detached watchdog can end the pause
    Clock frozen = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    ProcessFaultInjector injector = new ProcessFaultInjector(new LeaseTimer(scheduler, frozen), dir);
    Process p = sleeper();
    injector.inject(spec("pause", Map.of("pid", p.pid(), "action", "pause")),
        new FaultContext("e", "r", frozen.instant().plusSeconds(1)));
    await().atMost(Duration.ofSeconds(2)).until(() -> ProcessFaultInjector.state(p.pid()).orElse('?') == 'T');
    await().atMost(Duration.ofSeconds(6)).until(() -> ProcessFaultInjector.state(p.pid()).orElse('?') != 'T');
    assertThat(p.isAlive()).isTrue();
  }

  @Test
  void orphanedPauseIsResumedByAFreshInjector() throws Exception {
    Clock frozen = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    ProcessFaultInjector first = new ProcessFaultInjector(new LeaseTimer(scheduler, frozen), dir);
    Process p = sleeper();
    FaultContext ctx = new FaultContext("e", "r", frozen.instant().plusSeconds(600));
    ActiveFault fault = first.inject(spec("pause", Map.of("pid", p.pid(), "action", "pause")), ctx);
    await().atMost(Duration.ofSeconds(2)).until(() -> ProcessFaultInjector.state(p.pid()).orElse('?') == 'T');
    new ProcessFaultInjector(new LeaseTimer(scheduler, frozen), dir).revertOrphan(fault.spec(), ctx);
    await().atMost(Duration.ofSeconds(5)).until(() -> ProcessFaultInjector.state(p.pid()).orElse('?') != 'T');
  }

  @Test
  void killsWithSigkillAndRestartsOnRevert() throws Exception {
    ProcessFaultInjector injector = new ProcessFaultInjector(new LeaseTimer(scheduler, Clock.systemUTC()), dir);
    Process p = sleeper();
    Path pidFile = dir.resolve("svc.pid");
    Files.writeString(pidFile, Long.toString(p.pid()));
    Path marker = dir.resolve("restarted");
    ActiveFault fault = injector.inject(spec("kill", Map.of("pidFile", pidFile.toString(), "action", "kill",
        "restartCommand", List.of("sh", "-c", "echo $$ > " + pidFile + "; touch " + marker + "; exec sleep 60"))),
        new FaultContext("e", "r", Instant.now().plusSeconds(60)));
    assertThat(p.waitFor()).isEqualTo(137); // 128 + SIGKILL
    fault.revert();
    await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(marker));
    long newPid = Long.parseLong(Files.readString(pidFile).trim());
    ProcessHandle.of(newPid).ifPresent(h -> h.destroyForcibly());
  }

  @Test
  void killWithoutRestartCommandTellsTheOperator() throws Exception {
    ProcessFaultInjector injector = new ProcessFaultInjector(new LeaseTimer(scheduler, Clock.systemUTC()), dir);
    Process p = sleeper();
    ActiveFault fault = injector.inject(spec("kill", Map.of("pid", p.pid(), "action", "kill")),
        new FaultContext("e", "r", Instant.now().plusSeconds(60)));
    assertThat(p.waitFor()).isEqualTo(137);
    assertThatThrownBy(fault::revert).isInstanceOf(FaultException.class).hasMessageContaining("restart the service by hand");
  }

  @Test
  void refusesItsOwnProcessAndInvalidParameters() {
    ProcessFaultInjector injector = new ProcessFaultInjector(new LeaseTimer(scheduler, Clock.systemUTC()), dir);
    assertThatThrownBy(() -> injector.inject(spec("self", Map.of("pid", ProcessHandle.current().pid(), "action", "pause")),
        new FaultContext("e", "r", Instant.now().plusSeconds(5))))
        .isInstanceOf(FaultException.class).hasMessageContaining("agent itself");
    assertThat(injector.validate(spec("bad", Map.of("action", "explode"))))
        .containsExactly("parameters.action: must be kill, pause or restart, got explode",
            "parameters.pid: give exactly one of pid and pidFile");
    assertThat(injector.validate(spec("bad", Map.of("action", "restart", "pid", 1234))))
        .containsExactly("parameters.restartCommand: is required for action restart (program and arguments as a list)");
  }
}
