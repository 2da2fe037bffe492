/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.inventory;

import io.faultline.samples.inventory.Stock.OutOfStockException;
import io.faultline.samples.inventory.Stock.Product;
import io.faultline.samples.inventory.Stock.Reservation;
import io.faultline.samples.inventory.Stock.ReservationRequest;
import io.faultline.samples.inventory.Stock.UnknownProductException;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** Products and reservations: {@code GET /products}, {@code POST /reservations}. */
@RestController
class InventoryController {
  private final Stock stock;

  InventoryController(Stock stock) {
    this.stock = stock;
  }

  @GetMapping("/products")
  List<Product> products() {
    return stock.products();
  }

  @GetMapping("/products/{sku}")
  ResponseEntity<?> product(@PathVariable String sku) {
    return stock.product(sku)
        .<ResponseEntity<?>>map(ResponseEntity::ok)
        .orElseGet(() -> error(HttpStatus.NOT_FOUND, "unknown_product", "no product with sku " + sku));
  }

  @PostMapping("/reservations")
  ResponseEntity<?> reserve(@RequestBody ReservationRequest request) {
    if (request.orderId() == null || request.items() == null || request.items().isEmpty()) {
      return error(HttpStatus.BAD_REQUEST, "bad_request", "orderId and at least one item are required");
    }
    if (request.items().stream().anyMatch(i -> i.sku() == null || i.quantity() <= 0)) {
      return error(HttpStatus.BAD_REQUEST, "bad_request", "every item needs a sku and a positive quantity");
    }
    Reservation reservation = stock.reserve(request);
    return ResponseEntity.status(HttpStatus.CREATED).body(reservation);
  }

  @DeleteMapping("/reservations/{orderId}")
  ResponseEntity<Void> release(@PathVariable String orderId) {
    stock.release(orderId);
    return ResponseEntity.noContent().build();
  }

  @ExceptionHandler(OutOfStockException.class)
  ResponseEntity<?> outOfStock(OutOfStockException e) {
    return ResponseEntity.status(HttpStatus.CONFLICT)
        .body(Map.of("error", "out_of_stock", "sku", e.sku, "message", e.getMessage()));
  }

  @ExceptionHandler(UnknownProductException.class)
  ResponseEntity<?> unknown(UnknownProductException e) {
    return error(HttpStatus.NOT_FOUND, "unknown_product", e.getMessage());
  }

  private static ResponseEntity<?> error(HttpStatus status, String error, String message) {
    return ResponseEntity.status(status).body(Map.of("error", error, "message", message));
  }
}
