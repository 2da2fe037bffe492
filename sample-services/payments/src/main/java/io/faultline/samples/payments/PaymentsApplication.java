/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.payments;

import io.opentelemetry.context.Context;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.client.RestClient;

/** The shop's payments: charges cards through a (simulated) bank behind a circuit breaker. */
@SpringBootApplication
public class PaymentsApplication {
  public static void main(String[] args) {
    SpringApplication.run(PaymentsApplication.class, args);
  }

  /** A bean, so the OpenTelemetry starter instruments it and the bank call gets a client span. */
  @Bean
  RestClient bankRestClient(RestClient.Builder builder, @Value("${shop.bank.url}") String bankUrl) {
    return builder.baseUrl(bankUrl).build();
  }

  /**
   * Runs bank calls so the time limiter can give up on them; tasks carry the caller's trace
   * context across the thread hop.
   */
  @Bean(destroyMethod = "shutdownNow")
  ExecutorService bankCalls(@Value("${shop.bank.threads:16}") int threads) {
    return Context.taskWrapping(Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "bank-call");
      t.setDaemon(true);
      return t;
    }));
  }
}
