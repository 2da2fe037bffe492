/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The Lucene trace store: one document per span in time-partitioned indexes, each span kept as its
 * OTLP bytes, answering Jaeger-style queries.
 */
package io.faultline.trace;
