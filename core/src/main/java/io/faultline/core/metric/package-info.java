/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The metric store SPI: {@link io.faultline.core.metric.MetricStore} (write side driven by the
 * ingest pipeline, read side {@link io.faultline.core.metric.MetricQueries} answering PromQL and
 * the series metadata queries of Prometheus' HTTP API).
 */
package io.faultline.core.metric;
