/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A Faultline server for every workload: started from a private copy of the jar the benchmark runs
 * from, on a fresh data directory and free loopback ports. {@code FAULTLINE_BENCH_SERVER_JVM_OPTS}
 * adds server JVM flags (a flight recording for a profile, a {@code -Ddw.*} setting), and {@code
 * FAULTLINE_BENCH_KEEP_DATA} keeps the data directory for a look at the files afterwards.
 */
final class FaultlineServer {
  static final String HEAP = "-Xmx2g";

  private static final Duration STARTUP = Duration.ofSeconds(120);
  private static final Duration SHUTDOWN = Duration.ofSeconds(180);

  private final ChildProcesses children;
  private final Path jar;
  private final Path log;
  private final String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
  private final Runnable cleanup = this::removeFiles;
  private Path dataDir;
  private Path jarCopy;
  private Process process;
  private int httpPort;
  private int otlpHttpPort;

  FaultlineServer(ChildProcesses children, Path jar, Path log) {
    this.children = children;
    this.jar = jar;
    this.log = log;
  }

  void start() throws IOException, InterruptedException {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    dataDir = Files.createTempDirectory(tmp, "faultline-bench-");
    children.onStop(cleanup);
    // a rebuild of the jar during a long run must not pull classes from under the running server
    jarCopy = tmp.resolve(dataDir.getFileName() + ".jar");
    Files.copy(jar, jarCopy, StandardCopyOption.REPLACE_EXISTING);
    int[] ports = ChildProcesses.freePorts(5);
    httpPort = ports[0];
    int adminPort = ports[1];
    otlpHttpPort = ports[2];
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                HEAP,
                "-XX:+UseG1GC"));
    String extra = System.getenv("FAULTLINE_BENCH_SERVER_JVM_OPTS");
    if (extra != null && !extra.isBlank()) {
      command.addAll(List.of(extra.trim().split("\\s+")));
    }
    command.addAll(List.of("-jar", jarCopy.toString(), "server", "--data-dir", dataDir.toString()));
    Map<String, String> env =
        Map.of(
            "FAULTLINE_HTTP_PORT", Integer.toString(httpPort),
            "FAULTLINE_ADMIN_PORT", Integer.toString(adminPort),
            "FAULTLINE_OTLP_GRPC_PORT", Integer.toString(ports[3]),
            "FAULTLINE_OTLP_HTTP_PORT", Integer.toString(otlpHttpPort),
            "FAULTLINE_OTLP_BIND_HOST", "127.0.0.1",
            // not the default 5044: another server (a demo, a second benchmark) may hold it
            "FAULTLINE_LOGSTASH_PORT", Integer.toString(ports[4]),
            "FAULTLINE_ADMIN_TOKEN", token);
    process = children.start(command, env, log);
    ChildProcesses.awaitReady(
        process,
        URI.create("http://127.0.0.1:" + adminPort + "/ping"),
        STARTUP,
        log,
        "the Faultline server");
  }

  long pid() {
    return process.pid();
  }

  Path log() {
    return log;
  }

  URI otlp(String path) {
    return URI.create("http://127.0.0.1:" + otlpHttpPort + path);
  }

  URI http(String path) {
    return URI.create("http://127.0.0.1:" + httpPort + path);
  }

  HttpRequest get(String pathAndQuery) {
    return get(pathAndQuery, Duration.ofSeconds(120));
  }

  HttpRequest get(String pathAndQuery, Duration timeout) {
    return HttpRequest.newBuilder(http(pathAndQuery))
        .header("Authorization", "Bearer " + token)
        .timeout(timeout)
        .GET()
        .build();
  }

  /** Why the server is gone, when it exited by itself; empty while it runs. */
  Optional<String> exitReport() {
    if (process == null || process.isAlive()) {
      return Optional.empty();
    }
    return Optional.of(
        "the %s exited with status %d during the benchmark; its log %s ends with:\n%s"
            .formatted("Faultline server", process.exitValue(), log, ChildProcesses.tail(log, 30)));
  }

  static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** Stops gracefully (so it commits) and returns the bytes left in the data directory. */
  BenchTarget.DiskUsage stop() throws IOException, InterruptedException {
    if (process == null) {
      return BenchTarget.DiskUsage.NONE;
    }
    boolean clean = children.stop(process, SHUTDOWN);
    BenchTarget.DiskUsage usage = diskUsage(dataDir, clean);
    children.done(cleanup);
    removeFiles();
    process = null;
    return usage;
  }

  static BenchTarget.DiskUsage diskUsage(Path dir, boolean clean) throws IOException {
    Map<String, Long> usage = new java.util.TreeMap<>();
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path entry : entries.toList()) {
        usage.put(entry.getFileName().toString(), size(entry));
      }
    }
    return new BenchTarget.DiskUsage(usage, clean);
  }

  private void removeFiles() {
    try {
      if (System.getenv("FAULTLINE_BENCH_KEEP_DATA") != null) {
        System.out.println("  data directory kept: " + dataDir);
      } else {
        deleteRecursively(dataDir);
      }
      if (jarCopy != null) {
        Files.deleteIfExists(jarCopy);
      }
    } catch (IOException | UncheckedIOException e) {
      System.err.println("could not remove the benchmark's data directory " + dataDir + ": " + e);
    }
  }

  static long size(Path path) throws IOException {
    try (Stream<Path> files = Files.walk(path)) {
      return files
          .filter(Files::isRegularFile)
          .mapToLong(
              f -> {
                try {
                  return Files.size(f);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              })
          .sum();
    }
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
