/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import org.apache.lucene.util.BytesRef;

/**
 * A finished chunk on its way to (or already in) the index.
 *
 * @param data the samples as {@link PackedChunk} encodes them
 * @param outOfOrder whether it holds out-of-order samples; where such a sample has the timestamp
 *     of an in-order one, the in-order sample wins
 */
record SealedChunk(BytesRef seriesId, long minT, long maxT, int count, byte[] data, boolean outOfOrder) {}
