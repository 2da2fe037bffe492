/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BitStreamTest {
  @Test
  void writesWhatABitAtATimeWouldWriteAndReadsItBack() {
    long seed = new Random().nextLong();
    System.out.println("BitStreamTest seed " + seed);
    Random random = new Random(seed);
    for (int round = 0; round < 200; round++) {
      BitStream.Writer w = new BitStream.Writer(1 + random.nextInt(16));
      BitSet expected = new BitSet();
      int len = 0;
      int writes = random.nextInt(300);
      long[] values = new long[writes];
      int[] widths = new int[writes];
      for (int i = 0; i < writes; i++) {
        int n = random.nextInt(65);
        // every bit above the low n must be ignored
        long v = random.nextLong();
        values[i] = v;
        widths[i] = n;
        if (random.nextInt(10) == 0) {
          boolean one = random.nextBoolean();
          w.bit(one);
          expected.set(len++, one);
          widths[i] = -1;
          values[i] = one ? 1 : 0;
          continue;
        }
        w.bits(v, n);
        for (int b = n - 1; b >= 0; b--) {
          expected.set(len++, ((v >>> b) & 1) != 0);
        }
      }
      assertThat(w.bitLength()).isEqualTo(len);
      byte[] bytes = w.toBytes();
      assertThat(bytes).hasSize((len + 7) / 8);
      for (int i = 0; i < len; i++) {
        boolean bit = ((bytes[i >>> 3] >>> (7 - (i & 7))) & 1) != 0;
        assertThat(bit).as("seed %d round %d bit %d", seed, round, i).isEqualTo(expected.get(i));
      }
      for (int i = len; i < bytes.length * 8; i++) {
        assertThat((bytes[i >>> 3] >>> (7 - (i & 7))) & 1).as("padding").isZero();
      }
      BitStream.Reader r = new BitStream.Reader(bytes, 0, bytes.length);
      for (int i = 0; i < writes; i++) {
        if (widths[i] < 0) {
          assertThat(r.bit()).isEqualTo((int) values[i]);
          continue;
        }
        int n = widths[i];
        long mask = n == 0 ? 0 : -1L >>> (64 - n);
        assertThat(r.read(n)).as("seed %d round %d write %d", seed, round, i).isEqualTo(values[i] & mask);
      }
    }
  }
}
