/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import static org.assertj.core.api.Assertions.assertThat;

import io.faultline.metric.storage.Series;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PackedChunkTest {
  private static final long T0 = 1_700_000_000_000L;

  @Test
  void everyKindOfDataRoundTripsBitForBit() {
    long seed = System.nanoTime();
    System.out.println("PackedChunk round trip seed " + seed);
    Random rnd = new Random(seed);
    for (int round = 0; round < 400; round++) {
      int n = 1 + rnd.nextInt(round % 3 == 0 ? 3 : 240);
      long[] ts = new long[n];
      double[] vs = new double[n];
      int timeKind = rnd.nextInt(4);
      int valueKind = rnd.nextInt(8);
      long t = T0 + rnd.nextInt(1_000_000) - (rnd.nextBoolean() ? 2 * T0 : 0);
      double v = rnd.nextInt(1000);
      for (int i = 0; i < n; i++) {
        t += switch (timeKind) {
          case 0 -> 15_000;
          case 1 -> 15_000 + rnd.nextInt(9) - 4;
          case 2 -> rnd.nextInt(50) == 0 ? 1 + rnd.nextInt(100_000_000) : 30_000;
          default -> 1 + Math.abs(rnd.nextLong() % 100_000_000_000L);
        };
        ts[i] = t;
        v = switch (valueKind) {
          case 0 -> v + rnd.nextInt(100);
          case 1 -> rnd.nextInt(30) == 0 ? 0 : v + rnd.nextInt(5_000); // counter with resets
          case 2 -> Math.round((v + rnd.nextDouble() * 10) * 1000) / 1000.0; // 3 decimals
          case 3 -> rnd.nextDouble();
          case 4 -> switch (rnd.nextInt(6)) {
            case 0 -> Double.NaN;
            case 1 -> Series.STALE_NAN;
            case 2 -> -0.0;
            case 3 -> Double.POSITIVE_INFINITY;
            case 4 -> 1e300;
            default -> i;
          };
          case 5 -> rnd.nextInt(3) - 1; // small gauge, negative values included
          case 6 -> v + (rnd.nextInt(10) == 0 ? 9e15 : 1); // beyond 2^53 now and then
          default -> 0.1 * rnd.nextInt(100);
        };
        vs[i] = v;
      }
      byte[] data = PackedChunk.encode(ts, vs, n);
      assertThat(PackedChunk.firstTimestamp(data, 0)).isEqualTo(ts[0]);
      long[] gotT = new long[n];
      long[] gotV = new long[n];
      int[] k = {0};
      PackedChunk.decode(data, 0, data.length, n, (tt, vv) -> {
        gotT[k[0]] = tt;
        gotV[k[0]] = Double.doubleToRawLongBits(vv);
        k[0]++;
      });
      assertThat(k[0]).as("round %d", round).isEqualTo(n);
      assertThat(gotT).as("round %d timestamps", round).containsExactly(ts);
      for (int i = 0; i < n; i++) {
        assertThat(gotV[i])
            .as("round %d value %d of %s", round, i, vs[i])
            .isEqualTo(Double.doubleToRawLongBits(vs[i]));
      }
    }
  }

  @Test
  void scrapedCountersCostAFractionOfTheXorEncoding() {
    Random rnd = new Random(7);
    int n = 240;
    long[] ts = new long[n];
    double[] vs = new double[n];
    XorChunk xor = new XorChunk();
    double v = 1_234_567;
    for (int i = 0; i < n; i++) {
      ts[i] = T0 + i * 15_000L + rnd.nextInt(3);
      v += 100 + rnd.nextInt(40);
      vs[i] = v;
      xor.append(ts[i], vs[i]);
    }
    byte[] packed = PackedChunk.encode(ts, vs, n);
    assertThat(PackedChunk.encode(xor)).containsExactly(packed);
    // timestamps: 3 bits of jitter deltas; values: 6 bits of increment spread
    assertThat(packed.length * 8.0 / n).isLessThan(10.0);
    assertThat(packed.length).isLessThan(xor.bytes().length / 2);
  }

  @Test
  void randomFloatsCostNoMoreThanXor() {
    Random rnd = new Random(11);
    int n = 120;
    long[] ts = new long[n];
    double[] vs = new double[n];
    XorChunk xor = new XorChunk();
    for (int i = 0; i < n; i++) {
      ts[i] = T0 + i * 15_000L;
      vs[i] = rnd.nextGaussian();
      xor.append(ts[i], vs[i]);
    }
    assertThat(PackedChunk.encode(ts, vs, n).length).isLessThanOrEqualTo(xor.bytes().length);
  }
}
