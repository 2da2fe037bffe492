/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import java.time.Duration;
import java.util.Map;

/**
 * One validated rule as written: a recording rule ({@code alert == null}) or an alerting rule
 * ({@code record == null}).
 */
record RuleSpec(
    String record,
    String alert,
    String expr,
    Duration forDuration,
    Duration keepFiringFor,
    Map<String, String> labels,
    Map<String, String> annotations,
    Map<String, Template> labelTemplates,
    Map<String, Template> annotationTemplates) {

  boolean isAlert() {
    return alert != null;
  }

  String name() {
    return alert != null ? alert : record;
  }
}
