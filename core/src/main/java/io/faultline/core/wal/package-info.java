/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The write-ahead log: segmented, checksummed, group-committed records addressed by their global
 * byte position. Every acknowledged batch is in this log before any store indexes it.
 */
package io.faultline.core.wal;
