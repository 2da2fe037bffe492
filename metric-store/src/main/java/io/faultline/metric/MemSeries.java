/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import io.faultline.metric.storage.Labels;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.apache.lucene.util.BytesRef;

/**
 * One series in the head: its open in-order chunk, its out-of-order samples not yet sealed, and
 * its sealed chunks that may not be searchable in the index yet. The indexer thread mutates it;
 * queries read it; both under its own lock.
 */
final class MemSeries {
  final Labels labels;
  final byte[] encodedLabels;
  final BytesRef id;
  XorChunk open;
  long lastT = Long.MIN_VALUE;
  long lastBits;
  /** Out-of-order samples: timestamp to raw value bits. */
  TreeMap<Long, Long> outOfOrder;
  final List<SealedChunk> pending = new ArrayList<>(2);
  long lastAppendMillis;
  /** Start of the partition whose series document is known to exist, or Long.MIN_VALUE. */
  long documentedPartition = Long.MIN_VALUE;

  MemSeries(Labels labels, byte[] encodedLabels, BytesRef id) {
    this.labels = labels;
    this.encodedLabels = encodedLabels;
    this.id = id;
  }

  synchronized void copyInto(long minT, long maxT, SampleList out) {
    for (SealedChunk c : pending) {
      if (c.maxT() >= minT && c.minT() <= maxT) {
        PackedChunk.decode(
            c.data(),
            0,
            c.data().length,
            c.count(),
            (t, v) -> {
              if (t >= minT && t <= maxT) {
                out.add(t, v, c.outOfOrder());
              }
            });
      }
    }
    if (open != null && open.count() > 0 && open.maxT() >= minT && open.minT() <= maxT) {
      open.decode(
          (t, v) -> {
            if (t >= minT && t <= maxT) {
              out.add(t, v, false);
            }
          });
    }
    if (outOfOrder != null) {
      for (var e : outOfOrder.subMap(minT, true, maxT, true).entrySet()) {
        out.add(e.getKey(), Double.longBitsToDouble(e.getValue()), true);
      }
    }
  }

  int memoryBytes() {
    int b = 200 + encodedLabels.length * 2;
    if (open != null) {
      b += open.memoryBytes();
    }
    for (SealedChunk c : pending) {
      b += c.data().length + 64;
    }
    if (outOfOrder != null) {
      b += outOfOrder.size() * 64;
    }
    return b;
  }
}
