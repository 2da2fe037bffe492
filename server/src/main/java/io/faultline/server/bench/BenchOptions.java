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
    if (!zipkinHeap.matches("[0-9]+[kKmMgG]?")) {
      throw new IllegalArgumentException(
          "--zipkin-heap must be a JVM heap size such as 8g or 12000m, got " + zipkinHeap);
    }
  }

  /** The command that reproduces this run, every option spelled out. */
  String commandLine() {
    return "./faultline bench " + workload
        + " --spans " + spans
        + " --batch " + batch
        + " --clients " + clients
        + " --queries " + queries
        + " --zipkin " + zipkin
        + " --out " + out
        + " --seed " + seed
        + (zipkin ? " --zipkin-heap " + zipkinHeap : "")
        + (zipkinJar != null ? " --zipkin-jar " + zipkinJar : "");
  }
}
