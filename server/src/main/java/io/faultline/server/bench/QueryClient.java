/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.http.HttpRequest;
import java.time.Duration;

/**
 * Sends the measured queries: one at a time, on the calling thread, over a kept-alive HTTP/1.1
 * connection (the JDK's {@link HttpURLConnection}), so that a latency is the server's answer time
 * plus a loopback round trip and little else. {@code java.net.http.HttpClient}, which the bench
 * sends ingest with, hands every exchange between its selector thread and an executor; on this
 * 2-core machine that added about 0.4 ms to the median and 2–3 ms to the 99th percentile of the
 * same trace-by-id queries against the same server (curl measured as this client does). Every
 * server in a run is queried through this client alike.
 */
final class QueryClient {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /** A status and the whole body. */
  record Answer(int statusCode, byte[] body) {}

  private QueryClient() {}

  /**
   * Sends a GET request (its URI, headers and timeout) and reads the whole answer, which returns
   * the connection to the JDK's keep-alive cache for the next query.
   */
  static Answer send(HttpRequest request) throws IOException {
    if (!request.method().equals("GET")) {
      throw new IllegalArgumentException("queries are GET requests, not " + request.method());
    }
    HttpURLConnection c = (HttpURLConnection) request.uri().toURL().openConnection();
    c.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
    request.timeout().ifPresent(t -> c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, t.toMillis())));
    request.headers().map().forEach((name, values) -> values.forEach(v -> c.addRequestProperty(name, v)));
    int status = c.getResponseCode();
    InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
    if (in == null) {
      return new Answer(status, new byte[0]);
    }
    try (in) {
      return new Answer(status, in.readAllBytes());
    }
  }
}
