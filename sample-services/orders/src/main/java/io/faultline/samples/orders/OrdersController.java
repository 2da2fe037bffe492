/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.orders;

import io.faultline.samples.orders.Downstream.Reply;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;

/** Carts ({@code /carts/{id}/items}) and orders ({@code POST /orders}, {@code GET /orders/{id}}). */
@RestController
class OrdersController {
  private final OrderStore store;
  private final Checkout checkout;
  private final RestClient inventory;

  OrdersController(OrderStore store, Checkout checkout, @Qualifier("inventoryClient") RestClient inventory) {
    this.store = store;
    this.checkout = checkout;
    this.inventory = inventory;
  }

  @PostMapping("/carts/{cartId}/items")
  ResponseEntity<Map<String, Object>> addItem(@PathVariable String cartId, @RequestBody CartLine line) {
    if (line.sku() == null || line.quantity() <= 0 || line.quantity() > 10) {
      return error(HttpStatus.BAD_REQUEST, "bad_request", "sku and a quantity between 1 and 10 are required");
    }
    Reply product = Downstream.get(inventory, "/products/" + line.sku());
    if (product.status() == 404) {
      return error(HttpStatus.NOT_FOUND, "unknown_product", "no product with sku " + line.sku());
    }
    if (!product.ok()) {
      return error(HttpStatus.BAD_GATEWAY, "inventory_error", "inventory answered " + product.status());
    }
    long price = ((Number) product.body().get("priceCents")).longValue();
    store.addToCart(cartId, line.sku(), line.quantity(), price);
    return ResponseEntity.status(HttpStatus.CREATED).body(Map.of("cartId", cartId, "items", store.cart(cartId)));
  }

  @GetMapping("/carts/{cartId}")
  Map<String, Object> cart(@PathVariable String cartId) {
    return Map.of("cartId", cartId, "items", store.cart(cartId));
  }

  @PostMapping("/orders")
  ResponseEntity<Map<String, Object>> placeOrder(@RequestBody OrderRequest request) {
    if (request.cartId() == null || request.card() == null) {
      return error(HttpStatus.BAD_REQUEST, "bad_request", "cartId and card are required");
    }
    String customer = request.customer() == null ? "anonymous" : request.customer();
    Checkout.Result result = checkout.placeOrder(request.cartId(), customer, request.card());
    Map<String, Object> body = new LinkedHashMap<>();
    if (result.order() != null) {
      body.put("order", result.order());
    }
    if (result.error() != null) {
      body.put("error", result.error());
      body.put("message", result.message());
    }
    return ResponseEntity.status(result.status()).body(body);
  }

  @GetMapping("/orders/{orderId}")
  ResponseEntity<?> order(@PathVariable String orderId) {
    return store.order(orderId)
        .<ResponseEntity<?>>map(ResponseEntity::ok)
        .orElseGet(() -> error(HttpStatus.NOT_FOUND, "unknown_order", "no order " + orderId));
  }

  private static ResponseEntity<Map<String, Object>> error(HttpStatus status, String error, String message) {
    return ResponseEntity.status(status).body(Map.of("error", error, "message", message));
  }

  record CartLine(String sku, int quantity) {}

  record OrderRequest(String cartId, String customer, String card) {}
}
