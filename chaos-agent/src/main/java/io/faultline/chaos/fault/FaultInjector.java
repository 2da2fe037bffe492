/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault;

import java.util.List;

/**
 * Injects one kind of fault. Where a fault applies (the target), what it does (the parameters) and
 * when it runs (the experiment's schedule) are kept apart, as in Chaos Monkey for Spring Boot.
 *
 * <p>Contract: every injection is reversible and time-boxed. {@link #inject} either leaves the
 * target unchanged and throws, or returns an {@link ActiveFault} whose {@link ActiveFault#revert}
 * restores it. Injectors take a {@code Clock} or scheduler instead of sleeping, and restore the
 * interrupt flag if they catch {@link InterruptedException}. Thread-safe.
 */
public interface FaultInjector {

  /** The {@link FaultSpec#type()} this injector handles. */
  String type();

  /**
   * Checks a spec without touching anything: an empty list means valid; otherwise each message
   * names the parameter that is wrong, e.g. {@code method[0].parameters.latencyMs: must be
   * between 1 and 60000}.
   */
  List<String> validate(FaultSpec spec);

  /** What the fault would do, in one sentence, for dry runs and the journal. */
  String describe(FaultSpec spec);

  /** Puts the fault in effect. */
  ActiveFault inject(FaultSpec spec, FaultContext context) throws FaultException;

  /**
   * Undoes a fault that an earlier agent process injected and could not revert because it stopped
   * (crash, kill -9, power loss). The agent calls this on start for every fault its database
   * still records as active, with the spec and context it was injected with. Must be idempotent
   * and must not fail when the fault is already gone (its lease may have expired meanwhile).
   *
   * <p>Default: does nothing, relying on the dead-man lease ({@link FaultContext#leaseUntil()})
   * that ends every fault by itself. Injectors whose target can be restored directly (remove a
   * proxy toxic by name, switch Chaos Monkey assaults off, resume a paused process) override it
   * so the fault ends now rather than when the lease runs out.
   *
   * @throws FaultException the target could not be restored; the message says what to do by hand
   */
  default void revertOrphan(FaultSpec spec, FaultContext context) throws FaultException {}
}
