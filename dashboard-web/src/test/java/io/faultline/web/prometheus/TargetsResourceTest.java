/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import io.faultline.collector.prometheus.ScrapeManager.TargetStatus;
import io.faultline.collector.prometheus.ScrapeTarget;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(DropwizardExtensionsSupport.class)
class TargetsResourceTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ScrapeTarget ORDERS = new ScrapeTarget("shop", "127.0.0.1:18102", "http",
      "/actuator/prometheus", Duration.ofSeconds(10), Duration.ofSeconds(5), Map.of("team", "a"));
  private static final ScrapeTarget PAYMENTS = ScrapeTarget.of("shop", "127.0.0.1:18104");
  private static final ScrapeTarget NODE = ScrapeTarget.of("node", "127.0.0.1:9100");

  static final ResourceExtension resources = ResourceExtension.builder()
      .addResource(new TargetsResource(() -> List.of(
          new TargetStatus(ORDERS, true, Instant.parse("2026-11-25T07:00:00.5Z"), null, Duration.ofMillis(12)),
          new TargetStatus(PAYMENTS, false, Instant.parse("2026-11-25T07:00:01Z"), "connection refused", Duration.ofMillis(3)),
          new TargetStatus(NODE, false, null, null, null))))
      .build();

  @Test
  void listsEveryTargetAsPrometheusDoes() throws Exception {
    JsonNode body = get("/api/v1/targets");
    assertThat(body.path("status").asText()).isEqualTo("success");
    JsonNode active = body.at("/data/activeTargets");
    assertThat(active).hasSize(3);
    JsonNode orders = active.get(0);
    assertThat(orders.path("labels").toString()).isEqualTo("{\"instance\":\"127.0.0.1:18102\",\"job\":\"shop\",\"team\":\"a\"}");
    assertThat(orders.path("scrapePool").asText()).isEqualTo("shop");
    assertThat(orders.path("scrapeUrl").asText()).isEqualTo("http://127.0.0.1:18102/actuator/prometheus");
    assertThat(orders.path("health").asText()).isEqualTo("up");
    assertThat(orders.path("lastError").asText()).isEmpty();
    assertThat(orders.path("lastScrape").asText()).isEqualTo("2026-11-25T07:00:00.500Z");
    assertThat(orders.path("lastScrapeDuration").asDouble()).isEqualTo(0.012);
    assertThat(orders.path("scrapeInterval").asText()).isEqualTo("10s");
    assertThat(orders.path("scrapeTimeout").asText()).isEqualTo("5s");
    assertThat(orders.at("/discoveredLabels/__metrics_path__").asText()).isEqualTo("/actuator/prometheus");
    assertThat(active.get(1).path("health").asText()).isEqualTo("down");
    assertThat(active.get(1).path("lastError").asText()).isEqualTo("connection refused");
    assertThat(active.get(2).path("health").asText()).isEqualTo("unknown");
    assertThat(active.get(2).path("lastScrape").asText()).isEqualTo("0001-01-01T00:00:00Z");
    assertThat(body.at("/data/droppedTargets")).isEmpty();
    assertThat(body.at("/data/droppedTargetCounts").toString()).isEqualTo("{\"shop\":0,\"node\":0}");
  }

  @Test
  void filtersByPoolAndStateAndRefusesAnUnknownState() throws Exception {
    assertThat(get("/api/v1/targets?scrapePool=node").at("/data/activeTargets")).hasSize(1);
    assertThat(get("/api/v1/targets?state=dropped").at("/data/activeTargets")).isEmpty();
    assertThat(get("/api/v1/targets?state=active").at("/data/activeTargets")).hasSize(3);
    Response bad = resources.target("/api/v1/targets").queryParam("state", "sleeping").request().get();
    assertThat(bad.getStatus()).isEqualTo(400);
    assertThat(JSON.readTree(bad.readEntity(String.class)).path("errorType").asText()).isEqualTo("bad_data");
  }

  private static JsonNode get(String pathAndQuery) throws Exception {
    String[] parts = pathAndQuery.split("\\?", 2);
    var target = resources.target(parts[0]);
    if (parts.length > 1) {
      String[] kv = parts[1].split("=", 2);
      target = target.queryParam(kv[0], kv[1]);
    }
    Response r = target.request().get();
    assertThat(r.getStatus()).isEqualTo(200);
    return JSON.readTree(r.readEntity(String.class));
  }
}
