/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import io.faultline.server.OptionCommand;
import io.dropwizard.core.setup.Bootstrap;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code faultline bench <workload>}: starts a Faultline server (and Zipkin, for comparison) as
 * child processes, drives them with a realistic load, and prints and writes a table of ingest rate,
 * server CPU per million items, query latencies, bytes on disk and peak memory.
 */
public final class BenchCommand extends OptionCommand {
  static final String TRACES = "traces";
  static final String LOGS = "logs";
  static final String METRICS = "metrics";

  public BenchCommand() {
    super("bench", "Runs an end-to-end benchmark against a fresh server and prints a table");
  }

  @Override
  public void configure(Subparser subparser) {
    subparser.addArgument("workload").choices(TRACES, LOGS, METRICS).help("what to benchmark");
    subparser.addArgument("--spans").type(Long.class).setDefault(5_000_000L).help("spans to send");
    subparser
        .addArgument("--batch")
        .type(Integer.class)
        .help(
            "spans (traces, default 512), records (logs, 1000) or samples (metrics, 2000) per"
                + " request");
    subparser
        .addArgument("--records")
        .type(Long.class)
        .setDefault(10_000_000L)
        .help("logs: records to send");
    subparser
        .addArgument("--series")
        .setDefault(MetricBench.DEFAULT_SERIES)
        .help("metrics: comma-separated series counts, one run each");
    subparser
        .addArgument("--samples-per-series")
        .help(
            "metrics: samples per series, spread evenly over --history; one count, or one per"
                + " --series count (default: one a minute)");
    subparser
        .addArgument("--history")
        .help(
            "metrics: how far back each series' samples start, as Prometheus durations (7d, 1d);"
                + " one, or one per --series count (default: 7d, and 1d beyond 10000 series)");
    subparser
        .addArgument("--peers")
        .choices("true", "false")
        .setDefault("true")
        .help("metrics: run the same load against Prometheus and VictoriaMetrics too");
    subparser.addArgument("--clients").type(Integer.class).setDefault(2).help("concurrent senders");
    subparser
        .addArgument("--queries")
        .type(Integer.class)
        .setDefault(1000)
        .help("trace-by-id queries and searches, each");
    subparser
        .addArgument("--zipkin")
        .choices("true", "false")
        .setDefault("true")
        .help("run the same workload against Zipkin's in-memory server too");
    subparser
        .addArgument("--out")
        .setDefault("./bench-results")
        .help("directory for the report and the servers' logs");
    subparser
        .addArgument("--seed")
        .type(Long.class)
        .setDefault(42L)
        .help("seed of the generated traces and queries");
    subparser
        .addArgument("--zipkin-heap")
        .setDefault(BenchOptions.AUTO)
        .help(
            "Zipkin's -Xmx; it keeps every span on the heap, so 'auto' gives it about 3 KiB"
                + " per span");
    subparser
        .addArgument("--zipkin-jar")
        .help("Zipkin's exec jar (default: the local Maven repository, fetched there if missing)");
  }

  @Override
  public void run(Bootstrap<?> bootstrap, Namespace namespace) throws Exception {
    String zipkinJar = namespace.getString("zipkin_jar");
    BenchOptions options =
        new BenchOptions(
            namespace.getString("workload"),
            namespace.getLong("spans"),
            batch(namespace, 512),
            namespace.getInt("clients"),
            namespace.getInt("queries"),
            Boolean.parseBoolean(namespace.getString("zipkin")),
            Path.of(namespace.getString("out")),
            namespace.getLong("seed"),
            namespace.getString("zipkin_heap"),
            zipkinJar == null ? null : Path.of(zipkinJar));
    switch (options.workload()) {
      case TRACES -> new TraceBench(options, serverJar(), System.out).run();
      case LOGS ->
          new LogBench(
                  new LogBench.Options(
                      namespace.getLong("records"),
                      options.clients(),
                      batch(namespace, 1000),
                      Math.min(options.queries(), 200),
                      options.out(),
                      options.seed()),
                  serverJar(),
                  System.out)
              .run();
      case METRICS ->
          new MetricBench(
                  new MetricBench.Options(
                      MetricBench.parseSeries(namespace.getString("series")),
                      MetricBench.parseCounts(namespace.getString("samples_per_series")),
                      MetricBench.parseHistory(namespace.getString("history")),
                      options.clients(),
                      batch(namespace, 2000),
                      Math.min(options.queries(), 50),
                      Boolean.parseBoolean(namespace.getString("peers")),
                      options.out(),
                      options.seed()),
                  serverJar(),
                  System.out)
              .run();
      default ->
          throw new IllegalArgumentException(
              "unknown workload '"
                  + options.workload()
                  + "'; known: "
                  + String.join(", ", TRACES, LOGS, METRICS));
    }
  }

  private static int batch(Namespace namespace, int defaultBatch) {
    Integer batch = namespace.getInt("batch");
    return batch == null ? defaultBatch : batch;
  }

  /** The jar this command runs from: the benchmark starts the server from the very same build. */
  static Path serverJar() {
    Path location;
    try {
      location =
          Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("cannot tell which jar the bench runs from", e);
    }
    if (!Files.isRegularFile(location) || !location.toString().endsWith(".jar")) {
      throw new IllegalStateException(
          "the bench starts the server from the packaged jar, but it"
              + " runs from "
              + location
              + "; build it (mvn -B -DskipTests package -pl server -am)"
              + " and run ./faultline bench ...");
    }
    return location;
  }
}
