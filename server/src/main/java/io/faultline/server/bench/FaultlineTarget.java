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
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Faultline itself, as a {@link FaultlineServer} from the jar the benchmark runs from: fed
 * OTLP/HTTP protobuf, queried through the Jaeger API.
 */
final class FaultlineTarget implements BenchTarget {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(60);

  private final FaultlineServer server;

  FaultlineTarget(ChildProcesses children, Path jar, Path log) {
    this.server = new FaultlineServer(children, jar, log);
  }

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
  public Optional<String> exitReport() {
    return server.exitReport();
  }

  @Override
  public HttpRequest ingest(TraceGenerator generator, List<TraceGenerator.SpanRef> batch) {
    byte[] body = new OtlpEncoder(generator).encode(batch).toByteArray();
    return HttpRequest.newBuilder(server.otlp("/v1/traces"))
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
    return server.get("/api/traces/" + traceIdHex, QUERY_TIMEOUT);
  }

  @Override
  public int spansInTrace(byte[] responseBody) throws IOException {
    JsonNode data = JSON.readTree(responseBody).path("data");
    return data.isArray() && data.size() > 0 ? data.get(0).path("spans").size() : 0;
  }

  @Override
  public HttpRequest search(SearchQuery query, long fromMicros, long toMicros) {
    ObjectNode tags = JSON.createObjectNode().put(query.tagKey(), query.tagValue());
    return server.get(
        "/api/traces?service="
            + FaultlineServer.encode(query.service())
            + "&operation="
            + FaultlineServer.encode(query.operation())
            + "&tags="
            + FaultlineServer.encode(tags.toString())
            + "&start="
            + fromMicros
            + "&end="
            + toMicros
            + "&limit=20",
        QUERY_TIMEOUT);
  }

  @Override
  public int tracesInSearch(byte[] responseBody) throws IOException {
    return JSON.readTree(responseBody).path("data").size();
  }

  @Override
  public DiskUsage stop() throws IOException, InterruptedException {
    return server.stop();
  }
}
