/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

/**
 * Everything measured against one server.
 *
 * @param cpuToAck server CPU seconds from the first send to the last acknowledgement
 * @param cpuToIdle server CPU seconds from the first send until it was idle again after ingest
 *     (indexing, merges and commits that follow the acknowledgements included)
 * @param cpuToIdleBreakdown what of {@code cpuToIdle} went to JIT compilation and garbage
 *     collection
 * @param visibleAfterSeconds from the last acknowledgement until the last trace was readable
 * @param generatorCpu CPU seconds the benchmark process itself used during ingest
 */
record TargetResult(
    String name,
    IngestDriver.Result ingest,
    double cpuToAck,
    double cpuToIdle,
    ProcStats.CpuBreakdown cpuToIdleBreakdown,
    double visibleAfterSeconds,
    QueryDriver.Latencies byId,
    QueryDriver.Latencies search,
    BenchTarget.DiskUsage disk,
    long peakRssBytes,
    double generatorCpu) {

  double spansPerSecond() {
    return ingest.spansAcknowledged() / ingest.seconds();
  }

  double perMillionSpans(double cpuSeconds) {
    return cpuSeconds / (ingest.spansAcknowledged() / 1e6);
  }

  double diskBytesPerSpan() {
    return disk.total() / (double) ingest.spansAcknowledged();
  }
}
