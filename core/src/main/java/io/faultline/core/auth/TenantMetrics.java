/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.auth;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Objects;

/**
 * What each tenant sent and Faultline stored: {@code faultline_ingest_tenant_items_total{tenant,
 * signal}} (spans, log records, data points and remote-written samples made durable). The tenant
 * is the name of the ingest token a request came with ({@link IngestAuthenticator}), {@value
 * IngestAuthenticator#ANONYMOUS} while ingest is open, or the name of the query token that sent
 * it. Tenants are the configured tokens, so the label stays small. Thread-safe.
 */
@FunctionalInterface
public interface TenantMetrics {
  TenantMetrics NOOP = (tenant, signal, items) -> {};

  /** {@code items} of {@code signal} from {@code tenant} are durable. */
  void accepted(String tenant, String signal, long items);

  /** Registers the counter in {@code registry} (once per registry). */
  static TenantMetrics prometheus(PrometheusRegistry registry) {
    Counter items =
        Counter.builder()
            .name("faultline_ingest_tenant_items_total")
            .help(
                "Items (spans, log records, data points, remote-written samples) stored, by the"
                    + " tenant that sent them (its ingest token's name; anonymous while ingest is"
                    + " open)")
            .labelNames("tenant", "signal")
            .register(Objects.requireNonNull(registry, "registry"));
    return (tenant, signal, n) -> {
      if (n > 0) {
        items.labelValues(tenant, signal).inc(n);
      }
    };
  }
}
