/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * Prometheus ingest: remote write 1.0 and 2.0 decoding and validation ({@link
 * io.faultline.collector.prometheus.RemoteWrite}, {@link
 * io.faultline.collector.prometheus.RemoteWriteV2}), and a scraper for text format and OpenMetrics
 * endpoints ({@link io.faultline.collector.prometheus.ScrapeManager}).
 */
package io.faultline.collector.prometheus;
