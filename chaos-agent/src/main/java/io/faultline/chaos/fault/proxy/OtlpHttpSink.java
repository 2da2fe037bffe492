/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Sends trace batches as OTLP/HTTP protobuf ({@code POST /v1/traces}) to a collector: how a
 * standalone proxy reports its spans. Completes normally on a 2xx answer, exceptionally otherwise.
 */
final class OtlpHttpSink implements TelemetrySink {
  private final HttpClient http;
  private final URI endpoint;

  OtlpHttpSink(HttpClient http, URI endpoint) {
    this.http = http;
    this.endpoint = endpoint;
  }

  @Override
  public CompletableFuture<Void> accept(TelemetryBatch batch) {
    HttpRequest req = HttpRequest.newBuilder(endpoint)
        .timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/x-protobuf")
        .POST(HttpRequest.BodyPublishers.ofByteArray(batch.bytes()))
        .build();
    return http.sendAsync(req, HttpResponse.BodyHandlers.discarding()).thenAccept(r -> {
      if (r.statusCode() / 100 != 2) {
        throw new IllegalStateException("collector " + endpoint + " answered HTTP " + r.statusCode());
      }
    });
  }
}
