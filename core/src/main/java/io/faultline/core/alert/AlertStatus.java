/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.alert;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * What alerting knows right now: which alerts are active and how fast each SLO burns its error
 * budget. Used by the chaos agent to halt an experiment ({@code haltWhen: alert: HighErrorRate}
 * or {@code haltWhen: slo: checkout, window: 5m, burnRateAbove: 14.4}).
 *
 * <p>Answers reflect the last rule evaluation (alerts) or the data at the time of the call (burn
 * rates); they never block on an evaluation. Thread-safe. Methods never throw for unknown names:
 * an unknown alert is not firing, an unknown SLO has no burn rate.
 */
public interface AlertStatus {

  /**
   * Whether at least one instance of the alerting rule {@code alertName} is firing (not merely
   * pending).
   */
  default boolean isFiring(String alertName) {
    return isFiring(alertName, Map.of());
  }

  /**
   * Whether an instance of {@code alertName} whose labels contain every entry of {@code labels}
   * (exact match, e.g. {@code service=checkout}) is firing.
   */
  boolean isFiring(String alertName, Map<String, String> labels);

  /** Every pending or firing alert, sorted by labels. */
  List<ActiveAlert> activeAlerts();

  /**
   * Names of the alerting rules currently defined, or empty when this status cannot tell (the
   * default, so implementations written before this method keep compiling), for warnings about
   * conditions on alerts no rule defines.
   */
  default Optional<Set<String>> alertNames() {
    return Optional.empty();
  }

  /** Names of the declared SLOs. */
  Set<String> sloNames();

  /**
   * The SLO's burn rate over the trailing {@code window} ending now: its error ratio over the
   * window divided by its error budget ({@code 1 - objective}). 1 means the budget would be spent
   * exactly at the end of the SLO window; 14.4 over 1h is Google's "page now" threshold. Example:
   * objective 99.5 % (budget 0.005), 2 % of requests failing over the last hour gives 4.0.
   *
   * @param window any positive duration of whole seconds (not only the precomputed windows)
   * @return empty when the SLO is unknown or there was no traffic in the window (0/0)
   */
  OptionalDouble burnRate(String slo, Duration window);

  /** A status with no alerts and no SLOs, for deployments without alerting. */
  static AlertStatus none() {
    return new AlertStatus() {
      @Override
      public boolean isFiring(String alertName, Map<String, String> labels) {
        return false;
      }

      @Override
      public List<ActiveAlert> activeAlerts() {
        return List.of();
      }

      @Override
      public Optional<Set<String>> alertNames() {
        return Optional.of(Set.of());
      }

      @Override
      public Set<String> sloNames() {
        return Set.of();
      }

      @Override
      public OptionalDouble burnRate(String slo, Duration window) {
        return OptionalDouble.empty();
      }
    };
  }
}
