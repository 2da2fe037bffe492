/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Locale;

/**
 * The demo's chaos experiment, "slow inventory": the gateway→inventory fault proxy delays every
 * request by {@link #DELAY_MS} for a while, the hypothesis being that the gateway keeps its error
 * ratio and p95 latency within bounds; a gateway error ratio above 20 % halts the run. The demo
 * registers it with a schedule whose first run comes a few minutes after start, so a first-time
 * user sees a run, its verdict and its report without writing an experiment.
 */
final class DemoChaos {
  static final String TITLE = "slow inventory: the shop keeps working while inventory answers late";
  static final long DELAY_MS = 300;
  static final Duration FAULT = Duration.ofSeconds(60);
  /** Time to the first scheduled run: enough traffic for the steady-state check before it. */
  static final Duration FIRST_RUN = Duration.ofSeconds(150);
  static final int EVERY_MINUTES = 15;

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String GATEWAY = "service=\"gateway\",span_kind=\"SPAN_KIND_SERVER\"";

  private DemoChaos() {}

  /**
   * The experiment as the chaos API takes it.
   *
   * @param controlUrl the fault proxies' control endpoint
   * @param fault how long the delay lasts
   * @param cron when it runs by itself (seconds field first, UTC), or null for manual runs only
   */
  static ObjectNode slowInventory(String controlUrl, Duration fault, String cron) {
    ObjectNode e = JSON.createObjectNode();
    e.put("title", TITLE);
    e.put("description", "The fault proxy between gateway and inventory delays every request by " + DELAY_MS
        + " ms. Hypothesis: the gateway's error ratio stays under 10 % and its p95 latency under 1.5 s.");
    if (cron != null) {
      e.putObject("schedule").put("cron", cron).put("timeZone", "UTC");
    }
    e.putArray("targets").addObject().put("service", "inventory");
    ArrayNode steady = e.putArray("steadyState");
    steady.addObject().put("type", "promql").put("name", "gateway error ratio")
        .put("query", errorRatio("1m")).putObject("tolerance").put("max", 0.10);
    steady.addObject().put("type", "promql").put("name", "gateway p95 latency (s)")
        .put("query", "histogram_quantile(0.95, sum by (le) (rate(traces_spanmetrics_latency_bucket{" + GATEWAY + "}[1m])))")
        .putObject("tolerance").put("max", 1.5);
    ObjectNode f = e.putArray("method").addObject();
    f.put("name", "slow-inventory").put("type", "proxy-http").put("target", "inventory").put("duration", seconds(fault));
    f.putObject("parameters").put("proxy", "gateway-inventory").put("controlUrl", controlUrl)
        .put("toxic", "http_delay").put("delayMs", DELAY_MS);
    e.putArray("haltWhen").addObject().put("type", "promql").put("name", "gateway error ratio above 20 %")
        .put("query", errorRatio("1m") + " > 0.2");
    e.put("recoveryDeadline", "2m");
    return e;
  }

  /** Share of the gateway's server spans that are errors, from span metrics. */
  static String errorRatio(String window) {
    return "(sum(rate(traces_spanmetrics_calls_total{" + GATEWAY + ",status_code=\"STATUS_CODE_ERROR\"}[" + window + "])) or vector(0))"
        + " / sum(rate(traces_spanmetrics_calls_total{" + GATEWAY + "}[" + window + "]))";
  }

  /**
   * A cron expression (with seconds, UTC) that fires at {@code first}'s second and minute and
   * then every {@link #EVERY_MINUTES} minutes.
   */
  static String cron(Instant first) {
    ZonedDateTime t = first.atZone(ZoneOffset.UTC);
    return String.format(Locale.ROOT, "%d %d/%d * * * *", t.getSecond(), t.getMinute() % EVERY_MINUTES, EVERY_MINUTES);
  }

  /**
   * Registers the experiment through the chaos API, replacing the one an earlier start of the
   * demo registered (same title) so restarts do not pile up schedules; returns its id.
   */
  static String register(HttpClient http, String apiBase, String token, ObjectNode experiment)
      throws IOException, InterruptedException {
    String body = JSON.writeValueAsString(experiment);
    HttpResponse<String> list = http.send(request(apiBase + "/api/chaos/experiments", token).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    if (list.statusCode() != 200) {
      throw new IOException("the chaos API answered " + list.statusCode() + " listing experiments: " + list.body());
    }
    for (JsonNode e : JSON.readTree(list.body()).path("data")) {
      if (experiment.path("title").asText().equals(e.path("title").asText())) {
        String id = e.path("id").asText();
        HttpResponse<String> r = http.send(request(apiBase + "/api/chaos/experiments/" + id, token)
            .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          throw new IOException("the chaos API answered " + r.statusCode() + " updating experiment " + id + ": " + r.body());
        }
        return id;
      }
    }
    HttpResponse<String> r = http.send(request(apiBase + "/api/chaos/experiments", token)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new IOException("the chaos API answered " + r.statusCode() + " creating the experiment: " + r.body());
    }
    JsonNode id = JSON.readTree(r.body()).path("id");
    if (!id.isTextual()) {
      throw new IOException("the chaos API answered without an experiment id: " + r.body());
    }
    return id.asText();
  }

  private static HttpRequest.Builder request(String url, String token) {
    return HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json");
  }

  private static String seconds(Duration d) {
    return d.toSeconds() + "s";
  }
}
