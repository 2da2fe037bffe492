/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A metrics server under test, started as a child process on loopback: fed Prometheus remote write
 * 1.0, queried through the Prometheus HTTP API.
 */
interface MetricTarget {
  String name();

  void start() throws IOException, InterruptedException;

  long pid();

  URI write();

  /** A GET of the Prometheus API ({@code /api/v1/query?...}). */
  HttpRequest query(String pathAndQuery);

  /** Stops gracefully and returns what it keeps on disk. */
  BenchTarget.DiskUsage stop() throws IOException, InterruptedException;

  /** Faultline from the benchmark's own jar. */
  static MetricTarget faultline(ChildProcesses children, Path jar, Path log) {
    FaultlineServer server = new FaultlineServer(children, jar, log);
    return new MetricTarget() {
      @Override
      public String name() {
        return "Faultline";
      }

      @Override
      public void start() throws IOException, InterruptedException {
        server.start();
      }

      @Override
      public long pid() {
        return server.pid();
      }

      @Override
      public URI write() {
        return server.http("/api/v1/write");
      }

      @Override
      public HttpRequest query(String pathAndQuery) {
        return server.get(pathAndQuery);
      }

      @Override
      public BenchTarget.DiskUsage stop() throws IOException, InterruptedException {
        return server.stop();
      }
    };
  }

  /** Prometheus' own server with its remote-write receiver, on a fresh TSDB directory. */
  static MetricTarget prometheus(ChildProcesses children, Path binary, Path log) {
    return new Peer(children, "Prometheus", log) {
      @Override
      List<String> command(Path data, int port) throws IOException {
        Path config = data.resolveSibling(data.getFileName() + ".yml");
        Files.writeString(config, "global:\n  scrape_interval: 1m\n");
        return List.of(
            binary.toString(),
            "--config.file=" + config,
            "--storage.tsdb.path=" + data,
            "--storage.tsdb.retention.time=30d",
            "--web.listen-address=127.0.0.1:" + port,
            "--web.enable-remote-write-receiver");
      }

      @Override
      String ready() {
        return "/-/ready";
      }
    };
  }

  /** VictoriaMetrics single-node on a fresh storage directory. */
  static MetricTarget victoriaMetrics(ChildProcesses children, Path binary, Path log) {
    return new Peer(children, "VictoriaMetrics", log) {
      @Override
      List<String> command(Path data, int port) {
        return List.of(
            binary.toString(),
            "-httpListenAddr=127.0.0.1:" + port,
            "-storageDataPath=" + data,
            "-retentionPeriod=1",
            "-search.latencyOffset=0s");
      }

      @Override
      String ready() {
        return "/health";
      }
    };
  }

  /** A peer system run from its installed binary. */
  abstract class Peer implements MetricTarget {
    private final ChildProcesses children;
    private final String name;
    private final Path log;
    private final Runnable cleanup = this::removeData;
    private Path data;
    private Process process;
    private int port;

    Peer(ChildProcesses children, String name, Path log) {
      this.children = children;
      this.name = name;
      this.log = log;
    }

    abstract List<String> command(Path data, int port) throws IOException;

    abstract String ready();

    @Override
    public String name() {
      return name;
    }

    @Override
    public void start() throws IOException, InterruptedException {
      data =
          Files.createTempDirectory(
              Path.of(System.getProperty("java.io.tmpdir")), "bench-" + name + "-");
      children.onStop(cleanup);
      port = ChildProcesses.freePort();
      process = children.start(command(data, port), Map.of(), log);
      ChildProcesses.awaitReady(
          process,
          URI.create("http://127.0.0.1:" + port + ready()),
          Duration.ofSeconds(120),
          log,
          name);
    }

    @Override
    public long pid() {
      return process.pid();
    }

    @Override
    public URI write() {
      return URI.create("http://127.0.0.1:" + port + "/api/v1/write");
    }

    @Override
    public HttpRequest query(String pathAndQuery) {
      return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
          .timeout(Duration.ofSeconds(120))
          .GET()
          .build();
    }

    @Override
    public BenchTarget.DiskUsage stop() throws IOException, InterruptedException {
      if (process == null) {
        return BenchTarget.DiskUsage.NONE;
      }
      boolean clean = children.stop(process, Duration.ofSeconds(120));
      process = null;
      BenchTarget.DiskUsage usage = FaultlineServer.diskUsage(data, clean);
      children.done(cleanup);
      removeData();
      return usage;
    }

    private void removeData() {
      try {
        FaultlineServer.deleteRecursively(data);
        Files.deleteIfExists(data.resolveSibling(data.getFileName() + ".yml"));
      } catch (IOException e) {
        System.err.println("could not remove " + data + ": " + e);
      }
    }
  }
}
