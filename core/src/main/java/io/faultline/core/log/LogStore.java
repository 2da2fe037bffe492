/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.log;

import io.faultline.core.health.Health;
import io.faultline.core.ingest.BatchIndexer;
import java.io.Closeable;

/**
 * Stores log records and answers log queries. Every implementation passes {@code LogStoreContract}
 * (module {@code store-tests}).
 *
 * <p>Its {@link #indexer()} takes {@code LOGS} batches ({@code ExportLogsServiceRequest}) from the
 * ingest pipeline, in write-ahead-log order, and follows {@link BatchIndexer}'s contract: a replay
 * after a restart indexes nothing twice, and applied records are searchable within one second.
 * Every log record is kept losslessly with its resource and scope.
 */
public interface LogStore extends Closeable {

  /** The write side, driven by the ingest pipeline in write-ahead-log order. */
  BatchIndexer indexer();

  /** The read side. */
  LogQueries queries();

  /** Cheap, safe to call often. */
  default Health check() {
    return Health.ok();
  }
}
