/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.experiment;

import io.faultline.chaos.fault.FaultSpec;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A validated chaos experiment: what to break ({@link #method()}), where ({@link #targets()}), what
 * must stay true meanwhile ({@link #steadyState()}), when to stop at once ({@link #haltWhen()}),
 * what to undo afterwards ({@link #rollbacks()}) and when to run ({@link #schedule()}). Built only
 * by {@link ExperimentParser}, which checks every field.
 *
 * @param title short name shown in lists and reports
 * @param description what the experiment shows, free text (may be empty)
 * @param schedule when it runs by itself, or null for manual runs only
 * @param targets the services the faults may touch
 * @param steadyState the hypothesis: probes checked before, during and after the faults
 * @param method the faults, injected together when the run starts, each ending after its duration
 * @param haltWhen conditions checked every few seconds while faults are active; one breach reverts
 *     every fault at once and aborts the run
 * @param rollbacks actions that always run at the end of a run, whatever its outcome
 * @param recoveryDeadline how long after the faults end the steady state may take to hold again
 */
public record Experiment(
    String title,
    String description,
    Schedule schedule,
    List<Target> targets,
    List<Probe> steadyState,
    List<FaultSpec> method,
    List<Probe> haltWhen,
    List<Rollback> rollbacks,
    Duration recoveryDeadline) {

  public Experiment {
    Objects.requireNonNull(title, "title");
    description = description == null ? "" : description;
    targets = List.copyOf(targets);
    steadyState = List.copyOf(steadyState);
    method = List.copyOf(method);
    haltWhen = List.copyOf(haltWhen);
    rollbacks = List.copyOf(rollbacks);
    Objects.requireNonNull(recoveryDeadline, "recoveryDeadline");
  }

  public Optional<Schedule> scheduleIfAny() {
    return Optional.ofNullable(schedule);
  }

  /** The longest fault duration: how long faults are active in a run. */
  public Duration faultWindow() {
    return method.stream().map(FaultSpec::duration).max(Duration::compareTo).orElse(Duration.ZERO);
  }

  /**
   * How long a run may take before it is aborted: the schedule's {@code maxRunTime}, else the
   * fault window plus the recovery deadline plus five minutes for probes and rollbacks.
   */
  public Duration maxRunTime() {
    return schedule != null ? schedule.maxRunTime() : defaultMaxRunTime(faultWindow().plus(recoveryDeadline));
  }

  static Duration defaultMaxRunTime(Duration faultsAndRecovery) {
    return faultsAndRecovery.plusMinutes(5);
  }

  /** The distinct targets the method touches, in order of first use. */
  public List<String> touchedTargets() {
    return method.stream().map(FaultSpec::target).distinct().toList();
  }
}
