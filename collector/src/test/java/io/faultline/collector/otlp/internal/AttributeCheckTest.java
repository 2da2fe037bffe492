/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AttributeCheckTest {
  private static final String[] PIECES = {"a", "Z", "é", "ß", "€", "中", "😀", "\u0000", "/"};

  @Test
  void utf8LengthIsExactWheneverItCouldExceedTheLimit() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder b = new StringBuilder();
      int n = random.nextInt(40);
      for (int j = 0; j < n; j++) {
        b.append(PIECES[random.nextInt(PIECES.length)]);
      }
      String s = b.toString();
      int exact = s.getBytes(StandardCharsets.UTF_8).length;
      int limit = random.nextInt(120);
      int counted = AttributeCheck.utf8Length(s, limit);
      if (exact > limit) {
        assertThat(counted).as("seed %d: %s with limit %d", seed, s, limit).isEqualTo(exact);
      } else {
        assertThat(counted).as("seed %d: %s with limit %d", seed, s, limit).isLessThanOrEqualTo(limit);
      }
    }
  }
}
