/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.payments;

import io.faultline.samples.payments.Bank.Authorization;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /charges}: 201 when the bank approves, 402 when it declines, 504 when it is too
 * slow, 503 while the circuit breaker is open. Every failure marks the server span as an error
 * and logs at ERROR (or WARN for a short-circuited call) with the trace id in the MDC.
 */
@RestController
class PaymentsController {
  private static final Logger LOG = LoggerFactory.getLogger(PaymentsController.class);

  private final Bank bank;

  PaymentsController(Bank bank) {
    this.bank = bank;
  }

  @PostMapping("/charges")
  ResponseEntity<Map<String, Object>> charge(@RequestBody ChargeRequest request) {
    if (request.orderId() == null || request.card() == null || request.amountCents() <= 0) {
      return ResponseEntity.badRequest()
          .body(Map.of("error", "bad_request", "message", "orderId, card and a positive amountCents are required"));
    }
    Authorization auth;
    try {
      auth = bank.authorize(request.orderId(), request.amountCents(), request.card());
    } catch (CallNotPermittedException e) {
      LOG.warn("bank circuit breaker is open, order {} not charged", request.orderId());
      return failure(HttpStatus.SERVICE_UNAVAILABLE, "bank_unavailable", "the bank is unavailable, try again later");
    } catch (TimeoutException e) {
      LOG.error("bank timed out authorizing order {} ({} cents)", request.orderId(), request.amountCents());
      return failure(HttpStatus.GATEWAY_TIMEOUT, "bank_timeout", "the bank did not answer in time");
    } catch (Exception e) {
      LOG.error("bank call failed for order {}: {}", request.orderId(), e.toString());
      return failure(HttpStatus.BAD_GATEWAY, "bank_error", "the bank call failed: " + e.getMessage());
    }
    if (!auth.approved()) {
      LOG.error(
          "payment declined for order {} ({} cents, card ending {}): {}",
          request.orderId(),
          request.amountCents(),
          lastFour(request.card()),
          auth.reason());
      return failure(HttpStatus.PAYMENT_REQUIRED, "payment_declined", "card declined: " + auth.reason());
    }
    String paymentId = "pay-" + UUID.randomUUID();
    LOG.info("charged order {} ({} cents) as {}", request.orderId(), request.amountCents(), paymentId);
    return ResponseEntity.status(HttpStatus.CREATED)
        .body(Map.of("paymentId", paymentId, "status", "CAPTURED", "authorization", auth.code()));
  }

  private static ResponseEntity<Map<String, Object>> failure(HttpStatus status, String error, String message) {
    // HTTP semantics leave 4xx server spans unset; for the shop a declined card is an error
    Span.current().setStatus(StatusCode.ERROR, error);
    Span.current().setAttribute("shop.payment.outcome", error);
    return ResponseEntity.status(status).body(Map.of("error", error, "message", message));
  }

  private static String lastFour(String card) {
    String digits = card.replaceAll("[^0-9]", "");
    return digits.length() <= 4 ? digits : digits.substring(digits.length() - 4);
  }

  record ChargeRequest(String orderId, long amountCents, String card) {}
}
