/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.store;

import com.google.protobuf.Message;
import io.faultline.core.ingest.BatchIndexer;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import java.io.IOException;
import java.util.List;

/** Seeds a store for tests that need data, not the ingest pipeline. */
public final class Batches {
  private Batches() {}

  /**
   * Applies the requests at consecutive write-ahead-log positions from 0 (each taking its size
   * plus a 16-byte record header, as the log would), as the ingest pipeline would, then commits.
   *
   * @return the committed checkpoint
   */
  public static long applyAndCommit(
      BatchIndexer indexer, Signal signal, List<? extends Message> requests) throws IOException {
    long position = 0;
    for (Message r : requests) {
      long next = position + r.getSerializedSize() + 16;
      indexer.apply(position, next, TelemetryBatch.of(signal, r));
      position = next;
    }
    return indexer.commit();
  }
}
