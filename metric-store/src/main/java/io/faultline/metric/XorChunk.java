/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * A chunk of samples of one series, ascending in time, compressed as in Facebook's Gorilla paper
 * (and Prometheus' XOR chunks): timestamps as delta-of-delta in variable-width buckets, values as
 * the XOR with the previous value, storing only the meaningful bits. Regular scrapes cost one bit
 * per timestamp; the first bucket is 7 bits wide (Prometheus: 14) so that millisecond jitter of
 * remote-written samples stays cheap. Every NaN bit pattern survives, the stale marker included.
 *
 * <p>Not thread-safe: the head guards each open chunk with its series' lock.
 */
final class XorChunk {
  private BitStream.Writer out;
  private int count;
  private long minT;
  private long prevT;
  private long prevDelta;
  private long prevBits;
  private int leading;
  private int trailing;

  XorChunk() {
    this.out = new BitStream.Writer(32);
  }

  int count() {
    return count;
  }

  long minT() {
    return minT;
  }

  long maxT() {
    return prevT;
  }

  double lastValue() {
    return Double.longBitsToDouble(prevBits);
  }

  /** Appends a sample; the caller guarantees {@code t > maxT()} unless the chunk is empty. */
  void append(long t, double v) {
    long bits = Double.doubleToRawLongBits(v);
    if (count == 0) {
      minT = t;
      writeBits(t, 64);
      writeBits(bits, 64);
      prevT = t;
      prevBits = bits;
      leading = 0xff;
      count = 1;
      return;
    }
    long delta = t - prevT;
    long dod = delta - prevDelta;
    if (dod == 0) {
      writeBit(0);
    } else if (fits(dod, 7)) {
      writeBits(0b10, 2);
      writeBits(dod, 7);
    } else if (fits(dod, 14)) {
      writeBits(0b110, 3);
      writeBits(dod, 14);
    } else if (fits(dod, 20)) {
      writeBits(0b1110, 4);
      writeBits(dod, 20);
    } else {
      writeBits(0b1111, 4);
      writeBits(dod, 64);
    }
    long xor = bits ^ prevBits;
    if (xor == 0) {
      writeBit(0);
    } else {
      writeBit(1);
      int lead = Math.min(Long.numberOfLeadingZeros(xor), 31);
      int trail = Long.numberOfTrailingZeros(xor);
      if (leading != 0xff && lead >= leading && trail >= trailing) {
        writeBit(0);
        writeBits(xor >>> trailing, 64 - leading - trailing);
      } else {
        leading = lead;
        trailing = trail;
        int sig = 64 - lead - trail;
        writeBit(1);
        writeBits(lead, 5);
        writeBits(sig == 64 ? 0 : sig, 6);
        writeBits(xor >>> trail, sig);
      }
    }
    prevT = t;
    prevDelta = delta;
    prevBits = bits;
    count++;
  }

  /** The encoded bytes (exactly as many as the bits need). */
  byte[] bytes() {
    return out.toBytes();
  }

  /** Bytes held in memory. */
  int memoryBytes() {
    return out.capacity() + 64;
  }

  void writeTo(DataOutput to) throws IOException {
    to.writeInt(count);
    if (count == 0) {
      return;
    }
    byte[] b = bytes();
    to.writeLong(out.bitLength());
    to.write(b);
    to.writeLong(minT);
    to.writeLong(prevT);
    to.writeLong(prevDelta);
    to.writeLong(prevBits);
    to.writeInt(leading);
    to.writeInt(trailing);
  }

  static XorChunk readFrom(DataInput in) throws IOException {
    XorChunk c = new XorChunk();
    c.count = in.readInt();
    if (c.count == 0) {
      return c;
    }
    long bitLength = in.readLong();
    byte[] bytes = new byte[(int) ((bitLength + 7) >>> 3)];
    in.readFully(bytes);
    c.out = BitStream.Writer.continuing(bytes, bitLength);
    c.minT = in.readLong();
    c.prevT = in.readLong();
    c.prevDelta = in.readLong();
    c.prevBits = in.readLong();
    c.leading = in.readInt();
    c.trailing = in.readInt();
    return c;
  }

  private static boolean fits(long v, int bits) {
    long lim = 1L << (bits - 1);
    return v >= -lim && v < lim;
  }

  private void writeBit(int bit) {
    out.bit(bit != 0);
  }

  private void writeBits(long v, int n) {
    out.bits(v, n);
  }

  /** Receives decoded samples. */
  interface SampleConsumer {
    void accept(long t, double v);
  }

  /** Decodes {@code count} samples from {@code data}. */
  static void decode(byte[] data, int count, SampleConsumer out) {
    decode(data, 0, data.length, count, out);
  }

  /** Decodes {@code count} samples from {@code data[offset, offset + length)}. */
  static void decode(byte[] data, int offset, int length, int count, SampleConsumer out) {
    if (count == 0) {
      return;
    }
    BitStream.Reader r = new BitStream.Reader(data, offset, length);
    long t = r.read(64);
    long bits = r.read(64);
    out.accept(t, Double.longBitsToDouble(bits));
    long delta = 0;
    XorValues.Decoder values = new XorValues.Decoder();
    for (int i = 1; i < count; i++) {
      long dod;
      if (r.bit() == 0) {
        dod = 0;
      } else if (r.bit() == 0) {
        dod = r.signed(7);
      } else if (r.bit() == 0) {
        dod = r.signed(14);
      } else if (r.bit() == 0) {
        dod = r.signed(20);
      } else {
        dod = r.read(64);
      }
      delta += dod;
      t += delta;
      bits = values.next(r, bits);
      out.accept(t, Double.longBitsToDouble(bits));
    }
  }

  /** Decodes the open chunk in place (the caller holds the series' lock). */
  void decode(SampleConsumer out) {
    decode(this.out.buffer(), 0, (int) ((this.out.bitLength() + 7) >>> 3), count, out);
  }
}
