/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

/**
 * Gorilla's XOR coding of a value against the previous one: {@code 0} when equal, else {@code 1}
 * and either {@code 0} plus the meaningful bits inside the previous window of leading and trailing
 * zeros, or {@code 1}, 5 bits of leading zeros, 6 bits of length and the meaningful bits.
 */
final class XorValues {
  private XorValues() {}

  static final class Encoder {
    private int leading = 0xff;
    private int trailing;

    void write(BitStream.Writer w, long prevBits, long bits) {
      long xor = bits ^ prevBits;
      if (xor == 0) {
        w.bit(false);
        return;
      }
      w.bit(true);
      int lead = Math.min(Long.numberOfLeadingZeros(xor), 31);
      int trail = Long.numberOfTrailingZeros(xor);
      if (leading != 0xff && lead >= leading && trail >= trailing) {
        w.bit(false);
        w.bits(xor >>> trailing, 64 - leading - trailing);
      } else {
        leading = lead;
        trailing = trail;
        int sig = 64 - lead - trail;
        w.bit(true);
        w.bits(lead, 5);
        w.bits(sig == 64 ? 0 : sig, 6);
        w.bits(xor >>> trail, sig);
      }
    }
  }

  static final class Decoder {
    private int leading;
    private int trailing;

    long next(BitStream.Reader r, long prevBits) {
      if (r.bit() == 0) {
        return prevBits;
      }
      if (r.bit() != 0) {
        leading = (int) r.read(5);
        int sig = (int) r.read(6);
        if (sig == 0) {
          sig = 64;
        }
        trailing = 64 - leading - sig;
      }
      int sig = 64 - leading - trailing;
      return prevBits ^ (r.read(sig) << trailing);
    }
  }
}
