/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.traffic;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One shopper's visit: browse the catalogue, look at a few products, add one or two to a cart,
 * order and pay, then check the order's status. Most visits succeed; some meet the shop's
 * business errors (a scarce product sold out, a declined card, an unknown product, a bad API
 * key), as real traffic does.
 */
final class Journey {
  static final String GOOD_CARD = "4111111111111111";
  static final String DECLINED_CARD = "4000000000000002";
  private static final Pattern SKU = Pattern.compile("\"sku\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern ORDER_ID = Pattern.compile("\"orderId\"\\s*:\\s*\"([^\"]+)\"");

  /** Waits between steps; injected so tests don't wait. */
  interface Think {
    void pause() throws InterruptedException;
  }

  private final ShopApi api;
  private final String apiKey;
  private final Random random;
  private final Think think;
  private final Stats stats;

  Journey(ShopApi api, String apiKey, Random random, Think think, Stats stats) {
    this.api = api;
    this.apiKey = apiKey;
    this.random = random;
    this.think = think;
    this.stats = stats;
  }

  /** Runs one visit; {@code id} names its cart and customer. */
  void run(long id) throws InterruptedException {
    if (random.nextDouble() < 0.01) {
      stats.record("browse", api.get("/api/products", "wrong-key").status());
      return;
    }
    ShopApi.Response catalogue = api.get("/api/products", apiKey);
    stats.record("browse", catalogue.status());
    if (catalogue.status() != 200) {
      return;
    }
    List<String> skus = all(SKU, catalogue.body());
    if (skus.isEmpty()) {
      return;
    }
    think.pause();
    int looks = 1 + random.nextInt(3);
    for (int i = 0; i < looks; i++) {
      String sku = random.nextDouble() < 0.02 ? "NO-SUCH-SKU" : skus.get(random.nextInt(skus.size()));
      stats.record("view", api.get("/api/products/" + sku, apiKey).status());
    }
    if (random.nextDouble() < 0.3) {
      return; // just looking
    }
    think.pause();
    String cart = "cart-" + id;
    int lines = 1 + random.nextInt(2);
    for (int i = 0; i < lines; i++) {
      String sku = skus.get(random.nextInt(skus.size()));
      int quantity = 1 + random.nextInt(2);
      stats.record(
          "add_to_cart",
          api.post("/api/carts/" + cart + "/items", "{\"sku\":\"" + sku + "\",\"quantity\":" + quantity + "}", apiKey)
              .status());
    }
    think.pause();
    String card = random.nextDouble() < 0.03 ? DECLINED_CARD : GOOD_CARD;
    ShopApi.Response order =
        api.post(
            "/api/orders",
            "{\"cartId\":\"" + cart + "\",\"customer\":\"customer-" + id + "\",\"card\":\"" + card + "\"}",
            apiKey);
    stats.record("order", order.status());
    String orderId = first(ORDER_ID, order.body());
    if (orderId == null) {
      return;
    }
    think.pause();
    stats.record("status", api.get("/api/orders/" + orderId, apiKey).status());
  }

  private static List<String> all(Pattern p, String body) {
    List<String> found = new ArrayList<>();
    Matcher m = p.matcher(body);
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  private static String first(Pattern p, String body) {
    Matcher m = p.matcher(body);
    return m.find() ? m.group(1) : null;
  }
}
