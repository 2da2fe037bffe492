/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The ingest path from receivers to stores: the {@link io.faultline.core.ingest.TelemetrySink} SPI,
 * and {@link io.faultline.core.ingest.IngestPipeline}, which logs every batch durably and then
 * feeds each store's {@link io.faultline.core.ingest.BatchIndexer} in log order.
 */
package io.faultline.core.ingest;
