/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp;

import com.google.protobuf.Message;
import io.faultline.collector.otlp.internal.InvalidRequestException;
import io.faultline.collector.otlp.internal.OtlpSignal;
import io.faultline.collector.otlp.internal.Outcome;
import io.faultline.collector.otlp.internal.ReceiverMetrics;
import io.faultline.collector.otlp.internal.RejectReason;
import io.faultline.collector.otlp.internal.Validation;
import io.faultline.core.auth.IngestAuthenticator;
import io.faultline.core.auth.TenantMetrics;
import io.faultline.core.ingest.BackpressureException;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that turns a decoded OTLP export request into stored telemetry, whatever the
 * transport: it validates against {@link IngestLimits}, drops and counts what breaks them, hands
 * the rest to the {@link TelemetrySink} and builds the OTLP response. The gRPC and HTTP receivers
 * only decode and map outcomes to their status codes; build one collector and share it between
 * them.
 *
 * <p>The future returned by {@link #export} completes with the response only once the sink has
 * made the accepted items durable. It fails with {@link InvalidRequestException} when nothing in
 * the request is valid, {@link BackpressureException} when the sink is full (retry later), or
 * another exception when the sink failed (retry later, nothing promised). Thread-safe.
 */
public final class OtlpCollector {
  /** How long clients are told to wait when the sink has no room and names no delay itself. */
  public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);

  private static final Logger LOG = LoggerFactory.getLogger(OtlpCollector.class);

  private final TelemetrySink sink;
  private final IngestLimits limits;
  private final ReceiverMetrics metrics;
  private final Duration retryAfter;
  private final IngestAuthenticator authenticator;
  private final TenantMetrics tenantMetrics;

  private OtlpCollector(Builder b) {
    this.authenticator = b.authenticator;
    this.tenantMetrics = b.tenantMetrics;
    this.sink = b.sink;
    this.limits = b.limits;
    this.metrics = b.metrics;
    this.retryAfter = b.retryAfter;
  }

  public static Builder builder(TelemetrySink sink) {
    return new Builder(sink);
  }

  /** Who may export: asked with each request's {@code Authorization} before its body is read. */
  public IngestAuthenticator authenticator() {
    return authenticator;
  }

  public IngestLimits limits() {
    return limits;
  }

  /** Receivers' self-metrics; for the transports. */
  public ReceiverMetrics metrics() {
    return metrics;
  }

  /** The retry hint for a full or failing sink. */
  public Duration retryAfter() {
    return retryAfter;
  }

  /** The sink's cheap pre-check, before a transport spends memory on reading a body. */
  public boolean hasRoomFor(long bytes) {
    try {
      return sink.hasRoomFor(bytes);
    } catch (RuntimeException e) {
      LOG.warn("the telemetry sink failed its capacity check; accepting the request anyway", e);
      return true;
    }
  }

  /** The failure a transport answers when {@link #hasRoomFor} said no. */
  public BackpressureException noRoom() {
    return new BackpressureException(
        "the ingest pipeline is full (too many bytes in flight); retry after "
            + retryAfter.toSeconds()
            + " s",
        retryAfter);
  }

  /**
   * Validates {@code request}, stores what is valid and answers. See the class comment for the
   * ways the future fails.
   *
   * @param transport {@code grpc} or {@code http}, for metrics
   * @param requestBytes the request's size, for the sink's capacity check
   */
  public <Q extends Message, R extends Message> CompletableFuture<R> export(
      String transport, OtlpSignal<Q, R> signal, Q request, long requestBytes) {
    return export(transport, signal, request, requestBytes, null);
  }

  /**
   * As {@link #export(String, OtlpSignal, Message, long)}, for a request that arrived as protobuf:
   * when every item is accepted as sent, the write-ahead log keeps {@code encoded} instead of
   * encoding the request a second time.
   *
   * @param encoded the protobuf bytes {@code request} was parsed from, or null
   */
  public <Q extends Message, R extends Message> CompletableFuture<R> export(
      String transport, OtlpSignal<Q, R> signal, Q request, long requestBytes, byte[] encoded) {
    return export(
        transport, signal, request, requestBytes, encoded, IngestAuthenticator.ANONYMOUS);
  }

  /**
   * As {@link #export(String, OtlpSignal, Message, long, byte[])}, counting what is stored for
   * {@code tenant} (what {@link IngestAuthenticator#authenticate} named).
   */
  public <Q extends Message, R extends Message> CompletableFuture<R> export(
      String transport,
      OtlpSignal<Q, R> signal,
      Q request,
      long requestBytes,
      byte[] encoded,
      String tenant) {
    String name = signal.name();
    if (!hasRoomFor(requestBytes)) {
      metrics.request(transport, name, Outcome.BACKPRESSURE);
      return CompletableFuture.failedFuture(noRoom());
    }
    Validation<Q> v;
    try {
      v = signal.validate(request, limits);
    } catch (RuntimeException e) {
      // validation reads a well-formed message; a throw here is our bug, not the client's
      LOG.error("validating an OTLP {} request failed; answering UNAVAILABLE", name, e);
      metrics.request(transport, name, Outcome.UNAVAILABLE);
      return CompletableFuture.failedFuture(e);
    }
    for (Map.Entry<RejectReason, Long> e : v.rejected().entrySet()) {
      metrics.rejected(name, e.getKey(), e.getValue());
    }
    if (v.malformed()) {
      metrics.request(transport, name, Outcome.INVALID);
      return CompletableFuture.failedFuture(
          new InvalidRequestException("no valid " + signal.itemName() + ": " + v.errorMessage()));
    }
    long rejected = v.rejectedCount();
    R response = rejected == 0 ? signal.success() : signal.partialSuccess(rejected, v.errorMessage());
    Outcome success = rejected == 0 ? Outcome.SUCCESS : Outcome.PARTIAL_SUCCESS;
    if (v.accepted() == 0) {
      // an empty request, or one whose every item broke a limit: nothing to make durable
      metrics.request(transport, name, success);
      return CompletableFuture.completedFuture(response);
    }
    CompletableFuture<Void> stored;
    try {
      stored =
          sink.accept(
              encoded != null && v.request() == request
                  ? new TelemetryBatch(signal.signal(), request, encoded)
                  : TelemetryBatch.of(signal.signal(), v.request()));
    } catch (RuntimeException e) {
      stored = CompletableFuture.failedFuture(e);
    }
    long accepted = v.accepted();
    return stored.handle(
        (ok, error) -> {
          if (error == null) {
            metrics.accepted(name, accepted);
            tenantMetrics.accepted(tenant, name, accepted);
            metrics.request(transport, name, success);
            return response;
          }
          Throwable cause = unwrap(error);
          if (cause instanceof BackpressureException) {
            metrics.rejected(name, RejectReason.BACKPRESSURE, accepted);
            metrics.request(transport, name, Outcome.BACKPRESSURE);
          } else {
            LOG.warn(
                "the telemetry sink failed to store {} {}; the client is told to retry (503 /"
                    + " UNAVAILABLE). Check the write-ahead log's disk and the server log above.",
                accepted,
                signal.itemName(),
                cause);
            metrics.rejected(name, RejectReason.SINK_FAILURE, accepted);
            metrics.request(transport, name, Outcome.UNAVAILABLE);
          }
          throw cause instanceof CompletionException ce ? ce : new CompletionException(cause);
        });
  }

  /** The exception a future failed with, without the wrappers CompletableFuture adds. */
  public static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** Checks its inputs when set; defaults: {@link IngestLimits#defaults()}, no metrics. */
  public static final class Builder {
    private final TelemetrySink sink;
    private IngestLimits limits = IngestLimits.defaults();
    private ReceiverMetrics metrics = ReceiverMetrics.noop();
    private Duration retryAfter = DEFAULT_RETRY_AFTER;
    private IngestAuthenticator authenticator = IngestAuthenticator.open();
    private TenantMetrics tenantMetrics = TenantMetrics.NOOP;

    private Builder(TelemetrySink sink) {
      this.sink = Objects.requireNonNull(sink, "sink");
    }

    public Builder limits(IngestLimits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /** Registers the receivers' self-metrics in {@code registry} (once per registry). */
    public Builder registry(PrometheusRegistry registry) {
      this.metrics = ReceiverMetrics.prometheus(Objects.requireNonNull(registry, "registry"));
      return this;
    }

    /** Who may export; default {@link IngestAuthenticator#open()}. */
    public Builder authenticator(IngestAuthenticator authenticator) {
      this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
      return this;
    }

    /** Where stored items are counted per tenant; default none. */
    public Builder tenantMetrics(TenantMetrics tenantMetrics) {
      this.tenantMetrics = Objects.requireNonNull(tenantMetrics, "tenantMetrics");
      return this;
    }

    public Builder retryAfter(Duration retryAfter) {
      Objects.requireNonNull(retryAfter, "retryAfter");
      if (retryAfter.isNegative() || retryAfter.isZero()) {
        throw new IllegalArgumentException("retryAfter must be positive, got " + retryAfter);
      }
      this.retryAfter = retryAfter;
      return this;
    }

    public OtlpCollector build() {
      return new OtlpCollector(this);
    }
  }
}
