/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * Loki's read API for Grafana's Loki data source: a LogQL subset (stream selectors, line filters,
 * {@code | json}, {@code | logfmt}, label filters) evaluated over {@link
 * io.faultline.core.log.LogQueries}.
 */
package io.faultline.web.loki;
