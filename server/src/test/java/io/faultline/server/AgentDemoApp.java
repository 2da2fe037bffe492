/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Logger;

/**
 * A program with no OpenTelemetry code at all, run by {@link OtelJavaAgentIT} under the real
 * OpenTelemetry Java agent: everything Faultline receives from it is what the agent's
 * instrumentation of the JDK HTTP server, the JDK HTTP client and java.util.logging produced.
 *
 * <p>Each of {@code args[0]} requests goes client → {@code /checkout} → client → {@code /charge};
 * {@code /charge} logs one line and answers with the {@code traceparent} header it received, which
 * this program prints as {@code traceparent <order> <value>} so the test knows which traces to
 * look for without sharing any state with the agent.
 */
final class AgentDemoApp {
  private static final Logger LOG = Logger.getLogger("io.faultline.demo.Payments");

  private AgentDemoApp() {}

  public static void main(String[] args) throws Exception {
    int requests = Integer.parseInt(args[0]);
    HttpClient client =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    // /checkout calls /charge on this same server, so handlers need more than the dispatcher thread
    ExecutorService handlers = Executors.newFixedThreadPool(4);
    server.setExecutor(handlers);
    String base = "http://127.0.0.1:" + server.getAddress().getPort();
    server.createContext(
        "/checkout",
        exchange -> {
          String order = exchange.getRequestURI().getQuery();
          try {
            HttpResponse<String> charged = get(client, base + "/charge?" + order);
            respond(exchange, charged.statusCode(), charged.body());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            respond(exchange, 503, "interrupted");
          }
        });
    server.createContext(
        "/charge",
        exchange -> {
          String order = exchange.getRequestURI().getQuery();
          LOG.info("charging card for " + order);
          respond(exchange, 200, exchange.getRequestHeaders().getFirst("traceparent"));
        });
    server.start();
    try {
      for (int i = 1; i <= requests; i++) {
        HttpResponse<String> r = get(client, base + "/checkout?order=" + i);
        if (r.statusCode() != 200) {
          throw new IllegalStateException("checkout " + i + " answered " + r.statusCode());
        }
        System.out.println("traceparent " + i + " " + r.body());
      }
      // Stay up for a few of the agent's 1 s metric intervals: its JVM runtime gauges are only
      // read by a periodic collection, which a program that exits at once may never get.
      Thread.sleep(3_000);
    } finally {
      server.stop(0);
      handlers.shutdown();
    }
  }

  private static HttpResponse<String> get(HttpClient client, String url)
      throws IOException, InterruptedException {
    return client.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = String.valueOf(body).getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
