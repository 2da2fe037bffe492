/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.orders;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Carts and orders in the service's own database. */
@Repository
class OrderStore {
  private final JdbcClient jdbc;

  OrderStore(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  void addToCart(String cartId, String sku, int quantity, long priceCents) {
    int updated =
        jdbc.sql("UPDATE cart_items SET quantity = quantity + ? WHERE cart_id = ? AND sku = ?")
            .params(quantity, cartId, sku)
            .update();
    if (updated == 0) {
      jdbc.sql("INSERT INTO cart_items (cart_id, sku, quantity, price_cents) VALUES (?, ?, ?, ?)")
          .params(cartId, sku, quantity, priceCents)
          .update();
    }
  }

  List<CartItem> cart(String cartId) {
    return jdbc.sql("SELECT sku, quantity, price_cents FROM cart_items WHERE cart_id = ? ORDER BY sku")
        .param(cartId)
        .query(CartItem.class)
        .list();
  }

  void clearCart(String cartId) {
    jdbc.sql("DELETE FROM cart_items WHERE cart_id = ?").param(cartId).update();
  }

  void create(Order order) {
    jdbc.sql(
            "INSERT INTO orders (order_id, cart_id, customer, status, total_cents, payment_id, failure, created_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .params(
            order.orderId(),
            order.cartId(),
            order.customer(),
            order.status(),
            order.totalCents(),
            order.paymentId(),
            order.failure(),
            order.createdAt())
        .update();
  }

  void update(String orderId, String status, String paymentId, String failure) {
    jdbc.sql("UPDATE orders SET status = ?, payment_id = ?, failure = ? WHERE order_id = ?")
        .params(status, paymentId, failure, orderId)
        .update();
  }

  Optional<Order> order(String orderId) {
    return jdbc.sql(
            "SELECT order_id, cart_id, customer, status, total_cents, payment_id, failure, created_at"
                + " FROM orders WHERE order_id = ?")
        .param(orderId)
        .query(Order.class)
        .optional();
  }

  record CartItem(String sku, int quantity, long priceCents) {}

  record Order(
      String orderId,
      String cartId,
      String customer,
      String status,
      long totalCents,
      String paymentId,
      String failure,
      Instant createdAt) {}
}
