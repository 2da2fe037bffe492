/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import io.faultline.core.metric.PromqlResult;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An alerting rule with its alerts, following Prometheus' {@code rules/alerting.go}: a new label
 * set is pending, fires once it has been returned for {@code for}, keeps firing for {@code
 * keep_firing_for} after the expression stops returning it, and is kept as resolved for 15 minutes
 * so that the resolution is notified. Evaluated by one thread at a time (its group's).
 */
final class AlertingRule {
  /** How long a resolved alert is kept for notification, as Prometheus' resolvedRetention. */
  static final long RESOLVED_RETENTION_MS = 15 * 60_000L;

  final RuleSpec spec;
  final Map<Map<String, String>, AlertInstance> active = new LinkedHashMap<>();

  AlertingRule(RuleSpec spec) {
    this.spec = spec;
  }

  /**
   * Applies one evaluation result at {@code ts}.
   *
   * @return the {@code ALERTS} and {@code ALERTS_FOR_STATE} samples to write
   * @throws IllegalStateException the result has duplicate label sets or exceeds the limit
   */
  List<SampleWriter.Out> eval(
      long ts, List<PromqlResult.Series> result, int limit, Map<String, String> externalLabels,
      String externalUrl) {
    Map<Map<String, String>, AlertInstance> fresh = new HashMap<>();
    for (PromqlResult.Series s : result) {
      double value = s.values().length > 0 ? s.values()[s.values().length - 1] : Double.NaN;
      Template.Data data = new Template.Data(s.labels(), value, externalLabels, externalUrl);
      Map<String, String> labels = new TreeMap<>(s.labels());
      labels.remove("__name__");
      for (var e : spec.labelTemplates().entrySet()) {
        String v = e.getValue().expand(data);
        if (v.isEmpty()) {
          labels.remove(e.getKey());
        } else {
          labels.put(e.getKey(), v);
        }
      }
      labels.put("alertname", spec.alert());
      Map<String, String> annotations = new TreeMap<>();
      for (var e : spec.annotationTemplates().entrySet()) {
        annotations.put(e.getKey(), e.getValue().expand(data));
      }
      Map<String, String> key = Map.copyOf(labels);
      if (fresh.put(key, new AlertInstance(key, annotations, ts, value)) != null) {
        throw new IllegalStateException(
            "vector contains metrics with the same labelset after applying alert labels");
      }
    }
    if (limit > 0 && fresh.size() > limit) {
      throw new IllegalStateException(
          "exceeded limit of " + limit + " with " + fresh.size() + " alerts");
    }
    for (var e : fresh.entrySet()) {
      AlertInstance old = active.get(e.getKey());
      if (old != null && old.state != AlertInstance.State.INACTIVE) {
        old.value = e.getValue().value;
        old.annotations = e.getValue().annotations;
      } else {
        active.put(e.getKey(), e.getValue());
      }
    }
    List<SampleWriter.Out> out = new ArrayList<>();
    long hold = spec.forDuration().toMillis();
    long keep = spec.keepFiringFor().toMillis();
    var it = active.entrySet().iterator();
    while (it.hasNext()) {
      var e = it.next();
      AlertInstance a = e.getValue();
      if (!fresh.containsKey(e.getKey())) {
        boolean keepFiring = false;
        if (a.state == AlertInstance.State.FIRING && keep > 0) {
          if (a.keepFiringSince == 0) {
            a.keepFiringSince = ts;
          }
          if (ts - a.keepFiringSince < keep) {
            keepFiring = true;
          }
        }
        if (a.state == AlertInstance.State.PENDING
            || (a.resolvedAt != 0 && ts - a.resolvedAt > RESOLVED_RETENTION_MS)) {
          it.remove();
        }
        if (a.state != AlertInstance.State.INACTIVE && !keepFiring) {
          a.state = AlertInstance.State.INACTIVE;
          a.resolvedAt = ts;
        }
        if (!keepFiring) {
          continue;
        }
      } else {
        a.keepFiringSince = 0;
      }
      if (a.state == AlertInstance.State.PENDING && ts - a.activeAt >= hold) {
        a.state = AlertInstance.State.FIRING;
        a.firedAt = ts;
      }
      Map<String, String> alerts = new TreeMap<>(a.labels);
      alerts.put("__name__", "ALERTS");
      alerts.put("alertstate", a.state == AlertInstance.State.FIRING ? "firing" : "pending");
      out.add(new SampleWriter.Out(alerts, ts, 1));
      Map<String, String> forState = new TreeMap<>(a.labels);
      forState.put("__name__", "ALERTS_FOR_STATE");
      out.add(new SampleWriter.Out(forState, ts, Math.floorDiv(a.activeAt, 1000)));
    }
    return out;
  }

  /** The rule's state as the API shows it: the highest state of its alerts. */
  String state() {
    String state = "inactive";
    for (AlertInstance a : active.values()) {
      if (a.state == AlertInstance.State.FIRING) {
        return "firing";
      }
      if (a.state == AlertInstance.State.PENDING) {
        state = "pending";
      }
    }
    return state;
  }

  Collection<AlertInstance> alerts() {
    return active.values();
  }
}
