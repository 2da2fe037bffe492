/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** Alerting's own metrics, registered once on the platform's registry. */
final class AlertingMetrics {
  private final Counter evaluations;
  private final Counter evaluationFailures;
  private final Counter writeFailures;
  private final Counter notificationsSent;
  private final Counter notificationAttemptsFailed;
  private final Counter deadLetters;
  private final Gauge reloadSuccessful;
  private final Counter missedIterations;

  AlertingMetrics(PrometheusRegistry registry) {
    evaluations = Counter.builder()
        .name("faultline_rule_group_evaluations_total")
        .help("Evaluations of a rule group")
        .labelNames("rule_group")
        .register(registry);
    evaluationFailures = Counter.builder()
        .name("faultline_rule_evaluation_failures_total")
        .help("Rule evaluations that failed (query error, duplicate label sets, limit)")
        .labelNames("rule_group")
        .register(registry);
    missedIterations = Counter.builder()
        .name("faultline_rule_group_iterations_missed_total")
        .help("Evaluation intervals skipped because evaluation fell behind")
        .labelNames("rule_group")
        .register(registry);
    writeFailures = Counter.builder()
        .name("faultline_rule_write_failures_total")
        .help("Rule evaluations whose results could not be written back")
        .register(registry);
    notificationsSent = Counter.builder()
        .name("faultline_alert_notifications_total")
        .help("Webhook notifications delivered (2xx)")
        .labelNames("receiver")
        .register(registry);
    notificationAttemptsFailed = Counter.builder()
        .name("faultline_alert_notification_attempts_failed_total")
        .help("Webhook delivery attempts that failed and were retried or given up")
        .labelNames("receiver")
        .register(registry);
    deadLetters = Counter.builder()
        .name("faultline_alert_notifications_dead_letter_total")
        .help("Webhook notifications given up after every retry (or refused with a 4xx)")
        .labelNames("receiver")
        .register(registry);
    reloadSuccessful = Gauge.builder()
        .name("faultline_rules_config_last_reload_successful")
        .help("1 when the last rule/SLO file reload succeeded, 0 when it failed")
        .register(registry);
  }

  void evaluated(String group) {
    evaluations.labelValues(group).inc();
  }

  void evaluationFailed(String group) {
    evaluationFailures.labelValues(group).inc();
  }

  void missed(String group, long n) {
    missedIterations.labelValues(group).inc(n);
  }

  void writeFailed() {
    writeFailures.inc();
  }

  void sent(String receiver) {
    notificationsSent.labelValues(receiver).inc();
  }

  void attemptFailed(String receiver) {
    notificationAttemptsFailed.labelValues(receiver).inc();
  }

  void deadLetter(String receiver) {
    deadLetters.labelValues(receiver).inc();
  }

  long deadLetters(String receiver) {
    return (long) deadLetters.labelValues(receiver).get();
  }

  void reloaded(boolean ok) {
    reloadSuccessful.set(ok ? 1 : 0);
  }
}
