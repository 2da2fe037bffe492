/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Realistic application log records of about 200 bytes, each a pure function of the seed and its
 * number, so concurrent senders can take turns and the raw text written for grep is the same
 * stream: request logs with paths, client IPs and durations, payment and database errors with order
 * ids, cache and queue messages with UUIDs, each with a trace and span id.
 */
final class LogGenerator {
  static final List<String> SERVICES =
      List.of(
          "payments",
          "checkout",
          "cart",
          "catalog",
          "shipping",
          "accounts",
          "search",
          "recommendations",
          "inventory",
          "notifications");

  /** About one id per ten records, so a search for one finds a handful. */
  static final int ORDER_IDS_PER_RECORD = 10;

  /** One generated record; {@code severity} is the OTLP severity text. */
  record Line(
      long timeNanos,
      String service,
      String severity,
      int severityNumber,
      String body,
      byte[] traceId,
      byte[] spanId) {
    /** The record as a classic text log line, as grep would see it in a file. */
    String text() {
      return Instant.ofEpochSecond(0, timeNanos)
          + " "
          + severity
          + " "
          + service
          + " trace_id="
          + hex(traceId)
          + " span_id="
          + hex(spanId)
          + " "
          + body;
    }
  }

  private final long seed;
  private final long records;
  private final long startNanos;
  private final long spanNanos;

  LogGenerator(long seed, long records, long startNanos, long spanNanos) {
    this.seed = seed;
    this.records = records;
    this.startNanos = startNanos;
    this.spanNanos = spanNanos;
  }

  long records() {
    return records;
  }

  long startNanos() {
    return startNanos;
  }

  long endNanos() {
    return startNanos + spanNanos;
  }

  /** Order id {@code n} (lower case letters and digits, one token for the log analyzer). */
  static String orderId(long n) {
    return "ord" + Long.toString(0x5DEECE66DL * (n + 1) & 0xFFFFFFFFFL, 36);
  }

  /** The order id record {@code i} may name, for choosing selective searches that hit. */
  long orderNumber(long i) {
    return random(i).nextLong(Math.max(1, records / ORDER_IDS_PER_RECORD));
  }

  private SplittableRandom random(long i) {
    return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
  }

  Line line(long i) {
    SplittableRandom r = random(i);
    long order = r.nextLong(Math.max(1, records / ORDER_IDS_PER_RECORD));
    // records are in time order, a few milliseconds apart on average
    long time = startNanos + (long) (spanNanos * (i / (double) records)) + r.nextInt(1000);
    String service = SERVICES.get(r.nextInt(SERVICES.size()));
    byte[] traceId = new byte[16];
    byte[] spanId = new byte[8];
    fill(r, traceId);
    fill(r, spanId);
    int kind = r.nextInt(1000);
    String ip = "10." + r.nextInt(256) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254));
    String uuid = new java.util.UUID(r.nextLong(), r.nextLong()).toString();
    String body;
    String severity;
    int number;
    if (kind < 600) {
      int status = r.nextInt(100) < 97 ? 200 : 404;
      body =
          "GET /api/v1/orders/"
              + orderId(order)
              + "/items?page="
              + r.nextInt(20)
              + " "
              + status
              + " "
              + (1 + r.nextInt(900))
              + "ms client="
              + ip
              + " user="
              + uuid
              + " agent=okhttp/4.12.0";
      severity = "INFO";
      number = 9;
    } else if (kind < 750) {
      body =
          "cache miss key=user:"
              + uuid
              + " shard="
              + r.nextInt(64)
              + " loading from db-"
              + r.nextInt(8)
              + ".internal:5432 took "
              + r.nextInt(120)
              + "ms";
      severity = "DEBUG";
      number = 5;
    } else if (kind < 880) {
      body =
          "processed batch "
              + uuid
              + " from queue orders.created partition "
              + r.nextInt(32)
              + " with "
              + r.nextInt(500)
              + " events in "
              + r.nextInt(2000)
              + "ms, lag "
              + r.nextInt(10000);
      severity = "INFO";
      number = 9;
    } else if (kind < 950) {
      body =
          "slow request to inventory-svc:8080/api/stock/"
              + r.nextInt(100000)
              + " took "
              + (1000 + r.nextInt(5000))
              + "ms, retrying (attempt "
              + (1 + r.nextInt(3))
              + " of 3) order="
              + orderId(order);
      severity = "WARN";
      number = 13;
    } else if (kind < 990) {
      body =
          "payment failed for order "
              + orderId(order)
              + ": card declined by issuer (code "
              + (51 + r.nextInt(10))
              + ") amount="
              + r.nextInt(100000) / 100.0
              + " EUR customer="
              + uuid;
      severity = "ERROR";
      number = 17;
    } else {
      body =
          "java.net.SocketException: connection reset by peer while calling "
              + ip
              + ":6379 at io.lettuce.core.RedisChannelHandler.dispatch(RedisChannelHandler.java:"
              + (100 + r.nextInt(200))
              + ")";
      severity = "ERROR";
      number = 17;
    }
    return new Line(time, service, severity, number, body, traceId, spanId);
  }

  private static void fill(SplittableRandom r, byte[] bytes) {
    for (int i = 0; i < bytes.length; i += 8) {
      long v = r.nextLong();
      for (int j = 0; j < 8 && i + j < bytes.length; j++) {
        bytes[i + j] = (byte) (v >>> (8 * j));
      }
    }
  }

  static String hex(byte[] bytes) {
    return java.util.HexFormat.of().formatHex(bytes);
  }
}
