/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every batch the agent writes about itself. */
final class CollectingSink implements TelemetrySink {
  final List<TelemetryBatch> batches = new CopyOnWriteArrayList<>();

  @Override
  public CompletableFuture<Void> accept(TelemetryBatch batch) {
    batches.add(batch);
    return CompletableFuture.completedFuture(null);
  }
}
