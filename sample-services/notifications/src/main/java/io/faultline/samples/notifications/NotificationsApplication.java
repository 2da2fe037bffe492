/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.notifications;

import io.faultline.samples.support.MessageTracing;
import io.opentelemetry.api.OpenTelemetry;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * The shop's notifications: an in-process queue ({@code order-events}) that orders publishes to
 * over HTTP, consumed on this service's own executor.
 */
@SpringBootApplication
public class NotificationsApplication {
  public static void main(String[] args) {
    SpringApplication.run(NotificationsApplication.class, args);
  }

  @Bean
  MessageTracing messageTracing(OpenTelemetry openTelemetry) {
    return new MessageTracing(openTelemetry);
  }
}
