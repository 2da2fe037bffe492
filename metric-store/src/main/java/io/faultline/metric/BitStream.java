/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import java.util.Arrays;

/** Big-endian bit streams for the chunk encodings, a byte at a time rather than a bit. */
final class BitStream {
  private static final java.lang.invoke.VarHandle BIG_ENDIAN_LONG =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
          long[].class, java.nio.ByteOrder.BIG_ENDIAN);

  private BitStream() {}

  /** Appends bits; most significant first. */
  static final class Writer {
    private byte[] buf;
    private long bitLen;

    Writer(int initialBytes) {
      this.buf = new byte[Math.max(8, initialBytes)];
    }

    /** Continues after {@code bitLength} bits already written in {@code bytes}. */
    static Writer continuing(byte[] bytes, long bitLength) {
      int n = (int) ((bitLength + 7) >>> 3);
      Writer w = new Writer(Math.max(32, n + 16));
      System.arraycopy(bytes, 0, w.buf, 0, n);
      w.bitLen = bitLength;
      return w;
    }

    /** The buffer itself, valid up to {@link #bitLength()}; for decoding in place. */
    byte[] buffer() {
      return buf;
    }

    /** Bytes held, written or not. */
    int capacity() {
      return buf.length;
    }

    long bitLength() {
      return bitLen;
    }

    void bit(boolean one) {
      ensure(1);
      if (one) {
        buf[(int) (bitLen >>> 3)] |= (byte) (0x80 >>> (bitLen & 7));
      }
      bitLen++;
    }

    /** Writes the low {@code n} bits of {@code v}, {@code 0 <= n <= 64}. */
    void bits(long v, int n) {
      if (n > 56) {
        // a word holds at most 56 bits after the bit offset within its first byte
        bits(v >>> 32, n - 32);
        n = 32;
      }
      if (n == 0) {
        return;
      }
      // one word: the 64 bits from the current byte on (the buffer keeps 8 bytes of room)
      ensure(n + 64);
      int pos = (int) (bitLen >>> 3);
      int off = (int) (bitLen & 7);
      long low = v & (-1L >>> (64 - n));
      long word = (long) BIG_ENDIAN_LONG.get(buf, pos);
      BIG_ENDIAN_LONG.set(buf, pos, word | (low << (64 - off - n)));
      bitLen += n;
    }

    /** The written bytes, the last one padded with zero bits. */
    byte[] toBytes() {
      return Arrays.copyOf(buf, (int) ((bitLen + 7) >>> 3));
    }

    private void ensure(int bits) {
      long need = (bitLen + bits + 7) >>> 3;
      if (need > buf.length) {
        buf = Arrays.copyOf(buf, (int) Math.max(need, buf.length + (buf.length >> 1)));
      }
    }
  }

  /** Reads bits written by {@link Writer} (or {@link XorChunk}). */
  static final class Reader {
    private final byte[] data;
    private final int end;
    private long pos;

    Reader(byte[] data, int offset, int length) {
      this.data = data;
      this.pos = (long) offset << 3;
      this.end = offset + length;
    }

    int bit() {
      int p = (int) (pos >>> 3);
      if (p >= end) {
        throw new IllegalStateException("chunk data ends early (corrupt chunk)");
      }
      int b = (data[p] >>> (7 - (pos & 7))) & 1;
      pos++;
      return b;
    }

    /** Reads {@code n} bits, {@code 0 <= n <= 64}, as an unsigned value. */
    long read(int n) {
      if (n == 0) {
        return 0;
      }
      int p = (int) (pos >>> 3);
      int off = (int) (pos & 7);
      if (p + 9 <= end) {
        // whole words: the 64 bits from this byte on, plus the next byte when they straddle
        long word = (long) BIG_ENDIAN_LONG.get(data, p) << off;
        long v = word >>> (64 - n);
        int spill = off + n - 64;
        if (spill > 0) {
          v |= (data[p + 8] & 0xFF) >>> (8 - spill);
        }
        pos += n;
        return v;
      }
      long v = 0;
      while (n > 0) {
        p = (int) (pos >>> 3);
        if (p >= end) {
          throw new IllegalStateException("chunk data ends early (corrupt chunk)");
        }
        int avail = 8 - (int) (pos & 7);
        int take = Math.min(avail, n);
        int b = ((data[p] & 0xFF) >>> (avail - take)) & ((1 << take) - 1);
        v = (v << take) | b;
        pos += take;
        n -= take;
      }
      return v;
    }

    long signed(int n) {
      long v = read(n);
      return (v << (64 - n)) >> (64 - n);
    }
  }
}
