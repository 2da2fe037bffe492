/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The {@code traces} workload: the same generated traces sent to Faultline and then to Zipkin, one
 * server at a time so neither competes with the other for the two cores, then the same queries
 * against both.
 */
final class TraceBench {
  static final Duration WINDOW = Duration.ofHours(1);
  static final int SHAPES = 1000;
  private static final Duration VISIBILITY_TIMEOUT = Duration.ofMinutes(10);
  private static final Duration IDLE_TIMEOUT = Duration.ofMinutes(3);
  private static final double IDLE_CPU_PER_SECOND = 0.05;

  private final BenchOptions options;
  private final Path serverJar;
  private final PrintStream out;
  private final ProcStats proc = ProcStats.detect();

  TraceBench(BenchOptions options, Path serverJar, PrintStream out) {
    this.options = options;
    this.serverJar = serverJar;
    this.out = out;
  }

  /** Runs the workload and returns the path of the written report. */
  Path run() throws Exception {
    BenchRun run = BenchRun.start(options.out());
    Instant began = run.began();
    String stamp = run.stamp();
    Path dir = run.dir();
    // the hour of timestamps ends a minute ago, so nothing lies in the servers' future
    long windowEndNanos = TimeUnit.MILLISECONDS.toNanos(began.toEpochMilli()) - 60_000_000_000L;
    long windowStartNanos = windowEndNanos - WINDOW.toNanos();

    TraceShapes shapes = TraceShapes.generate(options.seed(), SHAPES);
    WorkloadStats workload = WorkloadStats.of(shapes);
    out.printf(
        "bench traces: %,d spans in batches of %d from %d clients, %s; seed %d%n",
        options.spans(), options.batch(), options.clients(), workload.describe(), options.seed());
    List<BenchTarget.SearchQuery> searches =
        QueryDriver.searches(shapes, options.seed(), options.queries());

    String zipkinHeap = options.zipkinHeap(ProcStats.machineMemoryBytes());
    List<TargetResult> results = new ArrayList<>();
    String zipkinFailure = null;
    try (ChildProcesses children = new ChildProcesses()) {
      FaultlineTarget faultline =
          new FaultlineTarget(
              children, serverJar, dir.resolve("faultline-server-" + stamp + ".log"));
      results.add(measure(faultline, shapes, searches, windowStartNanos));
      if (options.zipkin()) {
        Path zipkinJar =
            options.zipkinJar() != null
                ? options.zipkinJar()
                : ZipkinJar.locate(children, dir.resolve("tools"), dir.resolve("zipkin-fetch.log"));
        long maxSpans = options.spans() + options.spans() / 100 + 10_000;
        Path zipkinLog = dir.resolve("zipkin-server-" + stamp + ".log");
        ZipkinTarget zipkin =
            new ZipkinTarget(children, zipkinJar, zipkinLog, zipkinHeap, maxSpans);
        try {
          results.add(measure(zipkin, shapes, searches, windowStartNanos));
        } catch (IOException e) {
          // Faultline's figures are worth reporting even when the comparison could not run
          zipkinFailure = e.getMessage() + " (Zipkin's log: " + zipkinLog + ")";
          out.println("  Zipkin failed: " + zipkinFailure);
        }
      }
    }
    String setup =
        "servers run one after the other, each as a child process: Faultline with "
            + FaultlineServer.HEAP
            + (options.zipkin() ? ", Zipkin with -Xmx" + zipkinHeap + " and STORAGE_TYPE=mem" : "");
    String report =
        new ResultTable(options, workload, setup, began, results, zipkinFailure).markdown();
    Path file = dir.resolve("bench-traces-" + stamp + ".md");
    Files.writeString(file, report);
    out.println();
    out.println(report);
    out.println("written to " + file);
    return file;
  }

  private TargetResult measure(
      BenchTarget target,
      TraceShapes shapes,
      List<BenchTarget.SearchQuery> searches,
      long windowStartNanos)
      throws Exception {
    out.printf("%n== %s ==%n", target.name());
    try {
      target.start();
      long pid = target.pid();
      long self = ProcessHandle.current().pid();
      out.printf("  started (pid %d); ingesting...%n", pid);
      TraceGenerator generator =
          new TraceGenerator(
              shapes, options.seed(), options.spans(), windowStartNanos, WINDOW.toNanos());
      double cpuStart = proc.cpuSeconds(pid);
      ProcStats.CpuBreakdown breakdownStart = proc.cpuBreakdown(pid);
      double selfStart = proc.cpuSeconds(self);
      IngestDriver.Result ingest =
          new IngestDriver().run(target, generator, options.clients(), options.batch(), out);
      double cpuToAck = proc.cpuSeconds(pid) - cpuStart;
      double generatorCpu = proc.cpuSeconds(self) - selfStart;
      out.printf(
          "  %,d spans acknowledged in %.1f s (%,.0f spans/s), %d retries%n",
          ingest.spansAcknowledged(),
          ingest.seconds(),
          ingest.spansAcknowledged() / ingest.seconds(),
          ingest.retries());

      QueryDriver queries = new QueryDriver();
      long last = generator.traces() - 1;
      double visibleAfter =
          queries.awaitComplete(
              target,
              generator.traceIdHex(last),
              generator.template(last).spans().size(),
              VISIBILITY_TIMEOUT);
      out.printf(
          "  last trace readable %.2f s after its acknowledgement; waiting until idle...%n",
          visibleAfter);
      double cpuToIdle = awaitIdle(pid) - cpuStart;
      ProcStats.CpuBreakdown breakdown = proc.cpuBreakdown(pid).minus(breakdownStart);

      long fromMicros = windowStartNanos / 1000 - 60_000_000L;
      long toMicros = System.currentTimeMillis() * 1000 + 60_000_000L;
      int warmup = Math.min(20, options.queries());
      long[] ids = QueryDriver.traceNumbers(generator.traces(), options.seed(), options.queries());
      out.printf("  %d trace-by-id queries...%n", options.queries());
      QueryDriver.Latencies byId = queries.byId(target, generator, ids, warmup);
      out.printf("  %d searches...%n", options.queries());
      QueryDriver.Latencies search = queries.search(target, searches, fromMicros, toMicros, warmup);
      long peakRss = proc.peakRssBytes(pid);
      out.println("  stopping (SIGTERM)...");
      BenchTarget.DiskUsage disk = target.stop();
      return new TargetResult(
          target.name(),
          ingest,
          cpuToAck,
          cpuToIdle,
          breakdown,
          visibleAfter,
          byId,
          search,
          disk,
          peakRss,
          generatorCpu);
    } catch (Exception e) {
      Optional<String> died = target.exitReport();
      if (died.isPresent()) {
        e = new IOException(died.get(), e);
      }
      try {
        target.stop();
      } catch (IOException | RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  /** Waits until the server's CPU use falls to near nothing; returns its CPU seconds then. */
  private double awaitIdle(long pid) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + IDLE_TIMEOUT.toNanos();
    double previous = proc.cpuSeconds(pid);
    int quietSeconds = 0;
    while (System.nanoTime() < deadline) {
      Thread.sleep(1000);
      double now = proc.cpuSeconds(pid);
      quietSeconds = now - previous < IDLE_CPU_PER_SECOND ? quietSeconds + 1 : 0;
      previous = now;
      if (quietSeconds >= 2) {
        return now;
      }
    }
    out.printf("  still busy after %d s; counting CPU up to now%n", IDLE_TIMEOUT.toSeconds());
    return previous;
  }
}
