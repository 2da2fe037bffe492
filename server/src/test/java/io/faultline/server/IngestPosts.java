/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Sending an ingest POST as a sender (Prometheus, a log shipper) does, for the server ITs. */
final class IngestPosts {
  private IngestPosts() {}

  /**
   * Sends {@code request}, once more if the kept-alive connection it went out on was closed: the
   * server closes a connection after answering a request whose body it did not read (a 401), and
   * the JDK client retries a GET on such a connection but not a POST ("header parser received no
   * bytes"), as senders do.
   */
  static HttpResponse<String> send(HttpClient http, HttpRequest request) throws Exception {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException staleConnection) {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
  }
}
