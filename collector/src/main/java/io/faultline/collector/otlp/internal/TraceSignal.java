/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import com.google.protobuf.ByteString;
import io.faultline.collector.otlp.IngestLimits;
import io.faultline.collector.otlp.internal.AttributeCheck.Problem;
import io.faultline.core.ingest.Signal;
import io.faultline.core.otlp.OtlpIds;
import io.grpc.MethodDescriptor;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.time.Duration;
import java.time.Instant;

/** Traces: validates spans against the id rules and {@link IngestLimits}. */
final class TraceSignal implements OtlpSignal<ExportTraceServiceRequest, ExportTraceServiceResponse> {
  static final TraceSignal INSTANCE = new TraceSignal();

  private static final int TRACE_ID_BYTES = OtlpIds.TRACE_ID_BYTES;
  private static final int SPAN_ID_BYTES = OtlpIds.SPAN_ID_BYTES;

  private TraceSignal() {}

  @Override
  public Signal signal() {
    return Signal.TRACES;
  }

  @Override
  public String name() {
    return "traces";
  }

  @Override
  public String itemName() {
    return "spans";
  }

  @Override
  public MethodDescriptor<ExportTraceServiceRequest, ExportTraceServiceResponse> grpcMethod() {
    return TraceServiceGrpc.getExportMethod();
  }

  @Override
  public ExportTraceServiceRequest requestPrototype() {
    return ExportTraceServiceRequest.getDefaultInstance();
  }

  @Override
  public ExportTraceServiceResponse success() {
    return ExportTraceServiceResponse.getDefaultInstance();
  }

  @Override
  public ExportTraceServiceResponse partialSuccess(long rejected, String errorMessage) {
    return ExportTraceServiceResponse.newBuilder()
        .setPartialSuccess(
            ExportTracePartialSuccess.newBuilder()
                .setRejectedSpans(rejected)
                .setErrorMessage(errorMessage))
        .build();
  }

  @Override
  public Validation<ExportTraceServiceRequest> validate(
      ExportTraceServiceRequest request, IngestLimits limits) {
    int total = 0;
    for (ResourceSpans rs : request.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        total += ss.getSpansCount();
      }
    }
    Verdicts verdicts =
        new Verdicts(total, limits.maxSpansPerRequest(), RejectReason.TOO_MANY_SPANS, itemName());
    TimeBounds bounds = TimeBounds.of(limits.spanRetention(), limits.clock());
    for (ResourceSpans rs : request.getResourceSpansList()) {
      Problem resourceProblem = AttributeCheck.resource(rs.getResource(), limits);
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        Problem scopeProblem = AttributeCheck.scope(ss.getScope(), resourceProblem, limits);
        for (Span span : ss.getSpansList()) {
          if (!verdicts.rejectOverLimit()) {
            Problem p = scopeProblem != null ? scopeProblem : checkSpan(span, limits);
            if (p == null && span.getStartTimeUnixNano() < bounds.oldestNanos()) {
              p = tooOld(span, limits);
            }
            if (p == null && bounds.tooNew(span.getStartTimeUnixNano())) {
              p =
                  TimeBounds.tooNew(
                      RejectReason.SPAN_TOO_NEW,
                      "span " + AttributeCheck.quote(span.getName()),
                      span.getStartTimeUnixNano());
            }
            verdicts.record(p);
          }
        }
      }
    }
    return verdicts.outcome(request, TraceSignal::keep);
  }

  private static Problem checkSpan(Span span, IngestLimits limits) {
    String owner = "span " + AttributeCheck.quote(span.getName());
    if (!validId(span.getTraceId(), TRACE_ID_BYTES)) {
      return new Problem(
          RejectReason.INVALID_TRACE_ID,
          owner + " has trace_id " + describe(span.getTraceId()) + "; a trace_id must be 16 bytes, not all zero");
    }
    if (!validId(span.getSpanId(), SPAN_ID_BYTES)) {
      return new Problem(
          RejectReason.INVALID_SPAN_ID,
          owner + " has span_id " + describe(span.getSpanId()) + "; a span_id must be 8 bytes, not all zero");
    }
    int parent = span.getParentSpanId().size();
    if (parent != 0 && parent != SPAN_ID_BYTES) {
      return new Problem(
          RejectReason.INVALID_PARENT_SPAN_ID,
          owner + " has a parent_span_id of " + parent + " bytes; it must be empty or 8 bytes");
    }
    for (Span.Link link : span.getLinksList()) {
      if (!linkId(link.getTraceId(), TRACE_ID_BYTES) || !linkId(link.getSpanId(), SPAN_ID_BYTES)) {
        return new Problem(
            RejectReason.INVALID_LINK,
            owner
                + " links to trace_id "
                + describe(link.getTraceId())
                + ", span_id "
                + describe(link.getSpanId())
                + "; a link needs a 16-byte trace_id and an 8-byte span_id (all zero or empty for"
                + " a link to an invalid span context)");
      }
    }
    Problem p = AttributeCheck.indexed(span.getName(), limits, owner, "a name");
    if (p == null) {
      p = AttributeCheck.check(span.getAttributesList(), limits, owner);
    }
    for (int i = 0; p == null && i < span.getEventsCount(); i++) {
      Span.Event event = span.getEvents(i);
      p =
          AttributeCheck.check(
              event.getAttributesList(),
              limits,
              "event " + AttributeCheck.quote(event.getName()) + " of " + owner);
    }
    for (int i = 0; p == null && i < span.getLinksCount(); i++) {
      p = AttributeCheck.check(span.getLinks(i).getAttributesList(), limits, "a link of " + owner);
    }
    return p;
  }

  private static Problem tooOld(Span span, IngestLimits limits) {
    return new Problem(
        RejectReason.SPAN_TOO_OLD,
        "span "
            + AttributeCheck.quote(span.getName())
            + " started at "
            + Instant.ofEpochSecond(0, span.getStartTimeUnixNano())
            + ", longer ago than the trace retention of "
            + human(limits.spanRetention())
            + ", so it would be deleted at once; check the sender's clock and timestamps");
  }

  static String human(Duration d) {
    if (d.toHours() % 24 == 0) {
      return d.toDays() + (d.toDays() == 1 ? " day" : " days");
    }
    return d.toMinutes() % 60 == 0 ? d.toHours() + " h" : d.toString();
  }

  /**
   * Whether a link's id has its proper length, or none. Unlike a span's own ids, a link's may be
   * all zero: OpenTelemetry's trace API asks SDKs to record a link to an invalid span context when
   * it carries attributes or a trace state, and OTLP does not call such a link, or its span,
   * invalid. The span is stored as sent; the Jaeger view drops the reference, as Jaeger does.
   */
  private static boolean linkId(ByteString id, int length) {
    return id.isEmpty() || id.size() == length;
  }

  private static boolean validId(ByteString id, int length) {
    return length == OtlpIds.TRACE_ID_BYTES
        ? OtlpIds.isValidTraceId(id)
        : OtlpIds.isValidSpanId(id);
  }

  /** The id as hex for a message, cut short: a wrong-length id may be arbitrarily long. */
  private static String describe(ByteString id) {
    if (id.isEmpty()) {
      return "'' (0 bytes)";
    }
    String hex = OtlpIds.toHex(id.substring(0, Math.min(id.size(), 32)));
    return "'" + hex + (id.size() > 32 ? "…" : "") + "' (" + id.size() + " bytes)";
  }

  private static ExportTraceServiceRequest keep(
      ExportTraceServiceRequest request, Verdicts.Cursor verdicts) {
    ExportTraceServiceRequest.Builder out = ExportTraceServiceRequest.newBuilder();
    for (ResourceSpans rs : request.getResourceSpansList()) {
      ResourceSpans.Builder kept =
          Verdicts.keep(
              rs.getScopeSpansList(),
              ss ->
                  Verdicts.keep(
                      ss.getSpansList(),
                      span -> verdicts.nextAccepted() ? span : null,
                      () -> ss.toBuilder().clearSpans(),
                      ScopeSpans.Builder::addSpans),
              () -> rs.toBuilder().clearScopeSpans(),
              ResourceSpans.Builder::addScopeSpans);
      if (kept != null) {
        out.addResourceSpans(kept);
      }
    }
    return out.build();
  }
}
