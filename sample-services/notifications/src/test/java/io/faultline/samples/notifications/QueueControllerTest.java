/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.notifications;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizerProvider;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.AutoConfigureMockMvc;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.assertj.MockMvcTester;

/** The queue accepts first and processes later, continuing the producer's trace from the message headers. */
@SpringBootTest(
    properties = {
      "otel.traces.exporter=none", "otel.metrics.exporter=none", "otel.logs.exporter=none",
      "shop.notifications.send-millis=1"
    })
@AutoConfigureMockMvc
class QueueControllerTest {
  static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();
  static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String PRODUCER_SPAN = "00f067aa0ba902b7";

  @TestConfiguration
  static class CaptureSpans {
    @Bean
    AutoConfigurationCustomizerProvider inMemorySpans() {
      return c -> c.addTracerProviderCustomizer((b, config) -> b.addSpanProcessor(SimpleSpanProcessor.create(SPANS)));
    }
  }

  @Autowired MockMvcTester mvc;

  @Test
  void acceptsAMessageAndTheConsumerContinuesTheProducersTrace() {
    String message =
        "{\"headers\":{\"traceparent\":\"00-" + TRACE + "-" + PRODUCER_SPAN + "-01\"},"
            + "\"payload\":{\"type\":\"order.paid\",\"orderId\":\"ord-42\",\"customer\":\"alice\"}}";
    assertThat(mvc.post().uri("/queues/order-events/messages").contentType(MediaType.APPLICATION_JSON).content(message))
        .hasStatus(202)
        .bodyJson()
        .extractingPath("$.messageId")
        .isNotNull();

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(mvc.get().uri("/notifications")).hasStatusOk().bodyText().contains("ord-42", "alice");
      SpanData consumer = SPANS.getFinishedSpanItems().stream()
          .filter(s -> s.getKind() == SpanKind.CONSUMER).findFirst().orElseThrow();
      assertThat(consumer.getName()).isEqualTo("order-events process");
      assertThat(consumer.getTraceId()).isEqualTo(TRACE);
      assertThat(consumer.getParentSpanId()).isEqualTo(PRODUCER_SPAN);
    });
  }

  @Test
  void unknownQueueIs404AndAMessageWithoutPayloadIs400() {
    assertThat(mvc.post().uri("/queues/nope/messages").contentType(MediaType.APPLICATION_JSON).content("{\"payload\":{}}"))
        .hasStatus(404);
    assertThat(mvc.post().uri("/queues/order-events/messages").contentType(MediaType.APPLICATION_JSON).content("{\"headers\":{}}"))
        .hasStatus(400);
  }
}
