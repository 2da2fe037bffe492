/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations printed and parsed as Prometheus prints and parses them ({@code model.Duration}: {@code
 * 1h30m}, {@code 28d}, {@code 500ms}, {@code 0}).
 */
public final class PromDurations {
  private static final Pattern SYNTAX =
      Pattern.compile(
          "(?:(\\d+)y)?(?:(\\d+)w)?(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?(?:(\\d+)ms)?");
  private static final long[] UNIT_MS = {
    365L * 86_400_000, 7L * 86_400_000, 86_400_000, 3_600_000, 60_000, 1_000, 1
  };
  private static final String[] UNIT = {"y", "w", "d", "h", "m", "s", "ms"};

  private PromDurations() {}

  /** Parses, or throws {@link IllegalArgumentException} with Prometheus' message. */
  public static Duration parse(String s) {
    if (s == null || s.isEmpty()) {
      throw new IllegalArgumentException("empty duration string");
    }
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = SYNTAX.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a valid duration string: \"" + s + "\"");
    }
    long ms = 0;
    for (int i = 0; i < UNIT.length; i++) {
      if (m.group(i + 1) != null) {
        ms = Math.addExact(ms, Math.multiplyExact(Long.parseLong(m.group(i + 1)), UNIT_MS[i]));
      }
    }
    return Duration.ofMillis(ms);
  }

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
