/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The receivers' self-metrics. {@link #noop()} when no registry is configured, so callers never
 * check for null. Thread-safe.
 */
public interface ReceiverMetrics {

  /** One export request ended; counted once per request. */
  void request(String transport, String signal, Outcome outcome);

  /** Bytes of request bodies as sent (before decompression). */
  void requestBytes(String transport, long bytes);

  /** Items stored durably. */
  void accepted(String signal, long items);

  /** Items not stored, by reason. */
  void rejected(String signal, RejectReason reason, long items);

  static ReceiverMetrics noop() {
    return Noop.INSTANCE;
  }

  /**
   * Registers {@code faultline_receiver_requests_total{transport,signal,outcome}}, {@code
   * faultline_receiver_items_total{signal,outcome,reason}} and {@code
   * faultline_receiver_request_bytes_total{transport}} in {@code registry}. Call once per registry
   * (the names can be registered only once); share the result between receivers.
   */
  static ReceiverMetrics prometheus(PrometheusRegistry registry) {
    return new Prometheus(registry);
  }

  /** Does nothing. */
  enum Noop implements ReceiverMetrics {
    INSTANCE;

    @Override
    public void request(String transport, String signal, Outcome outcome) {}

    @Override
    public void requestBytes(String transport, long bytes) {}

    @Override
    public void accepted(String signal, long items) {}

    @Override
    public void rejected(String signal, RejectReason reason, long items) {}
  }

  /** Counters in a Prometheus registry. */
  final class Prometheus implements ReceiverMetrics {
    private static final String ACCEPTED_REASON = "none";

    private final Counter requests;
    private final Counter items;
    private final Counter bytes;

    private Prometheus(PrometheusRegistry registry) {
      requests =
          Counter.builder()
              .name("faultline_receiver_requests_total")
              .help("OTLP export requests received, by transport, signal and how they ended")
              .labelNames("transport", "signal", "outcome")
              .register(registry);
      items =
          Counter.builder()
              .name("faultline_receiver_items_total")
              .help(
                  "Telemetry items (spans, log records, data points) accepted and stored, or"
                      + " rejected with a reason")
              .labelNames("signal", "outcome", "reason")
              .register(registry);
      bytes =
          Counter.builder()
              .name("faultline_receiver_request_bytes_total")
              .help("Bytes of OTLP request bodies as sent, before decompression")
              .labelNames("transport")
              .register(registry);
    }

    @Override
    public void request(String transport, String signal, Outcome outcome) {
      requests.labelValues(transport, signal, outcome.label()).inc();
    }

    @Override
    public void requestBytes(String transport, long n) {
      if (n > 0) {
        bytes.labelValues(transport).inc(n);
      }
    }

    @Override
    public void accepted(String signal, long n) {
      if (n > 0) {
        items.labelValues(signal, "accepted", ACCEPTED_REASON).inc(n);
      }
    }

    @Override
    public void rejected(String signal, RejectReason reason, long n) {
      if (n > 0) {
        items.labelValues(signal, "rejected", reason.label()).inc(n);
      }
    }
  }
}
