/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.nio.file.Path;

/** The benchmark's command-line options, checked once. */
record BenchOptions(
    String workload,
    long spans,
    int batch,
    int clients,
    int queries,
    boolean zipkin,
    Path out,
    long seed,
    String zipkinHeap,
    Path zipkinJar) {

  BenchOptions {
    if (spans < 1) {
      throw new IllegalArgumentException("--spans must be at least 1, got " + spans);
    }
    if (batch < 1 || batch > 100_000) {
      throw new IllegalArgumentException("--batch must be between 1 and 100000, got " + batch);
    }
    if (clients < 1 || clients > 64) {
      throw new IllegalArgumentException("--clients must be between 1 and 64, got " + clients);
    }
    if (queries < 1) {
      throw new IllegalArgumentException("--queries must be at least 1, got " + queries);
    }
    if (!zipkinHeap.equals(AUTO) && !zipkinHeap.matches("[0-9]+[kKmMgG]?")) {
      throw new IllegalArgumentException(
          "--zipkin-heap must be 'auto' or a JVM heap size such as"
              + " 16g or 12000m, got "
              + zipkinHeap);
    }
  }

  static final String AUTO = "auto";

  /**
   * Zipkin's -Xmx: as given, or for {@code auto} about 3 KiB per span (Zipkin 3.5.1 was measured at
   * 2.7 KiB of live heap per span of this workload) plus 1 GiB, capped at the machine's memory less
   * 6 GiB for everything else.
   */
  String zipkinHeap(long machineBytes) {
    if (!zipkinHeap.equals(AUTO)) {
      return zipkinHeap;
    }
    long gib = 1L << 30;
    long wanted = (spans * 3072 + gib - 1) / gib + 1;
    long cap = Math.max(1, machineBytes / gib - 6);
    return Math.min(wanted, cap) + "g";
  }

  /** The command that reproduces this run, every option spelled out. */
  String commandLine() {
    return "./faultline bench "
        + workload
        + " --spans "
        + spans
        + " --batch "
        + batch
        + " --clients "
        + clients
        + " --queries "
        + queries
        + " --zipkin "
        + zipkin
        + " --out "
        + out
        + " --seed "
        + seed
        + (zipkin ? " --zipkin-heap " + zipkinHeap : "")
        + (zipkinJar != null ? " --zipkin-jar " + zipkinJar : "");
  }
}
