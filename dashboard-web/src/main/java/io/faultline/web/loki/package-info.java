/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * Loki's read API for Grafana's Loki data source: LogQL log queries (stream selectors, line
 * filters, {@code | json}, {@code | logfmt}, label filters, drop, keep) and metric queries (range
 * and vector aggregations, binary operators) evaluated over {@link io.faultline.core.log.LogQueries}.
 */
package io.faultline.web.loki;
