/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class PercentilesTest {

  @Test
  void nearestRankOfOneToTen() {
    Percentiles p = new Percentiles(new long[] {7, 3, 10, 1, 9, 2, 8, 4, 6, 5});
    assertThat(p.percentile(50)).isEqualTo(5);
    assertThat(p.percentile(90)).isEqualTo(9);
    assertThat(p.percentile(99)).isEqualTo(10);
    assertThat(p.percentile(100)).isEqualTo(10);
    assertThat(p.percentile(1)).isEqualTo(1);
  }

  @Test
  void p99OfAThousandSamplesIsThe990th() {
    Percentiles p = new Percentiles(LongStream.rangeClosed(1, 1000).map(i -> 1001 - i).toArray());
    assertThat(p.percentile(99)).isEqualTo(990);
    assertThat(p.percentile(50)).isEqualTo(500);
    assertThat(p.count()).isEqualTo(1000);
  }

  @Test
  void aSingleSampleIsEveryPercentile() {
    Percentiles p = new Percentiles(new long[] {42});
    assertThat(p.percentile(0.1)).isEqualTo(42);
    assertThat(p.percentile(99.9)).isEqualTo(42);
  }

  @Test
  void doesNotReorderTheCallersArray() {
    long[] samples = {3, 1, 2};
    new Percentiles(samples).percentile(50);
    assertThat(samples).containsExactly(3, 1, 2);
  }

  @Test
  void rejectsPercentilesOutsideTheRangeAndEmptySamples() {
    Percentiles p = new Percentiles(new long[] {1, 2});
    assertThatThrownBy(() -> p.percentile(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> p.percentile(100.5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Percentiles(new long[0]).percentile(50))
        .isInstanceOf(IllegalStateException.class);
  }
}
