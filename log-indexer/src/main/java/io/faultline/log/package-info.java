/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The embedded log store: one Lucene document per log record in time-partitioned indexes, with a
 * log-text analyzer, Lucene query syntax, histograms, facets and live tail.
 */
package io.faultline.log;
