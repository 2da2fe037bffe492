/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Zipkin server with its in-memory storage, the reference the issue compares against: fed Zipkin
 * JSON v2, queried through Zipkin's v2 API. It listens on loopback only.
 */
final class ZipkinTarget implements BenchTarget {
  static final String VERSION = "3.5.1";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration STARTUP = Duration.ofSeconds(120);

  private final ChildProcesses children;
  private final Path jar;
  private final Path log;
  private final String heap;
  private final long maxSpans;
  private Process process;
  private int port;

  ZipkinTarget(ChildProcesses children, Path jar, Path log, String heap, long maxSpans) {
    this.children = children;
    this.jar = jar;
    this.log = log;
    this.heap = heap;
    this.maxSpans = maxSpans;
  }

  @Override
  public String name() {
    return "Zipkin " + VERSION + " (mem)";
  }

  @Override
  public void start() throws IOException, InterruptedException {
    port = ChildProcesses.freePort();
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx" + heap,
            "-XX:+UseG1GC",
            "-jar",
            jar.toString(),
            // the whole list entry is given: Spring replaces lists rather than merging them
            "--armeria.ports[0].port=" + port,
            "--armeria.ports[0].ip=127.0.0.1",
            "--armeria.ports[0].protocols[0]=http");
    Map<String, String> env =
        Map.of(
            "STORAGE_TYPE",
            "mem",
            "MEM_MAX_SPANS",
            Long.toString(maxSpans),
            "QUERY_PORT",
            Integer.toString(port),
            "SELF_TRACING_ENABLED",
            "false");
    process = children.start(command, env, log);
    ChildProcesses.awaitReady(
        process,
        URI.create("http://127.0.0.1:" + port + "/health"),
        STARTUP,
        log,
        "the Zipkin server");
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
            .formatted("Zipkin server", process.exitValue(), log, ChildProcesses.tail(log, 30)));
  }

  @Override
  public HttpRequest ingest(TraceGenerator generator, List<TraceGenerator.SpanRef> batch) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v2/spans"))
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(120))
        .POST(
            HttpRequest.BodyPublishers.ofByteArray(new ZipkinJsonEncoder(generator).encode(batch)))
        .build();
  }

  @Override
  public long rejectedSpans(byte[] responseBody) {
    return 0;
  }

  @Override
  public HttpRequest traceById(String traceIdHex) {
    return get("/api/v2/trace/" + traceIdHex);
  }

  @Override
  public int spansInTrace(byte[] responseBody) throws IOException {
    return JSON.readTree(responseBody).size();
  }

  @Override
  public HttpRequest search(SearchQuery query, long fromMicros, long toMicros) {
    long endMillis = toMicros / 1000;
    return get(
        "/api/v2/traces?serviceName="
            + encode(query.service())
            + "&spanName="
            + encode(query.operation())
            + "&annotationQuery="
            + encode(query.tagKey() + "=" + query.tagValue())
            + "&endTs="
            + endMillis
            + "&lookback="
            + (endMillis - fromMicros / 1000)
            + "&limit=20");
  }

  @Override
  public int tracesInSearch(byte[] responseBody) throws IOException {
    return JSON.readTree(responseBody).size();
  }

  @Override
  public DiskUsage stop() throws InterruptedException {
    if (process != null) {
      children.stop(process, Duration.ofSeconds(60));
    }
    return DiskUsage.NONE;
  }

  private HttpRequest get(String pathAndQuery) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
        .timeout(Duration.ofSeconds(120))
        .GET()
        .build();
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
