/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.ingest;

import java.io.IOException;
import java.util.Set;

/**
 * A store's write side as the ingest pipeline drives it: durable batches arrive in write-ahead-log
 * order, each with its log position.
 *
 * <p>Contract (checked by the store contract suites):
 *
 * <ul>
 *   <li>{@link #apply} is called from a single thread, with strictly increasing positions.
 *   <li>After a restart the pipeline replays the log from {@link #checkpoint()}: every batch at a
 *       position at or after the checkpoint is applied again. A store must index nothing twice: a
 *       batch (or the part of it) that the store had already committed is skipped.
 *   <li>{@link #commit()} makes everything applied so far durable in the store and returns the new
 *       checkpoint: the position just after the last applied batch. The pipeline deletes log
 *       segments that lie wholly before the smallest checkpoint of all stores.
 *   <li>Applied batches become visible to queries within the store's refresh interval (at most one
 *       second), whether or not they are committed.
 * </ul>
 */
public interface BatchIndexer {

  /**
   * A short, unique name for logs, health and metric labels ({@code store="..."}). Default: the
   * class's simple name.
   */
  default String name() {
    return getClass().getSimpleName();
  }

  /** The signals this store indexes; the pipeline hands it no others. */
  Set<Signal> signals();

  /**
   * Indexes one durable batch.
   *
   * @param position the batch's write-ahead-log position
   * @param nextPosition the position of the record after it (what a commit covering this batch
   *     records)
   */
  void apply(long position, long nextPosition, TelemetryBatch batch) throws IOException;

  /** Everything before this position is committed in the store; 0 for an empty store. */
  long checkpoint();

  /** Commits everything applied so far and returns the new {@link #checkpoint()}. */
  long commit() throws IOException;
}
