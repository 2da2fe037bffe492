/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.faultline.core.otlp.OtlpJson;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.logs.OtlpGrpcLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real OpenTelemetry SDK exporters (gRPC and HTTP/protobuf) send a multi-service trace to a
 * running Faultline; the trace is read back through the Jaeger API and the OTLP JSON endpoint and
 * compared field by field with what the SDK recorded.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class OtelSdkEndToEndIT {
  private static final String TOKEN = "test-admin-token";
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path dataDir;

  static final DropwizardAppExtension<FaultlineConfiguration> APP =
      new DropwizardAppExtension<>(
          FaultlineApplication.class,
          ResourceHelpers.resourceFilePath("test-config.yml"),
          ConfigOverride.config("dataDir", () -> dataDir.toString()));

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void grpcExporterTraceReadBackThroughJaegerAndOtlpJson() throws Exception {
    FaultlineApplication app = APP.getApplication();
    SpanExporter exporter =
        OtlpGrpcSpanExporter.builder()
            .setEndpoint("http://127.0.0.1:" + app.otlpGrpcPort())
            .build();
    roundTrip(exporter, "grpc");
  }

  @Test
  void httpProtobufExporterTraceReadBackThroughJaegerAndOtlpJson() throws Exception {
    FaultlineApplication app = APP.getApplication();
    SpanExporter exporter =
        OtlpHttpSpanExporter.builder()
            .setEndpoint("http://127.0.0.1:" + app.otlpHttpPort() + "/v1/traces")
            .build();
    roundTrip(exporter, "http");
  }

  @Test
  void lokiTailStreamsHistoryThenNewLinesOverAWebSocket() throws Exception {
    FaultlineApplication app = APP.getApplication();
    String query = java.net.URLEncoder.encode("{service_name=\"tail-svc\"} |= \"tick\"", java.nio.charset.StandardCharsets.UTF_8);
    URI ws = URI.create("ws://127.0.0.1:" + APP.getLocalPort() + "/loki/api/v1/tail?limit=10&query=" + query);
    exportLog(app, "tail-svc", "tick 1 before the tail");
    exportLog(app, "tail-svc", "tock: not matching");
    await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
        get("/api/logs?query=" + java.net.URLEncoder.encode("service:tail-svc", java.nio.charset.StandardCharsets.UTF_8), TOKEN).body().contains("tock"));

    // the upgrade is authenticated like the query API
    var refused = http.newWebSocketBuilder().buildAsync(ws, new java.net.http.WebSocket.Listener() {});
    assertThat(org.assertj.core.api.Assertions.catchThrowable(refused::join).getCause())
        .isInstanceOfSatisfying(java.net.http.WebSocketHandshakeException.class,
            e -> assertThat(e.getResponse().statusCode()).isEqualTo(401));

    java.util.concurrent.LinkedBlockingQueue<String> messages = new java.util.concurrent.LinkedBlockingQueue<>();
    java.net.http.WebSocket socket = http.newWebSocketBuilder().header("Authorization", "Bearer " + TOKEN)
        .buildAsync(ws, new java.net.http.WebSocket.Listener() {
          private final StringBuilder part = new StringBuilder();

          @Override
          public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket w, CharSequence data, boolean last) {
            part.append(data);
            if (last) {
              messages.add(part.toString());
              part.setLength(0);
            }
            w.request(1);
            return null;
          }
        }).join();
    try {
      List<String> lines = new ArrayList<>();
      await().atMost(java.time.Duration.ofSeconds(15)).untilAsserted(() -> {
        for (String m; (m = messages.poll()) != null; ) {
          JsonNode message = JSON.readTree(m);
          for (JsonNode st : message.path("streams")) {
            assertThat(st.at("/stream/service_name").asText()).isEqualTo("tail-svc");
            st.path("values").forEach(v -> lines.add(v.get(1).asText()));
          }
        }
        assertThat(lines).containsExactly("tick 1 before the tail");
      });
      exportLog(app, "tail-svc", "tick 2 while tailing");
      exportLog(app, "other-svc", "tick from another service");
      exportLog(app, "tail-svc", "tock 3: filtered out");
      exportLog(app, "tail-svc", "tick 4 while tailing");
      await().atMost(java.time.Duration.ofSeconds(15)).untilAsserted(() -> {
        for (String m; (m = messages.poll()) != null; ) {
          JSON.readTree(m).path("streams").forEach(st -> st.path("values").forEach(v -> lines.add(v.get(1).asText())));
        }
        assertThat(lines).containsExactly("tick 1 before the tail", "tick 2 while tailing", "tick 4 while tailing");
      });
    } finally {
      socket.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "done").join();
    }
  }

  /** One log record of {@code service} over OTLP/HTTP JSON, acknowledged before this returns. */
  private void exportLog(FaultlineApplication app, String service, String body) throws Exception {
    String json = "{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\""
        + service + "\"}}]},\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":\"" + System.currentTimeMillis() * 1_000_000L
        + "\",\"severityNumber\":9,\"body\":{\"stringValue\":\"" + body + "\"}}]}]}]}";
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.otlpHttpPort() + "/v1/logs"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  @Test
  void sdkLogExportersAndLogstashLinesAreSearchableWithTheirTraceContext() throws Exception {
    FaultlineApplication app = APP.getApplication();
    Resource resource =
        Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "payments-logs"));
    SdkLoggerProvider loggers =
        SdkLoggerProvider.builder()
            .setResource(resource)
            .addLogRecordProcessor(
                SimpleLogRecordProcessor.create(
                    OtlpGrpcLogRecordExporter.builder()
                        .setEndpoint("http://127.0.0.1:" + app.otlpGrpcPort())
                        .build()))
            .addLogRecordProcessor(
                SimpleLogRecordProcessor.create(
                    OtlpHttpLogRecordExporter.builder()
                        .setEndpoint("http://127.0.0.1:" + app.otlpHttpPort() + "/v1/logs")
                        .build()))
            .build();
    SdkTracerProvider tracer =
        SdkTracerProvider.builder()
            .setResource(resource)
            .addSpanProcessor(SimpleSpanProcessor.create(InMemorySpanExporter.create()))
            .build();
    Span span = tracer.get("test").spanBuilder("charge").startSpan();
    String traceId = span.getSpanContext().getTraceId();
    try (var scope = span.makeCurrent()) {
      loggers
          .get("io.faultline.test.payments")
          .logRecordBuilder()
          .setSeverity(io.opentelemetry.api.logs.Severity.ERROR)
          .setSeverityText("ERROR")
          .setBody("card declined for order 42")
          .setAttribute(AttributeKey.longKey("order.id"), 42L)
          .emit();
    }
    span.end();
    assertThat(loggers.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    loggers.shutdown().join(10, TimeUnit.SECONDS);

    // one record per exporter (gRPC and HTTP), both carrying the span's context
    JsonNode found =
        await()
            .atMost(java.time.Duration.ofSeconds(5))
            .until(
                () -> JSON.readTree(get("/api/logs?query=trace_id:" + traceId, TOKEN).body()),
                r -> r.get("total").asInt() == 2);
    JsonNode log = found.get("logs").get(0);
    assertThat(log.get("service").asText()).isEqualTo("payments-logs");
    assertThat(log.get("severityText").asText()).isEqualTo("ERROR");
    assertThat(log.get("body").asText()).isEqualTo("card declined for order 42");
    assertThat(log.get("spanId").asText()).isEqualTo(span.getSpanContext().getSpanId());
    assertThat(log.get("attributes").get("order.id").asLong()).isEqualTo(42);
    assertThat(
            JSON.readTree(
                    get("/api/logs?query=" + java.net.URLEncoder.encode(
                        "service:payments-logs AND severity:ERROR AND body:\"card declined\"",
                        java.nio.charset.StandardCharsets.UTF_8), TOKEN).body())
                .get("total")
                .asInt())
        .isEqualTo(2);

    // a Logstash JSON line over TCP, as logstash-logback-encoder writes it
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", app.logstashPort())) {
      socket
          .getOutputStream()
          .write(
              ("{\"@timestamp\":\"" + java.time.Instant.now() + "\",\"message\":\"stock low for sku-7\","
                      + "\"level\":\"WARN\",\"logger_name\":\"inventory.Stock\",\"service\":\"inventory-logs\","
                      + "\"trace_id\":\"" + traceId + "\"}\n")
                  .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
    }
    await()
        .atMost(java.time.Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(
                        JSON.readTree(get("/api/logs?query=service:inventory-logs", TOKEN).body())
                            .get("total")
                            .asInt())
                    .isEqualTo(1));
  }

  @Test
  void sdkMetricsAreNamedAsTheOpenTelemetryPrometheusRulesSay() throws Exception {
    FaultlineApplication app = APP.getApplication();
    io.opentelemetry.sdk.metrics.export.MetricExporter exporter =
        OtlpHttpMetricExporter.builder()
            .setEndpoint("http://127.0.0.1:" + app.otlpHttpPort() + "/v1/metrics")
            .build();
    PeriodicMetricReader reader =
        PeriodicMetricReader.builder(exporter).setInterval(java.time.Duration.ofHours(1)).build();
    SdkMeterProvider meters =
        SdkMeterProvider.builder()
            .setResource(
                Resource.create(
                    Attributes.of(
                        AttributeKey.stringKey("service.name"), "shop-metrics",
                        AttributeKey.stringKey("service.namespace"), "shop",
                        AttributeKey.stringKey("service.instance.id"), "i-1",
                        AttributeKey.stringKey("deployment.environment"), "test")))
            .registerMetricReader(reader)
            .build();
    var meter = meters.get("io.faultline.test");
    meter.counterBuilder("orders.placed").build().add(3, Attributes.of(AttributeKey.stringKey("region"), "eu"));
    meter.upDownCounterBuilder("connections.open").build().add(5);
    meter.histogramBuilder("checkout.duration").setUnit("ms").build().record(120);
    meter.gaugeBuilder("queue.size").setUnit("By").buildWithCallback(m -> m.record(2048));
    assertThat(meters.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    meters.shutdown().join(10, TimeUnit.SECONDS);

    await()
        .atMost(java.time.Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              JsonNode names =
                  JSON.readTree(get("/api/v1/label/__name__/values", TOKEN).body()).get("data");
              assertThat(names.toString())
                  .contains(
                      "\"orders_placed_total\"",
                      "\"connections_open\"",
                      "\"checkout_duration_milliseconds_bucket\"",
                      "\"checkout_duration_milliseconds_count\"",
                      "\"queue_size_bytes\"",
                      "\"target_info\"");
            });
    JsonNode orders =
        JSON.readTree(
                get("/api/v1/query?query=orders_placed_total", TOKEN).body())
            .at("/data/result/0");
    assertThat(orders.get("metric").get("job").asText()).isEqualTo("shop/shop-metrics");
    assertThat(orders.get("metric").get("instance").asText()).isEqualTo("i-1");
    assertThat(orders.get("metric").get("region").asText()).isEqualTo("eu");
    assertThat(orders.get("value").get(1).asText()).isEqualTo("3");
    JsonNode info =
        JSON.readTree(get("/api/v1/query?query=target_info", TOKEN).body()).at("/data/result/0/metric");
    assertThat(info.get("deployment_environment").asText()).isEqualTo("test");
  }

  @Test
  void alertingRulesEvaluateAndChaosExperimentsValidateThroughTheApi() throws Exception {
    await()
        .atMost(java.time.Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              JsonNode alerts = JSON.readTree(get("/api/v1/alerts", TOKEN).body());
              assertThat(alerts.toString()).contains("\"alertname\":\"AlwaysFiring\"", "\"state\":\"firing\"");
            });
    assertThat(get("/api/v1/rules", TOKEN).body()).contains("\"name\":\"faultline-test\"");

    String yaml =
        "title: slow inventory\n"
            + "method:\n"
            + "  - name: slow\n"
            + "    type: proxy-http\n"
            + "    target: inventory\n"
            + "    duration: 0s\n";
    HttpResponse<String> invalid =
        send(
            HttpRequest.newBuilder(uri("/api/chaos/experiments"))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/yaml")
                .POST(HttpRequest.BodyPublishers.ofString(yaml))
                .build());
    assertThat(invalid.statusCode()).isEqualTo(400);
    assertThat(invalid.body()).contains("method[0].duration");
  }

  @Test
  void queryApisNeedATokenAndTheRightRole() throws Exception {
    assertThat(get("/api/services", null).statusCode()).isEqualTo(401);
    assertThat(get("/api/services", "wrong-token").statusCode()).isEqualTo(401);
    assertThat(get("/api/services", TOKEN).statusCode()).isEqualTo(200);
    assertThat(get("/api/session", null).statusCode()).isEqualTo(401);
    assertThat(get("/api/session", TOKEN).body()).contains("\"role\":\"admin\"");
    // the dashboard itself is served without a token; its data calls need one
    HttpResponse<String> index = get("/", null);
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");

    HttpResponse<String> created =
        send(
            HttpRequest.newBuilder(uri("/api/admin/tokens"))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"ci-viewer\",\"role\":\"viewer\"}"))
                .build());
    assertThat(created.statusCode()).isEqualTo(201);
    String viewer = JSON.readTree(created.body()).get("token").asText();
    assertThat(get("/api/services", viewer).statusCode()).isEqualTo(200);
    assertThat(get("/api/admin/tokens", viewer).statusCode()).isEqualTo(403);
    // Jaeger's API v3 is read like the other query APIs
    for (String path : List.of("/api/v3/services", "/api/v3/operations?service=x")) {
      assertThat(get(path, null).statusCode()).as(path).isEqualTo(401);
      assertThat(get(path, viewer).statusCode()).as(path).isEqualTo(200);
    }
  }

  @Test
  void adminPortServesPrometheusMetricsAndHealth() throws Exception {
    int admin = APP.getAdminPort();
    HttpResponse<String> metrics =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).contains("faultline_wal_fsync_seconds", "faultline_store_refresh_lag_seconds", "faultline_metric_samples_rejected_total{reason=\"out_of_order\"}").contains("jvm_memory");
    HttpResponse<String> health =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/healthcheck"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("\"traces\"").contains("\"ingest\"");
  }

  private void roundTrip(SpanExporter exporter, String variant) throws Exception {
    InMemorySpanExporter recorded = InMemorySpanExporter.create();
    SdkTracerProvider frontendProvider = provider("frontend-" + variant, exporter, recorded);
    SdkTracerProvider backendProvider = provider("backend-" + variant, exporter, recorded);
    Tracer frontend = frontendProvider.get("io.faultline.test.frontend", "1.2.3");
    Tracer backend = backendProvider.get("io.faultline.test.backend");

    Span linkedTo = frontend.spanBuilder("background-job").startSpan();
    linkedTo.end();
    SpanContext linkTarget = linkedTo.getSpanContext();

    Span root =
        frontend
            .spanBuilder("GET /checkout")
            .setSpanKind(SpanKind.SERVER)
            .setAttribute("http.method", "GET")
            .setAttribute("http.status_code", 500L)
            .setAttribute("retry", true)
            .setAttribute("ratio", 0.25)
            .setAttribute(AttributeKey.stringArrayKey("tags"), List.of("a", "b"))
            .setAttribute(AttributeKey.longArrayKey("codes"), List.of(1L, 2L))
            .setAttribute(AttributeKey.booleanArrayKey("flags"), List.of(true, false))
            .setAttribute(AttributeKey.doubleArrayKey("weights"), List.of(0.5, 1.5))
            .addLink(linkTarget, Attributes.of(AttributeKey.stringKey("link.kind"), "batch"))
            .startSpan();
    Context rootContext = Context.root().with(root);
    Span call =
        frontend
            .spanBuilder("POST /charge")
            .setParent(rootContext)
            .setSpanKind(SpanKind.CLIENT)
            .startSpan();
    Span server =
        backend
            .spanBuilder("charge")
            .setParent(rootContext.with(call))
            .setSpanKind(SpanKind.SERVER)
            .setAttribute("card.declined", true)
            .startSpan();
    server.addEvent(
        "card declined", Attributes.of(AttributeKey.stringKey("reason"), "insufficient funds"));
    server.setStatus(StatusCode.ERROR, "payment failed");
    server.end();
    call.setStatus(StatusCode.ERROR);
    call.end();
    root.recordException(new IllegalStateException("checkout failed"));
    root.setStatus(StatusCode.ERROR, "checkout failed");
    root.end();

    CompletableResultCode flushed =
        CompletableResultCode.ofAll(List.of(frontendProvider.forceFlush(), backendProvider.forceFlush()));
    assertThat(flushed.join(10, TimeUnit.SECONDS).isSuccess()).as("export acknowledged").isTrue();
    String traceId = root.getSpanContext().getTraceId();
    // before shutdown, which empties the in-memory exporter
    List<SpanData> sent =
        recorded.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(traceId)).toList();
    frontendProvider.shutdown().join(10, TimeUnit.SECONDS);
    backendProvider.shutdown().join(10, TimeUnit.SECONDS);
    assertThat(sent).hasSize(3);

    // Jaeger API: the trace by id, within a second of the acknowledgement
    JsonNode trace =
        await()
            .atMost(java.time.Duration.ofSeconds(5))
            .until(() -> jaegerTrace(traceId), t -> t != null && t.get("spans").size() == 3);
    assertJaegerTraceMatches(trace, sent);

    // Jaeger search finds it by service + tag, as Jaeger UI asks
    HttpResponse<String> search =
        get(
            "/api/traces?service=backend-"
                + variant
                + "&tags=%7B%22card.declined%22%3A%22true%22%7D&lookback=1h&limit=20",
            TOKEN);
    assertThat(search.statusCode()).isEqualTo(200);
    JsonNode found = JSON.readTree(search.body()).get("data");
    assertThat(found).hasSize(1);
    assertThat(found.get(0).get("traceID").asText()).isEqualTo(traceId);
    assertThat(JSON.readTree(get("/api/services", TOKEN).body()).get("data").toString())
        .contains("frontend-" + variant, "backend-" + variant);

    // span metrics and the service graph, derived at ingest, through PromQL and Jaeger's dependencies
    String backendService = "backend-" + variant;
    await()
        .atMost(java.time.Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              JsonNode deps = JSON.readTree(get("/api/dependencies", TOKEN).body()).get("data");
              assertThat(deps.toString())
                  .contains(
                      "\"parent\":\"frontend-" + variant + "\",\"child\":\"" + backendService + "\"");
              JsonNode calls =
                  JSON.readTree(
                          get(
                              "/api/v1/query?query="
                                  + java.net.URLEncoder.encode(
                                      "traces_spanmetrics_calls_total{service=\"" + backendService + "\"}",
                                      java.nio.charset.StandardCharsets.UTF_8),
                              TOKEN)
                              .body())
                      .get("data")
                      .get("result");
              assertThat(calls).hasSize(1);
              assertThat(calls.get(0).get("metric").get("status_code").asText())
                  .isEqualTo("STATUS_CODE_ERROR");
              assertThat(calls.get(0).get("value").get(1).asText()).isEqualTo("1");
            });

    // OTLP JSON endpoint: lossless against what the SDK recorded
    HttpResponse<String> v3 = get("/api/v3/traces/" + traceId, TOKEN);
    assertThat(v3.statusCode()).isEqualTo(200);
    JsonNode result = JSON.readTree(v3.body()).get("result");
    ExportTraceServiceRequest back =
        OtlpJson.parse(
            JSON.writeValueAsBytes(result), ExportTraceServiceRequest.getDefaultInstance());
    assertOtlpMatches(back, sent);

    // Jaeger API v3 search: the same trace, found by its backend service within a minute
    java.time.Instant started =
        java.time.Instant.ofEpochSecond(0, sent.get(0).getStartEpochNanos());
    HttpResponse<String> v3Found =
        get(
            "/api/v3/traces?query.service_name="
                + backendService
                + "&query.start_time_min="
                + started.minusSeconds(60)
                + "&query.start_time_max="
                + started.plusSeconds(60),
            TOKEN);
    assertThat(v3Found.statusCode()).as(v3Found.body()).isEqualTo(200);
    assertOtlpMatches(
        OtlpJson.parse(
            JSON.writeValueAsBytes(JSON.readTree(v3Found.body()).get("result")),
            ExportTraceServiceRequest.getDefaultInstance()),
        sent);
  }

  private static void assertJaegerTraceMatches(JsonNode trace, List<SpanData> sent) {
    Map<String, JsonNode> byId = new HashMap<>();
    trace.get("spans").forEach(s -> byId.put(s.get("spanID").asText(), s));
    JsonNode processes = trace.get("processes");
    for (SpanData s : sent) {
      JsonNode j = byId.get(s.getSpanId());
      assertThat(j).as("span %s", s.getName()).isNotNull();
      assertThat(j.get("traceID").asText()).isEqualTo(s.getTraceId());
      assertThat(j.get("operationName").asText()).isEqualTo(s.getName());
      assertThat(j.get("startTime").asLong()).isEqualTo(s.getStartEpochNanos() / 1000);
      assertThat(j.get("duration").asLong())
          .isEqualTo((s.getEndEpochNanos() - s.getStartEpochNanos()) / 1000);
      String service = s.getResource().getAttribute(AttributeKey.stringKey("service.name"));
      assertThat(processes.get(j.get("processID").asText()).get("serviceName").asText())
          .isEqualTo(service);
      Map<String, JsonNode> tags = new HashMap<>();
      j.get("tags").forEach(t -> tags.put(t.get("key").asText(), t));
      assertThat(tags.get("span.kind").get("value").asText())
          .isEqualTo(s.getKind().name().toLowerCase(java.util.Locale.ROOT));
      if (s.getStatus().getStatusCode() == StatusCode.ERROR) {
        assertThat(tags.get("otel.status_code").get("value").asText()).isEqualTo("ERROR");
        assertThat(tags.get("error").get("type").asText()).isEqualTo("bool");
        assertThat(tags.get("error").get("value").asBoolean()).isTrue();
      }
      s.getAttributes()
          .forEach(
              (k, v) -> {
                JsonNode tag = tags.get(k.getKey());
                assertThat(tag).as("tag %s", k.getKey()).isNotNull();
                switch (k.getType()) {
                  case STRING -> {
                    assertThat(tag.get("type").asText()).isEqualTo("string");
                    assertThat(tag.get("value").asText()).isEqualTo(v);
                  }
                  case BOOLEAN -> {
                    assertThat(tag.get("type").asText()).isEqualTo("bool");
                    assertThat(tag.get("value").asBoolean()).isEqualTo(v);
                  }
                  case LONG -> {
                    assertThat(tag.get("type").asText()).isEqualTo("int64");
                    assertThat(tag.get("value").asLong()).isEqualTo(v);
                  }
                  case DOUBLE -> {
                    assertThat(tag.get("type").asText()).isEqualTo("float64");
                    assertThat(tag.get("value").asDouble()).isEqualTo(v);
                  }
                  default -> {
                    assertThat(tag.get("type").asText()).isEqualTo("string");
                    assertThat(tag.get("value").asText()).startsWith("[");
                  }
                }
              });
      if (s.getParentSpanContext().isValid()) {
        JsonNode refs = j.get("references");
        boolean childOf = false;
        for (JsonNode r : refs) {
          childOf |=
              r.get("refType").asText().equals("CHILD_OF")
                  && r.get("spanID").asText().equals(s.getParentSpanId());
        }
        assertThat(childOf).as("CHILD_OF reference of %s", s.getName()).isTrue();
      }
      for (LinkData link : s.getLinks()) {
        boolean followsFrom = false;
        for (JsonNode r : j.get("references")) {
          followsFrom |=
              r.get("refType").asText().equals("FOLLOWS_FROM")
                  && r.get("spanID").asText().equals(link.getSpanContext().getSpanId());
        }
        assertThat(followsFrom).as("link of %s", s.getName()).isTrue();
      }
      assertThat(j.get("logs")).hasSize(s.getEvents().size());
      for (int i = 0; i < s.getEvents().size(); i++) {
        EventData e = s.getEvents().get(i);
        JsonNode log = j.get("logs").get(i);
        assertThat(log.get("timestamp").asLong()).isEqualTo(e.getEpochNanos() / 1000);
        List<String> fields = new ArrayList<>();
        log.get("fields").forEach(f -> fields.add(f.get("key").asText() + "=" + f.get("value").asText()));
        assertThat(fields).contains("event=" + e.getName());
      }
    }
  }

  private static void assertOtlpMatches(ExportTraceServiceRequest back, List<SpanData> sent) {
    Map<String, io.opentelemetry.proto.trace.v1.Span> byId = new HashMap<>();
    Map<String, String> serviceOf = new HashMap<>();
    for (ResourceSpans rs : back.getResourceSpansList()) {
      String service = "";
      for (KeyValue kv : rs.getResource().getAttributesList()) {
        if (kv.getKey().equals("service.name")) {
          service = kv.getValue().getStringValue();
        }
      }
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (io.opentelemetry.proto.trace.v1.Span span : ss.getSpansList()) {
          String id = java.util.HexFormat.of().formatHex(span.getSpanId().toByteArray());
          byId.put(id, span);
          serviceOf.put(id, service);
        }
      }
    }
    assertThat(byId).hasSize(sent.size());
    for (SpanData s : sent) {
      io.opentelemetry.proto.trace.v1.Span p = byId.get(s.getSpanId());
      assertThat(p).as("span %s", s.getName()).isNotNull();
      assertThat(serviceOf.get(s.getSpanId()))
          .isEqualTo(s.getResource().getAttribute(AttributeKey.stringKey("service.name")));
      assertThat(p.getName()).isEqualTo(s.getName());
      assertThat(p.getStartTimeUnixNano()).isEqualTo(s.getStartEpochNanos());
      assertThat(p.getEndTimeUnixNano()).isEqualTo(s.getEndEpochNanos());
      assertThat(java.util.HexFormat.of().formatHex(p.getParentSpanId().toByteArray()))
          .isEqualTo(s.getParentSpanContext().isValid() ? s.getParentSpanId() : "");
      assertThat(p.getKind().getNumber()).isEqualTo(s.getKind().ordinal() + 1);
      assertThat(p.getStatus().getCode().getNumber())
          .isEqualTo(
              switch (s.getStatus().getStatusCode()) {
                case UNSET -> 0;
                case OK -> 1;
                case ERROR -> 2;
              });
      assertThat(p.getStatus().getMessage()).isEqualTo(s.getStatus().getDescription());
      assertThat(p.getAttributesCount()).isEqualTo(s.getAttributes().size());
      Map<String, AnyValue> attrs = new HashMap<>();
      p.getAttributesList().forEach(kv -> attrs.put(kv.getKey(), kv.getValue()));
      s.getAttributes()
          .forEach(
              (k, v) -> {
                AnyValue a = attrs.get(k.getKey());
                switch (k.getType()) {
                  case STRING -> assertThat(a.getStringValue()).isEqualTo(v);
                  case BOOLEAN -> assertThat(a.getBoolValue()).isEqualTo(v);
                  case LONG -> assertThat(a.getIntValue()).isEqualTo(v);
                  case DOUBLE -> assertThat(a.getDoubleValue()).isEqualTo(v);
                  default -> assertThat(a.getArrayValue().getValuesCount())
                      .isEqualTo(((List<?>) v).size());
                }
              });
      assertThat(p.getEventsCount()).isEqualTo(s.getEvents().size());
      for (int i = 0; i < s.getEvents().size(); i++) {
        assertThat(p.getEvents(i).getName()).isEqualTo(s.getEvents().get(i).getName());
        assertThat(p.getEvents(i).getTimeUnixNano()).isEqualTo(s.getEvents().get(i).getEpochNanos());
        assertThat(p.getEvents(i).getAttributesCount())
            .isEqualTo(s.getEvents().get(i).getAttributes().size());
      }
      assertThat(p.getLinksCount()).isEqualTo(s.getLinks().size());
      for (int i = 0; i < s.getLinks().size(); i++) {
        assertThat(java.util.HexFormat.of().formatHex(p.getLinks(i).getSpanId().toByteArray()))
            .isEqualTo(s.getLinks().get(i).getSpanContext().getSpanId());
        assertThat(p.getLinks(i).getAttributesCount())
            .isEqualTo(s.getLinks().get(i).getAttributes().size());
      }
    }
  }

  private JsonNode jaegerTrace(String traceId) throws Exception {
    HttpResponse<String> r = get("/api/traces/" + traceId, TOKEN);
    if (r.statusCode() == 404) {
      return null;
    }
    assertThat(r.statusCode()).isEqualTo(200);
    return JSON.readTree(r.body()).get("data").get(0);
  }

  private static SdkTracerProvider provider(
      String service, SpanExporter exporter, InMemorySpanExporter recorded) {
    SpanExporter shared = new NonClosingExporter(exporter);
    return SdkTracerProvider.builder()
        .setResource(
            Resource.create(
                Attributes.of(
                    AttributeKey.stringKey("service.name"), service,
                    AttributeKey.stringKey("deployment.environment"), "test")))
        .addSpanProcessor(SimpleSpanProcessor.create(shared))
        .addSpanProcessor(SimpleSpanProcessor.create(recorded))
        .build();
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return send(b.build());
  }

  private HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + APP.getLocalPort() + path);
  }

  /** Two providers share one exporter; only the last shutdown may close it. */
  private record NonClosingExporter(SpanExporter delegate) implements SpanExporter {
    @Override
    public CompletableResultCode export(java.util.Collection<SpanData> spans) {
      return delegate.export(spans);
    }

    @Override
    public CompletableResultCode flush() {
      return delegate.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
