/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.orders;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.AutoConfigureMockMvc;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.assertj.MockMvcTester;

/** What orders decides on its own, before calling any other service. The full checkout runs in the demo's integration test. */
@SpringBootTest(
    properties = {
      "otel.traces.exporter=none", "otel.metrics.exporter=none", "otel.logs.exporter=none",
      "spring.datasource.url=jdbc:h2:mem:orders-test"
    })
@AutoConfigureMockMvc
class OrdersControllerTest {
  @Autowired MockMvcTester mvc;
  @Autowired OrderStore store;

  @Test
  void orderingAnEmptyCartIs400() {
    assertThat(mvc.post().uri("/orders").contentType(MediaType.APPLICATION_JSON)
            .content("{\"cartId\":\"empty\",\"customer\":\"bob\",\"card\":\"4111111111111111\"}"))
        .hasStatus(400)
        .bodyJson()
        .extractingPath("$.error")
        .isEqualTo("empty_cart");
  }

  @Test
  void invalidCartLinesAndOrdersAre400() {
    assertThat(mvc.post().uri("/carts/c1/items").contentType(MediaType.APPLICATION_JSON).content("{\"sku\":\"KB-001\",\"quantity\":0}"))
        .hasStatus(400);
    assertThat(mvc.post().uri("/orders").contentType(MediaType.APPLICATION_JSON).content("{\"cartId\":\"c1\"}"))
        .hasStatus(400);
  }

  @Test
  void cartsAndOrdersComeFromTheServicesOwnDatabase() {
    store.addToCart("c2", "KB-001", 1, 8900);
    store.addToCart("c2", "KB-001", 2, 8900);
    assertThat(mvc.get().uri("/carts/c2")).hasStatusOk().bodyJson().extractingPath("$.items[0].quantity").isEqualTo(3);
    assertThat(mvc.get().uri("/orders/ord-missing")).hasStatus(404);
  }
}
