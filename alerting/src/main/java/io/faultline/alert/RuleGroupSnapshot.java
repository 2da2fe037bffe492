/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A rule group as of its last evaluation, in the shape of Prometheus' {@code /api/v1/rules}.
 *
 * @param file the rule file (or {@code slo:<name>} for generated SLO rules)
 * @param intervalSeconds the evaluation interval
 * @param lastEvaluation null before the first evaluation
 */
public record RuleGroupSnapshot(
    String name,
    String file,
    double intervalSeconds,
    int limit,
    List<Rule> rules,
    double evaluationTimeSeconds,
    Instant lastEvaluation) {

  /**
   * One rule.
   *
   * @param type {@code alerting} or {@code recording}
   * @param state for alerting rules: {@code inactive}, {@code pending} or {@code firing} (the
   *     highest of its alerts); null for recording rules
   * @param health {@code ok}, {@code err} or {@code unknown} (not yet evaluated)
   * @param lastError empty when healthy
   */
  public record Rule(
      String type,
      String name,
      String query,
      double durationSeconds,
      double keepFiringForSeconds,
      Map<String, String> labels,
      Map<String, String> annotations,
      String state,
      List<Alert> alerts,
      String health,
      String lastError,
      double evaluationTimeSeconds,
      Instant lastEvaluation) {}

  /**
   * A pending or firing alert of a rule.
   *
   * @param keepFiringSince when the expression stopped returning it while {@code
   *     keep_firing_for} keeps it firing; null otherwise
   */
  public record Alert(
      Map<String, String> labels,
      Map<String, String> annotations,
      String state,
      Instant activeAt,
      Instant keepFiringSince,
      double value) {

    /** The value as Prometheus' API renders it ({@code "1e+00"}). */
    public String valueText() {
      return GoFormat.e(value);
    }
  }
}
