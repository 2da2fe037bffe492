/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

import java.time.Duration;

/** Durations printed as Prometheus prints them ({@code model.Duration.String}). */
public final class PromDurations {
  private static final long[] UNIT_MS = {
    365L * 86_400_000, 7L * 86_400_000, 86_400_000, 3_600_000, 60_000, 1_000, 1
  };
  private static final String[] UNIT = {"y", "w", "d", "h", "m", "s", "ms"};

  private PromDurations() {}

  /**
   * Prometheus' canonical form: {@code 5m}, {@code 1h30m}, {@code 28d}, {@code 1500ms} as {@code
   * 1s500ms}, {@code 0s}; years and weeks only when they divide the whole duration ({@code 10d},
   * not {@code 1w3d}).
   */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms == 0) {
      return "0s";
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < UNIT.length; i++) {
      long n = ms / UNIT_MS[i];
      if ((i == 0 || i == 1) && ms % UNIT_MS[i] != 0) {
        continue;
      }
      if (n > 0) {
        b.append(n).append(UNIT[i]);
        ms -= n * UNIT_MS[i];
      }
    }
    return b.toString();
  }
}
