/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.wal;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.IntSupplier;

/** The log's self-metrics; {@link #NOOP} when no registry is configured. */
interface WalMetrics {
  WalMetrics NOOP = new WalMetrics() {};

  default void fsynced(double seconds) {}

  default void appended(long bytes) {}

  static WalMetrics create(PrometheusRegistry registry, IntSupplier segments) {
    if (registry == null) {
      return NOOP;
    }
    Histogram fsync =
        Histogram.builder()
            .name("faultline_wal_fsync_seconds")
            .help("Time of one write-ahead log fsync (one per group commit)")
            .classicExponentialUpperBounds(0.0001, 2, 16)
            .register(registry);
    Counter bytes =
        Counter.builder()
            .name("faultline_wal_appended_bytes_total")
            .help("Bytes of records (headers included) made durable in the write-ahead log")
            .register(registry);
    GaugeWithCallback.builder()
        .name("faultline_wal_segments")
        .help("Segment files in the write-ahead log directory")
        .callback(cb -> cb.call(segments.getAsInt()))
        .register(registry);
    return new WalMetrics() {
      @Override
      public void fsynced(double seconds) {
        fsync.observe(seconds);
      }

      @Override
      public void appended(long n) {
        bytes.inc(n);
      }
    };
  }
}
