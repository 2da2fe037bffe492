/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.payments;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeoutException;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

/**
 * The payments side of the bank: each authorization runs under the {@code bank} time limiter
 * and circuit breaker (configured in {@code application.yml}). A decline is an answer, not a
 * failure, so it does not open the breaker; timeouts and errors do.
 */
@Component
class Bank {
  private static final ParameterizedTypeReference<Map<String, Object>> JSON_MAP =
      new ParameterizedTypeReference<>() {};

  private final RestClient client;
  private final ExecutorService calls;
  private final CircuitBreaker breaker;
  private final TimeLimiter limiter;

  Bank(
      RestClient bankRestClient,
      ExecutorService bankCalls,
      CircuitBreakerRegistry breakers,
      TimeLimiterRegistry limiters) {
    this.client = bankRestClient;
    this.calls = bankCalls;
    this.breaker = breakers.circuitBreaker("bank");
    this.limiter = limiters.timeLimiter("bank");
  }

  /**
   * Asks the bank to authorize a charge.
   *
   * @throws CallNotPermittedException while the breaker is open
   * @throws TimeoutException when the bank did not answer within the time limiter's timeout
   */
  Authorization authorize(String orderId, long amountCents, String card) throws Exception {
    return breaker.executeCallable(
        () ->
            limiter.executeFutureSupplier(
                () -> CompletableFuture.supplyAsync(() -> call(orderId, amountCents, card), calls)));
  }

  private Authorization call(String orderId, long amountCents, String card) {
    return client
        .post()
        .uri("/bank/authorize")
        .body(Map.of("orderId", orderId, "amountCents", amountCents, "card", card))
        .exchange(
            (request, response) -> {
              Map<String, Object> body = response.bodyTo(JSON_MAP);
              if (response.getStatusCode().value() == 402) {
                return Authorization.declined(String.valueOf(body == null ? "declined" : body.get("reason")));
              }
              if (!response.getStatusCode().is2xxSuccessful() || body == null) {
                throw new BankException("bank answered " + response.getStatusCode().value());
              }
              return Authorization.approved(String.valueOf(body.get("authorization")));
            });
  }

  record Authorization(boolean approved, String code, String reason) {
    static Authorization approved(String code) {
      return new Authorization(true, code, null);
    }

    static Authorization declined(String reason) {
      return new Authorization(false, null, reason);
    }
  }

  static final class BankException extends RuntimeException {
    BankException(String message) {
      super(message);
    }
  }
}
