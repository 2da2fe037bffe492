/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp;

import static io.faultline.collector.otlp.TestSpans.attr;
import static io.faultline.collector.otlp.TestSpans.request;
import static io.faultline.collector.otlp.TestSpans.resourceSpans;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.faultline.collector.otlp.internal.InvalidRequestException;
import io.faultline.collector.otlp.internal.OtlpSignals;
import io.faultline.core.ingest.BackpressureException;
import io.faultline.core.ingest.Signal;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class OtlpCollectorTest {
  private static final IngestLimits SMALL =
      IngestLimits.builder()
          .maxSpansPerRequest(3)
          .maxAttributesPerItem(4)
          .maxAttributeValueBytes(16)
          .build();

  private final TestSpans spans = TestSpans.seeded();
  private final RecordingSink sink = new RecordingSink();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final OtlpCollector collector =
      OtlpCollector.builder(sink).limits(SMALL).registry(registry).build();

  private CompletableFuture<ExportTraceServiceResponse> export(ExportTraceServiceRequest r) {
    return collector.export("test", OtlpSignals.traces(), r, r.getSerializedSize());
  }

  @Test
  void validRequestIsStoredWholeAndAnsweredWithoutPartialSuccess() {
    ExportTraceServiceRequest r =
        request(resourceSpans("a", spans.span("x").build(), spans.span("y").build()),
            resourceSpans("b", spans.span("z").build()));

    ExportTraceServiceResponse response = export(r).join();

    assertThat(response.hasPartialSuccess()).isFalse();
    assertThat(sink.batches()).singleElement().satisfies(b -> {
      assertThat(b.signal()).isEqualTo(Signal.TRACES);
      assertThat(b.message()).isEqualTo(r);
      assertThat(b.bytes()).isEqualTo(r.toByteArray());
    });
    assertThat(counter("faultline_receiver_items", Labels.of("signal", "traces", "outcome", "accepted", "reason", "none")))
        .isEqualTo(3);
    assertThat(counter("faultline_receiver_requests", Labels.of("transport", "test", "signal", "traces", "outcome", "success")))
        .isEqualTo(1);
  }

  @Test
  void answersOnlyAfterTheSinkCompletes() {
    sink.hold();
    CompletableFuture<ExportTraceServiceResponse> answer = export(request("a", spans.span("x").build()));

    assertThat(answer).isNotDone();
    assertThat(sink.heldCount()).isEqualTo(1);
    sink.release();
    assertThat(answer).isCompleted();
    assertThat(sink.spans()).hasSize(1);
  }

  @Test
  void emptyRequestSucceedsWithoutTouchingTheSink() {
    assertThat(export(ExportTraceServiceRequest.getDefaultInstance()).join().hasPartialSuccess()).isFalse();
    assertThat(sink.calls()).isZero();
  }

  @Test
  void aLinkToAnInvalidSpanContextKeepsItsSpan() {
    // what an SDK records for a link to an invalid context that carries attributes
    Span zeroLink = spans.span("zero-link")
        .addLinks(Span.Link.newBuilder()
            .setTraceId(ByteString.copyFrom(new byte[16]))
            .setSpanId(ByteString.copyFrom(new byte[8]))
            .addAttributes(KeyValue.newBuilder().setKey("reason").setValue(AnyValue.newBuilder().setStringValue("replay"))))
        .build();
    Span emptyLink = spans.span("empty-link").addLinks(Span.Link.newBuilder()).build();
    OtlpCollector roomy = OtlpCollector.builder(sink).build();
    ExportTraceServiceRequest r = request(resourceSpans("a", zeroLink, emptyLink));

    ExportTraceServiceResponse response =
        roomy.export("test", OtlpSignals.traces(), r, r.getSerializedSize()).join();

    assertThat(response.hasPartialSuccess()).isFalse();
    assertThat(sink.traceRequests().get(0).getResourceSpans(0).getScopeSpans(0).getSpansList())
        .containsExactly(zeroLink, emptyLink);
  }

  @Test
  void invalidIdsAreRejectedAndTheRestStored() {
    Span good = spans.span("good").build();
    Span zeroTrace = spans.span("zero-trace").setTraceId(ByteString.copyFrom(new byte[16])).build();
    Span shortTrace = spans.span("short-trace").setTraceId(ByteString.copyFrom(new byte[] {1, 2})).build();
    Span zeroSpan = spans.span("zero-span").setSpanId(ByteString.copyFrom(new byte[8])).build();
    Span noSpanId = spans.span("no-span-id").setSpanId(ByteString.EMPTY).build();
    Span badParent = spans.span("bad-parent").setParentSpanId(ByteString.copyFrom(new byte[3])).build();
    Span badLink = spans.span("bad-link")
        .addLinks(Span.Link.newBuilder().setTraceId(spans.traceId()).setSpanId(ByteString.copyFrom(new byte[3])))
        .build();
    Span rootWithEmptyParent = spans.span("root").setParentSpanId(ByteString.EMPTY).build();
    OtlpCollector roomy = OtlpCollector.builder(sink).build();
    ExportTraceServiceRequest r =
        request(resourceSpans("a", zeroTrace, good, shortTrace),
            resourceSpans("b", zeroSpan, noSpanId, badParent, badLink),
            resourceSpans("c", rootWithEmptyParent));

    ExportTraceServiceResponse response =
        roomy.export("test", OtlpSignals.traces(), r, r.getSerializedSize()).join();

    assertThat(response.getPartialSuccess().getRejectedSpans()).isEqualTo(6);
    assertThat(response.getPartialSuccess().getErrorMessage())
        .startsWith("rejected 6 of 8 spans: ")
        .contains("2 invalid_trace_id (first: span 'zero-trace' has trace_id '00000000000000000000000000000000' (16 bytes)")
        .contains("2 invalid_span_id")
        .contains("1 invalid_parent_span_id")
        .contains("1 invalid_link");
    // resource "b" lost all its spans and is gone; "a" keeps its resource and one span
    ExportTraceServiceRequest stored = sink.traceRequests().get(0);
    assertThat(stored.getResourceSpansList()).hasSize(2);
    assertThat(stored.getResourceSpans(0).getResource()).isEqualTo(r.getResourceSpans(0).getResource());
    assertThat(stored.getResourceSpans(0).getScopeSpans(0).getSpansList()).containsExactly(good);
    assertThat(stored.getResourceSpans(1).getScopeSpans(0).getSpansList()).containsExactly(rootWithEmptyParent);
  }

  @Test
  void requestWithNothingButMalformedSpansIsInvalid() {
    ExportTraceServiceRequest r =
        request("a", spans.span("zero").setTraceId(ByteString.copyFrom(new byte[16])).build());

    assertThatThrownBy(() -> export(r).join())
        .hasCauseInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("no valid spans: rejected 1 of 1 spans: 1 invalid_trace_id");
    assertThat(sink.calls()).isZero();
    assertThat(counter("faultline_receiver_requests", Labels.of("transport", "test", "signal", "traces", "outcome", "invalid")))
        .isEqualTo(1);
    assertThat(counter("faultline_receiver_items", Labels.of("signal", "traces", "outcome", "rejected", "reason", "invalid_trace_id")))
        .isEqualTo(1);
  }

  @Test
  void spansOverAttributeLimitsAreRejectedWholeNotTruncated() {
    Span ok = spans.span("ok").addAllAttributes(attrs(4)).build();
    Span tooMany = spans.span("too-many").addAllAttributes(attrs(5)).build();
    Span eventTooMany = spans.span("event")
        .addEvents(Span.Event.newBuilder().setName("e").addAllAttributes(attrs(5))).build();
    ExportTraceServiceRequest r = request("a", ok, tooMany, eventTooMany);

    ExportTraceServiceResponse response = export(r).join();

    assertThat(response.getPartialSuccess().getRejectedSpans()).isEqualTo(2);
    assertThat(response.getPartialSuccess().getErrorMessage())
        .contains("2 too_many_attributes (first: span 'too-many' has 5 attributes; the limit is 4");
    assertThat(sink.spans()).containsExactly(ok);
    assertThat(counter("faultline_receiver_items", Labels.of("signal", "traces", "outcome", "rejected", "reason", "too_many_attributes")))
        .isEqualTo(2);
    assertThat(counter("faultline_receiver_requests", Labels.of("transport", "test", "signal", "traces", "outcome", "partial_success")))
        .isEqualTo(1);
  }

  @Test
  void everySpanOverALimitGivesPartialSuccessNotAnError() {
    ExportTraceServiceRequest r = request("a", spans.span("flood").addAllAttributes(attrs(10_000)).build());

    ExportTraceServiceResponse response = export(r).join();

    assertThat(response.getPartialSuccess().getRejectedSpans()).isEqualTo(1);
    assertThat(sink.calls()).isZero();
  }

  @Test
  void longValuesAnywhereInAnAttributeRejectTheSpan() {
    String longText = "x".repeat(17);
    Span longString = spans.span("string").addAttributes(attr("k", longText)).build();
    Span longKey = spans.span("key").addAttributes(attr(longText, "v")).build();
    Span longBytes = spans.span("bytes")
        .addAttributes(KeyValue.newBuilder().setKey("b")
            .setValue(AnyValue.newBuilder().setBytesValue(ByteString.copyFrom(new byte[17]))))
        .build();
    Span nestedArray = spans.span("array")
        .addAttributes(KeyValue.newBuilder().setKey("a").setValue(AnyValue.newBuilder()
            .setArrayValue(ArrayValue.newBuilder()
                .addValues(AnyValue.newBuilder().setStringValue("short"))
                .addValues(AnyValue.newBuilder().setStringValue(longText)))))
        .build();
    Span nestedMap = spans.span("kvlist")
        .addAttributes(KeyValue.newBuilder().setKey("m").setValue(AnyValue.newBuilder()
            .setKvlistValue(KeyValueList.newBuilder().addValues(attr("inner", longText)))))
        .build();
    Span linkAttr = spans.span("link")
        .addLinks(Span.Link.newBuilder().setTraceId(spans.traceId()).setSpanId(spans.spanId())
            .addAttributes(attr("k", longText)))
        .build();
    Span exactlyAtLimit = spans.span("at-limit").addAttributes(attr("k", "y".repeat(16))).build();
    OtlpCollector c = OtlpCollector.builder(sink).limits(IngestLimits.builder()
        .maxAttributeValueBytes(16).build()).build();
    ExportTraceServiceRequest r =
        request("a", longString, longKey, longBytes, nestedArray, nestedMap, linkAttr, exactlyAtLimit);

    ExportTraceServiceResponse response = c.export("test", OtlpSignals.traces(), r, 1).join();

    assertThat(response.getPartialSuccess().getRejectedSpans()).isEqualTo(6);
    assertThat(response.getPartialSuccess().getErrorMessage())
        .contains("6 attribute_value_too_long (first: span 'string' has attribute 'k' of 17 bytes; the limit is 16 bytes)");
    assertThat(sink.spans()).containsExactly(exactlyAtLimit);
  }

  @Test
  void namesTooLongToIndexRejectTheSpanEvenUnderTheAttributeLimit() {
    // Lucene refuses a term over 32766 bytes: a store handed one drops the span after it was
    // acknowledged, so the default attribute limit (64 KiB) must not let such a name through
    String huge = "n".repeat(40_000);
    Span longName = spans.span(huge).build();
    Span inLongService = spans.span("in-long-service").build();
    Span fine = spans.span("fine").build();
    ExportTraceServiceRequest r =
        request(resourceSpans("a", longName, fine), resourceSpans(huge, inLongService));
    OtlpCollector c = OtlpCollector.builder(sink).build();

    ExportTraceServiceResponse response = c.export("test", OtlpSignals.traces(), r, 1).join();

    assertThat(response.getPartialSuccess().getRejectedSpans()).isEqualTo(2);
    assertThat(response.getPartialSuccess().getErrorMessage())
        .contains("2 name_too_long (first: span 'nnnn")
        .contains("has a name of 40000 bytes; the limit is 16000 bytes");
    assertThat(sink.spans()).containsExactly(fine);
  }

  @Test
  void spansOlderThanTheTraceRetentionAreRejectedInPartialSuccessNotDroppedSilently() {
    long now = TestSpans.NOW_NANOS / 1_000_000;
    Clock clock = Clock.fixed(Instant.ofEpochMilli(now), ZoneOffset.UTC);
    long day = Duration.ofDays(1).toNanos();
    Span fresh = spans.span("fresh").setStartTimeUnixNano(TestSpans.NOW_NANOS - 7 * day + 1).build();
    Span old = spans.span("old").setStartTimeUnixNano(TestSpans.NOW_NANOS - 7 * day - 1).build();
    PrometheusRegistry own = new PrometheusRegistry();
    OtlpCollector c = OtlpCollector.builder(sink).registry(own).limits(IngestLimits.builder()
        .spanRetention(Duration.ofDays(7)).clock(clock).build()).build();

    ExportTraceServiceResponse response =
        c.export("test", OtlpSignals.traces(), request("a", fresh, old), 1).join();

    assertThat(response.getPartialSuccess().getRejectedSpans()).isEqualTo(1);
    assertThat(response.getPartialSuccess().getErrorMessage())
        .contains("1 span_too_old (first: span 'old' started at ")
        .contains("longer ago than the trace retention of 7 days");
    assertThat(sink.spans()).containsExactly(fresh);
    assertThat(counter(own, "faultline_receiver_items",
            Labels.of("signal", "traces", "outcome", "rejected", "reason", "span_too_old")))
        .isEqualTo(1);
  }

  @Test
  void spansMoreThanADayAheadAreRejectedInPartialSuccessNotDroppedSilently() {
    long now = TestSpans.NOW_NANOS / 1_000_000;
    Clock clock = Clock.fixed(Instant.ofEpochMilli(now), ZoneOffset.UTC);
    long day = Duration.ofDays(1).toNanos();
    Span soon = spans.span("soon").setStartTimeUnixNano(TestSpans.NOW_NANOS + day).build();
    Span ahead = spans.span("ahead").setStartTimeUnixNano(TestSpans.NOW_NANOS + day + 1).build();
    OtlpCollector c = OtlpCollector.builder(sink).limits(IngestLimits.builder()
        .spanRetention(Duration.ofDays(7)).clock(clock).build()).build();

    ExportTraceServiceResponse response =
        c.export("test", OtlpSignals.traces(), request("a", soon, ahead), 1).join();

    assertThat(response.getPartialSuccess().getRejectedSpans()).isEqualTo(1);
    assertThat(response.getPartialSuccess().getErrorMessage())
        .contains("1 span_too_new (first: span 'ahead' is at ")
        .contains("more than 1 day ahead of the server's clock");
    assertThat(sink.spans()).containsExactly(soon);
  }

  @Test
  void logRecordsOlderThanTheLogRetentionAreRejectedInPartialSuccessNotDroppedSilently() {
    long now = TestSpans.NOW_NANOS / 1_000_000;
    Clock clock = Clock.fixed(Instant.ofEpochMilli(now), ZoneOffset.UTC);
    long day = Duration.ofDays(1).toNanos();
    LogRecord fresh = LogRecord.newBuilder().setTimeUnixNano(TestSpans.NOW_NANOS - 7 * day + 1).build();
    LogRecord old = LogRecord.newBuilder().setTimeUnixNano(TestSpans.NOW_NANOS - 7 * day - 1).build();
    ExportLogsServiceRequest request =
        ExportLogsServiceRequest.newBuilder()
            .addResourceLogs(
                ResourceLogs.newBuilder().addScopeLogs(ScopeLogs.newBuilder().addLogRecords(fresh).addLogRecords(old)))
            .build();
    PrometheusRegistry own = new PrometheusRegistry();
    OtlpCollector c = OtlpCollector.builder(sink).registry(own).limits(IngestLimits.builder()
        .logRetention(Duration.ofDays(7)).clock(clock).build()).build();

    ExportLogsServiceResponse response = c.export("test", OtlpSignals.logs(), request, 1).join();

    assertThat(response.getPartialSuccess().getRejectedLogRecords()).isEqualTo(1);
    assertThat(response.getPartialSuccess().getErrorMessage())
        .contains("1 log_record_too_old (first: a log record is at ")
        .contains("longer ago than the log retention of 7 days");
    assertThat(sink.batches()).extracting(b -> (ExportLogsServiceRequest) b.message())
        .extracting(r -> r.getResourceLogs(0).getScopeLogs(0).getLogRecordsList())
        .containsExactly(List.of(fresh));
    assertThat(counter(own, "faultline_receiver_items",
            Labels.of("signal", "logs", "outcome", "rejected", "reason", "log_record_too_old")))
        .isEqualTo(1);
  }

  @Test
  void resourceOrScopeOverTheLimitRejectsItsSpans() {
    ResourceSpans bigResource = ResourceSpans.newBuilder()
        .setResource(Resource.newBuilder().addAllAttributes(attrs(5)))
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(spans.span("r1")).addSpans(spans.span("r2")))
        .build();
    ResourceSpans bigScope = ResourceSpans.newBuilder()
        .addScopeSpans(ScopeSpans.newBuilder()
            .setScope(InstrumentationScope.newBuilder().setName("lib").addAllAttributes(attrs(5)))
            .addSpans(spans.span("s1")))
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(spans.span("kept")))
        .build();

    OtlpCollector c = OtlpCollector.builder(sink)
        .limits(IngestLimits.builder().maxAttributesPerItem(4).build()).build();
    ExportTraceServiceRequest r = request(bigResource, bigScope);

    ExportTraceServiceResponse response = c.export("test", OtlpSignals.traces(), r, 1).join();

    assertThat(response.getPartialSuccess().getRejectedSpans()).isEqualTo(3);
    assertThat(response.getPartialSuccess().getErrorMessage()).contains("a resource has 5 attributes");
    assertThat(sink.spans()).extracting(Span::getName).containsExactly("kept");
  }

  @Test
  void spansBeyondTheRequestLimitAreRejected() {
    List<Span> five = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      five.add(spans.span("s" + i).build());
    }

    ExportTraceServiceResponse response = export(request("a", five.toArray(Span[]::new))).join();

    assertThat(response.getPartialSuccess().getRejectedSpans()).isEqualTo(2);
    assertThat(response.getPartialSuccess().getErrorMessage()).contains("2 too_many_spans (first: a request may carry 3 spans");
    assertThat(sink.spans()).containsExactlyElementsOf(five.subList(0, 3));
  }

  @Test
  void backpressureFromTheSinkFailsTheExportAndIsCounted() {
    sink.failWith(new BackpressureException("full", Duration.ofSeconds(7)));

    assertThatThrownBy(() -> export(request("a", spans.span("x").build())).get())
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(BackpressureException.class);
    assertThat(counter("faultline_receiver_items", Labels.of("signal", "traces", "outcome", "rejected", "reason", "backpressure")))
        .isEqualTo(1);
    assertThat(counter("faultline_receiver_requests", Labels.of("transport", "test", "signal", "traces", "outcome", "backpressure")))
        .isEqualTo(1);
  }

  @Test
  void noRoomInTheSinkIsBackpressureBeforeValidation() {
    sink.noRoom();

    assertThatThrownBy(() -> export(request("a", spans.span("x").build())).join())
        .cause()
        .isInstanceOf(BackpressureException.class)
        .hasMessageContaining("retry after 1 s");
    assertThat(sink.calls()).isZero();
  }

  @Test
  void otherSinkFailuresFailTheExport() {
    sink.failWith(new IOException("disk full"));

    assertThatThrownBy(() -> export(request("a", spans.span("x").build())).join())
        .cause()
        .isInstanceOf(IOException.class);
    assertThat(counter("faultline_receiver_items", Labels.of("signal", "traces", "outcome", "rejected", "reason", "sink_failure")))
        .isEqualTo(1);
  }

  @Test
  void aSinkThrowingInsteadOfFailingTheFutureIsHandledTheSameWay() {
    OtlpCollector c = OtlpCollector.builder(batch -> {
      throw new IllegalStateException("closed");
    }).build();
    ExportTraceServiceRequest r = request("a", spans.span("x").build());

    assertThatThrownBy(() -> c.export("test", OtlpSignals.traces(), r, 1).join())
        .cause()
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void limitsHaveDocumentedDefaultsAndRejectNonsense() {
    IngestLimits d = IngestLimits.defaults();
    assertThat(d.maxRequestBytes()).isEqualTo(16L * 1024 * 1024);
    assertThat(d.maxDecompressedBytes()).isEqualTo(64L * 1024 * 1024);
    assertThat(d.maxSpansPerRequest()).isEqualTo(100_000);
    assertThat(d.maxAttributesPerItem()).isEqualTo(128);
    assertThat(d.maxAttributeValueBytes()).isEqualTo(64 * 1024);
    assertThatThrownBy(() -> IngestLimits.builder().maxSpansPerRequest(0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxSpansPerRequest must be positive");
    assertThatThrownBy(() -> IngestLimits.builder().maxDecompressedBytes(3L << 30).build())
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static List<KeyValue> attrs(int n) {
    List<KeyValue> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(attr("k" + i, "v"));
    }
    return out;
  }

  private double counter(String name, Labels labels) {
    return counter(registry, name, labels);
  }

  private static double counter(PrometheusRegistry registry, String name, Labels labels) {
    for (MetricSnapshot s : registry.scrape()) {
      if (s.getMetadata().getName().equals(name)) {
        for (CounterSnapshot.CounterDataPointSnapshot p : ((CounterSnapshot) s).getDataPoints()) {
          if (p.getLabels().equals(labels)) {
            return p.getValue();
          }
        }
        return 0;
      }
    }
    throw new AssertionError("no metric " + name);
  }
}
