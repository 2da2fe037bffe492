/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

import io.faultline.core.health.Health;
import io.faultline.core.ingest.BatchIndexer;
import java.io.Closeable;

/**
 * Stores metric samples and answers PromQL. Every implementation passes {@code
 * MetricStoreContract} (module {@code store-tests}).
 *
 * <p>Its {@link #indexer()} takes, in write-ahead-log order and under {@link BatchIndexer}'s
 * contract (a replay after a restart stores nothing twice; applied samples are queryable within
 * one second):
 *
 * <ul>
 *   <li>{@link io.faultline.core.ingest.Signal#METRICS} batches ({@code
 *       ExportMetricsServiceRequest}), converted to Prometheus series as the OpenTelemetry
 *       specification's Prometheus compatibility section prescribes, the way Prometheus 3 applies
 *       it by default (unit and {@code _total} suffixes, {@code job}/{@code instance}, {@code
 *       target_info}). A data point with an empty resource and an empty unit keeps its name as
 *       sanitised and gets no {@code job}/{@code instance} label: derived metrics such as {@code
 *       traces_spanmetrics_calls_total} rely on that.
 *   <li>{@link io.faultline.core.ingest.Signal#PROMETHEUS_WRITE} batches (remote write 1.0 {@code
 *       WriteRequest}), stored as sent.
 * </ul>
 *
 * <p>Samples a store cannot keep (too old, over the series limit, invalid labels) are dropped and
 * counted, never failing the batch: the batch is already acknowledged and durable in the log, and
 * failing it would only replay the same rejection forever.
 */
public interface MetricStore extends Closeable {

  /** The write side, driven by the ingest pipeline in write-ahead-log order. */
  BatchIndexer indexer();

  /** The read side. */
  MetricQueries queries();

  /** Cheap, safe to call often. */
  default Health check() {
    return Health.ok();
  }
}
