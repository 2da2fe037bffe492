/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import io.faultline.collector.loki.LokiPush;
import io.faultline.collector.loki.LokiPushException;
import io.faultline.collector.loki.LokiPushLimits;
import io.faultline.collector.otlp.IngestLimits;
import io.faultline.core.auth.Credentials;
import io.faultline.core.auth.IngestAuthenticator;
import io.faultline.core.auth.TenantMetrics;
import io.faultline.core.ingest.BackpressureException;
import io.faultline.core.ingest.TelemetrySink;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /loki/api/v1/push}: Loki's push API, so that Promtail, Grafana Alloy's {@code
 * loki.write}, the Loki Docker driver and loki4j ship logs to Faultline unchanged. The body is
 * snappy-compressed protobuf ({@code Content-Type: application/x-protobuf}, or none) or JSON
 * ({@code application/json}), optionally with {@code Content-Encoding: gzip} or {@code deflate};
 * decoding, the mapping onto OTLP log records and validation live in {@link LokiPush}, and the
 * records go through the ingest pipeline as OTLP logs do (same write-ahead log, limits and
 * retention window).
 *
 * <p>Answers as Loki's distributor does: 204 once the lines are durable; 400 with the reason for an
 * undecodable body, a stream whose labels do not parse, or entries rejected (line too long,
 * timestamp older than the log retention or more than a day ahead, OTLP attribute limits; the valid
 * rest of the request is stored); 413 for a body or entry count over the limits (never fully read
 * or decompressed); 415 for a {@code Content-Encoding} other than gzip, deflate or snappy; 429 with
 * {@code Retry-After} when the ingest pipeline is full and 503 when storing failed (both retried by
 * Loki clients; nothing of the request is stored then).
 *
 * <p>Ingest, not query: the auth filter lists {@code loki/api/v1/push} among its open paths, and
 * this resource asks its {@link IngestAuthenticator} (open until ingest tokens exist; then a 401
 * without a valid ingest or query token, bearer or basic auth with the token as password — the
 * {@code basic_auth} of Promtail and Alloy). Loki's {@code X-Scope-OrgID} header is ignored: the
 * tenant is the token's.
 */
@Path("/loki/api/v1/push")
public final class LokiPushResource {
  /** How long a client is told to wait when the sink names no delay. */
  static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);

  /** A request whose batch is not durable by then gets 503 (the sink is stuck; retry). */
  static final Duration STORE_TIMEOUT = Duration.ofSeconds(30);

  private static final Logger LOG = LoggerFactory.getLogger(LokiPushResource.class);

  private final TelemetrySink sink;
  private final LokiPushLimits limits;
  private final IngestLimits ingestLimits;
  private final IngestAuthenticator authenticator;
  private final TenantMetrics tenantMetrics;

  /** An open resource that counts nothing. */
  public LokiPushResource(TelemetrySink sink, LokiPushLimits limits, IngestLimits ingestLimits) {
    this(sink, limits, ingestLimits, IngestAuthenticator.open(), TenantMetrics.NOOP);
  }

  /**
   * @param ingestLimits the limits OTLP log records obey, the log retention and the clock among
   *     them (a zero retention: no time check)
   * @param authenticator who may push: a request it refuses gets 401 before its body is read
   * @param tenantMetrics counts the records stored for the tenant the request's credentials name
   */
  public LokiPushResource(
      TelemetrySink sink,
      LokiPushLimits limits,
      IngestLimits ingestLimits,
      IngestAuthenticator authenticator,
      TenantMetrics tenantMetrics) {
    this.sink = Objects.requireNonNull(sink, "sink");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.ingestLimits = Objects.requireNonNull(ingestLimits, "ingestLimits");
    this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
    this.tenantMetrics = Objects.requireNonNull(tenantMetrics, "tenantMetrics");
  }

  @POST
  @Consumes(MediaType.WILDCARD)
  public Response push(
      @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
      @HeaderParam(HttpHeaders.CONTENT_ENCODING) String contentEncoding,
      @HeaderParam(HttpHeaders.CONTENT_LENGTH) String contentLength,
      @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
      InputStream body) {
    String tenant;
    try {
      tenant = authenticator.authenticate(authorization);
    } catch (IngestAuthenticator.IngestAuthException e) {
      return Response.status(401)
          .header(HttpHeaders.WWW_AUTHENTICATE, Credentials.CHALLENGE)
          .type(MediaType.TEXT_PLAIN_TYPE)
          .entity(e.getMessage() + "\n")
          .build();
    }
    LokiPush.Decoded decoded;
    try {
      LokiPush.checkHeaders(contentType, contentEncoding);
      long declared = parseLength(contentLength);
      if (declared > limits.maxRequestBytes()) {
        throw LokiPush.bodyTooLarge(limits);
      }
      if (!sink.hasRoomFor(Math.max(declared, 0))) {
        return backpressure(
            "the ingest pipeline is full (too many bytes in flight); retry later",
            DEFAULT_RETRY_AFTER);
      }
      decoded = LokiPush.decode(read(body), contentType, contentEncoding, limits, ingestLimits);
    } catch (LokiPushException e) {
      return text(e.httpStatus(), e.getMessage());
    } catch (IOException e) {
      return text(400, "reading the request body failed: " + e.getMessage());
    }
    if (decoded.isEmpty()) {
      return answer(decoded);
    }
    try {
      sink.accept(decoded.batch()).get(STORE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      tenantMetrics.accepted(tenant, "logs", decoded.records());
      return answer(decoded);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return text(503, "interrupted while storing the lines; retry");
    } catch (TimeoutException e) {
      return text(
          503, "storing the lines took longer than " + STORE_TIMEOUT.toSeconds() + " s; retry");
    } catch (ExecutionException | RuntimeException e) {
      Throwable cause = unwrap(e);
      if (cause instanceof BackpressureException b) {
        return backpressure(
            b.getMessage(), b.retryAfter() != null ? b.retryAfter() : DEFAULT_RETRY_AFTER);
      }
      LOG.warn(
          "storing a Loki push request ({} lines) failed; the sender is told to retry (503)."
              + " Check the write-ahead log's disk and the server log above.",
          decoded.records(),
          cause);
      return text(503, "storing the lines failed; retry: " + cause.getMessage());
    }
  }

  private static Response answer(LokiPush.Decoded decoded) {
    return decoded.problem().isEmpty()
        ? Response.noContent().build()
        : text(400, decoded.problem());
  }

  private byte[] read(InputStream in) throws IOException {
    long max = limits.maxRequestBytes();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[64 * 1024];
    long total = 0;
    for (int n; (n = in.read(buf)) > 0; ) {
      total += n;
      if (total > max) {
        throw LokiPush.bodyTooLarge(limits);
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  /** -1 when absent (a chunked upload); a malformed header is treated as absent. */
  private static long parseLength(String header) {
    if (header == null || header.isBlank()) {
      return -1;
    }
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static Response backpressure(String message, Duration retryAfter) {
    return Response.status(429)
        .header(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, retryAfter.toSeconds())))
        .type(MediaType.TEXT_PLAIN_TYPE)
        .entity(message + "\n")
        .build();
  }

  private static Response text(int status, String message) {
    return Response.status(status).type(MediaType.TEXT_PLAIN_TYPE).entity(message + "\n").build();
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
