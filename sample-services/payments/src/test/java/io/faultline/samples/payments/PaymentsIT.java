/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.payments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizerProvider;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.context.annotation.Bean;
import org.springframework.web.client.RestClient;

/**
 * Payments on a real port (it reaches its bank over HTTP), with spans captured in memory: a
 * declined card is a 402, an error server span and an error client span to the bank.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.DEFINED_PORT,
    properties = {
      "otel.traces.exporter=none", "otel.metrics.exporter=none", "otel.logs.exporter=none",
      "shop.bank.decline-rate=0", "shop.bank.slow-rate=0", "shop.bank.slow-latency=1200ms",
      "server.address=127.0.0.1"
    })
class PaymentsIT {
  static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();

  @TestConfiguration
  static class CaptureSpans {
    @Bean
    AutoConfigurationCustomizerProvider inMemorySpans() {
      return customizer ->
          customizer.addTracerProviderCustomizer((builder, config) -> builder.addSpanProcessor(SimpleSpanProcessor.create(SPANS)));
    }
  }

  // the bank URL is needed before the server has a port, so the port is chosen here
  static final int port = freePort();

  @DynamicPropertySource
  static void ports(DynamicPropertyRegistry registry) {
    registry.add("server.port", () -> port);
    registry.add("shop.bank.url", () -> "http://127.0.0.1:" + port);
  }

  static int freePort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Autowired RestClient.Builder builder;

  @BeforeEach
  void reset() {
    SPANS.reset();
  }

  @Test
  void approvedChargeIs201() {
    var r = charge("order-1", "4111111111111111");
    assertThat(r.getStatusCode().value()).isEqualTo(201);
    assertThat(r.getBody()).containsEntry("status", "CAPTURED");
  }

  @Test
  void declinedCardIs402WithAnErrorSpan() {
    var r = charge("order-2", "4000000000000002");
    assertThat(r.getStatusCode().value()).isEqualTo(402);
    assertThat(r.getBody()).containsEntry("error", "payment_declined");

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      List<SpanData> spans = SPANS.getFinishedSpanItems();
      SpanData charges = spans.stream().filter(s -> s.getName().equals("POST /charges")).findFirst().orElseThrow();
      assertThat(charges.getKind()).isEqualTo(SpanKind.SERVER);
      assertThat(charges.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
      SpanData bank = spans.stream().filter(s -> s.getName().equals("POST /bank/authorize")).findFirst().orElseThrow();
      assertThat(bank.getTraceId()).isEqualTo(charges.getTraceId());
      // the bank call went through the time limiter's thread and still belongs to the trace
      SpanData client = spans.stream()
          .filter(s -> s.getKind() == SpanKind.CLIENT && s.getSpanId().equals(bank.getParentSpanId()))
          .findFirst().orElseThrow();
      assertThat(client.getParentSpanId()).isEqualTo(charges.getSpanId());
    });
  }

  @Test
  void aSlowBankTimesOutWith504() {
    var r = charge("order-3", "4111111111110119");
    assertThat(r.getStatusCode().value()).isEqualTo(504);
    assertThat(r.getBody()).containsEntry("error", "bank_timeout");
  }

  @Test
  void badChargeIs400() {
    var r = builder.build().post().uri("http://127.0.0.1:" + port + "/charges")
        .body(Map.of("orderId", "x")).exchange((req, res) -> res.getStatusCode().value());
    assertThat(r).isEqualTo(400);
  }

  private org.springframework.http.ResponseEntity<Map<String, Object>> charge(String order, String card) {
    return builder.build()
        .post()
        .uri("http://127.0.0.1:" + port + "/charges")
        .body(Map.of("orderId", order, "amountCents", 8900, "card", card))
        .exchange((req, res) -> org.springframework.http.ResponseEntity.status(res.getStatusCode())
            .body(res.bodyTo(new org.springframework.core.ParameterizedTypeReference<Map<String, Object>>() {})));
  }
}
