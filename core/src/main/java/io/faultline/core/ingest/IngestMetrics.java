/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.ingest;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/** The pipeline's self-metrics; {@link #NOOP} when no registry is configured. */
interface IngestMetrics {
  IngestMetrics NOOP = new IngestMetrics() {};

  default void rejected() {}

  default void accepted(Signal signal) {}

  static IngestMetrics create(
      PrometheusRegistry registry, LongSupplier inFlightBytes, List<IndexerLane> lanes) {
    if (registry == null) {
      return NOOP;
    }
    GaugeWithCallback.builder()
        .name("faultline_ingest_inflight_bytes")
        .help("Bytes of accepted batches not yet applied by every store")
        .callback(cb -> cb.call(inFlightBytes.getAsLong()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("faultline_ingest_queue_depth")
        .help("Batches waiting to be applied, per store")
        .labelNames("store")
        .callback(
            cb -> {
              for (IndexerLane lane : lanes) {
                cb.call(lane.queued(), lane.name());
              }
            })
        .register(registry);
    CounterWithCallback.builder()
        .name("faultline_ingest_batches_skipped_total")
        .help(
            "Batches a store skipped because their data tripped a bug in it (the server log has"
                + " the stack trace); the store went on with the next ones")
        .labelNames("store")
        .callback(
            cb -> {
              for (IndexerLane lane : lanes) {
                cb.call(lane.skipped(), lane.name());
              }
            })
        .register(registry);
    Counter rejected =
        Counter.builder()
            .name("faultline_ingest_rejected_total")
            .help("Batches rejected before they were logged")
            .labelNames("reason")
            .register(registry);
    Counter batches =
        Counter.builder()
            .name("faultline_ingest_batches_total")
            .help("Batches made durable in the write-ahead log")
            .labelNames("signal")
            .register(registry);
    return new IngestMetrics() {
      @Override
      public void rejected() {
        rejected.labelValues("backpressure").inc();
      }

      @Override
      public void accepted(Signal signal) {
        batches.labelValues(signal.name().toLowerCase(Locale.ROOT)).inc();
      }
    };
  }
}
