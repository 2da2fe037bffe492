/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import io.faultline.collector.loki.LokiPush;
import io.faultline.collector.loki.LokiPushException;
import io.faultline.collector.loki.LokiPushLimits;
import io.faultline.collector.otlp.IngestLimits;
import io.faultline.core.auth.IngestAuthenticator;
import io.faultline.core.auth.TenantMetrics;
import io.faultline.core.ingest.TelemetrySink;
import io.faultline.web.IngestRequests;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
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
      return IngestRequests.unauthorized(e);
    }
    LokiPush.Decoded decoded;
    try {
      LokiPush.checkHeaders(contentType, contentEncoding);
      byte[] bytes =
          IngestRequests.readIfRoom(
              sink, body, contentLength, limits.maxRequestBytes(), () -> LokiPush.bodyTooLarge(limits));
      if (bytes == null) {
        return IngestRequests.pipelineFull();
      }
      decoded = LokiPush.decode(bytes, contentType, contentEncoding, limits, ingestLimits);
    } catch (LokiPushException e) {
      return IngestRequests.text(e.httpStatus(), e.getMessage());
    } catch (IOException e) {
      return IngestRequests.text(400, "reading the request body failed: " + e.getMessage());
    }
    if (decoded.isEmpty()) {
      return answer(decoded);
    }
    Response failed =
        IngestRequests.awaitDurable(
            sink,
            decoded.batch(),
            "the lines",
            "a Loki push request (" + decoded.records() + " lines)",
            LOG);
    if (failed != null) {
      return failed;
    }
    tenantMetrics.accepted(tenant, "logs", decoded.records());
    return answer(decoded);
  }

  private static Response answer(LokiPush.Decoded decoded) {
    return decoded.problem().isEmpty()
        ? Response.noContent().build()
        : IngestRequests.text(400, decoded.problem());
  }
}
