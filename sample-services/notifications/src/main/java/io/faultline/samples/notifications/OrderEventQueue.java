/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.notifications;

import io.faultline.samples.support.MessageTracing;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The broker: a bounded in-memory queue drained by this service's own consumer threads. A
 * message is accepted (202) before it is processed, so the producer's request ends first; the
 * consumer continues the producer's trace from the message headers.
 */
@Component
class OrderEventQueue implements DisposableBean {
  static final String DESTINATION = "order-events";
  private static final Logger LOG = LoggerFactory.getLogger(OrderEventQueue.class);

  private final MessageTracing tracing;
  private final ThreadPoolExecutor consumers;
  private final AtomicLong ids = new AtomicLong();
  private final Deque<Notification> recent = new ArrayDeque<>();
  private final long sendMillis;
  private final Counter sent;

  OrderEventQueue(
      MessageTracing tracing,
      MeterRegistry meters,
      @Value("${shop.queue.capacity:1000}") int capacity,
      @Value("${shop.queue.consumers:2}") int threads,
      @Value("${shop.notifications.send-millis:25}") long sendMillis) {
    this.tracing = tracing;
    this.sendMillis = sendMillis;
    this.consumers =
        new ThreadPoolExecutor(
            threads,
            threads,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(capacity),
            r -> {
              Thread t = new Thread(r, "order-events-consumer");
              t.setDaemon(true);
              return t;
            });
    this.sent = Counter.builder("shop.notifications.sent").description("notifications sent").register(meters);
    meters.gauge("shop.queue.depth", consumers.getQueue(), q -> q.size());
  }

  /**
   * Accepts a message for asynchronous processing.
   *
   * @return the message id
   * @throws RejectedExecutionException when the queue is full
   */
  String publish(Message message) {
    String id = "msg-" + ids.incrementAndGet();
    consumers.execute(() -> consume(id, message));
    return id;
  }

  List<Notification> recent() {
    synchronized (recent) {
      return new ArrayList<>(recent);
    }
  }

  private void consume(String id, Message message) {
    Span span = tracing.startProcess(DESTINATION, message.headers());
    span.setAttribute("messaging.message.id", id);
    try (Scope ignored = span.makeCurrent()) {
      Map<String, Object> event = message.payload() == null ? Map.of() : message.payload();
      Object orderId = event.get("orderId");
      Object customer = event.getOrDefault("customer", "customer");
      Object type = event.getOrDefault("type", "order.paid");
      if (orderId == null) {
        LOG.error("dropping message {} without an orderId: {}", id, event);
        span.setStatus(StatusCode.ERROR, "message without orderId");
        return;
      }
      // sending the e-mail takes a while; that is the point of doing it asynchronously
      Thread.sleep(sendMillis);
      Notification n = new Notification(id, String.valueOf(orderId), String.valueOf(customer), String.valueOf(type));
      synchronized (recent) {
        recent.addFirst(n);
        while (recent.size() > 100) {
          recent.removeLast();
        }
      }
      sent.increment();
      LOG.info("sent {} notification for order {} to {}", type, orderId, customer);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      span.setStatus(StatusCode.ERROR, "interrupted");
    } catch (RuntimeException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, e.toString());
      LOG.error("failed to process message {}", id, e);
    } finally {
      span.end();
    }
  }

  @Override
  public void destroy() throws InterruptedException {
    consumers.shutdown();
    consumers.awaitTermination(5, TimeUnit.SECONDS);
  }

  /** A message as it travels: trace context and other headers, and the event. */
  record Message(Map<String, String> headers, Map<String, Object> payload) {}

  record Notification(String messageId, String orderId, String customer, String type) {}
}
