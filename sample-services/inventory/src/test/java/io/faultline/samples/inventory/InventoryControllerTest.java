/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.AutoConfigureMockMvc;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.web.servlet.assertj.MockMvcTester;
import org.springframework.test.web.servlet.assertj.MvcTestResult;

@SpringBootTest(
    properties = {
      "otel.traces.exporter=none", "otel.metrics.exporter=none", "otel.logs.exporter=none",
      "spring.datasource.url=jdbc:h2:mem:inventory-test"
    })
@AutoConfigureMockMvc
class InventoryControllerTest {
  @Autowired MockMvcTester mvc;
  @Autowired JdbcClient jdbc;

  @Test
  void listsTheCatalogue() {
    assertThat(mvc.get().uri("/products"))
        .hasStatusOk()
        .bodyJson()
        .extractingPath("$[*].sku")
        .asArray()
        .contains("KB-001", "GC-007");
  }

  @Test
  void reservesAndReleasesStock() {
    int before = stock("MS-002");
    assertThat(reserve("order-ok", "MS-002", 2))
        .hasStatus(201)
        .bodyJson()
        .extractingPath("$.totalCents")
        .isEqualTo(5800);
    assertThat(stock("MS-002")).isEqualTo(before - 2);
    assertThat(mvc.delete().uri("/reservations/order-ok")).hasStatus(204);
    assertThat(stock("MS-002")).isEqualTo(before);
  }

  @Test
  void aScarceProductRunsOutWith409AndNothingIsReserved() {
    int cables = stock("CB-005");
    String body =
        "{\"orderId\":\"order-big\",\"items\":[{\"sku\":\"CB-005\",\"quantity\":1},{\"sku\":\"GC-007\",\"quantity\":99}]}";
    assertThat(mvc.post().uri("/reservations").contentType(MediaType.APPLICATION_JSON).content(body))
        .hasStatus(409)
        .bodyJson()
        .extractingPath("$.sku")
        .isEqualTo("GC-007");
    assertThat(stock("CB-005")).as("the first item was rolled back").isEqualTo(cables);
  }

  @Test
  void badRequestsSayWhy() {
    assertThat(
            mvc.post()
                .uri("/reservations")
                .contentType(MediaType.APPLICATION_JSON)
                .content("{\"orderId\":\"x\",\"items\":[]}"))
        .hasStatus(400);
    assertThat(reserve("order-unknown", "NOPE", 1)).hasStatus(404);
    assertThat(mvc.get().uri("/products/NOPE")).hasStatus(404);
  }

  @Test
  void healthAndPrometheusAreOpenButChaosMonkeyNeedsItsUser() {
    assertThat(mvc.get().uri("/actuator/health")).hasStatusOk();
    assertThat(mvc.get().uri("/products")).hasStatusOk();
    assertThat(mvc.get().uri("/actuator/prometheus")).hasStatusOk().bodyText().contains("http_server_requests");
    assertThat(mvc.get().uri("/actuator/chaosmonkey")).hasStatus(401);
    String basic = Base64.getEncoder().encodeToString("chaos:chaos-demo".getBytes(StandardCharsets.UTF_8));
    assertThat(mvc.get().uri("/actuator/chaosmonkey").header("Authorization", "Basic " + basic))
        .hasStatusOk()
        .bodyJson()
        .extractingPath("$.chaosMonkeyProperties.enabled")
        .isEqualTo(true);
  }

  private MvcTestResult reserve(String order, String sku, int quantity) {
    return mvc.post()
        .uri("/reservations")
        .contentType(MediaType.APPLICATION_JSON)
        .content("{\"orderId\":\"" + order + "\",\"items\":[{\"sku\":\"" + sku + "\",\"quantity\":" + quantity + "}]}")
        .exchange();
  }

  private int stock(String sku) {
    return jdbc.sql("SELECT stock FROM products WHERE sku = ?").param(sku).query(Integer.class).single();
  }
}
