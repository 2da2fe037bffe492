/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Prometheus' duration syntax ({@code 1h30m}, {@code 28d}, {@code 500ms}, {@code 0}). */
final class PromDuration {
  private static final Pattern SYNTAX =
      Pattern.compile(
          "(?:(\\d+)y)?(?:(\\d+)w)?(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?(?:(\\d+)ms)?");
  private static final long[] UNIT_MS = {
    365L * 86_400_000, 7L * 86_400_000, 86_400_000, 3_600_000, 60_000, 1_000, 1
  };
  private static final String[] UNIT = {"y", "w", "d", "h", "m", "s", "ms"};

  private PromDuration() {}

  /** Parses, or throws {@link IllegalArgumentException} with Prometheus' message. */
  static Duration parse(String s) {
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
}
