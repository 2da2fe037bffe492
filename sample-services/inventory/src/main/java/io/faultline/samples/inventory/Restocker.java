/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.inventory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * The warehouse delivers slowly: scarce products are sold out for a while before they come back,
 * so the demo's traffic meets real 409s without any chaos.
 */
@Component
class Restocker {
  private static final Logger LOG = LoggerFactory.getLogger(Restocker.class);

  private final Stock stock;
  private final int threshold;
  private final int quantity;

  Restocker(
      Stock stock,
      @Value("${shop.restock.threshold:2}") int threshold,
      @Value("${shop.restock.quantity:3}") int quantity) {
    this.stock = stock;
    this.threshold = threshold;
    this.quantity = quantity;
  }

  @Scheduled(fixedDelayString = "${shop.restock.interval:PT45S}", initialDelayString = "${shop.restock.interval:PT45S}")
  void restock() {
    int products = stock.restock(threshold, quantity);
    if (products > 0) {
      LOG.info("restocked {} product(s) by {}", products, quantity);
    }
  }
}
