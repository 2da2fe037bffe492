/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import io.faultline.metric.storage.Labels;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.lucene.util.BytesRef;

/**
 * The in-memory part of the metric store: every active series with its open chunk. Appends come
 * from the single indexer thread; lookups from query threads.
 *
 * <p>Rules, as Prometheus applies them: a sample later than the series' last one is appended; one
 * at the same timestamp with the same value (bit for bit) is ignored, with a different value
 * rejected as a duplicate; an earlier one is accepted into the out-of-order buffer when it lies
 * within the out-of-order window of the series' last sample, else rejected as out of order.
 * Chunks are sealed when full and at partition boundaries, so no chunk spans two partitions.
 */
final class Head {
  enum Result {
    APPENDED,
    DUPLICATE_IGNORED,
    DUPLICATE_REJECTED,
    OUT_OF_ORDER,
    SERIES_LIMIT
  }

  private final ConcurrentHashMap<Labels, MemSeries> byLabels = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<BytesRef, MemSeries> byId = new ConcurrentHashMap<>();
  /** By {@link SeriesId#encode}d labels, so that ingest finds a known series from raw bytes. */
  private final ConcurrentHashMap<EncodedKey, MemSeries> byEncoded = new ConcurrentHashMap<>();
  private final int maxSeries;
  private final long oooWindowMillis;
  private final long partitionMillis;
  private final int maxChunkSamples;

  Head(int maxSeries, long oooWindowMillis, long partitionMillis, int maxChunkSamples) {
    this.maxSeries = maxSeries;
    this.oooWindowMillis = oooWindowMillis;
    this.partitionMillis = partitionMillis;
    this.maxChunkSamples = maxChunkSamples;
  }

  int size() {
    return byLabels.size();
  }

  MemSeries get(BytesRef id) {
    return byId.get(id);
  }

  Collection<MemSeries> all() {
    return byLabels.values();
  }

  long partitionStart(long t) {
    return Math.floorDiv(t, partitionMillis) * partitionMillis;
  }

  /**
   * The series whose {@link SeriesId#encode}d labels are {@code buf[0, len)}, or null when no
   * active series has exactly these bytes (callers then take the {@link Labels} path).
   */
  MemSeries getByEncoded(byte[] buf, int len) {
    return byEncoded.get(new EncodedKey(buf, len));
  }

  /** The series, created when new; null when creating it would exceed the series limit. */
  MemSeries getOrCreate(Labels labels) {
    MemSeries s = byLabels.get(labels);
    if (s != null) {
      return s;
    }
    if (byLabels.size() >= maxSeries) {
      return null;
    }
    byte[] enc = SeriesId.encode(labels);
    s = new MemSeries(labels, enc, SeriesId.of(enc));
    byId.put(s.id, s);
    byEncoded.put(new EncodedKey(enc, enc.length), s);
    byLabels.put(labels, s);
    return s;
  }

  /**
   * Appends one sample to a series.
   *
   * @param sealed receives chunks sealed by this append
   */
  Result append(MemSeries s, long t, double v, long nowMillis, List<SealedChunk> sealed) {
    long bits = Double.doubleToRawLongBits(v);
    synchronized (s) {
      s.lastAppendMillis = nowMillis;
      if (t > s.lastT) {
        XorChunk open = s.open;
        if (open != null
            && open.count() > 0
            && (open.count() >= maxChunkSamples
                || partitionStart(t) != partitionStart(open.minT()))) {
          seal(s, sealed);
          open = null;
        }
        if (open == null) {
          open = new XorChunk();
          s.open = open;
        }
        open.append(t, v);
        s.lastT = t;
        s.lastBits = bits;
        return Result.APPENDED;
      }
      if (t == s.lastT) {
        return bits == s.lastBits ? Result.DUPLICATE_IGNORED : Result.DUPLICATE_REJECTED;
      }
      if (oooWindowMillis <= 0 || t < s.lastT - oooWindowMillis) {
        return Result.OUT_OF_ORDER;
      }
      if (s.outOfOrder == null) {
        s.outOfOrder = new TreeMap<>();
      }
      Long old = s.outOfOrder.putIfAbsent(t, bits);
      if (old != null) {
        return old == bits ? Result.DUPLICATE_IGNORED : Result.DUPLICATE_REJECTED;
      }
      if (s.outOfOrder.size() >= maxChunkSamples) {
        sealOutOfOrder(s, sealed);
      }
      return Result.APPENDED;
    }
  }

  private void seal(MemSeries s, List<SealedChunk> sealed) {
    XorChunk c = s.open;
    s.open = null;
    if (c == null || c.count() == 0) {
      return;
    }
    SealedChunk sc =
        new SealedChunk(s.id, c.minT(), c.maxT(), c.count(), PackedChunk.encode(c), false);
    s.pending.add(sc);
    sealed.add(sc);
  }

  private void sealOutOfOrder(MemSeries s, List<SealedChunk> sealed) {
    if (s.outOfOrder == null || s.outOfOrder.isEmpty()) {
      return;
    }
    XorChunk c = null;
    for (Map.Entry<Long, Long> e : s.outOfOrder.entrySet()) {
      long t = e.getKey();
      if (c != null && partitionStart(t) != partitionStart(c.minT())) {
        addOoo(s, c, sealed);
        c = null;
      }
      if (c == null) {
        c = new XorChunk();
      }
      c.append(t, Double.longBitsToDouble(e.getValue()));
    }
    if (c != null) {
      addOoo(s, c, sealed);
    }
    s.outOfOrder = null;
  }

  private static void addOoo(MemSeries s, XorChunk c, List<SealedChunk> sealed) {
    SealedChunk sc =
        new SealedChunk(s.id, c.minT(), c.maxT(), c.count(), PackedChunk.encode(c), true);
    s.pending.add(sc);
    sealed.add(sc);
  }

  /**
   * At a commit: seals every out-of-order buffer, and seals and forgets the series that received
   * nothing since {@code idleBeforeMillis} (they no longer count against the series limit).
   */
  void sealForCommit(long idleBeforeMillis, List<SealedChunk> sealed) {
    for (Iterator<MemSeries> it = byLabels.values().iterator(); it.hasNext(); ) {
      MemSeries s = it.next();
      synchronized (s) {
        sealOutOfOrder(s, sealed);
        if (s.lastAppendMillis < idleBeforeMillis) {
          seal(s, sealed);
          it.remove();
          byId.remove(s.id, s);
          byEncoded.remove(new EncodedKey(s.encodedLabels, s.encodedLabels.length), s);
        }
      }
    }
  }

  /** Forgets sealed chunks that the index now makes searchable (after a commit). */
  void releasePending(List<SealedChunk> committed) {
    java.util.Set<SealedChunk> done =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    done.addAll(committed);
    for (SealedChunk c : committed) {
      MemSeries s = byId.get(c.seriesId());
      if (s != null) {
        synchronized (s) {
          s.pending.removeIf(done::contains);
        }
      }
    }
  }

  long memoryBytes() {
    long b = 0;
    for (MemSeries s : byLabels.values()) {
      synchronized (s) {
        b += s.memoryBytes();
      }
    }
    return b;
  }

  void writeTo(DataOutput out) throws IOException {
    List<MemSeries> list = new ArrayList<>(byLabels.values());
    out.writeInt(list.size());
    for (MemSeries s : list) {
      synchronized (s) {
        out.writeInt(s.encodedLabels.length);
        out.write(s.encodedLabels);
        out.writeLong(s.lastT);
        out.writeLong(s.lastBits);
        out.writeLong(s.lastAppendMillis);
        out.writeLong(s.documentedPartition);
        if (s.open == null || s.open.count() == 0) {
          out.writeBoolean(false);
        } else {
          out.writeBoolean(true);
          byte[] packed = PackedChunk.encode(s.open);
          out.writeInt(s.open.count());
          out.writeInt(packed.length);
          out.write(packed);
        }
        int n = s.outOfOrder == null ? 0 : s.outOfOrder.size();
        out.writeInt(n);
        if (n > 0) {
          for (Map.Entry<Long, Long> e : s.outOfOrder.entrySet()) {
            out.writeLong(e.getKey());
            out.writeLong(e.getValue());
          }
        }
      }
    }
  }

  /** Reads what {@link #writeTo} wrote, or version 1 of the snapshot (open chunks as XorChunk). */
  void readFrom(DataInput in, int version) throws IOException {
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      byte[] enc = new byte[in.readInt()];
      in.readFully(enc);
      Labels labels = SeriesId.decode(enc, 0, enc.length);
      MemSeries s = new MemSeries(labels, enc, SeriesId.of(enc));
      s.lastT = in.readLong();
      s.lastBits = in.readLong();
      s.lastAppendMillis = in.readLong();
      s.documentedPartition = in.readLong();
      if (in.readBoolean()) {
        if (version == 1) {
          s.open = XorChunk.readFrom(in);
        } else {
          int count = in.readInt();
          byte[] packed = new byte[in.readInt()];
          in.readFully(packed);
          // appending again rebuilds the open chunk exactly, encoder state included
          XorChunk open = new XorChunk();
          PackedChunk.decode(packed, 0, packed.length, count, open::append);
          s.open = open;
        }
      }
      int m = in.readInt();
      if (m > 0) {
        s.outOfOrder = new TreeMap<>();
        for (int k = 0; k < m; k++) {
          s.outOfOrder.put(in.readLong(), in.readLong());
        }
      }
      byLabels.put(labels, s);
      byId.put(s.id, s);
      byEncoded.put(new EncodedKey(enc, enc.length), s);
    }
  }

  /** A byte range as a hash key; the probe side wraps a reused buffer, stored keys own theirs. */
  private static final class EncodedKey {
    private final byte[] buf;
    private final int len;
    private final int hash;

    EncodedKey(byte[] buf, int len) {
      this.buf = buf;
      this.len = len;
      // four bytes a step: the labels are ~100 bytes, hashed for every sample remote write sends
      this.hash = org.apache.lucene.util.StringHelper.murmurhash3_x86_32(buf, 0, len, 0x9747b28c);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof EncodedKey k
          && k.hash == hash
          && Arrays.equals(buf, 0, len, k.buf, 0, k.len);
    }
  }
}
