/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {
  private static final long GIB = 1L << 30;

  @Test
  void sizesZipkinsHeapFromTheSpansAndTheMachine() {
    assertThat(options(5_000_000, "auto").zipkinHeap(24 * GIB)).isEqualTo("16g");
    assertThat(options(200_000, "auto").zipkinHeap(24 * GIB)).isEqualTo("2g");
    assertThat(options(5_000_000, "auto").zipkinHeap(16 * GIB)).isEqualTo("10g");
    assertThat(options(5_000_000, "6000m").zipkinHeap(24 * GIB)).isEqualTo("6000m");
  }

  @Test
  void rejectsOptionsThatCannotRun() {
    assertThatThrownBy(() -> options(0, "auto")).hasMessageContaining("--spans");
    assertThatThrownBy(() -> options(10, "lots")).hasMessageContaining("--zipkin-heap");
    assertThatThrownBy(
            () -> new BenchOptions("traces", 10, 0, 2, 10, true, Path.of("o"), 1, "auto", null))
        .hasMessageContaining("--batch");
    assertThatThrownBy(
            () -> new BenchOptions("traces", 10, 512, 0, 10, true, Path.of("o"), 1, "auto", null))
        .hasMessageContaining("--clients");
  }

  @Test
  void spellsOutEveryOptionInTheCommandLine() {
    assertThat(options(200_000, "auto").commandLine())
        .isEqualTo(
            "./faultline bench traces --spans 200000 --batch 512 --clients 2 --queries 200"
                + " --zipkin true --out bench-results --seed 42 --zipkin-heap auto");
  }

  private static BenchOptions options(long spans, String heap) {
    return new BenchOptions(
        "traces", spans, 512, 2, 200, true, Path.of("bench-results"), 42, heap, null);
  }
}
