/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.AutoConfigureMockMvc;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.web.servlet.assertj.MockMvcTester;

/** The checks the gateway makes before forwarding anything. */
@SpringBootTest(
    properties = {
      "otel.traces.exporter=none", "otel.metrics.exporter=none", "otel.logs.exporter=none",
      "shop.gateway.api-keys=k1",
      "shop.gateway.rate-limit.per-second=0.001",
      "shop.gateway.rate-limit.burst=3"
    })
@AutoConfigureMockMvc
class GatewayTest {
  @Autowired MockMvcTester mvc;

  @Test
  void apiKeyIsRequiredThenRequestsAreRateLimitedPerKey() {
    assertThat(mvc.get().uri("/api/products")).hasStatus(401);
    assertThat(mvc.get().uri("/api/products").header("X-Api-Key", "wrong")).hasStatus(401);
    for (int i = 0; i < 3; i++) {
      assertThat(mvc.get().uri("/api/nowhere").header("X-Api-Key", "k1"))
          .hasStatus(404)
          .bodyJson()
          .extractingPath("$.error")
          .isEqualTo("no_route");
    }
    assertThat(mvc.get().uri("/api/nowhere").header("X-Api-Key", "k1"))
        .hasStatus(429)
        .hasHeader("Retry-After", "1000");
    assertThat(mvc.get().uri("/actuator/health")).as("health is not rate-limited").hasStatusOk();
  }
}
