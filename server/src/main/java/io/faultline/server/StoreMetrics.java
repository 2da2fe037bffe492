/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.function.Supplier;

/** Self-metrics every store exposes on the admin port: what it keeps on disk, per partition. */
final class StoreMetrics {
  private StoreMetrics() {}

  static void register(
      PrometheusRegistry registry, String store, Supplier<Map<String, Long>> diskBytesByPartition) {
    GaugeWithCallback.builder()
        .name("faultline_store_disk_bytes")
        .help("Bytes on disk per store and time partition")
        .labelNames("store", "partition")
        .callback(
            cb -> diskBytesByPartition.get().forEach((partition, bytes) -> cb.call(bytes, store, partition)))
        .register(registry);
  }
}
