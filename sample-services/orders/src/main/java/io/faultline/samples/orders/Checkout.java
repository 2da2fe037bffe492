/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.orders;

import io.faultline.samples.orders.Downstream.Reply;
import io.faultline.samples.orders.OrderStore.CartItem;
import io.faultline.samples.orders.OrderStore.Order;
import io.faultline.samples.support.MessageTracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.stereotype.Service;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientException;

/**
 * Places an order: reserve stock (inventory), charge the card (payments), then publish {@code
 * order.paid} to the notifications queue. A failed step undoes the reservation and the order
 * keeps the reason.
 */
@Service
class Checkout {
  static final String PAID = "PAID";
  static final String OUT_OF_STOCK = "OUT_OF_STOCK";
  static final String PAYMENT_DECLINED = "PAYMENT_DECLINED";
  static final String PAYMENT_FAILED = "PAYMENT_FAILED";
  private static final Logger LOG = LoggerFactory.getLogger(Checkout.class);

  private final OrderStore store;
  private final RestClient inventory;
  private final RestClient payments;
  private final RestClient notifications;
  private final MessageTracing tracing;
  private final Clock clock = Clock.systemUTC();

  Checkout(
      OrderStore store,
      @Qualifier("inventoryClient") RestClient inventory,
      @Qualifier("paymentsClient") RestClient payments,
      @Qualifier("notificationsClient") RestClient notifications,
      MessageTracing tracing) {
    this.store = store;
    this.inventory = inventory;
    this.payments = payments;
    this.notifications = notifications;
    this.tracing = tracing;
  }

  /** The outcome of a checkout and the HTTP status that tells it. */
  record Result(int status, Order order, String error, String message) {}

  Result placeOrder(String cartId, String customer, String card) {
    List<CartItem> items = store.cart(cartId);
    if (items.isEmpty()) {
      return new Result(400, null, "empty_cart", "cart " + cartId + " is empty");
    }
    long total = items.stream().mapToLong(i -> i.priceCents() * i.quantity()).sum();
    String orderId = "ord-" + UUID.randomUUID().toString().substring(0, 13);
    Span.current().setAttribute("shop.order.id", orderId);
    store.create(new Order(orderId, cartId, customer, "NEW", total, null, null, clock.instant()));

    List<Map<String, Object>> lines =
        items.stream().<Map<String, Object>>map(i -> Map.of("sku", i.sku(), "quantity", i.quantity())).toList();
    Reply reserved = Downstream.post(inventory, "/reservations", Map.of("orderId", orderId, "items", lines), Map.of());
    if (reserved.status() == 409) {
      LOG.warn("order {} rejected: out of stock ({})", orderId, reserved.field("sku"));
      return fail(orderId, OUT_OF_STOCK, 409, "out_of_stock", "out of stock: " + reserved.field("sku"));
    }
    if (!reserved.ok()) {
      LOG.error("order {}: inventory answered {}", orderId, reserved.status());
      return fail(orderId, "FAILED", 502, "inventory_error", "inventory answered " + reserved.status());
    }

    Reply charged;
    try {
      charged = Downstream.post(payments, "/charges", Map.of("orderId", orderId, "amountCents", total, "card", card), Map.of());
    } catch (RestClientException e) {
      LOG.error("order {}: payments unreachable: {}", orderId, e.getMessage());
      release(orderId);
      return fail(orderId, PAYMENT_FAILED, 503, "payments_unavailable", "payments unreachable");
    }
    if (charged.status() == 402) {
      LOG.warn("order {}: card declined", orderId);
      release(orderId);
      return fail(orderId, PAYMENT_DECLINED, 402, "payment_declined", charged.field("message"));
    }
    if (!charged.ok()) {
      LOG.error("order {}: payment failed with {} ({})", orderId, charged.status(), charged.field("error"));
      release(orderId);
      int status = charged.status() == 504 ? 504 : 503;
      return fail(orderId, PAYMENT_FAILED, status, String.valueOf(charged.field("error")), "payment failed");
    }

    store.update(orderId, PAID, charged.field("paymentId"), null);
    store.clearCart(cartId);
    publishPaid(orderId, customer, total);
    LOG.info("order {} paid: {} cents, {} item(s)", orderId, total, items.size());
    return new Result(201, store.order(orderId).orElseThrow(), null, null);
  }

  private void publishPaid(String orderId, String customer, long total) {
    Span producer = tracing.startPublish("order-events");
    try (Scope ignored = producer.makeCurrent()) {
      Map<String, String> headers = tracing.headers(Context.current());
      Map<String, Object> payload =
          Map.of("type", "order.paid", "orderId", orderId, "customer", customer, "totalCents", total);
      Reply r =
          Downstream.post(
              notifications,
              "/queues/order-events/messages",
              Map.of("headers", headers, "payload", payload),
              Map.of());
      if (!r.ok()) {
        producer.setStatus(StatusCode.ERROR, "queue answered " + r.status());
        LOG.warn("order {}: order.paid event not accepted ({}), no notification will be sent", orderId, r.status());
      } else {
        producer.setAttribute("messaging.message.id", String.valueOf(r.field("messageId")));
      }
    } catch (RestClientException e) {
      producer.recordException(e);
      producer.setStatus(StatusCode.ERROR, "notifications unreachable");
      LOG.warn("order {}: notifications unreachable, event lost: {}", orderId, e.getMessage());
    } finally {
      producer.end();
    }
  }

  private void release(String orderId) {
    try {
      Downstream.delete(inventory, "/reservations/" + orderId);
    } catch (RestClientException e) {
      LOG.error("order {}: could not release its reservation: {}", orderId, e.getMessage());
    }
  }

  private Result fail(String orderId, String status, int http, String error, String message) {
    store.update(orderId, status, null, error);
    return new Result(http, store.order(orderId).orElseThrow(), error, message);
  }
}
