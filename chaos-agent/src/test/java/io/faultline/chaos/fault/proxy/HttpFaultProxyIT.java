/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.faultline.chaos.fault.FaultParameters;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import io.faultline.core.otlp.OtlpIds;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP layer of the fault proxy in front of a real HTTP server, spoken to over raw sockets. */
class HttpFaultProxyIT {
  private static final long SEED = 7;
  private HttpServer upstream;
  private final AtomicInteger served = new AtomicInteger();
  private final List<TelemetryBatch> batches = new CopyOnWriteArrayList<>();
  private FaultProxy proxy;

  @BeforeEach
  void start() throws IOException {
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    upstream.createContext("/", ex -> {
      served.incrementAndGet();
      byte[] body = ex.getRequestBody().readAllBytes();
      byte[] answer = (ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " " + body.length)
          .getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, answer.length);
      ex.getResponseBody().write(answer);
      ex.close();
    });
    upstream.start();
    TelemetrySink sink = batch -> {
      batches.add(batch);
      return CompletableFuture.completedFuture(null);
    };
    System.out.println("HttpFaultProxyIT seed " + SEED);
    proxy = FaultProxy.builder("shop").protocol(FaultProxy.Protocol.HTTP)
        .upstream("127.0.0.1", upstream.getAddress().getPort()).sink(sink).seed(SEED).start();
  }

  @AfterEach
  void stop() {
    proxy.close();
    upstream.stop(0);
  }

  private void add(String name, Map<String, Object> params) {
    FaultParameters p = FaultParameters.of(params, "parameters");
    Toxic t = Toxic.parse(name, p, new Toxic.Labels("exp-1", "run-1", name));
    assertThat(p.errors()).isEmpty();
    proxy.addToxic(t, Clock.systemUTC().instant().plusSeconds(60));
  }

  record Response(int status, Map<String, String> headers, String body) {}

  /** One keep-alive connection speaking HTTP/1.1 by hand. */
  final class Client implements AutoCloseable {
    final Socket socket;
    final InputStream in;

    Client() throws IOException {
      socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
      socket.setSoTimeout(5_000);
      in = socket.getInputStream();
    }

    Response send(String method, String path, Map<String, String> headers, String body) throws IOException {
      StringBuilder sb = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: shop\r\n");
      headers.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
      if (body != null) {
        sb.append("Content-Length: ").append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n");
      }
      sb.append("\r\n");
      if (body != null) {
        sb.append(body);
      }
      return raw(sb.toString());
    }

    Response raw(String request) throws IOException {
      socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      return read();
    }

    Response read() throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("connection closed before a response");
        }
        head.write(b);
      }
      String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      Map<String, String> h = new java.util.HashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int c = lines[i].indexOf(':');
        h.put(lines[i].substring(0, c).trim().toLowerCase(), lines[i].substring(c + 1).trim());
      }
      int length = Integer.parseInt(h.getOrDefault("content-length", "0"));
      String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
      return new Response(status, h, body);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @Test
  void abortsOnlyRequestsMatchingRouteMethodAndHeader() throws IOException {
    add("abort-products", Map.of("toxic", "http_abort", "status", 503,
        "match", Map.of("path", "/products/*", "methods", List.of("GET"), "headers", Map.of("x-tenant", "blue"))));
    try (Client c = new Client()) {
      assertThat(c.send("GET", "/products/KB-1", Map.of("X-Tenant", "blue"), null).status()).isEqualTo(503);
      assertThat(c.send("GET", "/products/KB-1", Map.of("X-Tenant", "red"), null).status()).isEqualTo(200);
      assertThat(c.send("GET", "/products/KB-1", Map.of(), null).status()).isEqualTo(200);
      assertThat(c.send("POST", "/products/KB-1", Map.of("X-Tenant", "blue"), "{}").status()).isEqualTo(200);
      assertThat(c.send("GET", "/orders/1", Map.of("X-Tenant", "blue"), null).status()).isEqualTo(200);
      Response aborted = c.send("GET", "/products/KB-2?x=1", Map.of("X-Tenant", "blue"), null);
      assertThat(aborted.status()).isEqualTo(503);
      assertThat(aborted.headers()).containsEntry("x-faultline-chaos", "abort-products");
    }
    assertThat(served).hasValue(4);
  }

  @Test
  void aDeclinedH2cOfferKeepsTheConnectionUnderTheProxysControl() throws IOException {
    // the JDK HTTP client (Spring's RestClient) offers h2c on every new connection; servers that
    // answer 200 instead of 101 keep speaking HTTP/1.1, and toxics added later must still apply
    try (Client c = new Client()) {
      assertThat(c.send("GET", "/first", Map.of("Connection", "Upgrade, HTTP2-Settings", "Upgrade", "h2c",
          "HTTP2-Settings", "AAEAAEAAAAIAAAABAAMAAABkAAQBAAAAAAUAAEAA"), null).status()).isEqualTo(200);
      add("later", Map.of("toxic", "http_abort", "status", 503));
      assertThat(c.send("GET", "/second", Map.of(), null).status()).isEqualTo(503);
    }
  }

  @Test
  void failsTheFirstNRequestsThenLetsThemPass() throws IOException {
    add("flaky", Map.of("toxic", "http_fail_first", "count", 3, "status", 500));
    try (Client c = new Client()) {
      List<Integer> statuses = new java.util.ArrayList<>();
      for (int i = 0; i < 6; i++) {
        statuses.add(c.send("GET", "/x", Map.of(), null).status());
      }
      assertThat(statuses).containsExactly(500, 500, 500, 200, 200, 200);
    }
  }

  @Test
  void hitsTheGivenPercentageWithASeededRandom() throws IOException {
    add("some", Map.of("toxic", "http_abort", "status", 502, "match", Map.of("percentage", 30)));
    int aborted = 0;
    try (Client c = new Client()) {
      for (int i = 0; i < 100; i++) {
        if (c.send("GET", "/p", Map.of(), null).status() == 502) {
          aborted++;
        }
      }
    }
    assertThat(aborted).as("seed %d", SEED).isBetween(15, 45);
  }

  @Test
  void hitsOnlyRequestsWhoseBaggageCarriesTheMarker() throws IOException {
    add("marked", Map.of("toxic", "http_abort", "status", 503, "match", Map.of("baggage", "chaos=run-1")));
    try (Client c = new Client()) {
      assertThat(c.send("GET", "/a", Map.of("baggage", "user=1,chaos=run-1;p=1"), null).status()).isEqualTo(503);
      assertThat(c.send("GET", "/a", Map.of("baggage", "chaos=run-2"), null).status()).isEqualTo(200);
      assertThat(c.send("GET", "/a", Map.of(), null).status()).isEqualTo(200);
    }
  }

  @Test
  void keepAliveSurvivesChunkedBodiesAbortsAndDelays() throws IOException {
    add("abort-delete", Map.of("toxic", "http_abort", "status", 409, "match", Map.of("methods", List.of("DELETE"))));
    add("slow-post", Map.of("toxic", "http_delay", "delayMs", 300, "match", Map.of("methods", List.of("PUT"))));
    try (Client c = new Client()) {
      Response chunked = c.raw("POST /orders HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n");
      assertThat(chunked.status()).isEqualTo(200);
      assertThat(chunked.body()).isEqualTo("POST /orders 11");
      Response aborted = c.raw("DELETE /orders/1 HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "3\r\nabc\r\n0\r\n\r\n");
      assertThat(aborted.status()).isEqualTo(409);
      long t0 = System.nanoTime();
      Response delayed = c.send("PUT", "/orders/1", Map.of(), "0123456789");
      assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(280L, 3_000L);
      assertThat(delayed.body()).isEqualTo("PUT /orders/1 10");
      assertThat(c.send("GET", "/after", Map.of(), null).body()).isEqualTo("GET /after 0");
    }
    assertThat(served).hasValue(3);
  }

  @Test
  void recordsItsOwnSpanAsAChildOfTheRequest() throws Exception {
    add("abort-pay", Map.of("toxic", "http_abort", "status", 503, "match", Map.of("path", "/pay")));
    add("delay-stock", Map.of("toxic", "http_delay", "delayMs", 50, "match", Map.of("path", "/stock")));
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    String parent = "00f067aa0ba902b7";
    try (Client c = new Client()) {
      c.send("POST", "/pay", Map.of("traceparent", "00-" + traceId + "-" + parent + "-01"), "{}");
      c.send("GET", "/stock", Map.of("traceparent", "00-" + traceId + "-" + parent + "-01"), null);
      c.send("GET", "/untouched", Map.of("traceparent", "00-" + traceId + "-" + parent + "-01"), null);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> batches.size() == 2);
    Span abort = span(batches.get(0));
    assertThat(OtlpIds.toHex(abort.getTraceId())).isEqualTo(traceId);
    assertThat(OtlpIds.toHex(abort.getParentSpanId())).isEqualTo(parent);
    assertThat(abort.getSpanId()).isNotEqualTo(abort.getParentSpanId());
    assertThat(abort.getName()).isEqualTo("chaos proxy abort-pay");
    assertThat(abort.getStatus().getCode().name()).isEqualTo("STATUS_CODE_ERROR");
    assertThat(attributes(abort)).containsEntry("chaos.experiment", "exp-1").containsEntry("chaos.run", "run-1")
        .containsEntry("chaos.fault", "abort-pay").containsEntry("chaos.action", "abort")
        .containsEntry("http.response.status_code", "503");
    Span delay = span(batches.get(1));
    assertThat(attributes(delay)).containsEntry("chaos.action", "delay").containsEntry("chaos.delay_ms", "50");
    assertThat(delay.getEndTimeUnixNano() - delay.getStartTimeUnixNano()).isGreaterThanOrEqualTo(45_000_000L);
    ExportTraceServiceRequest req = (ExportTraceServiceRequest) batches.get(0).message();
    assertThat(req.getResourceSpans(0).getResource().getAttributesList())
        .anyMatch(kv -> kv.getKey().equals("service.name") && kv.getValue().getStringValue().equals("faultline-chaos-proxy"));
    assertThat(batches.get(0).bytes()).isEqualTo(req.toByteArray());
  }

  private static Span span(TelemetryBatch b) {
    return ((ExportTraceServiceRequest) b.message()).getResourceSpans(0).getScopeSpans(0).getSpans(0);
  }

  private static Map<String, String> attributes(Span s) {
    return s.getAttributesList().stream().collect(Collectors.toMap(KeyValue::getKey, kv ->
        kv.getValue().hasIntValue() ? Long.toString(kv.getValue().getIntValue()) : kv.getValue().getStringValue()));
  }
}
