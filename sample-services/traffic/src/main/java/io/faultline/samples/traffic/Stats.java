/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.traffic;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Responses counted per step and status, e.g. {@code order 201=40 402=3 409=2}. */
final class Stats {
  private final Map<String, Map<Integer, LongAdder>> counts = new ConcurrentHashMap<>();

  void record(String step, int status) {
    counts.computeIfAbsent(step, s -> new ConcurrentHashMap<>()).computeIfAbsent(status, s -> new LongAdder()).increment();
  }

  long count(String step, int status) {
    LongAdder a = counts.getOrDefault(step, Map.of()).get(status);
    return a == null ? 0 : a.sum();
  }

  long total() {
    return counts.values().stream().flatMap(m -> m.values().stream()).mapToLong(LongAdder::sum).sum();
  }

  /** One line per step, statuses in order; status 0 means no response. */
  String summary() {
    StringBuilder sb = new StringBuilder();
    new TreeMap<>(counts)
        .forEach(
            (step, byStatus) -> {
              sb.append(String.format("  %-12s", step));
              new TreeMap<>(byStatus).forEach((status, n) -> sb.append(' ').append(status).append('=').append(n.sum()));
              sb.append('\n');
            });
    return sb.toString();
  }
}
