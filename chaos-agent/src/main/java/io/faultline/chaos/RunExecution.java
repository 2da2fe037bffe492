/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.faultline.chaos.experiment.Durations;
import io.faultline.chaos.experiment.Experiment;
import io.faultline.chaos.experiment.ExperimentJson;
import io.faultline.chaos.experiment.Probe;
import io.faultline.chaos.experiment.Rollback;
import io.faultline.chaos.fault.ActiveFault;
import io.faultline.chaos.fault.FaultContext;
import io.faultline.chaos.fault.FaultException;
import io.faultline.chaos.fault.FaultInjector;
import io.faultline.chaos.fault.FaultSpec;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run as a state machine advanced by {@link #tick()}: before (the hypothesis must hold and no
 * halt condition may be breached, or no fault is injected), during (faults active, leases renewed, halt conditions checked every few
 * seconds, faults reverted as their durations end), after (the steady state must come back within
 * the recovery deadline), then the end (faults reverted, rollbacks, effect check, report). Time
 * comes only from the injected clock, so tests drive a run tick by tick. Thread-safe: ticks and
 * aborts are serialised.
 */
final class RunExecution {
  private static final Logger LOG = LoggerFactory.getLogger(RunExecution.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  enum Phase { BEFORE, DURING, AFTER, DONE }

  /** A fault this run injected. */
  private static final class Live {
    final FaultSpec spec;
    final ActiveFault active;
    final long annotationId;
    final Instant endsAt;
    Instant leaseUntil;
    boolean reverted;

    Live(FaultSpec spec, ActiveFault active, long annotationId, Instant endsAt, Instant leaseUntil) {
      this.spec = spec;
      this.active = active;
      this.annotationId = annotationId;
      this.endsAt = endsAt;
      this.leaseUntil = leaseUntil;
    }
  }

  private final Env env;
  private final String runId;
  private final String experimentId;
  private final Experiment experiment;
  private final Consumer<RunExecution> onDone;
  private final List<Live> live = new ArrayList<>();
  private final ObjectNode results = MAPPER.createObjectNode();
  private Phase phase = Phase.BEFORE;
  private volatile boolean ending;
  /** An abort was handed to another thread: ticks leave the run to it (see {@link #abortQueued}). */
  private volatile boolean abortQueued;
  private Instant startedAt;
  private Instant faultStart;
  private Instant faultEnd;
  private Instant afterStart;
  private Instant lastCheck;
  private Instant lastHeartbeat;
  private long runAnnotation = -1;
  private String deviation;
  private final Set<String> unevaluatedHalts = new HashSet<>();

  RunExecution(Env env, String runId, String experimentId, Experiment experiment, ObjectNode plan, Consumer<RunExecution> onDone) {
    this.env = env;
    this.runId = runId;
    this.experimentId = experimentId;
    this.experiment = experiment;
    this.onDone = onDone;
    results.set("plan", plan);
    results.putArray("before");
    results.putArray("during");
    results.putArray("after");
    results.putArray("halts");
  }

  String runId() {
    return runId;
  }

  String experimentId() {
    return experimentId;
  }

  synchronized Phase phase() {
    return phase;
  }

  /**
   * Advances the run; never throws (a failure ends the run as failed, faults reverted). Returns at
   * once while the run is ending (reverting faults, running rollbacks).
   */
  void tick() {
    if (ending || abortQueued) {
      return;
    }
    synchronized (this) {
      if (phase == Phase.DONE || ending) {
        return;
      }
      try {
        step();
      } catch (RuntimeException e) {
        LOG.error("chaos run {} failed; reverting its faults", runId, e);
        finish(RunStatus.FAILED, "the agent failed during the run: " + e);
      }
    }
  }

  /**
   * Stops the run: reverts every fault, runs the rollbacks, then finishes as aborted with the
   * reason. Blocks until then (callers that must answer promptly call it on another thread); an
   * abort of a run that is already ending returns at once.
   */
  void abort(String reason) {
    if (ending) {
      return;
    }
    synchronized (this) {
      if (phase != Phase.DONE && !ending) {
        finish(RunStatus.ABORTED, reason);
      }
    }
  }

  /**
   * Says that {@link #abort} is about to run on another thread, before it is handed over: a tick
   * from then on returns at once instead of seeing the abort request itself and reverting the
   * faults and running the (possibly slow) rollbacks on the ticking thread, or waiting behind the
   * abort that does.
   */
  void abortQueued() {
    abortQueued = true;
  }

  /** Whether the run is ending or over: no tick or abort changes it any more. */
  boolean ending() {
    return ending;
  }

  private void step() {
    Instant now = env.clock().instant();
    if (startedAt == null) {
      startedAt = now;
      lastHeartbeat = now;
      env.store().runStarted(runId, now);
      env.store().heartbeat(runId, env.settings().nodeName(), now);
      runAnnotation = env.store().annotate(now, runId, experimentId, null, null,
          "chaos run: " + experiment.title(), "run " + runId + " of " + experiment.title());
      env.journal(runId, experimentId, "INFO", "run.started", "run started on " + env.settings().nodeName());
    }
    if (Duration.between(lastHeartbeat, now).compareTo(env.settings().tickInterval().multipliedBy(5)) >= 0) {
      env.store().heartbeat(runId, env.settings().nodeName(), now);
      lastHeartbeat = now;
    }
    String requested = env.store().abortRequest(runId).orElse(null);
    if (requested != null) {
      finish(RunStatus.ABORTED, requested);
      return;
    }
    if (env.killSwitchEngaged()) {
      finish(RunStatus.ABORTED, "kill switch engaged: all chaos stopped");
      return;
    }
    if (Duration.between(startedAt, now).compareTo(experiment.maxRunTime()) > 0) {
      finish(RunStatus.ABORTED, "maximum run time " + Durations.format(experiment.maxRunTime()) + " reached");
      return;
    }
    switch (phase) {
      case BEFORE -> before(now);
      case DURING -> during(now);
      case AFTER -> after(now);
      default -> { }
    }
  }

  private void before(Instant now) {
    List<ProbeResult> checks = evaluate(experiment.steadyState(), now, false, (ArrayNode) results.get("before"));
    List<String> failing = failing(checks);
    if (!failing.isEmpty()) {
      finish(RunStatus.ABORTED, "system unhealthy before: " + String.join("; ", failing) + " (no fault was injected)");
      return;
    }
    env.journal(runId, experimentId, "INFO", "hypothesis.before", "steady state holds before: " + summary(checks));
    List<String> breached = breachedHalts(now);
    if (!breached.isEmpty()) {
      finish(RunStatus.ABORTED, "halted before injecting: " + String.join("; ", breached) + " (no fault was injected)");
      return;
    }
    faultStart = now;
    faultEnd = now.plus(experiment.faultWindow());
    env.store().faultWindow(runId, faultStart, faultEnd);
    for (FaultSpec spec : experiment.method()) {
      FaultInjector injector = env.injectors().get(spec.type());
      if (injector == null) {
        finish(RunStatus.FAILED, "no injector for fault type '" + spec.type() + "' (fault " + spec.name() + "); is it configured on " + env.settings().nodeName() + "?");
        return;
      }
      Instant lease = now.plus(env.settings().leaseDuration());
      // recorded before injecting, so a crash in between still leaves a record to revert from
      env.store().insertFault(new ChaosStore.FaultRow(runId, spec.name(), experimentId, spec.type(), spec.target(),
          ExperimentJson.parametersJson(spec.parameters()), spec.duration().toMillis(), now, lease, null, null));
      ActiveFault active;
      try {
        active = injector.inject(spec, new FaultContext(experimentId, runId, lease));
      } catch (FaultException | RuntimeException e) {
        env.store().faultReverted(runId, spec.name(), now, null);
        finish(RunStatus.FAILED, "could not inject fault " + spec.name() + " (" + spec.type() + " on " + spec.target() + "): " + e.getMessage());
        return;
      }
      long ann = env.store().annotate(now, runId, experimentId, spec.name(), spec.target(),
          "fault " + spec.name() + " on " + spec.target(), injector.describe(spec));
      live.add(new Live(spec, active, ann, now.plus(spec.duration()), lease));
      env.telemetry().faultActive(experimentId, runId, spec.name(), spec.target(), true, now);
      env.journal(runId, experimentId, "INFO", "fault.injected", "injected " + spec.name() + ": " + injector.describe(spec)
          + " for " + Durations.format(spec.duration()));
    }
    phase = Phase.DURING;
    lastCheck = now;
  }

  private void during(Instant now) {
    for (Live l : live) {
      if (!l.reverted && !now.isBefore(l.endsAt)) {
        revert(l, now, "duration " + Durations.format(l.spec.duration()) + " over");
      }
    }
    renewLeases(now);
    if (!Duration.between(lastCheck, now).minus(env.settings().haltCheckInterval()).isNegative()) {
      lastCheck = now;
      List<String> breached = breachedHalts(now);
      if (!breached.isEmpty()) {
        finish(RunStatus.ABORTED, "halted: " + String.join("; ", breached));
        return;
      }
      List<ProbeResult> steady = evaluate(experiment.steadyState(), now, false, (ArrayNode) results.get("during"));
      List<String> failing = failing(steady);
      if (!failing.isEmpty() && deviation == null) {
        deviation = "steady state deviated during the faults: " + String.join("; ", failing);
        env.journal(runId, experimentId, "WARN", "hypothesis.during", deviation);
      }
    }
    if (live.stream().allMatch(l -> l.reverted)) {
      phase = Phase.AFTER;
      afterStart = now;
      faultEnd = now;
      env.store().faultWindow(runId, faultStart, faultEnd);
      lastCheck = now.minus(env.settings().haltCheckInterval());
      env.journal(runId, experimentId, "INFO", "faults.ended", "all faults reverted; waiting up to "
          + Durations.format(experiment.recoveryDeadline()) + " for the steady state to hold");
    }
  }

  private void after(Instant now) {
    if (Duration.between(lastCheck, now).minus(env.settings().haltCheckInterval()).isNegative()) {
      return;
    }
    lastCheck = now;
    ArrayNode after = (ArrayNode) results.get("after");
    List<ProbeResult> checks = evaluate(experiment.steadyState(), now, false, after);
    List<String> failing = failing(checks);
    if (failing.isEmpty()) {
      if (deviation != null) {
        finish(RunStatus.DEVIATED, deviation + " (recovered afterwards)");
      } else {
        finish(RunStatus.COMPLETED, null);
      }
    } else if (!now.isBefore(afterStart.plus(experiment.recoveryDeadline()))) {
      finish(RunStatus.DEVIATED, (deviation == null ? "" : deviation + "; ") + "did not recover within "
          + Durations.format(experiment.recoveryDeadline()) + ": " + String.join("; ", failing));
    }
  }

  private void renewLeases(Instant now) {
    Duration lease = env.settings().leaseDuration();
    for (Live l : live) {
      if (l.reverted || Duration.between(now, l.leaseUntil).compareTo(lease.dividedBy(2)) > 0) {
        continue;
      }
      Instant until = now.plus(lease);
      try {
        l.active.renew(until);
        l.leaseUntil = until;
        env.store().leaseRenewed(runId, l.spec.name(), until);
        env.telemetry().faultActive(experimentId, runId, l.spec.name(), l.spec.target(), true, now);
      } catch (FaultException | RuntimeException e) {
        env.journal(runId, experimentId, "WARN", "fault.lease", "could not renew the lease of " + l.spec.name() + ": " + e.getMessage()
            + "; it ends by itself at " + l.leaseUntil);
      }
    }
  }

  private void revert(Live l, Instant now, String why) {
    l.reverted = true;
    String error = null;
    try {
      l.active.revert();
    } catch (FaultException | RuntimeException e) {
      error = e.getMessage();
    }
    env.store().faultReverted(runId, l.spec.name(), now, error);
    env.store().endAnnotation(l.annotationId, now);
    env.telemetry().faultActive(experimentId, runId, l.spec.name(), l.spec.target(), false, now);
    env.telemetry().span(experimentId, runId, l.spec.name(), l.spec.target(), faultStart, now, error != null, why);
    if (error == null) {
      env.journal(runId, experimentId, "INFO", "fault.reverted", "reverted " + l.spec.name() + " (" + why + ")");
    } else {
      env.journal(runId, experimentId, "ERROR", "fault.revert_failed", "could not revert " + l.spec.name() + ": " + error);
    }
  }

  private void finish(RunStatus status, String reason) {
    ending = true;
    Instant now = env.clock().instant();
    List<String> revertErrors = new ArrayList<>();
    for (Live l : live) {
      if (!l.reverted) {
        revert(l, now, status == RunStatus.COMPLETED ? "run over" : "run " + status.wireName() + (reason == null ? "" : ": " + reason));
      }
    }
    for (ChaosStore.FaultRow f : env.store().faults(runId)) {
      if (f.revertError() != null) {
        revertErrors.add(f.faultName() + ": " + f.revertError());
      }
    }
    if (faultStart != null && faultEnd == null || (faultEnd != null && faultEnd.isAfter(now))) {
      faultEnd = now;
      env.store().faultWindow(runId, faultStart, faultEnd);
    }
    if (!revertErrors.isEmpty()) {
      reason = (reason == null ? "" : reason + "; ") + "REVERT FAILED, restore by hand: " + String.join("; ", revertErrors);
      status = RunStatus.FAILED;
    }
    runRollbacks(env, runId, experimentId, experiment.rollbacks());
    String verdict = verdict(status, reason, now);
    results.put("deviation", deviation);
    env.store().finishRun(runId, status, reason, verdict, results.toString(), now);
    env.store().unlockExperiment(experimentId, runId);
    env.store().endOpenAnnotations(runId, now);
    env.telemetry().span(experimentId, runId, null, null, startedAt == null ? now : startedAt, now,
        status != RunStatus.COMPLETED, status.wireName());
    env.journal(runId, experimentId, status == RunStatus.COMPLETED ? "INFO" : "WARN", "run.finished",
        "run " + status.wireName() + (reason == null ? "" : ": " + reason) + " — " + verdict);
    phase = Phase.DONE;
    try {
      env.reports().render(runId);
    } catch (RuntimeException e) {
      LOG.warn("chaos run {}: report not rendered: {}", runId, e.toString());
      env.journal(runId, experimentId, "WARN", "report", "report not rendered: " + e.getMessage());
    }
    onDone.accept(this);
  }

  private String verdict(RunStatus status, String reason, Instant now) {
    if (faultStart == null || live.isEmpty()) {
      return status.wireName() + (reason == null ? "" : ": " + reason);
    }
    ArrayNode effects = results.putArray("effects");
    List<String> silent = new ArrayList<>();
    for (Live l : live) {
      EffectAnalysis.Effect e;
      try {
        e = env.effects().effect(l.spec, runId, faultStart, faultEnd);
      } catch (RuntimeException ex) {
        e = new EffectAnalysis.Effect(l.spec.name(), l.spec.target(), false, "effect check failed: " + ex.getMessage());
      }
      effects.add(e.toJson());
      env.journal(runId, experimentId, e.observed() ? "INFO" : "WARN", "fault.effect", l.spec.name() + ": " + e.evidence());
      if (!e.observed()) {
        silent.add(l.spec.name());
      }
    }
    ArrayNode changes = results.putArray("blastRadius");
    try {
      env.effects().changes(faultStart, faultEnd).forEach(c -> changes.add(c.toJson()));
    } catch (RuntimeException ex) {
      LOG.warn("chaos run {}: blast radius table failed: {}", runId, ex.toString());
    }
    if (status == RunStatus.COMPLETED && !silent.isEmpty()) {
      return "no observable effect: the hypothesis held, but " + String.join(", ", silent)
          + (silent.size() == 1 ? " shows" : " show") + " no effect in the telemetry, so the run proves nothing about "
          + (silent.size() == 1 ? "it" : "them");
    }
    if (status == RunStatus.COMPLETED) {
      return "passed: the steady state held before, during and after the faults, and every fault showed in the telemetry";
    }
    return status.wireName() + ": " + reason + (silent.isEmpty() ? "" : " (no observable effect from " + String.join(", ", silent) + ")");
  }

  private List<ProbeResult> evaluate(List<Probe> probes, Instant at, boolean halt, ArrayNode into) {
    List<ProbeResult> out = new ArrayList<>();
    for (Probe p : probes) {
      ProbeResult r = env.probes().evaluate(p, at, halt);
      out.add(r);
      into.add(r.toJson());
    }
    env.store().saveResults(runId, results.toString());
    return out;
  }

  /**
   * Evaluates the halt conditions; returns the breached ones. A condition that cannot be evaluated
   * (its query fails) does not halt the run, but is journalled as a warning, once per condition.
   */
  private List<String> breachedHalts(Instant now) {
    List<ProbeResult> halts = evaluate(experiment.haltWhen(), now, true, (ArrayNode) results.get("halts"));
    for (ProbeResult r : halts) {
      if (!r.evaluated() && unevaluatedHalts.add(r.name())) {
        env.journal(runId, experimentId, "WARN", "halt.unevaluated", "halt condition " + r.name()
            + " cannot be evaluated, so it cannot halt the run: " + r.detail());
      }
    }
    return failing(halts.stream().filter(ProbeResult::evaluated).toList());
  }

  private static List<String> failing(List<ProbeResult> results) {
    return results.stream().filter(r -> !r.ok()).map(r -> r.name() + " = " + r.detail()).toList();
  }

  private static String summary(List<ProbeResult> results) {
    return results.isEmpty() ? "no steady-state probes" : String.join("; ", results.stream().map(r -> r.name() + " = " + r.detail()).toList());
  }

  /** Runs every rollback; failures are journaled, never thrown. */
  static void runRollbacks(Env env, String runId, String experimentId, List<Rollback> rollbacks) {
    for (Rollback r : rollbacks) {
      try {
        HttpRequest.Builder b = HttpRequest.newBuilder(r.url()).timeout(r.timeout())
            .method(r.method(), r.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(r.body()));
        r.headers().forEach(b::header);
        HttpResponse<Void> resp = env.http().send(b.build(), HttpResponse.BodyHandlers.discarding());
        boolean ok = resp.statusCode() / 100 == 2;
        env.journal(runId, experimentId, ok ? "INFO" : "ERROR", "rollback",
            "rollback " + r.name() + ": " + r.method() + " " + r.url() + " -> HTTP " + resp.statusCode());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        env.journal(runId, experimentId, "ERROR", "rollback", "rollback " + r.name() + " interrupted; run it by hand: " + r.method() + " " + r.url());
      } catch (java.io.IOException | RuntimeException e) {
        env.journal(runId, experimentId, "ERROR", "rollback", "rollback " + r.name() + " failed (" + e + "); run it by hand: " + r.method() + " " + r.url());
      }
    }
  }
}
