/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.prometheus;

import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import io.faultline.core.prometheus.WriteRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A sink for tests of the ingest resources: keeps what it accepted, or fails every call with the
 * given exception.
 */
public final class CollectingSink implements TelemetrySink {
  public final List<TelemetryBatch> batches = new CopyOnWriteArrayList<>();
  public volatile RuntimeException failure;
  public volatile boolean room = true;

  @Override
  public CompletableFuture<Void> accept(TelemetryBatch batch) {
    RuntimeException f = failure;
    if (f != null) {
      return CompletableFuture.failedFuture(f);
    }
    batches.add(batch);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public boolean hasRoomFor(long bytes) {
    return room;
  }

  List<WriteRequest> writes() {
    List<WriteRequest> out = new ArrayList<>();
    for (TelemetryBatch b : batches) {
      out.add((WriteRequest) b.message());
    }
    return out;
  }

  void reset() {
    batches.clear();
    failure = null;
    room = true;
  }
}
