/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
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
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Faultline itself, from the jar the benchmark runs from, on a fresh data directory and free
 * loopback ports: fed OTLP/HTTP protobuf, queried through the Jaeger API.
 */
final class FaultlineTarget implements BenchTarget {
  static final String HEAP = "-Xmx2g";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration STARTUP = Duration.ofSeconds(120);
  private static final Duration SHUTDOWN = Duration.ofSeconds(180);

  private final ChildProcesses children;
  private final Path jar;
  private final Path log;
  private final Path dataParent;
  private final String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
  private final Runnable removeDataDir = this::removeDataDir;
  private Path dataDir;
  private Path jarCopy;
  private Process process;
  private int httpPort;
  private int otlpHttpPort;

  FaultlineTarget(ChildProcesses children, Path jar, Path log, Path dataParent) {
    this.children = children;
    this.jar = jar;
    this.log = log;
    this.dataParent = dataParent;
  }

  @Override
  public String name() {
    return "Faultline";
  }

  @Override
  public void start() throws IOException, InterruptedException {
    dataDir = Files.createTempDirectory(dataParent, "faultline-bench-");
    children.onStop(removeDataDir);
    // a private copy: a rebuild of the jar during a long run must not pull classes from under the
    // running server
    jarCopy = dataParent.resolve(dataDir.getFileName() + ".jar");
    Files.copy(jar, jarCopy, StandardCopyOption.REPLACE_EXISTING);
    httpPort = ChildProcesses.freePort();
    int adminPort = ChildProcesses.freePort();
    int grpcPort = ChildProcesses.freePort();
    otlpHttpPort = ChildProcesses.freePort();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add(HEAP);
    command.add("-XX:+UseG1GC");
    // extra server JVM options for profiling, e.g. -XX:StartFlightRecording=filename=server.jfr
    String extra = System.getenv("FAULTLINE_BENCH_SERVER_JVM_OPTS");
    if (extra != null && !extra.isBlank()) {
      command.addAll(List.of(extra.trim().split("\\s+")));
    }
    command.addAll(List.of("-jar", jarCopy.toString(), "server", "--data-dir", dataDir.toString()));
    Map<String, String> env =
        Map.of(
            "FAULTLINE_HTTP_PORT", Integer.toString(httpPort),
            "FAULTLINE_ADMIN_PORT", Integer.toString(adminPort),
            "FAULTLINE_OTLP_GRPC_PORT", Integer.toString(grpcPort),
            "FAULTLINE_OTLP_HTTP_PORT", Integer.toString(otlpHttpPort),
            "FAULTLINE_OTLP_BIND_HOST", "127.0.0.1",
            "FAULTLINE_ADMIN_TOKEN", token);
    process = children.start(command, env, log);
    ChildProcesses.awaitReady(
        process,
        URI.create("http://127.0.0.1:" + adminPort + "/ping"),
        STARTUP,
        log,
        "the Faultline server");
  }

  @Override
  public long pid() {
    return process.pid();
  }

  @Override
  public Optional<String> exitReport() {
    if (process == null || process.isAlive()) {
      return Optional.empty();
    }
    return Optional.of(
        "the %s exited with status %d during the benchmark; its log %s ends with:\n%s"
            .formatted("Faultline server", process.exitValue(), log, ChildProcesses.tail(log, 30)));
  }

  @Override
  public HttpRequest ingest(TraceGenerator generator, List<TraceGenerator.SpanRef> batch) {
    byte[] body = new OtlpEncoder(generator).encode(batch).toByteArray();
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + otlpHttpPort + "/v1/traces"))
        .header("Content-Type", "application/x-protobuf")
        .timeout(Duration.ofSeconds(120))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
  }

  @Override
  public long rejectedSpans(byte[] responseBody) {
    try {
      return ExportTraceServiceResponse.parseFrom(responseBody)
          .getPartialSuccess()
          .getRejectedSpans();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(
          "the server acknowledged a batch with a body that is not an OTLP"
              + " ExportTraceServiceResponse: "
              + e.getMessage(),
          e);
    }
  }

  @Override
  public HttpRequest traceById(String traceIdHex) {
    return get("/api/traces/" + traceIdHex);
  }

  @Override
  public int spansInTrace(byte[] responseBody) throws IOException {
    JsonNode data = JSON.readTree(responseBody).path("data");
    return data.isArray() && data.size() > 0 ? data.get(0).path("spans").size() : 0;
  }

  @Override
  public HttpRequest search(SearchQuery query, long fromMicros, long toMicros) {
    ObjectNode tags = JSON.createObjectNode().put(query.tagKey(), query.tagValue());
    return get(
        "/api/traces?service="
            + encode(query.service())
            + "&operation="
            + encode(query.operation())
            + "&tags="
            + encode(tags.toString())
            + "&start="
            + fromMicros
            + "&end="
            + toMicros
            + "&limit=20");
  }

  @Override
  public int tracesInSearch(byte[] responseBody) throws IOException {
    return JSON.readTree(responseBody).path("data").size();
  }

  @Override
  public DiskUsage stop() throws IOException, InterruptedException {
    if (process == null || dataDir == null || !Files.isDirectory(dataDir)) {
      return DiskUsage.NONE;
    }
    boolean clean = children.stop(process, SHUTDOWN);
    Map<String, Long> usage = new TreeMap<>();
    try (Stream<Path> entries = Files.list(dataDir)) {
      for (Path entry : entries.toList()) {
        usage.put(entry.getFileName().toString(), size(entry));
      }
    }
    children.done(removeDataDir);
    removeDataDir();
    return new DiskUsage(usage, clean);
  }

  private void removeDataDir() {
    try {
      // to look at the index files after a run (their sizes by kind, with Lucene's CheckIndex)
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

  private HttpRequest get(String pathAndQuery) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + pathAndQuery))
        .header("Authorization", "Bearer " + token)
        .timeout(Duration.ofSeconds(60))
        .GET()
        .build();
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
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

  private static void deleteRecursively(Path dir) throws IOException {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    List<Path> all = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(all::add);
    }
    for (Path p : all) {
      Files.deleteIfExists(p);
    }
  }
}
