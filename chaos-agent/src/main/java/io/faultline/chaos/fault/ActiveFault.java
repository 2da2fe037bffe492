/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault;

import java.time.Instant;

/**
 * A fault that is in effect. Thread-safe: the runner may revert it from a halt condition's thread
 * while a renewal is under way.
 */
public interface ActiveFault {

  /** The spec this fault was injected from. */
  FaultSpec spec();

  /**
   * Extends the dead-man lease. A fault whose lease passes reverts by itself (proxy toxics are
   * removed, Chaos Monkey assaults switched off, paused processes resumed) even if this process
   * died.
   */
  void renew(Instant leaseUntil) throws FaultException;

  /**
   * Undoes the fault. Idempotent: a second call, or a call after the lease expired, does nothing.
   * Never throws for a fault that is already gone; throws {@link FaultException} when the target
   * could not be restored, with a message that says what an operator must do by hand.
   */
  void revert() throws FaultException;
}
