/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import java.util.Map;

/** One alert of an alerting rule, mutable by its rule's evaluation only. Times in epoch ms. */
final class AlertInstance {
  enum State {
    INACTIVE,
    PENDING,
    FIRING
  }

  final Map<String, String> labels;
  Map<String, String> annotations;
  State state = State.PENDING;
  double value;
  long activeAt;
  long firedAt;
  /** 0 while active. */
  long resolvedAt;
  /** 0 unless the expression stopped returning it while keep_firing_for holds it. */
  long keepFiringSince;
  /** 0 until sent; for Prometheus' resend delay. */
  long lastSentAt;

  AlertInstance(Map<String, String> labels, Map<String, String> annotations, long activeAt,
      double value) {
    this.labels = labels;
    this.annotations = annotations;
    this.activeAt = activeAt;
    this.value = value;
  }
}
