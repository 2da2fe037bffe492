/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.prometheus;

import io.faultline.collector.prometheus.RemoteWrite;
import io.faultline.collector.prometheus.RemoteWriteException;
import io.faultline.collector.prometheus.RemoteWriteLimits;
import io.faultline.collector.prometheus.RemoteWriteV2;
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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/write}: Prometheus remote write 1.0 (snappy-compressed protobuf {@code
 * WriteRequest}) and 2.0 (snappy-compressed protobuf {@code io.prometheus.write.v2.Request}), told
 * apart by {@code Content-Type} as the 2.0 specification negotiates: {@code
 * application/x-protobuf;proto=io.prometheus.write.v2.Request} is 2.0; {@code
 * application/x-protobuf} without {@code proto}, with {@code proto=prometheus.WriteRequest}, or no
 * {@code Content-Type} at all, is 1.0; any other {@code proto} gets 415 naming the two accepted.
 *
 * <p>Answers as Prometheus' own receiver does: 204 once the samples are durable, 400 with the
 * reason for an undecodable body, invalid series or samples out of bounds (older than the
 * retention or more than a day ahead; the valid rest of the request is stored), 413 for a body
 * over the limits (never fully read or decompressed), 415 for another content type or encoding,
 * 429 with {@code Retry-After} when the ingest pipeline is full and 503 when storing failed (both
 * retried by Prometheus; nothing of the request is stored then). A 2.0 request is resolved into
 * the 1.0 form ({@link RemoteWriteV2}) and stored through the same validation, limits, retention
 * window and write-ahead log; every 2.0 answer after the content type was accepted carries {@code
 * X-Prometheus-Remote-Write-Samples-Written}, {@code -Histograms-Written} and {@code
 * -Exemplars-Written} with what was stored (also on a 400 for a partly invalid request, 0 on
 * errors that store nothing), as the 2.0 specification requires. Decoding and validation live in
 * {@link RemoteWrite} and {@link RemoteWriteV2}; this resource only moves bytes.
 *
 * <p>Ingest, not query: the auth filter lists {@code api/v1/write} among its open paths, and this
 * resource asks its {@link IngestAuthenticator} (open until ingest tokens exist; then a 401
 * without a valid ingest or query token, bearer or basic auth).
 */
@Path("/api/v1/write")
public final class RemoteWriteResource {

  private static final Logger LOG = LoggerFactory.getLogger(RemoteWriteResource.class);

  /** How far ahead of now the metric store keeps samples. */
  static final Duration MAX_AHEAD = Duration.ofDays(1);

  private final TelemetrySink sink;
  private final RemoteWriteLimits limits;
  private final Duration retention;
  private final Clock clock;
  private final IngestAuthenticator authenticator;
  private final TenantMetrics tenantMetrics;

  /** A resource that stores samples of any time (the store decides what it keeps). */
  public RemoteWriteResource(TelemetrySink sink, RemoteWriteLimits limits) {
    this(sink, limits, Duration.ZERO, Clock.systemUTC());
  }

  /**
   * @param retention the metric store's retention: older samples, and samples more than a day
   *     ahead, are refused with 400 "out of bounds" as Prometheus refuses them (zero: no check)
   */
  public RemoteWriteResource(
      TelemetrySink sink, RemoteWriteLimits limits, Duration retention, Clock clock) {
    this(sink, limits, retention, clock, IngestAuthenticator.open());
  }

  /**
   * @param authenticator who may write: a request it refuses gets 401 before its body is read
   */
  public RemoteWriteResource(
      TelemetrySink sink,
      RemoteWriteLimits limits,
      Duration retention,
      Clock clock,
      IngestAuthenticator authenticator) {
    this(sink, limits, retention, clock, authenticator, TenantMetrics.NOOP);
  }

  /**
   * @param tenantMetrics counts the samples stored for the tenant the request's credentials name
   */
  public RemoteWriteResource(
      TelemetrySink sink,
      RemoteWriteLimits limits,
      Duration retention,
      Clock clock,
      IngestAuthenticator authenticator,
      TenantMetrics tenantMetrics) {
    this.tenantMetrics = Objects.requireNonNull(tenantMetrics, "tenantMetrics");
    this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
    this.sink = Objects.requireNonNull(sink, "sink");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.retention = Objects.requireNonNull(retention, "retention");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  private RemoteWrite.TimeWindow window() {
    if (retention.isZero()) {
      return RemoteWrite.TimeWindow.ANY;
    }
    Instant now = clock.instant();
    Instant min = now.minus(retention);
    Instant max = now.plus(MAX_AHEAD);
    return new RemoteWrite.TimeWindow(
        min.toEpochMilli(),
        max.toEpochMilli(),
        "older than the metric retention of "
            + retention.toDays()
            + " days (before "
            + min
            + ") or more than a day ahead (after "
            + max
            + ")");
  }

  @POST
  @Consumes(MediaType.WILDCARD)
  public Response write(
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
    RemoteWrite.Version version = RemoteWrite.Version.V1;
    RemoteWrite.Decoded decoded;
    RemoteWriteV2.Written written = RemoteWriteV2.Written.NONE;
    try {
      version = RemoteWrite.checkHeaders(contentType, contentEncoding);
      byte[] bytes =
          IngestRequests.readIfRoom(
              sink, body, contentLength, limits.maxRequestBytes(), () -> RemoteWrite.bodyTooLarge(limits));
      if (bytes == null) {
        return written(IngestRequests.pipelineFull(), version, RemoteWriteV2.Written.NONE);
      }
      if (version == RemoteWrite.Version.V2) {
        RemoteWriteV2.Result result = RemoteWriteV2.decode(bytes, limits, window());
        decoded = result.decoded();
        written = result.written();
      } else {
        decoded = RemoteWrite.decode(bytes, limits, window());
      }
    } catch (RemoteWriteException e) {
      return written(
          IngestRequests.text(e.httpStatus(), e.getMessage()),
          version,
          RemoteWriteV2.Written.NONE);
    } catch (IOException e) {
      return written(
          IngestRequests.text(400, "reading the request body failed: " + e.getMessage()),
          version,
          RemoteWriteV2.Written.NONE);
    }
    if (decoded.isEmpty()) {
      return written(answer(decoded), version, written);
    }
    Response failed =
        IngestRequests.awaitDurable(
            sink,
            decoded.batch(),
            "the samples",
            "a remote write request (" + decoded.series() + " series)",
            LOG);
    if (failed != null) {
      // nothing of the request is stored: the sender retries it whole
      return written(failed, version, RemoteWriteV2.Written.NONE);
    }
    tenantMetrics.accepted(tenant, "metrics", decoded.samples());
    return written(answer(decoded), version, written);
  }

  private static Response answer(RemoteWrite.Decoded decoded) {
    return decoded.problem().isEmpty()
        ? Response.noContent().build()
        : IngestRequests.text(400, decoded.problem());
  }

  /**
   * A 2.0 answer with the {@code X-Prometheus-Remote-Write-*-Written} headers the specification
   * requires once the content type is negotiated (on errors too, with what was stored: 0 unless
   * part of the request was); a 1.0 answer as it is.
   */
  private static Response written(
      Response response, RemoteWrite.Version version, RemoteWriteV2.Written written) {
    if (version != RemoteWrite.Version.V2) {
      return response;
    }
    return Response.fromResponse(response)
        .header(RemoteWriteV2.SAMPLES_WRITTEN_HEADER, Long.toString(written.samples()))
        .header(RemoteWriteV2.HISTOGRAMS_WRITTEN_HEADER, Long.toString(written.histograms()))
        .header(RemoteWriteV2.EXEMPLARS_WRITTEN_HEADER, Long.toString(written.exemplars()))
        .build();
  }
}
