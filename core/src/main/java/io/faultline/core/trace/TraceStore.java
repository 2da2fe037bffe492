/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.trace;

import io.faultline.core.health.Health;
import io.faultline.core.ingest.BatchIndexer;
import java.io.Closeable;

/**
 * Stores spans and answers trace queries. Every implementation passes {@code TraceStoreContract}
 * (module {@code store-tests}).
 */
public interface TraceStore extends Closeable {

  /** The write side, driven by the ingest pipeline in write-ahead-log order. */
  BatchIndexer indexer();

  /** The read side. */
  TraceQueries queries();

  /** Cheap, safe to call often. */
  default Health check() {
    return Health.ok();
  }
}
