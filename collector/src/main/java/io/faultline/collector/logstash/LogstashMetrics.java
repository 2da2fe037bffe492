/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.logstash;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * The input's self-metrics: {@code faultline_logstash_lines_total{outcome}} and {@code
 * faultline_logstash_connections}. Counts are also kept locally for health and tests.
 */
final class LogstashMetrics {

  /** What became of a line. */
  enum Outcome {
    /** Stored durably. */
    ACCEPTED,
    /** Not one JSON object. */
    MALFORMED,
    /** Longer than the line limit; skipped up to its newline. */
    TOO_LONG,
    /** Not valid UTF-8. */
    INVALID_UTF8,
    /** Parsed, but the sink failed for good (not backpressure) or the input was stopping. */
    DROPPED;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Map<Outcome, LongAdder> local = new EnumMap<>(Outcome.class);
  private final Counter lines;

  LogstashMetrics(PrometheusRegistry registry, IntSupplier connections) {
    for (Outcome o : Outcome.values()) {
      local.put(o, new LongAdder());
    }
    if (registry == null) {
      lines = null;
      return;
    }
    lines =
        Counter.builder()
            .name("faultline_logstash_lines_total")
            .help("Lines received on the Logstash TCP input, by outcome")
            .labelNames("outcome")
            .register(registry);
    GaugeWithCallback.builder()
        .name("faultline_logstash_connections")
        .help("Open connections on the Logstash TCP input")
        .callback(cb -> cb.call(connections.getAsInt()))
        .register(registry);
  }

  void count(Outcome outcome, long n) {
    if (n <= 0) {
      return;
    }
    local.get(outcome).add(n);
    if (lines != null) {
      lines.labelValues(outcome.label()).inc(n);
    }
  }

  long count(Outcome outcome) {
    return local.get(outcome).sum();
  }
}
