/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The built server jar started as a separate process, the way users start it, on free loopback
 * ports, so tests can kill it with SIGKILL.
 */
final class ServerProcess implements AutoCloseable {
  static final String TOKEN = "durability-admin-token";

  final int httpPort;
  final int adminPort;
  final int grpcPort;
  final int otlpHttpPort;
  final int logstashPort;
  private final Path dataDir;
  private final Path log;
  private Process process;

  ServerProcess(Path dataDir, Path log) throws IOException {
    this.dataDir = dataDir;
    this.log = log;
    this.httpPort = freePort();
    this.adminPort = freePort();
    this.grpcPort = freePort();
    this.otlpHttpPort = freePort();
    this.logstashPort = freePort();
  }

  static Path jar() {
    Path jar = Path.of("target", "faultline.jar").toAbsolutePath();
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: run 'mvn verify' (package comes first)");
    }
    return jar;
  }

  ServerProcess start() throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    cmd.add("-jar");
    cmd.add(jar().toString());
    cmd.add("server");
    cmd.add("--data-dir");
    cmd.add(dataDir.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> env = pb.environment();
    env.put("FAULTLINE_HTTP_PORT", Integer.toString(httpPort));
    env.put("FAULTLINE_ADMIN_PORT", Integer.toString(adminPort));
    env.put("FAULTLINE_OTLP_GRPC_PORT", Integer.toString(grpcPort));
    env.put("FAULTLINE_OTLP_HTTP_PORT", Integer.toString(otlpHttpPort));
    env.put("FAULTLINE_LOGSTASH_PORT", Integer.toString(logstashPort));
    env.put("FAULTLINE_ADMIN_TOKEN", TOKEN);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    process = pb.start();
    HttpClient client = HttpClient.newHttpClient();
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException(
                    "server exited with " + process.exitValue() + ", see " + log);
              }
              try {
                return client
                        .send(
                            HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + adminPort + "/ping"))
                                .build(),
                            HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                    == 200;
              } catch (IOException e) {
                return false;
              }
            });
    return this;
  }

  /** SIGKILL: no shutdown hook, no final commit. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  String api(String pathAndQuery) {
    return "http://127.0.0.1:" + httpPort + pathAndQuery;
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
        kill();
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
