/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.experiment;

/**
 * The range a probe's value must stay in; either bound may be absent (null), not both. Bounds are
 * inclusive. A NaN value (no data) is outside every tolerance.
 */
public record Tolerance(Double min, Double max) {
  public Tolerance {
    if (min == null && max == null) {
      throw new IllegalArgumentException("a tolerance needs min, max or both");
    }
  }

  public boolean accepts(double value) {
    if (Double.isNaN(value)) {
      return false;
    }
    return (min == null || value >= min) && (max == null || value <= max);
  }

  /** {@code <= 1.0}, {@code >= 0.5}, {@code between 0.5 and 1.0}. */
  public String describe() {
    if (min == null) {
      return "<= " + max;
    }
    if (max == null) {
      return ">= " + min;
    }
    return "between " + min + " and " + max;
  }
}
