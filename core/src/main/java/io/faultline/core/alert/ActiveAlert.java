/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.alert;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One alert instance that is pending or firing, as Prometheus' {@code /api/v1/alerts} lists it.
 *
 * @param labels the alert's labels, {@code alertname} included, sorted by name
 * @param annotations the expanded annotations
 * @param state {@code PENDING} or {@code FIRING}
 * @param activeAt when the rule's expression first returned this label set
 * @param value the expression's value at the last evaluation
 */
public record ActiveAlert(
    Map<String, String> labels,
    Map<String, String> annotations,
    State state,
    Instant activeAt,
    double value) {

  public ActiveAlert {
    labels = Map.copyOf(Objects.requireNonNull(labels, "labels"));
    annotations = Map.copyOf(Objects.requireNonNull(annotations, "annotations"));
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(activeAt, "activeAt");
  }

  /** The alerting rule's name (label {@code alertname}). */
  public String name() {
    return labels.getOrDefault("alertname", "");
  }

  /** Prometheus' alert states of an active alert. */
  public enum State {
    /** The expression returns the series, but not yet for the rule's {@code for} duration. */
    PENDING,
    /** The expression has returned the series for at least {@code for} (or keeps firing). */
    FIRING;

    /** The name Prometheus' API and the {@code alertstate} label use. */
    public String apiName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
