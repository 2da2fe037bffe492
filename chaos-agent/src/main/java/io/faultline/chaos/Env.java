/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import io.faultline.chaos.fault.FaultInjector;
import java.net.http.HttpClient;
import java.time.Clock;
import java.util.Map;

/** What a run needs from the agent, in one place. */
record Env(
    ChaosStore store,
    Map<String, FaultInjector> injectors,
    ProbeEvaluator probes,
    EffectAnalysis effects,
    ChaosTelemetry telemetry,
    ReportRenderer reports,
    HttpClient http,
    ChaosSettings settings,
    Clock clock) {

  static final String KILL_SWITCH = "kill_switch";

  boolean killSwitchEngaged() {
    return store.setting(KILL_SWITCH).map(v -> !v.equals("off")).orElse(false);
  }

  void journal(String runId, String experimentId, String level, String event, String message) {
    var now = clock.instant();
    store.journal(runId, now, level, event, message);
    telemetry.log(now, level, event, message, experimentId, runId, null);
  }
}
