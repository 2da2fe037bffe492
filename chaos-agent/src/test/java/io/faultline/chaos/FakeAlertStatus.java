/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import io.faultline.core.alert.ActiveAlert;
import io.faultline.core.alert.AlertStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Alerting as the chaos agent sees it, set by the test: chaos-agent depends on core only, so the
 * real {@code Alerting} is exercised against these same conditions in module alerting.
 */
final class FakeAlertStatus implements AlertStatus {
  private final List<ActiveAlert> alerts = new CopyOnWriteArrayList<>();
  private final Map<String, Double> burnRates = new HashMap<>();
  final List<Duration> windowsAsked = new CopyOnWriteArrayList<>();
  private Set<String> rules;

  /** From now on, alerting says exactly these alerting rules are defined (by default it cannot tell). */
  synchronized void defineRules(String... names) {
    rules = Set.of(names);
  }

  @Override
  public synchronized Optional<Set<String>> alertNames() {
    return Optional.ofNullable(rules);
  }

  synchronized void fire(String name, Map<String, String> labels) {
    Map<String, String> all = new HashMap<>(labels);
    all.put("alertname", name);
    alerts.add(new ActiveAlert(all, Map.of(), ActiveAlert.State.FIRING, Instant.EPOCH, 1));
  }

  synchronized void pending(String name, Map<String, String> labels) {
    Map<String, String> all = new HashMap<>(labels);
    all.put("alertname", name);
    alerts.add(new ActiveAlert(all, Map.of(), ActiveAlert.State.PENDING, Instant.EPOCH, 1));
  }

  synchronized void burnRate(String slo, double rate) {
    burnRates.put(slo, rate);
  }

  @Override
  public boolean isFiring(String alertName, Map<String, String> labels) {
    return alerts.stream().anyMatch(a -> a.state() == ActiveAlert.State.FIRING && a.name().equals(alertName)
        && a.labels().entrySet().containsAll(labels.entrySet()));
  }

  @Override
  public List<ActiveAlert> activeAlerts() {
    return new ArrayList<>(alerts);
  }

  @Override
  public synchronized Set<String> sloNames() {
    return Set.copyOf(burnRates.keySet());
  }

  @Override
  public synchronized OptionalDouble burnRate(String slo, Duration window) {
    windowsAsked.add(window);
    Double r = burnRates.get(slo);
    return r == null || r.isNaN() ? OptionalDouble.empty() : OptionalDouble.of(r);
  }
}
