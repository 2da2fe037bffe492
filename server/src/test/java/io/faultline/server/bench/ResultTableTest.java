/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResultTableTest {
  private static final BenchOptions OPTIONS =
      new BenchOptions("traces", 1_000_000, 512, 2, 100, true, Path.of("out"), 42, "8g", null);
  private static final WorkloadStats WORKLOAD = new WorkloadStats(7, 8, 3, 6, 10, 0.02, 0.14);

  @Test
  void putsBothServersSideBySideWithRatios() {
    TargetResult faultline =
        result(
            "Faultline",
            10.0,
            4.0,
            new BenchTarget.DiskUsage(Map.of("traces", 60_000_000L, "wal", 20_000_000L), true));
    TargetResult zipkin = result("Zipkin 3.5.1 (mem)", 20.0, 8.0, BenchTarget.DiskUsage.NONE);

    String md =
        new ResultTable(
                OPTIONS, WORKLOAD, "two servers", Instant.EPOCH, List.of(faultline, zipkin), null)
            .markdown();

    List<String> rows = md.lines().filter(l -> l.startsWith("|")).toList();
    assertThat(rows).hasSizeGreaterThan(10);
    for (String row : rows) {
      assertThat(row.chars().filter(c -> c == '|').count()).as(row).isEqualTo(6);
    }
    assertThat(md)
        .contains(
            "| server CPU-seconds per million spans, until indexed and idle"
                + " | 10.0 | 20.0 | 0.50 | ≤ 10 |");
    assertThat(md).contains("| bytes on disk per span | 80.0 | n/a | n/a | ≤ 100 |");
    assertThat(md).contains("| search p99 (ms) | 99.00 | 198.00 | 0.50 | ≤ 100 |");
    assertThat(md).contains("`" + OPTIONS.commandLine() + "`");
    assertThat(md).contains("`traces` 60,000,000 B (60.0 B/span)");
  }

  @Test
  void saysWhyTheComparisonIsMissing() {
    TargetResult faultline = result("Faultline", 10.0, 4.0, BenchTarget.DiskUsage.NONE);
    String md =
        new ResultTable(
                OPTIONS,
                WORKLOAD,
                "two servers",
                Instant.EPOCH,
                List.of(faultline),
                "out of memory")
            .markdown();
    for (String row : md.lines().filter(l -> l.startsWith("|")).toList()) {
      assertThat(row.chars().filter(c -> c == '|').count()).as(row).isEqualTo(4);
    }
    assertThat(md).contains("The Zipkin comparison failed: out of memory");
  }

  /** Latencies are 1..100 ms times {@code scale}, so p99 is 99 ms times scale. */
  private static TargetResult result(
      String name, double cpuToIdle, double scale, BenchTarget.DiskUsage disk) {
    long[] nanos = new long[100];
    for (int i = 0; i < nanos.length; i++) {
      nanos[i] = (long) ((i + 1) * 1_000_000L * scale / 4.0);
    }
    IngestDriver.Result ingest = new IngestDriver.Result(1_000_000, 0, 1954, 0, 0, 50.0);
    return new TargetResult(
        name,
        ingest,
        cpuToIdle * 0.8,
        cpuToIdle,
        new ProcStats.CpuBreakdown(cpuToIdle * 0.2, cpuToIdle * 0.1),
        0.5,
        new QueryDriver.Latencies(nanos, 100, 100),
        new QueryDriver.Latencies(nanos, 98, 100),
        disk,
        1L << 30,
        5.0);
  }
}
