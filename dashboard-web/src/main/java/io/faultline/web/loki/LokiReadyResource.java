/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import io.faultline.core.health.Health;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Loki's readiness probe, {@code GET /ready}: 200 {@code ready} while the log store is healthy,
 * else 503 with the reason, in plain text as Loki answers. It reveals nothing but that state, so
 * the server leaves it open (no token), like a Kubernetes probe expects.
 */
@Path("/ready")
public final class LokiReadyResource {
  private final Supplier<Health> logStore;

  /** @param logStore the log store's health check, cheap enough to call on every probe */
  public LokiReadyResource(Supplier<Health> logStore) {
    this.logStore = Objects.requireNonNull(logStore, "logStore");
  }

  @GET
  @Produces(MediaType.TEXT_PLAIN)
  public Response ready() {
    Health h = logStore.get();
    if (h.isHealthy()) {
      return Response.ok("ready").type(MediaType.TEXT_PLAIN_TYPE).build();
    }
    return Response.status(Response.Status.SERVICE_UNAVAILABLE)
        .type(MediaType.TEXT_PLAIN_TYPE)
        .entity("not ready: the log store is unhealthy: " + h.message())
        .build();
  }
}
