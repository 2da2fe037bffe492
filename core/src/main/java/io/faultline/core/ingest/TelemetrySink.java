/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.ingest;

import java.util.concurrent.CompletableFuture;

/**
 * Where receivers hand validated telemetry. The one seam between the network edge and storage:
 * the embedded implementation writes to the local write-ahead log and indexes into the local
 * stores; another could publish to a queue that separate indexers consume.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>The returned future completes normally only once the batch is durable: a crash (kill -9)
 *       after completion loses none of it. Only then may a receiver acknowledge the client.
 *   <li>When the platform is saturated, the future fails with {@link BackpressureException}
 *       without storing anything; the receiver answers 429 / RESOURCE_EXHAUSTED with the
 *       exception's retry hint, and the client retries.
 *   <li>Any other failure means nothing is promised about the batch; receivers answer 503 /
 *       UNAVAILABLE so the client retries.
 *   <li>Thread-safe: receivers call it concurrently from many request threads.
 * </ul>
 */
public interface TelemetrySink {

  CompletableFuture<Void> accept(TelemetryBatch batch);

  /**
   * Cheap pre-check before a receiver reads and decodes a body of about {@code bytes} bytes: when
   * this returns false the receiver rejects at once with backpressure instead of spending memory on
   * decoding. Default: always has room.
   */
  default boolean hasRoomFor(long bytes) {
    return true;
  }
}
