/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp;

import static io.opentelemetry.api.common.AttributeKey.booleanArrayKey;
import static io.opentelemetry.api.common.AttributeKey.booleanKey;
import static io.opentelemetry.api.common.AttributeKey.doubleArrayKey;
import static io.opentelemetry.api.common.AttributeKey.doubleKey;
import static io.opentelemetry.api.common.AttributeKey.longArrayKey;
import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringArrayKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.faultline.collector.otlp.grpc.OtlpGrpcReceiver;
import io.faultline.collector.otlp.http.OtlpHttpReceiver;
import io.faultline.core.otlp.OtlpIds;
import io.faultline.core.otlp.OtlpJson;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Both receivers on loopback, fed by the real OpenTelemetry SDK exporters and by plain OTLP/JSON
 * posts; asserts what reached the sink field by field.
 */
class OtlpReceiversIT {
  private static final RecordingSink SINK = new RecordingSink();
  private static final PrometheusRegistry REGISTRY = new PrometheusRegistry();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static OtlpGrpcReceiver grpc;
  private static OtlpHttpReceiver http;
  private static List<SpanData> trace;

  @BeforeAll
  static void start() throws Exception {
    OtlpCollector collector = OtlpCollector.builder(SINK).registry(REGISTRY).build();
    grpc = OtlpGrpcReceiver.builder(collector).port(0).build();
    http = OtlpHttpReceiver.builder(collector).port(0).build();
    grpc.start();
    http.start();
    trace = multiServiceTrace();
  }

  @AfterAll
  static void stop() {
    if (grpc != null) {
      grpc.close();
    }
    if (http != null) {
      http.close();
    }
  }

  @BeforeEach
  void clearSink() {
    SINK.reset();
  }

  @Test
  void grpcExporterDeliversEverySpanFieldByField() {
    OtlpGrpcSpanExporter exporter = OtlpGrpcSpanExporter.builder()
        .setEndpoint("http://127.0.0.1:" + grpc.port()).setCompression("gzip").build();
    try {
      assertThat(exporter.export(trace).join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    } finally {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
    }
    assertSinkHolds(trace);
    assertThat(counter("faultline_receiver_request_bytes", "transport", "grpc")).isPositive();
  }

  @Test
  void httpProtobufExporterDeliversEverySpanFieldByField() {
    for (String compression : List.of("none", "gzip")) {
      SINK.reset();
      OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder()
          .setEndpoint("http://127.0.0.1:" + http.port() + "/v1/traces")
          .setCompression(compression).build();
      try {
        assertThat(exporter.export(trace).join(10, TimeUnit.SECONDS).isSuccess())
            .as("export with compression %s", compression).isTrue();
      } finally {
        exporter.shutdown().join(10, TimeUnit.SECONDS);
      }
      assertSinkHolds(trace);
    }
    assertThat(counter("faultline_receiver_request_bytes", "transport", "http")).isPositive();
  }

  @Test
  void exportSucceedsOnlyOnceTheSinkHasStored() {
    OtlpGrpcSpanExporter grpcExporter =
        OtlpGrpcSpanExporter.builder().setEndpoint("http://127.0.0.1:" + grpc.port()).build();
    OtlpHttpSpanExporter httpExporter = OtlpHttpSpanExporter.builder()
        .setEndpoint("http://127.0.0.1:" + http.port() + "/v1/traces").build();
    try {
      for (SpanExporter exporter : List.of(grpcExporter, httpExporter)) {
        SINK.reset();
        SINK.hold();
        CompletableResultCode result = exporter.export(trace);
        await().atMost(Duration.ofSeconds(10)).until(() -> SINK.heldCount() == 1);
        assertThat(result.isDone()).as("answered before the sink stored").isFalse();

        SINK.release();

        assertThat(result.join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
        assertSinkHolds(trace);
      }
    } finally {
      grpcExporter.shutdown().join(10, TimeUnit.SECONDS);
      httpExporter.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void otlpJsonFromTheSpecificationIsAccepted() throws Exception {
    Path dir = ItSupport.conformanceDir();
    Assumptions.assumeTrue(dir != null && Files.exists(dir.resolve("otlp-json/trace.json")),
        "shared/conformance/otlp-json/trace.json not found beside the checkout; set -Dfaultline.conformance.dir");
    byte[] body = Files.readAllBytes(dir.resolve("otlp-json/trace.json"));

    HttpResponse<byte[]> response = postJson(body);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(OtlpJson.parse(response.body(), ExportTraceServiceResponse.getDefaultInstance()).hasPartialSuccess())
        .isFalse();
    Span span = SINK.spans().get(0);
    assertThat(OtlpIds.toHex(span.getTraceId())).isEqualTo("5b8efff798038103d269b633813fc60c");
    assertThat(OtlpIds.toHex(span.getSpanId())).isEqualTo("eee19b7ec3c1b174");
    assertThat(OtlpIds.toHex(span.getParentSpanId())).isEqualTo("eee19b7ec3c1b173");
    assertThat(span.getName()).isEqualTo("I'm a server span");
    assertThat(span.getStartTimeUnixNano()).isEqualTo(1544712660000000000L);
    assertThat(span.getEndTimeUnixNano()).isEqualTo(1544712661000000000L);
    assertThat(span.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
    assertThat(ItSupport.attributes(span.getAttributesList())).containsExactly(Map.entry("my.span.attr", "some value"));
    ResourceSpans rs = SINK.traceRequests().get(0).getResourceSpans(0);
    assertThat(ItSupport.attributes(rs.getResource().getAttributesList()))
        .containsExactly(Map.entry("service.name", "my.service"));
    assertThat(rs.getScopeSpans(0).getScope().getName()).isEqualTo("my.library");
    assertThat(rs.getScopeSpans(0).getScope().getVersion()).isEqualTo("1.0.0");
  }

  @Test
  void otlpJsonWithSnakeCaseKeysAndNamedEnumsIsAccepted() throws Exception {
    String body = """
        {"resource_spans":[{"resource":{"attributes":[{"key":"service.name","value":{"string_value":"json-svc"}}]},
          "scope_spans":[{"scope":{"name":"json"},"spans":[
            {"trace_id":"0AF7651916CD43DD8448EB211C80319C","span_id":"b7ad6b7169203331","parent_span_id":"",
             "name":"snake","kind":"SPAN_KIND_CLIENT",
             "start_time_unix_nano":"1544712660000000000","end_time_unix_nano":1544712661000000000,
             "attributes":[{"key":"n","value":{"int_value":"42"}},{"key":"ok","value":{"bool_value":true}}],
             "events":[{"time_unix_nano":"1544712660500000000","name":"ev"}],
             "status":{"code":2,"message":"boom"}}]}]}]}
        """;

    HttpResponse<byte[]> response = postJson(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    Span span = SINK.spans().get(0);
    assertThat(OtlpIds.toHex(span.getTraceId())).isEqualTo("0af7651916cd43dd8448eb211c80319c");
    assertThat(OtlpIds.toHex(span.getSpanId())).isEqualTo("b7ad6b7169203331");
    assertThat(span.getParentSpanId().isEmpty()).isTrue();
    assertThat(span.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
    assertThat(span.getEndTimeUnixNano()).isEqualTo(1544712661000000000L);
    assertThat(ItSupport.attributes(span.getAttributesList())).containsExactly(Map.entry("n", 42L), Map.entry("ok", true));
    assertThat(span.getEvents(0).getTimeUnixNano()).isEqualTo(1544712660500000000L);
    assertThat(span.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(span.getStatus().getMessage()).isEqualTo("boom");
    assertThat(SINK.traceRequests().get(0).getResourceSpans(0).getResource().getAttributes(0).getValue().getStringValue())
        .isEqualTo("json-svc");
  }

  @Test
  void jsonPartialSuccessIsAnsweredInJson() throws Exception {
    String body = """
        {"resourceSpans":[{"scopeSpans":[{"spans":[
          {"traceId":"00000000000000000000000000000000","spanId":"b7ad6b7169203331","name":"zero"},
          {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"fine"}]}]}]}
        """;

    HttpResponse<byte[]> response = postJson(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(new String(response.body(), java.nio.charset.StandardCharsets.UTF_8))
        .contains("\"partialSuccess\"").contains("\"rejectedSpans\"");
    ExportTraceServiceResponse parsed =
        OtlpJson.parse(response.body(), ExportTraceServiceResponse.getDefaultInstance());
    assertThat(parsed.getPartialSuccess().getRejectedSpans()).isEqualTo(1);
    assertThat(parsed.getPartialSuccess().getErrorMessage()).contains("invalid_trace_id");
    assertThat(SINK.spans()).extracting(Span::getName).containsExactly("fine");
  }

  private static HttpResponse<byte[]> postJson(byte[] body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/v1/traces"))
            .header("Content-Type", "application/json; charset=utf-8")
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Two services, a client/server hop, events, a link, an error status, every attribute type. */
  private static List<SpanData> multiServiceTrace() {
    List<SpanData> captured = new CopyOnWriteArrayList<>();
    SpanExporter capture = new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        captured.addAll(spans);
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
      }
    };
    SdkTracerProvider frontend = provider("frontend", capture);
    SdkTracerProvider payments = provider("payments", capture);
    try {
      Tracer ft = frontend.get("io.faultline.it.frontend", "1.2.3");
      Tracer pt = payments.get("io.faultline.it.payments");
      Attributes everyType = Attributes.builder()
          .put(stringKey("http.route"), "/checkout")
          .put(booleanKey("cache.hit"), false)
          .put(longKey("http.status_code"), 500L)
          .put(doubleKey("cart.total"), 99.5)
          .put(stringArrayKey("tags"), List.of("a", "b"))
          .put(booleanArrayKey("flags"), List.of(true, false))
          .put(longArrayKey("ids"), List.of(1L, 2L, 3L))
          .put(doubleArrayKey("weights"), List.of(0.5, 1.5))
          .build();
      io.opentelemetry.api.trace.Span root = ft.spanBuilder("GET /checkout")
          .setSpanKind(SpanKind.SERVER).setAllAttributes(everyType).startSpan();
      root.addEvent("cart loaded", Attributes.of(longKey("items"), 3L));
      io.opentelemetry.api.trace.Span call = ft.spanBuilder("POST /pay")
          .setParent(Context.root().with(root)).setSpanKind(SpanKind.CLIENT).startSpan();
      SpanContext linked = SpanContext.create("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
          TraceFlags.getSampled(), TraceState.getDefault());
      io.opentelemetry.api.trace.Span pay = pt.spanBuilder("charge card")
          .setParent(Context.root().with(call)).setSpanKind(SpanKind.SERVER)
          .addLink(linked, Attributes.of(stringKey("link.reason"), "retry of"))
          .setAttribute("payment.amount", 99.5).startSpan();
      pay.recordException(new IllegalStateException("card declined"));
      pay.setStatus(StatusCode.ERROR, "card declined");
      pay.end();
      call.setStatus(StatusCode.ERROR);
      call.end();
      root.setStatus(StatusCode.OK);
      root.end();
    } finally {
      frontend.shutdown().join(10, TimeUnit.SECONDS);
      payments.shutdown().join(10, TimeUnit.SECONDS);
    }
    assertThat(captured).hasSize(3);
    return new ArrayList<>(captured);
  }

  private static SdkTracerProvider provider(String service, SpanExporter exporter) {
    return SdkTracerProvider.builder()
        .setResource(io.opentelemetry.sdk.resources.Resource.getDefault().merge(
            io.opentelemetry.sdk.resources.Resource.create(Attributes.of(stringKey("service.name"), service))))
        .addSpanProcessor(SimpleSpanProcessor.create(exporter))
        .build();
  }

  /** The sink holds exactly these spans (by span id), each equal to what the SDK recorded. */
  private static void assertSinkHolds(List<SpanData> expected) {
    Map<String, Span> stored = new HashMap<>();
    Map<String, ResourceSpans> resourceOf = new HashMap<>();
    Map<String, ScopeSpans> scopeOf = new HashMap<>();
    for (ExportTraceServiceRequest r : SINK.traceRequests()) {
      for (ResourceSpans rs : r.getResourceSpansList()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          for (Span s : ss.getSpansList()) {
            String id = OtlpIds.toHex(s.getSpanId());
            assertThat(stored.put(id, s)).as("span %s stored twice", id).isNull();
            resourceOf.put(id, rs);
            scopeOf.put(id, ss);
          }
        }
      }
    }
    assertThat(stored.keySet()).containsExactlyInAnyOrderElementsOf(
        expected.stream().map(SpanData::getSpanId).toList());
    for (SpanData want : expected) {
      Span got = stored.get(want.getSpanId());
      assertThat(OtlpIds.toHex(got.getTraceId())).isEqualTo(want.getTraceId());
      assertThat(got.getParentSpanId().isEmpty() ? "0000000000000000" : OtlpIds.toHex(got.getParentSpanId()))
          .isEqualTo(want.getParentSpanId());
      assertThat(got.getName()).isEqualTo(want.getName());
      assertThat(got.getKind().getNumber()).isEqualTo(want.getKind().ordinal() + 1);
      assertThat(got.getStartTimeUnixNano()).isEqualTo(want.getStartEpochNanos());
      assertThat(got.getEndTimeUnixNano()).isEqualTo(want.getEndEpochNanos());
      assertThat(ItSupport.attributes(got.getAttributesList())).isEqualTo(javaMap(want.getAttributes()));
      assertThat(got.getStatus().getCode().getNumber()).isEqualTo(statusCode(want.getStatus().getStatusCode()));
      assertThat(got.getStatus().getMessage()).isEqualTo(want.getStatus().getDescription());
      assertThat(got.getEventsCount()).isEqualTo(want.getEvents().size());
      for (int i = 0; i < want.getEvents().size(); i++) {
        EventData e = want.getEvents().get(i);
        assertThat(got.getEvents(i).getName()).isEqualTo(e.getName());
        assertThat(got.getEvents(i).getTimeUnixNano()).isEqualTo(e.getEpochNanos());
        assertThat(ItSupport.attributes(got.getEvents(i).getAttributesList())).isEqualTo(javaMap(e.getAttributes()));
      }
      assertThat(got.getLinksCount()).isEqualTo(want.getLinks().size());
      for (int i = 0; i < want.getLinks().size(); i++) {
        LinkData l = want.getLinks().get(i);
        assertThat(OtlpIds.toHex(got.getLinks(i).getTraceId())).isEqualTo(l.getSpanContext().getTraceId());
        assertThat(OtlpIds.toHex(got.getLinks(i).getSpanId())).isEqualTo(l.getSpanContext().getSpanId());
        assertThat(ItSupport.attributes(got.getLinks(i).getAttributesList())).isEqualTo(javaMap(l.getAttributes()));
      }
      Resource resource = resourceOf.get(want.getSpanId()).getResource();
      assertThat(ItSupport.attributes(resource.getAttributesList())).isEqualTo(javaMap(want.getResource().getAttributes()));
      ScopeSpans scope = scopeOf.get(want.getSpanId());
      assertThat(scope.getScope().getName()).isEqualTo(want.getInstrumentationScopeInfo().getName());
      assertThat(scope.getScope().getVersion())
          .isEqualTo(want.getInstrumentationScopeInfo().getVersion() == null ? "" : want.getInstrumentationScopeInfo().getVersion());
    }
  }

  private static int statusCode(StatusCode code) {
    return switch (code) {
      case UNSET -> 0;
      case OK -> 1;
      case ERROR -> 2;
    };
  }

  private static Map<String, Object> javaMap(Attributes attributes) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<AttributeKey<?>, Object> e : attributes.asMap().entrySet()) {
      out.put(e.getKey().getKey(), e.getValue());
    }
    return out;
  }

  private static double counter(String name, String label, String value) {
    double sum = 0;
    for (MetricSnapshot s : REGISTRY.scrape()) {
      if (s.getMetadata().getName().equals(name)) {
        for (CounterSnapshot.CounterDataPointSnapshot p : ((CounterSnapshot) s).getDataPoints()) {
          if (value.equals(p.getLabels().get(label))) {
            sum += p.getValue();
          }
        }
      }
    }
    return sum;
  }
}
