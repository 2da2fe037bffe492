/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import java.util.Locale;

/**
 * Where a run is. The last five are final: {@link #COMPLETED} (the hypothesis held before, during
 * and after, and every fault showed an effect or was reported as having none), {@link #DEVIATED}
 * (the steady state broke during the faults or did not recover in time), {@link #ABORTED} (not
 * started because the system was unhealthy or a safety limit refused it, or stopped by a halt
 * condition, an operator, the kill switch or the maximum run time), {@link #FAILED} (the agent
 * could not do its part: an injection failed, or the agent stopped mid-run) and {@link #SKIPPED}
 * (a scheduled fire that did not start: blackout window or a previous run still active).
 */
public enum RunStatus {
  PENDING,
  RUNNING,
  COMPLETED,
  DEVIATED,
  ABORTED,
  FAILED,
  SKIPPED;

  public boolean isFinal() {
    return this != PENDING && this != RUNNING;
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a wire name (any case); throws {@link IllegalArgumentException} listing the valid ones. */
  public static RunStatus parse(String text) {
    for (RunStatus s : values()) {
      if (s.name().equalsIgnoreCase(text)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown run status '" + text
            + "': expected pending, running, completed, deviated, aborted, failed or skipped");
  }
}
