/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Self-metrics every store exposes on the admin port: what it keeps on disk per time partition,
 * how long new data waits before queries see it, and what it could not index.
 */
final class StoreMetrics {
  private StoreMetrics() {}

  /** One store as the metrics see it. */
  record Store(
      String name,
      Supplier<Map<String, Long>> diskBytesByPartition,
      LongSupplier refreshLagMillis,
      LongSupplier droppedUnindexable) {}

  static void register(PrometheusRegistry registry, List<Store> stores) {
    GaugeWithCallback.builder()
        .name("faultline_store_disk_bytes")
        .help("Bytes on disk per store and time partition")
        .labelNames("store", "partition")
        .callback(
            cb ->
                stores.forEach(
                    s ->
                        s.diskBytesByPartition()
                            .get()
                            .forEach((partition, bytes) -> cb.call(bytes, s.name(), partition))))
        .register(registry);
    GaugeWithCallback.builder()
        .name("faultline_store_refresh_lag_seconds")
        .help("Age of the oldest indexed item that queries cannot see yet (0 when all are visible)")
        .labelNames("store")
        .callback(
            cb -> stores.forEach(s -> cb.call(s.refreshLagMillis().getAsLong() / 1000.0, s.name())))
        .register(registry);
    CounterWithCallback.builder()
        .name("faultline_store_unindexable_documents_total")
        .help(
            "Documents a store dropped because Lucene refused them (a term over 32,766 bytes),"
                + " while it went on indexing the rest; the server log names the first")
        .labelNames("store")
        .callback(cb -> stores.forEach(s -> cb.call(s.droppedUnindexable().getAsLong(), s.name())))
        .register(registry);
  }

  /**
   * Samples the metric store refused after they were acknowledged (out of order, duplicate with
   * another value, outside the retention, over the series limit): the counter its log messages
   * point operators to.
   */
  static void registerMetricSamplesRejected(
      PrometheusRegistry registry, Supplier<Map<String, Long>> byReason) {
    CounterWithCallback.builder()
        .name("faultline_metric_samples_rejected_total")
        .help(
            "Samples the metric store refused after acknowledging them, by reason (duplicate,"
                + " out_of_order, too_old, too_new, series_limit, invalid)")
        .labelNames("reason")
        .callback(cb -> byReason.get().forEach((reason, n) -> cb.call(n, reason)))
        .register(registry);
  }
}
