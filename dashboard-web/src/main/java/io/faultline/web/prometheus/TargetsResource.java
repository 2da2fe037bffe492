/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.prometheus;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.faultline.collector.prometheus.ScrapeManager.TargetStatus;
import io.faultline.collector.prometheus.ScrapeTarget;
import io.faultline.core.metric.PromDurations;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * {@code GET /api/v1/targets}: the configured scrape targets and how their last scrape went, in
 * Prometheus' shape ({@code activeTargets} with {@code labels}, {@code scrapePool}, {@code
 * scrapeUrl}, {@code health} up/down/unknown, {@code lastError}, {@code lastScrape}, {@code
 * lastScrapeDuration} in seconds, {@code scrapeInterval}, {@code scrapeTimeout}). Targets come
 * from static configuration only, so none is ever dropped by relabelling: {@code droppedTargets}
 * is empty.
 */
@Path("/api/v1/targets")
@Produces(MediaType.APPLICATION_JSON)
public final class TargetsResource {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** What Prometheus prints for a target not scraped yet (Go's zero time). */
  private static final String NEVER = "0001-01-01T00:00:00Z";

  private final Supplier<List<TargetStatus>> targets;

  public TargetsResource(Supplier<List<TargetStatus>> targets) {
    this.targets = Objects.requireNonNull(targets, "targets");
  }

  @GET
  public Response targets(@QueryParam("state") String state, @QueryParam("scrapePool") String pool) {
    String s = state == null || state.isEmpty() ? "any" : state.toLowerCase(java.util.Locale.ROOT);
    if (!List.of("any", "active", "dropped").contains(s)) {
      return PrometheusApiResource.error(
          "bad_data", 400, "invalid state '" + state + "': use active, dropped or any");
    }
    ObjectNode root = JSON.createObjectNode();
    root.put("status", "success");
    ObjectNode data = root.putObject("data");
    ArrayNode active = data.putArray("activeTargets");
    data.putArray("droppedTargets");
    ObjectNode droppedCounts = data.putObject("droppedTargetCounts");
    for (TargetStatus t : targets.get()) {
      ScrapeTarget target = t.target();
      if (pool != null && !pool.isEmpty() && !pool.equals(target.job())) {
        continue;
      }
      droppedCounts.put(target.job(), 0);
      if (s.equals("dropped")) {
        continue;
      }
      ObjectNode o = active.addObject();
      ObjectNode discovered = o.putObject("discoveredLabels");
      discovered.put("__address__", target.address());
      discovered.put("__metrics_path__", target.metricsPath());
      discovered.put("__scheme__", target.scheme());
      discovered.put("__scrape_interval__", PromDurations.format(target.interval()));
      discovered.put("__scrape_timeout__", PromDurations.format(target.timeout()));
      discovered.put("job", target.job());
      Map<String, String> labels = new TreeMap<>(target.labels());
      labels.put("instance", target.address());
      labels.put("job", target.job());
      ObjectNode l = o.putObject("labels");
      labels.forEach(l::put);
      o.put("scrapePool", target.job());
      o.put("scrapeUrl", target.uri().toString());
      o.put("globalUrl", target.uri().toString());
      o.put("lastError", t.lastError() == null ? "" : t.lastError());
      o.put("lastScrape", t.lastScrape() == null ? NEVER : t.lastScrape().toString());
      o.put("lastScrapeDuration", t.lastDuration() == null ? 0 : t.lastDuration().toNanos() / 1e9);
      o.put("health", t.lastScrape() == null ? "unknown" : t.up() ? "up" : "down");
      o.put("scrapeInterval", PromDurations.format(target.interval()));
      o.put("scrapeTimeout", PromDurations.format(target.timeout()));
    }
    return Response.ok(root).build();
  }
}
