/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.orders;

import io.faultline.samples.support.MessageTracing;
import io.opentelemetry.api.OpenTelemetry;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.client.RestClient;

/**
 * The shop's orders: carts and orders in its own H2 database. Downstream addresses are
 * configuration ({@code shop.inventory.url}, {@code shop.payments.url}, {@code
 * shop.notifications.url}) so a fault proxy can be put between the services.
 */
@SpringBootApplication
public class OrdersApplication {
  public static void main(String[] args) {
    SpringApplication.run(OrdersApplication.class, args);
  }

  // RestClient beans (not ad-hoc builders) so the OpenTelemetry starter instruments each of them
  @Bean
  RestClient inventoryClient(RestClient.Builder builder, @Value("${shop.inventory.url}") String url) {
    return builder.clone().baseUrl(url).build();
  }

  @Bean
  RestClient paymentsClient(RestClient.Builder builder, @Value("${shop.payments.url}") String url) {
    return builder.clone().baseUrl(url).build();
  }

  @Bean
  RestClient notificationsClient(RestClient.Builder builder, @Value("${shop.notifications.url}") String url) {
    return builder.clone().baseUrl(url).build();
  }

  @Bean
  MessageTracing messageTracing(OpenTelemetry openTelemetry) {
    return new MessageTracing(openTelemetry);
  }
}
