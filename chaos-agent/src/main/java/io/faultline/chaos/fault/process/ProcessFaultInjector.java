/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.process;

import io.faultline.chaos.fault.ActiveFault;
import io.faultline.chaos.fault.FaultContext;
import io.faultline.chaos.fault.FaultException;
import io.faultline.chaos.fault.FaultInjector;
import io.faultline.chaos.fault.FaultParameters;
import io.faultline.chaos.fault.FaultSpec;
import io.faultline.chaos.fault.LeaseTimer;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Process faults for services Faultline started (the demo) or that name themselves in a pid file:
 * type {@code process}. Parameters: {@code pid} or {@code pidFile}; {@code action} {@code kill}
 * (SIGKILL), {@code pause} (SIGSTOP, resumed with SIGCONT) or {@code restart} (SIGTERM, SIGKILL
 * after {@code stopTimeoutMs}, then {@code restartCommand}); {@code restartCommand} (a list: program
 * and arguments) and {@code workingDirectory}.
 *
 * <p>Revert: {@code pause} resumes the process; {@code kill} starts {@code restartCommand}, or
 * fails telling the operator to restart the service; {@code restart} starts the command again only
 * if the process is not running.
 *
 * <p>Dead-man lease for {@code pause}: at injection a small watchdog process is started ({@code sh}
 * in its own session via {@code setsid}, ignoring SIGHUP and SIGINT) that sends SIGCONT once the
 * lease deadline written in a lease file passes; renewing rewrites the file. It is not a child the
 * JVM reaps or kills, so it still resumes the service after a kill -9 of the agent or a Ctrl-C in
 * its terminal. Only a reboot (which ends the paused process too) or someone killing the watchdog
 * defeats it. The agent's own lease timer resumes earlier than the watchdog's one-second steps.
 */
public final class ProcessFaultInjector implements FaultInjector {
  public static final String TYPE = "process";

  private static final Logger LOG = LoggerFactory.getLogger(ProcessFaultInjector.class);
  private static final Set<String> PARAMETERS =
      Set.of("pid", "pidFile", "action", "restartCommand", "workingDirectory", "stopTimeoutMs");
  private static final String WATCHDOG =
      "trap '' HUP INT; while [ -e \"$1\" ]; do now=$(date +%s); until=$(cat \"$1\" 2>/dev/null || echo 0); "
          + "[ \"$now\" -ge \"${until:-0}\" ] && break; sleep 0.2; done; kill -CONT \"$2\" 2>/dev/null; rm -f \"$1\"";

  private final LeaseTimer leases;
  private final Clock clock;
  private final Path stateDir;

  /** @param stateDir where watchdog lease files and restart logs go */
  public ProcessFaultInjector(LeaseTimer leases, Path stateDir) {
    this.leases = leases;
    this.clock = leases.clock();
    this.stateDir = stateDir;
  }

  @Override
  public String type() {
    return TYPE;
  }

  enum Action { KILL, PAUSE, RESTART }

  private record Plan(Action action, Long pid, Path pidFile, List<String> command, Path workDir, long stopTimeoutMs) {}

  @Override
  public List<String> validate(FaultSpec spec) {
    FaultParameters p = FaultParameters.of(spec);
    plan(p);
    return p.errors();
  }

  private Plan plan(FaultParameters p) {
    p.rejectUnknown(PARAMETERS);
    String a = p.requiredString("action");
    Action action = null;
    try {
      action = a.isEmpty() ? null : Action.valueOf(a.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      p.error("action", "must be kill, pause or restart, got " + a);
    }
    Long pid = p.has("pid") ? p.integer("pid", 2, Integer.MAX_VALUE, 2) : null;
    Path pidFile = p.string("pidFile").map(Path::of).orElse(null);
    if ((pid == null) == (pidFile == null)) {
      p.error("pid", "give exactly one of pid and pidFile");
    }
    List<String> command = p.strings("restartCommand");
    if (action == Action.RESTART && command.isEmpty()) {
      p.error("restartCommand", "is required for action restart (program and arguments as a list)");
    }
    Path workDir = p.string("workingDirectory").map(Path::of).orElse(null);
    long stopTimeout = p.integer("stopTimeoutMs", 100, 600_000, 10_000);
    return new Plan(action, pid, pidFile, command, workDir, stopTimeout);
  }

  @Override
  public String describe(FaultSpec spec) {
    FaultParameters p = FaultParameters.of(spec);
    Plan plan = plan(p);
    if (!p.errors().isEmpty()) {
      return "invalid process fault: " + String.join("; ", p.errors());
    }
    String who = plan.pid != null ? "process " + plan.pid : "the process in " + plan.pidFile;
    return switch (plan.action) {
      case KILL -> "kills " + who + " with SIGKILL" + (plan.command.isEmpty() ? " (no restart command: restart by hand)"
          : " and restarts it with " + plan.command + " after " + spec.duration());
      case PAUSE -> "pauses " + who + " (SIGSTOP) for " + spec.duration() + ", then resumes it (SIGCONT)";
      case RESTART -> "restarts " + who + ": SIGTERM, then " + plan.command;
    };
  }

  @Override
  public ActiveFault inject(FaultSpec spec, FaultContext ctx) throws FaultException {
    FaultParameters p = FaultParameters.of(spec);
    Plan plan = plan(p);
    p.throwIfInvalid(spec);
    long pid = resolvePid(plan);
    ProcessHandle handle = ProcessHandle.of(pid).orElseThrow(() ->
        new FaultException("process " + pid + " is not running; nothing to " + plan.action.name().toLowerCase(Locale.ROOT)));
    refuseOwnLineage(pid);
    Map<String, Object> params = new HashMap<>(spec.parameters());
    params.put("_pid", pid);
    handle.info().startInstant().ifPresent(s -> params.put("_startedAt", s.toString()));
    Process watchdog = null;
    Path leaseFile = null;
    switch (plan.action) {
      case PAUSE -> {
        leaseFile = stateDir.resolve("lease-" + pid + "-" + Long.toHexString(System.nanoTime()));
        writeLease(leaseFile, ctx.leaseUntil());
        watchdog = startWatchdog(leaseFile, pid);
        params.put("_leaseFile", leaseFile.toString());
        try {
          signal(pid, "STOP");
        } catch (FaultException e) {
          watchdog.destroyForcibly();
          deleteQuietly(leaseFile);
          throw e;
        }
      }
      case KILL -> {
        signal(pid, "KILL");
        awaitExit(handle, 5_000);
      }
      case RESTART -> {
        signal(pid, "TERM");
        if (!awaitExit(handle, plan.stopTimeoutMs)) {
          LOG.warn("process {} did not stop within {} ms of SIGTERM; sending SIGKILL", pid, plan.stopTimeoutMs);
          signal(pid, "KILL");
          awaitExit(handle, 5_000);
        }
        start(plan, spec);
      }
    }
    FaultSpec recorded = new FaultSpec(spec.name(), spec.type(), spec.target(), params, spec.duration());
    Active active = new Active(recorded, plan, pid, watchdog, leaseFile);
    active.lease = leases.start(ctx.leaseUntil(), "process fault " + spec.name() + " on pid " + pid, active::revertQuietly);
    return active;
  }

  @Override
  public void revertOrphan(FaultSpec spec, FaultContext ctx) throws FaultException {
    FaultParameters p = FaultParameters.of(spec);
    Plan plan = plan(p);
    p.throwIfInvalid(spec);
    Object recordedPid = spec.parameters().get("_pid");
    long pid = recordedPid instanceof Number n ? n.longValue() : resolvePid(plan);
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    Object startedAt = spec.parameters().get("_startedAt");
    boolean same = handle.isPresent() && (startedAt == null
        || handle.get().info().startInstant().map(i -> i.toString().equals(startedAt)).orElse(true));
    switch (plan.action) {
      case PAUSE -> {
        if (same) {
          signal(pid, "CONT");
        }
        Object lf = spec.parameters().get("_leaseFile");
        if (lf != null) {
          deleteQuietly(Path.of(lf.toString()));
        }
      }
      case KILL, RESTART -> {
        if (!same && !plan.command.isEmpty() && !running(plan)) {
          start(plan, spec);
        } else if (!same && plan.command.isEmpty()) {
          throw new FaultException("process " + pid + " (fault " + spec.name() + ") was killed and is not running; "
              + "restart the service by hand (the fault gave no restartCommand)");
        }
      }
    }
  }

  /** The state letter of /proc/<pid>/stat (R, S, T = stopped, Z...), empty when it is gone. */
  public static Optional<Character> state(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
      int close = stat.lastIndexOf(')');
      return Optional.of(stat.charAt(close + 2));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private boolean running(Plan plan) {
    if (plan.pidFile == null) {
      return false;
    }
    try {
      long pid = resolvePid(plan);
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    } catch (FaultException e) {
      return false;
    }
  }

  private static long resolvePid(Plan plan) throws FaultException {
    if (plan.pid != null) {
      return plan.pid;
    }
    try {
      String s = Files.readString(plan.pidFile, StandardCharsets.US_ASCII).trim();
      long pid = Long.parseLong(s);
      if (pid < 2) {
        throw new FaultException("pid file " + plan.pidFile + " holds " + pid + ", which is not a service");
      }
      return pid;
    } catch (IOException e) {
      throw new FaultException("cannot read pid file " + plan.pidFile + ": " + e.getMessage(), e);
    } catch (NumberFormatException e) {
      throw new FaultException("pid file " + plan.pidFile + " does not hold a process id", e);
    }
  }

  private static void refuseOwnLineage(long pid) throws FaultException {
    Optional<ProcessHandle> h = Optional.of(ProcessHandle.current());
    while (h.isPresent()) {
      if (h.get().pid() == pid) {
        throw new FaultException("process " + pid + " is the agent itself or one of its parents; refusing");
      }
      h = h.get().parent();
    }
  }

  static void signal(long pid, String signal) throws FaultException {
    try {
      Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new FaultException("kill -" + signal + " " + pid + " failed: " + out
            + " (is the process still running and owned by the agent's user?)");
      }
    } catch (IOException e) {
      throw new FaultException("cannot run kill: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FaultException("interrupted while signalling " + pid, e);
    }
  }

  private static boolean awaitExit(ProcessHandle h, long timeoutMs) throws FaultException {
    try {
      h.onExit().get(timeoutMs, TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      throw new FaultException("waiting for process " + h.pid() + " to exit failed: " + e.getCause(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FaultException("interrupted while waiting for process " + h.pid() + " to exit", e);
    }
  }

  private Process start(Plan plan, FaultSpec spec) throws FaultException {
    try {
      Files.createDirectories(stateDir);
      File log = stateDir.resolve("restart-" + spec.name().replaceAll("[^A-Za-z0-9._-]", "_") + ".log").toFile();
      ProcessBuilder pb = new ProcessBuilder(plan.command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log));
      if (plan.workDir != null) {
        pb.directory(plan.workDir.toFile());
      }
      Process p = pb.start();
      LOG.info("fault {}: started {} as process {} (output in {})", spec.name(), plan.command, p.pid(), log);
      return p;
    } catch (IOException e) {
      throw new FaultException("cannot start " + plan.command + " for fault " + spec.name() + ": " + e.getMessage()
          + "; start the service by hand", e);
    }
  }

  private Process startWatchdog(Path leaseFile, long pid) throws FaultException {
    List<String> cmd = new ArrayList<>();
    for (String setsid : List.of("/usr/bin/setsid", "/bin/setsid")) {
      if (Files.isExecutable(Path.of(setsid))) {
        cmd.add(setsid);
        break;
      }
    }
    cmd.addAll(List.of("sh", "-c", WATCHDOG, "faultline-watchdog", leaseFile.toString(), Long.toString(pid)));
    try {
      return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      deleteQuietly(leaseFile);
      throw new FaultException("cannot start the resume watchdog (sh): " + e.getMessage()
          + "; without it a paused process would stay paused if the agent died, so the fault was not injected", e);
    }
  }

  /** Deadline in wall-clock epoch seconds, rounded up, from the lease measured on the agent's clock. */
  private void writeLease(Path file, Instant until) throws FaultException {
    long remainingMs = Math.max(0, Duration.between(clock.instant(), until).toMillis());
    long deadline = (System.currentTimeMillis() + remainingMs + 999) / 1000;
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, Long.toString(deadline), StandardCharsets.US_ASCII);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new FaultException("cannot write lease file " + file + ": " + e.getMessage(), e);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.debug("delete {}", p, e);
    }
  }

  private final class Active implements ActiveFault {
    private final FaultSpec spec;
    private final Plan plan;
    private final long pid;
    private final Process watchdog;
    private final Path leaseFile;
    private final AtomicBoolean reverted = new AtomicBoolean();
    private volatile LeaseTimer.Lease lease;

    Active(FaultSpec spec, Plan plan, long pid, Process watchdog, Path leaseFile) {
      this.spec = spec;
      this.plan = plan;
      this.pid = pid;
      this.watchdog = watchdog;
      this.leaseFile = leaseFile;
    }

    @Override
    public FaultSpec spec() {
      return spec;
    }

    @Override
    public void renew(Instant leaseUntil) throws FaultException {
      if (reverted.get() || !lease.renew(leaseUntil)) {
        throw new FaultException("process fault " + spec.name() + " already ended (reverted or lease passed)");
      }
      if (leaseFile != null) {
        writeLease(leaseFile, leaseUntil);
      }
    }

    @Override
    public synchronized void revert() throws FaultException {
      if (reverted.get()) {
        return;
      }
      lease.cancel();
      switch (plan.action) {
        case PAUSE -> {
          if (ProcessHandle.of(pid).isPresent()) {
            signal(pid, "CONT");
          }
          deleteQuietly(leaseFile);
          watchdog.destroyForcibly();
        }
        case KILL -> {
          if (plan.command.isEmpty()) {
            reverted.set(true);
            throw new FaultException("process " + pid + " was killed by fault " + spec.name()
                + " and no restartCommand was given: restart the service by hand");
          }
          start(plan, spec);
        }
        case RESTART -> {
          if (!ProcessHandle.of(pid).isPresent() && plan.pidFile != null && !running(plan)) {
            start(plan, spec);
          }
        }
      }
      reverted.set(true);
    }

    void revertQuietly() {
      try {
        revert();
      } catch (FaultException e) {
        LOG.error("process fault {}: revert after the lease passed: {}", spec.name(), e.getMessage());
      }
    }
  }
}
