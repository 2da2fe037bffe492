/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.payments;

import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * A simulated card issuer (its own controller so payments reaches it over HTTP, through its
 * configured {@code shop.bank.url}): usually quick, sometimes slow, and it declines about one
 * charge in twenty. Cards ending in {@value #ALWAYS_DECLINED_SUFFIX} are always declined, cards
 * ending in {@value #ALWAYS_SLOW_SUFFIX} always answer after {@code shop.bank.slow-latency}.
 */
@RestController
class BankController {
  static final String ALWAYS_DECLINED_SUFFIX = "0002";
  static final String ALWAYS_SLOW_SUFFIX = "0119";
  private static final Logger LOG = LoggerFactory.getLogger(BankController.class);

  private final Random random;
  private final double declineRate;
  private final double slowRate;
  private final Duration slowLatency;

  BankController(
      @Value("${shop.bank.seed:0}") long seed,
      @Value("${shop.bank.decline-rate:0.05}") double declineRate,
      @Value("${shop.bank.slow-rate:0.02}") double slowRate,
      @Value("${shop.bank.slow-latency:PT1.5S}") Duration slowLatency) {
    this.random = seed == 0 ? new Random() : new Random(seed);
    this.declineRate = declineRate;
    this.slowRate = slowRate;
    this.slowLatency = slowLatency;
  }

  @PostMapping("/bank/authorize")
  ResponseEntity<Map<String, Object>> authorize(@RequestBody BankRequest request)
      throws InterruptedException {
    String card = request.card() == null ? "" : request.card().replaceAll("[^0-9]", "");
    boolean slow;
    boolean declined;
    long latencyMillis;
    synchronized (random) {
      slow = card.endsWith(ALWAYS_SLOW_SUFFIX) || random.nextDouble() < slowRate;
      declined = card.endsWith(ALWAYS_DECLINED_SUFFIX) || random.nextDouble() < declineRate;
      // log-normal around 40 ms: most answers are quick, a few take a few hundred
      latencyMillis = (long) Math.min(600, Math.exp(3.7 + 0.6 * random.nextGaussian()));
    }
    // waiting is the feature here: the bank is slow
    Thread.sleep(slow ? slowLatency.toMillis() : latencyMillis);
    if (declined) {
      LOG.info("bank declined order {} ({} cents)", request.orderId(), request.amountCents());
      return ResponseEntity.status(HttpStatus.PAYMENT_REQUIRED)
          .body(Map.of("approved", false, "reason", "insufficient_funds"));
    }
    return ResponseEntity.ok(
        Map.of("approved", true, "authorization", "AUTH-" + Long.toHexString(System.nanoTime())));
  }

  record BankRequest(String orderId, long amountCents, String card) {}
}
