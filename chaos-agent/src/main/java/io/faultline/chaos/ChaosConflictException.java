/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A run cannot start now: the kill switch is engaged, a run of the experiment is active, a
 * blackout window covers now, or a safety limit (targets per run, blast radius) refuses it. {@link
 * #details()} carries the plan with the blast-radius estimate, so the caller sees why.
 */
public final class ChaosConflictException extends Exception {
  private final transient ObjectNode details;

  public ChaosConflictException(String message, ObjectNode details) {
    super(message);
    this.details = details;
  }

  public ObjectNode details() {
    return details;
  }
}
