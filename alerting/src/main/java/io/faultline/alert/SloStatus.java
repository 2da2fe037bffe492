/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import java.util.List;
import java.util.Map;

/**
 * An SLO as of the last evaluation of its rules. Ratios are fractions (0.005 = 0.5 %); a value is
 * NaN when there was no traffic in the window or the rules have not run yet.
 *
 * @param objective the target in percent
 * @param window the SLO window in Prometheus syntax, e.g. {@code 4w} for 28 days
 * @param errorRatios error ratio by window ({@code 5m} ... {@code 3d} and the SLO window)
 * @param burnRates error ratio divided by the error budget, by window
 * @param errorBudgetRemaining {@code 1 - burn rate over the SLO window}: 1 untouched, 0 spent,
 *     negative overspent
 * @param alerts the burn-rate alerts and their state
 */
public record SloStatus(
    String name,
    String service,
    String description,
    double objective,
    String window,
    double errorBudget,
    Map<String, Double> errorRatios,
    Map<String, Double> burnRates,
    double errorBudgetRemaining,
    List<BurnRateAlert> alerts) {

  /**
   * One multi-window burn-rate alert.
   *
   * @param state {@code inactive}, {@code pending} or {@code firing}
   */
  public record BurnRateAlert(
      String severity, String longWindow, String shortWindow, double factor, String state) {}
}
