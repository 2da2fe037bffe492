/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JourneyTest {
  /** A scripted shop: the catalogue, 201 for carts and orders, 200 for the rest; records every call. */
  static final class ScriptedShop implements ShopApi {
    final List<String> calls = new ArrayList<>();

    @Override
    public synchronized Response get(String path, String apiKey) {
      calls.add("GET " + path + " " + apiKey);
      if (!apiKey.equals("k")) {
        return new Response(401, "{}");
      }
      if (path.equals("/api/products")) {
        return new Response(200, "[{\"sku\":\"KB-001\",\"stock\":5},{\"sku\":\"GC-007\",\"stock\":0}]");
      }
      return new Response(path.contains("NO-SUCH") ? 404 : 200, "{}");
    }

    @Override
    public synchronized Response post(String path, String json, String apiKey) {
      calls.add("POST " + path + " " + json);
      return path.equals("/api/orders")
          ? new Response(201, "{\"order\":{\"orderId\":\"ord-1\",\"status\":\"PAID\"}}")
          : new Response(201, "{}");
    }
  }

  @Test
  void journeysBrowseBuyAndCheckTheOrder() throws Exception {
    long seed = new Random().nextLong();
    System.out.println("JourneyTest seed " + seed);
    ScriptedShop shop = new ScriptedShop();
    Stats stats = new Stats();
    Random random = new Random(seed);
    // 1,000 journeys: ~450 orders, so the 3 % declined cards show up whatever the seed (200 journeys
    // missed them in about one run out of twenty)
    for (int i = 0; i < 1000; i++) {
      new Journey(shop, "k", random, () -> {}, stats).run(i);
    }
    assertThat(stats.count("browse", 200)).as("seed %d", seed).isGreaterThan(900);
    assertThat(stats.count("order", 201)).as("seed %d", seed).isGreaterThan(400);
    assertThat(stats.count("status", 200)).isEqualTo(stats.count("order", 201));
    assertThat(shop.calls).anyMatch(c -> c.startsWith("POST /api/carts/cart-") && c.contains("\"sku\""));
    assertThat(shop.calls).anyMatch(c -> c.equals("GET /api/orders/ord-1 k"));
    assertThat(shop.calls).as("seed %d", seed).anyMatch(c -> c.contains(Journey.DECLINED_CARD));
  }

  @Test
  void optionsHaveDefaultsFlagsWinAndNonsenseIsRefused() {
    TrafficOptions defaults = TrafficOptions.parse(new String[0], Map.of(), 7);
    assertThat(defaults.gateway().toString()).isEqualTo("http://127.0.0.1:18101");
    assertThat(defaults.journeysPerSecond()).isEqualTo(2.0);
    assertThat(defaults.duration()).isEqualTo(Duration.ZERO);

    TrafficOptions set = TrafficOptions.parse(
        new String[] {"--rate", "5", "--think", "0-0", "--journeys", "10", "--duration", "30"},
        Map.of("TRAFFIC_GATEWAY", "http://gw:1/"), 7);
    assertThat(set.gateway().toString()).isEqualTo("http://gw:1");
    assertThat(set.journeysPerSecond()).isEqualTo(5.0);
    assertThat(set.maxJourneys()).isEqualTo(10);
    assertThat(set.duration()).isEqualTo(Duration.ofSeconds(30));

    assertThatThrownBy(() -> TrafficOptions.parse(new String[] {"--rate", "0"}, Map.of(), 1)).hasMessageContaining("--rate");
    assertThatThrownBy(() -> TrafficOptions.parse(new String[] {"--think", "9-1"}, Map.of(), 1)).hasMessageContaining("--think");
    assertThatThrownBy(() -> TrafficOptions.parse(new String[] {"--gateway", "ftp://x"}, Map.of(), 1)).hasMessageContaining("http");
    assertThatThrownBy(() -> TrafficOptions.parse(new String[] {"--bogus", "1"}, Map.of(), 1)).hasMessageContaining("unknown flag");
    assertThatThrownBy(() -> TrafficOptions.parse(new String[] {"--rate"}, Map.of(), 1)).hasMessageContaining("needs a value");
  }

  @Test
  void aBoundedRunStopsByItselfAfterItsJourneys() throws Exception {
    ScriptedShop shop = new ScriptedShop();
    TrafficOptions options = TrafficOptions.parse(
        new String[] {"--rate", "200", "--think", "0-0", "--journeys", "20", "--seed", "3"}, Map.of(), 3);
    Stats stats = TrafficMain.run(options, shop);
    assertThat(stats.count("browse", 200) + stats.count("browse", 401)).isBetween(1L, 20L);
  }
}
