/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ChildProcessesTest {
  @Test
  void freePortsAreDistinct() throws Exception {
    for (int i = 0; i < 50; i++) {
      int[] ports = ChildProcesses.freePorts(5);
      assertThat(Arrays.stream(ports).distinct().count()).isEqualTo(5);
      assertThat(Arrays.stream(ports).min().orElseThrow()).isPositive();
    }
  }
}
