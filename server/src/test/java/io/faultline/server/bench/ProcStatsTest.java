/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcStatsTest {

  @Test
  void addsUserAndSystemTicks() {
    String stat =
        "4242 (java) S 1 4242 4242 0 -1 4194560 51234 0 12 0 1500 250 0 0 20 0 57 0 123456"
            + " 8000000000 120000 18446744073709551615 1 1 0 0 0 0 0 2 16800975 0 0 0 17 1 0 0";
    assertThat(ProcStats.cpuTicks(stat)).isEqualTo(1750);
  }

  @Test
  void countsFieldsFromTheLastParenthesisBecauseCommandNamesMayHoldSpaces() {
    String stat = "77 (my (odd) name) R 1 77 77 0 -1 0 0 0 0 0 30 12 5 5 20 0 1 0 1 1 1";
    assertThat(ProcStats.cpuTicks(stat)).isEqualTo(42);
  }

  @Test
  void chargesThisJvmsCompilerThreadsToJitCompilation() throws Exception {
    ProcStats proc = ProcStats.detect();
    long self = ProcessHandle.current().pid();
    ProcStats.CpuBreakdown b = proc.cpuBreakdown(self);
    // the compilers have compiled JUnit and AssertJ by now; both parts are within the whole
    assertThat(b.jitSeconds()).isPositive();
    assertThat(b.gcSeconds()).isNotNegative();
    assertThat(b.jitSeconds() + b.gcSeconds()).isLessThanOrEqualTo(proc.cpuSeconds(self));
  }

  @Test
  void readsPeakResidentSetSize() {
    String status = "Name:\tjava\nVmPeak:\t 9000000 kB\nVmHWM:\t  812345 kB\nVmRSS:\t  700000 kB\n";
    assertThat(ProcStats.vmHwmKib(status)).isEqualTo(812345);
  }

  @Test
  void rejectsTextThatIsNotFromProc() {
    assertThatThrownBy(() -> ProcStats.cpuTicks("no parenthesis here"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ProcStats.vmHwmKib("Name:\tjava\n"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
