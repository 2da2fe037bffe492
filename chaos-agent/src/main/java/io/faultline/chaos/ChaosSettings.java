/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import java.time.Duration;
import java.util.Objects;

/**
 * The agent's safety limits and timings; {@link #defaults()} suits a laptop.
 *
 * @param maxTargetsPerRun a run whose method touches more distinct targets is refused
 * @param maxBlastRadius a run whose targets carry more than this share (0..1) of entry traffic, as
 *     estimated from the service graph, is refused; 1 disables the check
 * @param blastRadiusWindow how far back the service graph is read for the estimate
 * @param tickInterval how often a run's state machine advances (lease renewals, fault ends)
 * @param haltCheckInterval how often halt conditions and the steady state are evaluated during a run
 * @param leaseDuration the dead-man lease given to every fault, renewed at half-time
 * @param staleAfter a run whose owner has not written a heartbeat for this long is taken over:
 *     its faults are reverted and it is marked failed
 * @param nodeName names this agent in the database; keep it stable across restarts so that a
 *     restarted agent at once recovers the runs it owned
 */
public record ChaosSettings(
    int maxTargetsPerRun,
    double maxBlastRadius,
    Duration blastRadiusWindow,
    Duration tickInterval,
    Duration haltCheckInterval,
    Duration leaseDuration,
    Duration staleAfter,
    String nodeName) {

  public ChaosSettings {
    if (maxTargetsPerRun < 1) {
      throw new IllegalArgumentException("maxTargetsPerRun must be at least 1, got " + maxTargetsPerRun);
    }
    if (!(maxBlastRadius > 0 && maxBlastRadius <= 1)) {
      throw new IllegalArgumentException("maxBlastRadius must be in (0, 1], got " + maxBlastRadius);
    }
    for (Duration d : new Duration[] {blastRadiusWindow, tickInterval, haltCheckInterval, leaseDuration, staleAfter}) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("chaos durations must be positive");
      }
    }
    if (leaseDuration.compareTo(tickInterval.multipliedBy(4)) < 0) {
      throw new IllegalArgumentException("leaseDuration must be at least four tick intervals, so renewals are never late");
    }
    Objects.requireNonNull(nodeName, "nodeName");
  }

  public static ChaosSettings defaults() {
    return new ChaosSettings(3, 1.0, Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofSeconds(5),
        Duration.ofSeconds(60), Duration.ofSeconds(90), defaultNodeName());
  }

  public ChaosSettings withMaxTargetsPerRun(int v) {
    return new ChaosSettings(v, maxBlastRadius, blastRadiusWindow, tickInterval, haltCheckInterval, leaseDuration, staleAfter, nodeName);
  }

  public ChaosSettings withMaxBlastRadius(double v) {
    return new ChaosSettings(maxTargetsPerRun, v, blastRadiusWindow, tickInterval, haltCheckInterval, leaseDuration, staleAfter, nodeName);
  }

  public ChaosSettings withHaltCheckInterval(Duration v) {
    return new ChaosSettings(maxTargetsPerRun, maxBlastRadius, blastRadiusWindow, tickInterval, v, leaseDuration, staleAfter, nodeName);
  }

  public ChaosSettings withNodeName(String v) {
    return new ChaosSettings(maxTargetsPerRun, maxBlastRadius, blastRadiusWindow, tickInterval, haltCheckInterval, leaseDuration, staleAfter, v);
  }

  static String defaultNodeName() {
    try {
      return "faultline@" + java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "faultline@localhost";
    }
  }
}
