/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.faultline.core.metric.PromqlResult;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus server (Debian's package) on loopback, serving blocks that {@code promtool}
 * built from an OpenMetrics file, and a client of its query API.
 */
final class PrometheusProcess implements AutoCloseable {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  private final Process process;
  private final Path log;
  private final URI base;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private PrometheusProcess(Process process, Path log, URI base) {
    this.process = process;
    this.log = log;
    this.base = base;
  }

  /** The executable of that name on the PATH, or null. */
  static Path findOnPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** Builds TSDB blocks in {@code tsdb} from the OpenMetrics file; fails with promtool's output. */
  static void createBlocks(Path promtool, Path openMetrics, Path tsdb, Path workDir)
      throws IOException, InterruptedException {
    Path out = workDir.resolve("promtool.log");
    Process p = new ProcessBuilder(
            promtool.toString(), "tsdb", "create-blocks-from", "openmetrics",
            openMetrics.toString(), tsdb.toString())
        .redirectErrorStream(true)
        .redirectOutput(out.toFile())
        .start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new IllegalStateException("promtool did not finish within 60 s; its output: "
          + Files.readString(out));
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException("promtool tsdb create-blocks-from openmetrics failed ("
          + p.exitValue() + "): " + Files.readString(out));
    }
  }

  /** Starts Prometheus on a free loopback port over {@code tsdb} and waits until it is ready. */
  static PrometheusProcess start(Path prometheus, Path tsdb, Path workDir)
      throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path config = workDir.resolve("prometheus.yml");
    // no scrape configs: the server holds only the backfilled blocks
    Files.writeString(config, "global:\n  evaluation_interval: 1m\n");
    Path log = workDir.resolve("prometheus.log");
    Process p = new ProcessBuilder(
            prometheus.toString(),
            "--config.file=" + config,
            "--storage.tsdb.path=" + tsdb,
            "--storage.tsdb.retention.time=100y",
            "--web.listen-address=127.0.0.1:" + port,
            "--query.max-samples=100000000")
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    PrometheusProcess server =
        new PrometheusProcess(p, log, URI.create("http://127.0.0.1:" + port));
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .failFast("prometheus exited; its log: " + log, () -> !p.isAlive())
          .until(server::ready);
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  private boolean ready() {
    try {
      HttpResponse<Void> r = http.send(
          HttpRequest.newBuilder(base.resolve("/-/ready")).timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  QueryAnswer instant(String query, long timeMs) throws IOException, InterruptedException {
    return post("/api/v1/query",
        "query=" + enc(query) + "&time=" + PromqlResult.formatTime(timeMs));
  }

  QueryAnswer range(String query, long startMs, long endMs, long stepMs)
      throws IOException, InterruptedException {
    return post("/api/v1/query_range",
        "query=" + enc(query) + "&start=" + PromqlResult.formatTime(startMs)
            + "&end=" + PromqlResult.formatTime(endMs)
            + "&step=" + PromqlResult.formatTime(stepMs));
  }

  private QueryAnswer post(String path, String form) throws IOException, InterruptedException {
    HttpResponse<byte[]> r = http.send(
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
    String type = r.headers().firstValue("Content-Type").orElse("");
    if (!type.startsWith("application/json")) {
      throw new IllegalStateException("Prometheus answered " + path + " with HTTP "
          + r.statusCode() + " and " + type + ": "
          + new String(r.body(), StandardCharsets.UTF_8) + "; its log: " + log);
    }
    return QueryAnswer.ofPrometheus(JSON.readTree(r.body()));
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
