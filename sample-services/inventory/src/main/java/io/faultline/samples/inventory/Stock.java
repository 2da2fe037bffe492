/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.inventory;

import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

/** Stock levels and reservations. A reservation takes all of an order's items or none. */
@Repository
class Stock {
  private static final Logger LOG = LoggerFactory.getLogger(Stock.class);

  private final JdbcClient jdbc;

  Stock(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  List<Product> products() {
    return jdbc.sql("SELECT sku, name, price_cents, stock FROM products ORDER BY sku")
        .query(Product.class)
        .list();
  }

  Optional<Product> product(String sku) {
    return jdbc.sql("SELECT sku, name, price_cents, stock FROM products WHERE sku = ?")
        .param(sku)
        .query(Product.class)
        .optional();
  }

  /**
   * Reserves every item of an order, or throws {@link OutOfStockException} and reserves nothing.
   * Reserving the same order twice returns the first reservation.
   */
  @Transactional
  Reservation reserve(ReservationRequest request) {
    Integer existing =
        jdbc.sql("SELECT COUNT(*) FROM reservations WHERE order_id = ?")
            .param(request.orderId())
            .query(Integer.class)
            .single();
    if (existing > 0) {
      return new Reservation(request.orderId(), request.items(), total(request.items()));
    }
    for (Item item : request.items()) {
      int updated =
          jdbc.sql("UPDATE products SET stock = stock - ? WHERE sku = ? AND stock >= ?")
              .params(item.quantity(), item.sku(), item.quantity())
              .update();
      if (updated == 0) {
        Product p =
            product(item.sku()).orElseThrow(() -> new UnknownProductException(item.sku()));
        LOG.warn(
            "out of stock: order {} wants {} x {}, {} left",
            request.orderId(),
            item.quantity(),
            item.sku(),
            p.stock());
        throw new OutOfStockException(item.sku(), item.quantity(), p.stock());
      }
      jdbc.sql("INSERT INTO reservations (order_id, sku, quantity) VALUES (?, ?, ?)")
          .params(request.orderId(), item.sku(), item.quantity())
          .update();
    }
    LOG.info("reserved {} item(s) for order {}", request.items().size(), request.orderId());
    return new Reservation(request.orderId(), request.items(), total(request.items()));
  }

  /** Puts an order's reserved items back; returns how many lines were released. */
  @Transactional
  int release(String orderId) {
    List<Item> items =
        jdbc.sql("SELECT sku, quantity FROM reservations WHERE order_id = ?")
            .param(orderId)
            .query(Item.class)
            .list();
    for (Item item : items) {
      jdbc.sql("UPDATE products SET stock = stock + ? WHERE sku = ?")
          .params(item.quantity(), item.sku())
          .update();
    }
    jdbc.sql("DELETE FROM reservations WHERE order_id = ?").param(orderId).update();
    if (!items.isEmpty()) {
      LOG.info("released {} item(s) of order {}", items.size(), orderId);
    }
    return items.size();
  }

  /** Adds {@code quantity} to every product whose stock is below {@code threshold}. */
  @Transactional
  int restock(int threshold, int quantity) {
    return jdbc.sql("UPDATE products SET stock = stock + ? WHERE stock < ?")
        .params(quantity, threshold)
        .update();
  }

  private long total(List<Item> items) {
    long total = 0;
    for (Item item : items) {
      total +=
          product(item.sku()).map(Product::priceCents).orElse(0L) * (long) item.quantity();
    }
    return total;
  }

  record Product(String sku, String name, long priceCents, int stock) {}

  record Item(String sku, int quantity) {}

  record ReservationRequest(String orderId, List<Item> items) {}

  record Reservation(String orderId, List<Item> items, long totalCents) {}

  static final class OutOfStockException extends RuntimeException {
    final String sku;

    OutOfStockException(String sku, int wanted, int left) {
      super("out of stock: " + wanted + " x " + sku + " wanted, " + left + " left");
      this.sku = sku;
    }
  }

  static final class UnknownProductException extends RuntimeException {
    UnknownProductException(String sku) {
      super("no product with sku " + sku);
    }
  }
}
