/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * Time-partitioned Lucene indexes shared by every Lucene store: one index per time partition,
 * near-real-time refresh, commits tied to write-ahead-log positions, and retention by partition.
 */
package io.faultline.core.index;
