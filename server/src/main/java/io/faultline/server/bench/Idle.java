/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;

/** Waits until a server's CPU use falls to near nothing, so background work is charged to it. */
final class Idle {
  private static final Duration TIMEOUT = Duration.ofMinutes(3);
  private static final double CPU_PER_SECOND = 0.05;

  private Idle() {}

  /** Returns the process' CPU seconds once it was quiet for two seconds (or at the timeout). */
  static double await(ProcStats proc, long pid, PrintStream out)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    double previous = proc.cpuSeconds(pid);
    int quiet = 0;
    while (System.nanoTime() < deadline) {
      Thread.sleep(1000);
      double now = proc.cpuSeconds(pid);
      quiet = now - previous < CPU_PER_SECOND ? quiet + 1 : 0;
      previous = now;
      if (quiet >= 2) {
        return now;
      }
    }
    out.printf("  still busy after %d s; counting CPU up to now%n", TIMEOUT.toSeconds());
    return previous;
  }
}
