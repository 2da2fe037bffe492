/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import java.time.Duration;
import java.util.Map;

/**
 * One declared SLO, validated.
 *
 * @param objective the target in percent, e.g. 99.5
 * @param errorRatioTemplate PromQL of the error ratio with {@code {{.window}}} where the range goes
 */
record SloSpec(
    String name,
    String service,
    double objective,
    Duration window,
    String description,
    String errorRatioTemplate,
    Map<String, String> labels,
    boolean alerting,
    String file) {

  /** The error budget as a ratio: {@code 1 - objective/100}. */
  double budget() {
    return 1 - objective / 100.0;
  }

  String id() {
    return service + "-" + name;
  }

  /** The error-ratio expression over one window. */
  String errorRatio(String window) {
    return errorRatioTemplate.replace("{{.window}}", window);
  }
}
