/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web;

import io.faultline.collector.otlp.OtlpCollector;
import io.faultline.core.auth.Credentials;
import io.faultline.core.auth.IngestAuthenticator;
import io.faultline.core.ingest.BackpressureException;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * What the ingest endpoints on the query port (remote write, Loki push) share: the 401 for a
 * request the ingest authenticator refuses, reading a body within its size limit, and handing a
 * batch to the pipeline and waiting until it is durable, with the answers senders retry on (429
 * with {@code Retry-After} under backpressure, 503 when storing failed).
 */
public final class IngestRequests {
  /** How long a client is told to wait when the sink names no delay. */
  public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);

  /** A request whose batch is not durable by then gets 503 (the sink is stuck; retry). */
  public static final Duration STORE_TIMEOUT = Duration.ofSeconds(30);

  private IngestRequests() {}

  /** The 401 for a request without valid ingest credentials, with the challenge. */
  public static Response unauthorized(IngestAuthenticator.IngestAuthException e) {
    return Response.status(401)
        .header(HttpHeaders.WWW_AUTHENTICATE, Credentials.CHALLENGE)
        .type(MediaType.TEXT_PLAIN_TYPE)
        .entity(e.getMessage() + "\n")
        .build();
  }

  /**
   * The body of an ingest request, or null when the pipeline has no room for its declared size
   * (answer {@link #pipelineFull()}; nothing is read then). A body declared or found larger than
   * {@code max} throws what {@code tooLarge} supplies, before more of it is read.
   */
  public static byte[] readIfRoom(
      TelemetrySink sink,
      InputStream body,
      String contentLength,
      long max,
      Supplier<? extends RuntimeException> tooLarge)
      throws IOException {
    long declared = contentLength(contentLength);
    if (declared > max) {
      throw tooLarge.get();
    }
    if (!sink.hasRoomFor(Math.max(declared, 0))) {
      return null;
    }
    return read(body, max, tooLarge);
  }

  /** The {@code Content-Length}; -1 when absent (a chunked upload) or malformed. */
  static long contentLength(String header) {
    if (header == null || header.isBlank()) {
      return -1;
    }
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * The whole body, read only up to {@code max} bytes.
   *
   * @throws RuntimeException what {@code tooLarge} supplies, once the body passes {@code max}
   */
  static byte[] read(InputStream in, long max, Supplier<? extends RuntimeException> tooLarge)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[64 * 1024];
    long total = 0;
    for (int n; (n = in.read(buf)) > 0; ) {
      total += n;
      if (total > max) {
        throw tooLarge.get();
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  /**
   * Hands {@code batch} to the sink and waits until it is durable: null then, else the answer
   * (429 under backpressure, 503 when storing failed or took longer than {@link #STORE_TIMEOUT};
   * nothing of the request is stored, and the sender retries it whole). Waiting here (group
   * commit, milliseconds) keeps the resource usable in every Jersey container; the sink bounds
   * what is in flight.
   *
   * @param what what the batch holds, for messages: "the samples", "the lines"
   * @param request the request, for the log: "a remote write request (12 series)"
   */
  public static Response awaitDurable(
      TelemetrySink sink, TelemetryBatch batch, String what, String request, Logger log) {
    try {
      sink.accept(batch).get(STORE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return text(503, "interrupted while storing " + what + "; retry");
    } catch (TimeoutException e) {
      return text(
          503, "storing " + what + " took longer than " + STORE_TIMEOUT.toSeconds() + " s; retry");
    } catch (ExecutionException | RuntimeException e) {
      Throwable cause = OtlpCollector.unwrap(e);
      if (cause instanceof BackpressureException b) {
        return backpressure(
            b.getMessage(), b.retryAfter() != null ? b.retryAfter() : DEFAULT_RETRY_AFTER);
      }
      log.warn(
          "storing {} failed; the sender is told to retry (503). Check the write-ahead log's disk"
              + " and the server log above.",
          request,
          cause);
      return text(503, "storing " + what + " failed; retry: " + cause.getMessage());
    }
  }

  /** 429 with {@code Retry-After}: the pipeline is full, the sender retries later. */
  public static Response backpressure(String message, Duration retryAfter) {
    return Response.status(429)
        .header(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, retryAfter.toSeconds())))
        .type(MediaType.TEXT_PLAIN_TYPE)
        .entity(message + "\n")
        .build();
  }

  /** The 429 for a request refused before its body is read. */
  public static Response pipelineFull() {
    return backpressure(
        "the ingest pipeline is full (too many bytes in flight); retry later", DEFAULT_RETRY_AFTER);
  }

  /** A plain-text answer, one line. */
  public static Response text(int status, String message) {
    return Response.status(status).type(MediaType.TEXT_PLAIN_TYPE).entity(message + "\n").build();
  }
}
