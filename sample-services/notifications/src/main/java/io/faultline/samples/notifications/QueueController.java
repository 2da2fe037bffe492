/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.notifications;

import io.faultline.samples.notifications.OrderEventQueue.Message;
import io.faultline.samples.notifications.OrderEventQueue.Notification;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /queues/order-events/messages} accepts a message (202) for the consumers; {@code
 * GET /notifications} lists the most recent notifications sent.
 */
@RestController
class QueueController {
  private static final Logger LOG = LoggerFactory.getLogger(QueueController.class);

  private final OrderEventQueue queue;

  QueueController(OrderEventQueue queue) {
    this.queue = queue;
  }

  @PostMapping("/queues/{destination}/messages")
  ResponseEntity<Map<String, Object>> publish(@PathVariable String destination, @RequestBody Message message) {
    if (!OrderEventQueue.DESTINATION.equals(destination)) {
      return ResponseEntity.status(HttpStatus.NOT_FOUND)
          .body(Map.of("error", "unknown_queue", "message", "only " + OrderEventQueue.DESTINATION + " exists"));
    }
    if (message.payload() == null) {
      return ResponseEntity.badRequest().body(Map.of("error", "bad_request", "message", "payload is required"));
    }
    try {
      return ResponseEntity.accepted().body(Map.of("messageId", queue.publish(message)));
    } catch (RejectedExecutionException e) {
      LOG.warn("queue {} is full, message rejected", destination);
      return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
          .body(Map.of("error", "queue_full", "message", "the queue is full, retry later"));
    }
  }

  @GetMapping("/notifications")
  List<Notification> recent() {
    return queue.recent();
  }
}
