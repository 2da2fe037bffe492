/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** The benchmark's report: the figures of each server side by side, in Markdown. */
final class ResultTable {
  private final BenchOptions options;
  private final WorkloadStats workload;
  private final String setup;
  private final Instant began;
  private final List<TargetResult> results;
  private final String zipkinFailure;

  /**
   * {@code setup} describes how the servers ran; {@code zipkinFailure} says why the Zipkin
   * comparison is missing, or is null.
   */
  ResultTable(
      BenchOptions options,
      WorkloadStats workload,
      String setup,
      Instant began,
      List<TargetResult> results,
      String zipkinFailure) {
    this.options = options;
    this.workload = workload;
    this.setup = setup;
    this.began = began;
    this.results = List.copyOf(results);
    this.zipkinFailure = zipkinFailure;
  }

  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# Faultline benchmark: traces\n\n");
    md.append("- date: ").append(began).append('\n');
    md.append("- machine: ").append(machine()).append('\n');
    md.append("- command: `").append(options.commandLine()).append("`\n");
    md.append("- JVM command: `")
        .append(ProcessHandle.current().info().commandLine().orElse("unknown"))
        .append("`\n");
    md.append("- workload: ")
        .append(workload.describe())
        .append("; timestamps spread over the hour before the run; OTLP/HTTP protobuf to Faultline")
        .append(", Zipkin JSON v2 to Zipkin; the same traces and queries for both\n");
    md.append("- ").append(setup).append("\n\n");

    boolean zipkin = results.size() > 1;
    md.append("| figure | ").append(results.get(0).name());
    if (zipkin) {
      md.append(" | ").append(results.get(1).name()).append(" | Faultline / Zipkin");
    }
    md.append(" | goal |\n|---|---:|");
    md.append(zipkin ? "---:|---:|" : "").append("---|\n");
    row(md, "spans acknowledged", r -> (double) r.ingest().spansAcknowledged(), "%,.0f", "", false);
    row(
        md,
        "ingest rate, spans/s acknowledged (wall clock)",
        TargetResult::spansPerSecond,
        "%,.0f",
        "",
        true);
    row(
        md,
        "server CPU-seconds per million spans, first send to last ack",
        r -> r.perMillionSpans(r.cpuToAck()),
        "%.1f",
        "",
        true);
    row(
        md,
        "server CPU-seconds per million spans, until indexed and idle",
        r -> r.perMillionSpans(r.cpuToIdle()),
        "%.1f",
        "≤ 10",
        true);
    row(
        md,
        "of which JIT compilation (warm-up)",
        r -> r.perMillionSpans(r.cpuToIdleBreakdown().jitSeconds()),
        "%.1f",
        "",
        true);
    row(
        md,
        "of which garbage collection",
        r -> r.perMillionSpans(r.cpuToIdleBreakdown().gcSeconds()),
        "%.1f",
        "",
        true);
    row(
        md,
        "last trace readable after its ack (s)",
        TargetResult::visibleAfterSeconds,
        "%.2f",
        "≤ 1",
        true);
    row(md, "trace by id p50 (ms)", r -> millis(r.byId(), 50), "%.2f", "", true);
    row(md, "trace by id p99 (ms)", r -> millis(r.byId(), 99), "%.2f", "≤ 10", true);
    row(md, "search p50 (ms)", r -> millis(r.search(), 50), "%.2f", "", true);
    row(md, "search p99 (ms)", r -> millis(r.search(), 99), "%.2f", "≤ 100", true);
    row(
        md,
        "bytes on disk per span",
        r -> r.disk().applies() ? r.diskBytesPerSpan() : Double.NaN,
        "%.1f",
        "≤ 100",
        true);
    row(md, "peak RSS (MiB)", r -> r.peakRssBytes() / 1048576.0, "%,.0f", "", true);
    row(
        md,
        "load generator CPU-seconds per million spans",
        r -> r.perMillionSpans(r.generatorCpu()),
        "%.1f",
        "",
        true);
    row(
        md,
        "backpressure retries (429/503)",
        r -> (double) r.ingest().retries(),
        "%,.0f",
        "",
        false);
    textRow(md, "traces by id complete", r -> count(r.byId()));
    textRow(md, "searches that found traces", r -> count(r.search()));
    md.append('\n');
    notes(md);
    return md.toString();
  }

  private void notes(StringBuilder md) {
    md.append("Notes:\n\n");
    if (zipkinFailure != null) {
      md.append("- The Zipkin comparison failed: ").append(zipkinFailure).append('\n');
    }
    md.append("- Latencies are measured one query at a time over loopback HTTP after ")
        .append(Math.min(20, options.queries()))
        .append(" to ")
        .append(QueryDriver.MAX_WARMUPS)
        .append(" unmeasured warm-up queries (for up to ")
        .append(QueryDriver.WARMUP_BUDGET.toSeconds())
        .append(" s, every server alike); a search asks for a service, an operation and one")
        .append(" tag over the whole hour, limit 20. Percentiles use the nearest-rank method.\n");
    md.append(
            "- Server CPU comes from /proc/<pid>/stat (utime + stime) of the server process only;")
        .append(" \"until indexed and idle\" also counts the indexing, merging and committing that")
        .append(" follow the acknowledgements. JIT compilation and garbage collection are the CPU")
        .append(" of the JVM's compiler and collector threads (/proc/<pid>/task/*/stat): the first")
        .append(" is a warm-up cost that a longer run spreads over more spans.\n");
    if (results.size() > 1) {
      md.append("- A ratio below 1 favours Faultline, except for spans/s where above 1 does.")
          .append(" Zipkin keeps spans in memory only: no disk, no durability, and it drops")
          .append(" resource attributes its model has no place for.\n");
    }
    for (TargetResult r : results) {
      if (r.disk().applies()) {
        md.append("- ").append(r.name()).append(" data directory after a graceful stop: ");
        long spans = r.ingest().spansAcknowledged();
        r.disk()
            .bytesByEntry()
            .forEach(
                (entry, bytes) ->
                    md.append("`")
                        .append(entry)
                        .append("` ")
                        .append(
                            String.format(
                                Locale.ROOT,
                                "%,d B (%.1f B/span); ",
                                bytes,
                                bytes / (double) spans)));
        md.append(
            r.disk().cleanStop()
                ? "it exited cleanly after SIGTERM.\n"
                : "it did NOT exit within the grace period and was killed, so the figure may"
                    + " include an uncommitted write-ahead log.\n");
      }
      if (r.byId().truncated() || r.search().truncated()) {
        md.append("- ")
            .append(r.name())
            .append(": a query phase was stopped after ")
            .append(QueryDriver.PHASE_BUDGET.toMinutes())
            .append(" minutes; the percentiles cover the queries that ran.\n");
      }
      if (r.ingest().spansRejected() > 0) {
        md.append("- ")
            .append(r.name())
            .append(" rejected ")
            .append(r.ingest().spansRejected())
            .append(" spans (OTLP partialSuccess).\n");
      }
    }
  }

  private void row(
      StringBuilder md,
      String label,
      Function<TargetResult, Double> figure,
      String format,
      String goal,
      boolean ratio) {
    md.append("| ").append(label);
    double[] values = results.stream().mapToDouble(figure::apply).toArray();
    for (double v : values) {
      md.append(" | ").append(Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, format, v));
    }
    if (values.length > 1) {
      md.append(" | ");
      if (ratio && !Double.isNaN(values[0]) && !Double.isNaN(values[1]) && values[1] != 0) {
        md.append(String.format(Locale.ROOT, "%.2f", values[0] / values[1]));
      } else {
        md.append("n/a");
      }
    }
    md.append(" | ").append(goal).append(" |\n");
  }

  private void textRow(StringBuilder md, String label, Function<TargetResult, String> figure) {
    md.append("| ").append(label);
    for (TargetResult r : results) {
      md.append(" | ").append(figure.apply(r));
    }
    md.append(results.size() > 1 ? " | " : "").append(" | |\n");
  }

  private static String count(QueryDriver.Latencies latencies) {
    return latencies.good()
        + " / "
        + latencies.nanos().length
        + (latencies.truncated() ? " (of " + latencies.planned() + " planned)" : "");
  }

  private static double millis(QueryDriver.Latencies latencies, double p) {
    if (latencies.nanos().length == 0) {
      return Double.NaN;
    }
    return new Percentiles(latencies.nanos()).percentile(p) / 1e6;
  }

  static String machine() {
    String cpu = "unknown CPU";
    String memory = "";
    try {
      cpu =
          Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
              .filter(l -> l.startsWith("model name"))
              .map(l -> l.substring(l.indexOf(':') + 1).trim())
              .findFirst()
              .orElse(cpu);
      memory =
          Files.readAllLines(Path.of("/proc/meminfo")).stream()
              .filter(l -> l.startsWith("MemTotal:"))
              .map(
                  l ->
                      String.format(
                          Locale.ROOT,
                          ", %.0f GiB RAM",
                          Long.parseLong(l.replaceAll("[^0-9]", "")) / 1048576.0))
              .findFirst()
              .orElse("");
    } catch (java.io.IOException e) {
      // the figures stay meaningful without the hardware description
    }
    return Runtime.getRuntime().availableProcessors()
        + " cores ("
        + cpu
        + ")"
        + memory
        + ", "
        + System.getProperty("os.name")
        + " "
        + System.getProperty("os.version")
        + ", Java "
        + System.getProperty("java.version");
  }
}
