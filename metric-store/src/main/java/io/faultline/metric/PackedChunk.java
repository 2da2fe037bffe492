/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import java.util.Arrays;

/**
 * The encoding of sealed chunks (open chunks stay {@link XorChunk}s, which append cheaply). A
 * sealed chunk knows all its samples, so it picks per chunk what costs least:
 *
 * <ul>
 *   <li>timestamps: the first as 8 bytes (big-endian, so that chunks sort without decoding), then
 *       the deltas <b>frame-of-reference</b> coded: a base and a bit width chosen so that most
 *       deltas fit in {@code width} bits above the base, the rest stored whole as exceptions. A
 *       regular scrape costs 0 bits per timestamp, millisecond jitter a few;
 *   <li>values: either Gorilla's XOR coding (as {@link XorChunk}), or, when every value is a
 *       decimal with at most {@value #MAX_DECIMALS} fraction digits that survives the round trip
 *       bit for bit (counters, histogram buckets, most gauges), the values times {@code 10^k} as
 *       integers, frame-of-reference coded as they are or as deltas. A counter then costs about
 *       the bits of its increments' spread instead of ~20 bits of mantissa.
 * </ul>
 *
 * <p>Layout after the first timestamp: the timestamp deltas (see {@link #writeFor}), 2 bits of
 * value mode, then the values. Decoding reproduces every value bit for bit (NaN payloads, stale
 * markers and -0.0 take the XOR mode).
 */
final class PackedChunk {
  private static final int MODE_XOR = 0;
  private static final int MODE_INT = 1;
  private static final int MODE_INT_DELTA = 2;
  static final int MAX_DECIMALS = 9;
  private static final double[] POW10 = new double[MAX_DECIMALS + 1];

  static {
    for (int i = 0; i < POW10.length; i++) {
      POW10[i] = Math.pow(10, i);
    }
  }

  /** Integers up to 2^53 convert to and from double exactly. */
  private static final double MAX_EXACT = 9007199254740992.0;

  private PackedChunk() {}

  /** Encodes {@code n >= 1} samples, timestamps strictly ascending. */
  static byte[] encode(long[] ts, double[] vs, int n) {
    BitStream.Writer w = new BitStream.Writer(16 + n * 2);
    w.bits(ts[0], 64);
    long[] deltas = new long[Math.max(0, n - 1)];
    for (int i = 1; i < n; i++) {
      deltas[i - 1] = ts[i] - ts[i - 1];
    }
    writeFor(w, deltas, deltas.length);
    BitStream.Writer values = bestValues(vs, n);
    byte[] v = values.toBytes();
    long vbits = values.bitLength();
    // append the value bits
    int full = (int) (vbits >>> 3);
    for (int i = 0; i < full; i++) {
      w.bits(v[i] & 0xFF, 8);
    }
    int rest = (int) (vbits & 7);
    if (rest > 0) {
      w.bits((v[full] & 0xFF) >>> (8 - rest), rest);
    }
    return w.toBytes();
  }

  /** Encodes an open chunk's samples. */
  static byte[] encode(XorChunk c) {
    int n = c.count();
    long[] ts = new long[n];
    double[] vs = new double[n];
    int[] i = {0};
    c.decode(
        (t, v) -> {
          ts[i[0]] = t;
          vs[i[0]] = v;
          i[0]++;
        });
    return encode(ts, vs, n);
  }

  private static BitStream.Writer bestValues(double[] vs, int n) {
    int k = decimals(vs, n);
    if (k < 0) {
      BitStream.Writer xor = new BitStream.Writer(n * 2 + 8);
      xor.bits(MODE_XOR, 2);
      long prev = Double.doubleToRawLongBits(vs[0]);
      xor.bits(prev, 64);
      XorValues.Encoder enc = new XorValues.Encoder();
      for (int i = 1; i < n; i++) {
        long bits = Double.doubleToRawLongBits(vs[i]);
        enc.write(xor, prev, bits);
        prev = bits;
      }
      return xor;
    }
    // decimal values: their integers practically always cost fewer bits than XOR of mantissas
    long[] m = new long[n];
    for (int i = 0; i < n; i++) {
      m[i] = Math.round(vs[i] * POW10[k]);
    }
    BitStream.Writer plain = new BitStream.Writer(n + 8);
    plain.bits(MODE_INT, 2);
    plain.bits(k, 4);
    writeFor(plain, m, n);
    BitStream.Writer best = plain;
    BitStream.Writer delta = new BitStream.Writer(n + 8);
    delta.bits(MODE_INT_DELTA, 2);
    delta.bits(k, 4);
    writeZigzag(delta, m[0]);
    long[] d = new long[n - 1];
    for (int i = 1; i < n; i++) {
      d[i - 1] = m[i] - m[i - 1];
    }
    writeFor(delta, d, n - 1);
    if (delta.bitLength() < best.bitLength()) {
      best = delta;
    }
    return best;
  }

  /**
   * The fewest decimal places {@code k} such that every value is {@code m / 10^k} for an integer
   * {@code m} (bit for bit), or -1.
   */
  static int decimals(double[] vs, int n) {
    int k = 0;
    for (int i = 0; i < n; i++) {
      double v = vs[i];
      if (v == 0 && Double.doubleToRawLongBits(v) != 0) {
        return -1; // -0.0
      }
      while (!exact(v, k)) {
        if (++k > MAX_DECIMALS) {
          return -1;
        }
      }
    }
    // an earlier value checked at a smaller k may not hold at the final k
    for (int i = 0; i < n; i++) {
      if (!exact(vs[i], k)) {
        return -1;
      }
    }
    return k;
  }

  private static boolean exact(double v, int k) {
    double scaled = v * POW10[k];
    if (!(Math.abs(scaled) < MAX_EXACT)) {
      return false; // NaN, infinities, too large
    }
    long m = Math.round(scaled);
    return Double.doubleToRawLongBits(value(m, k)) == Double.doubleToRawLongBits(v);
  }

  private static double value(long m, int k) {
    return k == 0 ? (double) m : m / POW10[k];
  }

  /**
   * Frame-of-reference coding of {@code n} longs: 7 bits of width {@code w} (0..64), 1 bit whether
   * exceptions follow, the base ({@link #writeZigzag}) when {@code n > 0}; then per value, with
   * exceptions a flag bit, and {@code value - base} in {@code w} bits, or an exception: the value
   * as {@link #writeZigzag}.
   */
  static void writeFor(BitStream.Writer w, long[] values, int n) {
    if (n == 0) {
      w.bits(0, 7);
      w.bit(false);
      return;
    }
    long[] sorted = Arrays.copyOf(values, n);
    Arrays.sort(sorted);
    // exception cost of each sorted value, and prefix sums
    long[] prefix = new long[n + 1];
    for (int i = 0; i < n; i++) {
      prefix[i + 1] = prefix[i] + 1 + 6 + zigzagBits(sorted[i]);
    }
    long bestCost = Long.MAX_VALUE;
    int bestWidth = 64;
    long bestBase = sorted[0];
    boolean bestExceptions = false;
    long span = sorted[n - 1] - sorted[0];
    int maxWidth = 64 - Long.numberOfLeadingZeros(span);
    // the best width lies near the one covering the middle 90 %: try a few around it (and, below,
    // the width covering everything), not all 65
    long middle = sorted[n - 1 - n / 20] - sorted[n / 20];
    int around = 64 - Long.numberOfLeadingZeros(middle);
    int from = Math.max(0, around - 3);
    int to = Math.min(maxWidth, around + 3);
    for (int width = from; width <= maxWidth; width = width == to ? maxWidth : width + 1) {
      long mask = width == 64 ? -1L : (1L << width) - 1;
      if (Long.compareUnsigned(span, mask) <= 0) {
        long cost = (long) n * width;
        if (cost < bestCost) {
          bestCost = cost;
          bestWidth = width;
          bestBase = sorted[0];
          bestExceptions = false;
        }
        break;
      }
      // the window [sorted[i], sorted[i] + mask] holding the most values; the rest are exceptions
      int j = 0;
      for (int i = 0; i < n; i++) {
        if (j < i) {
          j = i;
        }
        while (j + 1 < n && Long.compareUnsigned(sorted[j + 1] - sorted[i], mask) <= 0) {
          j++;
        }
        long inside = j - i + 1;
        long exceptionCost = prefix[n] - (prefix[j + 1] - prefix[i]);
        long cost = inside * (1 + width) + exceptionCost;
        if (cost < bestCost) {
          bestCost = cost;
          bestWidth = width;
          bestBase = sorted[i];
          bestExceptions = true;
        }
      }
    }
    w.bits(bestWidth, 7);
    w.bit(bestExceptions);
    writeZigzag(w, bestBase);
    long mask = bestWidth == 64 ? -1L : (1L << bestWidth) - 1;
    for (int i = 0; i < n; i++) {
      long off = values[i] - bestBase;
      if (!bestExceptions) {
        w.bits(off, bestWidth);
      } else if (Long.compareUnsigned(off, mask) <= 0) {
        w.bit(false);
        w.bits(off, bestWidth);
      } else {
        w.bit(true);
        writeZigzag(w, values[i]);
      }
    }
  }

  /** 6 bits of (length - 1), then the zigzag encoding of {@code v} in that many bits. */
  static void writeZigzag(BitStream.Writer w, long v) {
    long z = (v << 1) ^ (v >> 63);
    int len = Math.max(1, 64 - Long.numberOfLeadingZeros(z));
    w.bits(len - 1, 6);
    w.bits(z, len);
  }

  static long readZigzag(BitStream.Reader r) {
    int len = (int) r.read(6) + 1;
    long z = r.read(len);
    return (z >>> 1) ^ -(z & 1);
  }

  private static int zigzagBits(long v) {
    long z = (v << 1) ^ (v >> 63);
    return Math.max(1, 64 - Long.numberOfLeadingZeros(z));
  }

  static void readFor(BitStream.Reader r, long[] out, int n) {
    int width = (int) r.read(7);
    boolean exceptions = r.bit() != 0;
    if (n == 0) {
      return;
    }
    long base = readZigzag(r);
    for (int i = 0; i < n; i++) {
      if (exceptions && r.bit() != 0) {
        out[i] = readZigzag(r);
      } else {
        out[i] = base + r.read(width);
      }
    }
  }

  /** The first timestamp of an encoded chunk. */
  static long firstTimestamp(byte[] data, int offset) {
    long t = 0;
    for (int i = 0; i < 8; i++) {
      t = (t << 8) | (data[offset + i] & 0xFF);
    }
    return t;
  }

  /** Decodes {@code count} samples from {@code data[offset, offset + length)}. */
  static void decode(
      byte[] data, int offset, int length, int count, XorChunk.SampleConsumer out) {
    if (count == 0) {
      return;
    }
    BitStream.Reader r = new BitStream.Reader(data, offset, length);
    long[] ts = new long[count];
    ts[0] = r.read(64);
    long[] deltas = new long[count - 1];
    readFor(r, deltas, count - 1);
    for (int i = 1; i < count; i++) {
      ts[i] = ts[i - 1] + deltas[i - 1];
    }
    int mode = (int) r.read(2);
    switch (mode) {
      case MODE_XOR -> {
        long bits = r.read(64);
        out.accept(ts[0], Double.longBitsToDouble(bits));
        XorValues.Decoder dec = new XorValues.Decoder();
        for (int i = 1; i < count; i++) {
          bits = dec.next(r, bits);
          out.accept(ts[i], Double.longBitsToDouble(bits));
        }
      }
      case MODE_INT, MODE_INT_DELTA -> {
        int k = (int) r.read(4);
        long[] m = new long[count];
        if (mode == MODE_INT) {
          readFor(r, m, count);
        } else {
          m[0] = readZigzag(r);
          long[] d = new long[count - 1];
          readFor(r, d, count - 1);
          for (int i = 1; i < count; i++) {
            m[i] = m[i - 1] + d[i - 1];
          }
        }
        for (int i = 0; i < count; i++) {
          out.accept(ts[i], value(m[i], k));
        }
      }
      default -> throw new IllegalStateException("unknown chunk value mode " + mode);
    }
  }
}
