/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class QueryClientTest {
  private HttpServer server;
  private final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          clientPorts.add(exchange.getRemoteAddress().getPort());
          String auth = exchange.getRequestHeaders().getFirst("Authorization");
          boolean found = exchange.getRequestURI().getPath().equals("/api/traces/1");
          byte[] body =
              (found ? "trace for " + auth : "trace not found").getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(found ? 200 : 404, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private HttpRequest get(String path) {
    return HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path))
        .header("Authorization", "Bearer t")
        .timeout(Duration.ofSeconds(5))
        .build();
  }

  @Test
  void answersCarryStatusAndBodyAndQueriesShareOneConnection() throws Exception {
    for (int i = 0; i < 5; i++) {
      QueryClient.Answer ok = QueryClient.send(get("/api/traces/1"));
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(new String(ok.body(), StandardCharsets.UTF_8)).isEqualTo("trace for Bearer t");
    }
    QueryClient.Answer missing = QueryClient.send(get("/api/traces/2"));
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(new String(missing.body(), StandardCharsets.UTF_8)).isEqualTo("trace not found");
    assertThat(clientPorts).as("kept alive").hasSize(1);
  }

  @Test
  void onlyQueriesAreSent() {
    HttpRequest post =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:1/v1/traces"))
            .POST(HttpRequest.BodyPublishers.ofString("{}"))
            .build();
    assertThatThrownBy(() -> QueryClient.send(post)).isInstanceOf(IllegalArgumentException.class);
  }
}
