/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Telemetry for {@link DashboardIT}, sent with the real OpenTelemetry SDK over OTLP/HTTP: checkout
 * traces across shop-web → orders → billing, one failing in billing per round, and logs carrying
 * the failed trace's context. Two rounds a few seconds apart, so the span metrics derived at ingest
 * have increases to compute rates from.
 */
final class DashboardSeed {
  static final String[] SERVICES = {"shop-web", "orders", "billing"};
  static final int SPANS_PER_TRACE = 5;
  static final int TRACES_PER_ROUND = 3;
  static final String ERROR_LOG = "card declined for order 7";
  static final String INFO_LOG = "order 7 created";

  /** What was sent: how many checkout traces, and the failed one that has logs. */
  record Seeded(int traces, String failedTraceId) {}

  @FunctionalInterface
  interface Api {
    JsonNode get(String pathAndQuery) throws Exception;
  }

  private DashboardSeed() {}

  static Seeded seed(int otlpHttpPort, Api api) throws Exception {
    String base = "http://127.0.0.1:" + otlpHttpPort;
    Map<String, SdkTracerProvider> tracers = new java.util.HashMap<>();
    Map<String, SdkLoggerProvider> loggers = new java.util.HashMap<>();
    for (String service : SERVICES) {
      Resource resource = Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), service));
      tracers.put(service, SdkTracerProvider.builder().setResource(resource)
          .addSpanProcessor(BatchSpanProcessor.builder(
              OtlpHttpSpanExporter.builder().setEndpoint(base + "/v1/traces").build()).build())
          .build());
      loggers.put(service, SdkLoggerProvider.builder().setResource(resource)
          .addLogRecordProcessor(BatchLogRecordProcessor.builder(
              OtlpHttpLogRecordExporter.builder().setEndpoint(base + "/v1/logs").build()).build())
          .build());
    }
    try {
      round(tracers, loggers, false);
      flush(tracers, loggers);
      // the first samples of the derived counters, so the second round is an increase
      double first = await("span metrics of the first round").atMost(Duration.ofSeconds(15))
          .until(() -> calls(api), v -> v >= TRACES_PER_ROUND);
      await("a derived-metrics emission after the first").atMost(Duration.ofSeconds(15))
          .pollDelay(Duration.ofMillis(1500)).until(() -> calls(api), v -> v >= first);
      String failed = round(tracers, loggers, true);
      flush(tracers, loggers);
      await("span metrics of the second round").atMost(Duration.ofSeconds(15))
          .until(() -> calls(api), v -> v >= 2 * TRACES_PER_ROUND);
      await("logs of the failed trace").atMost(Duration.ofSeconds(10))
          .until(() -> api.get("/api/logs?query=" + URLEncoder.encode("trace_id:" + failed, StandardCharsets.UTF_8))
              .get("total").asInt(), n -> n == 2);
      await("service graph").atMost(Duration.ofSeconds(10))
          .until(() -> api.get("/api/dependencies").get("data").toString(),
              d -> d.contains("\"parent\":\"orders\",\"child\":\"billing\""));
      return new Seeded(2 * TRACES_PER_ROUND, failed);
    } finally {
      tracers.values().forEach(t -> t.shutdown().join(10, TimeUnit.SECONDS));
      loggers.values().forEach(l -> l.shutdown().join(10, TimeUnit.SECONDS));
    }
  }

  /** The count of billing's server spans in span metrics, summed over status codes. */
  private static double calls(Api api) throws Exception {
    String q = "sum(traces_spanmetrics_calls_total{service=\"billing\",span_kind=\"SPAN_KIND_SERVER\"})";
    JsonNode result = api.get("/api/v1/query?query=" + URLEncoder.encode(q, StandardCharsets.UTF_8)).at("/data/result");
    return result.isEmpty() ? 0 : result.get(0).get("value").get(1).asDouble();
  }

  /** One round of checkouts; the last fails in billing. With logs, returns the failed trace's id. */
  private static String round(Map<String, SdkTracerProvider> tracers, Map<String, SdkLoggerProvider> loggers, boolean logs) {
    String failed = null;
    Instant now = Instant.now();
    for (int i = 0; i < TRACES_PER_ROUND; i++) {
      boolean fail = i == TRACES_PER_ROUND - 1;
      Instant t0 = now.minusMillis(400L * (TRACES_PER_ROUND - i));
      Span root = tracers.get("shop-web").get("shop").spanBuilder("GET /checkout").setSpanKind(SpanKind.SERVER)
          .setAttribute("http.request.method", "GET").setStartTimestamp(t0).startSpan();
      Context rootCtx = Context.root().with(root);
      Span call = tracers.get("shop-web").get("shop").spanBuilder("POST /orders").setSpanKind(SpanKind.CLIENT)
          .setParent(rootCtx).setStartTimestamp(t0.plusMillis(5)).startSpan();
      Context callCtx = rootCtx.with(call);
      Span order = tracers.get("orders").get("orders").spanBuilder("create order").setSpanKind(SpanKind.SERVER)
          .setParent(callCtx).setAttribute("order.id", 7L).setStartTimestamp(t0.plusMillis(10)).startSpan();
      Context orderCtx = callCtx.with(order);
      Span charge = tracers.get("orders").get("orders").spanBuilder("POST /charge").setSpanKind(SpanKind.CLIENT)
          .setParent(orderCtx).setStartTimestamp(t0.plusMillis(20)).startSpan();
      Context chargeCtx = orderCtx.with(charge);
      Span card = tracers.get("billing").get("billing").spanBuilder("charge card").setSpanKind(SpanKind.SERVER)
          .setParent(chargeCtx).setStartTimestamp(t0.plusMillis(25)).startSpan();
      if (fail) {
        // recordException would stamp the event with the wall clock, outside these back-dated spans
        card.addEvent("exception", Attributes.of(
            AttributeKey.stringKey("exception.type"), "com.example.billing.CardDeclinedException",
            AttributeKey.stringKey("exception.message"), "card declined"), t0.plusMillis(80));
        card.setStatus(StatusCode.ERROR, "card declined");
        charge.setStatus(StatusCode.ERROR);
      }
      if (fail && logs) {
        failed = root.getSpanContext().getTraceId();
        loggers.get("orders").get("orders").logRecordBuilder().setContext(orderCtx)
            .setSeverity(Severity.INFO).setSeverityText("INFO").setBody(INFO_LOG)
            .setTimestamp(t0.plusMillis(15)).emit();
        loggers.get("billing").get("billing").logRecordBuilder().setContext(chargeCtx.with(card))
            .setSeverity(Severity.ERROR).setSeverityText("ERROR").setBody(ERROR_LOG)
            .setAttribute(AttributeKey.longKey("order.id"), 7L).setTimestamp(t0.plusMillis(60)).emit();
      }
      card.end(t0.plusMillis(fail ? 90 : 60 + 10L * i));
      charge.end(t0.plusMillis(fail ? 95 : 70 + 10L * i));
      order.end(t0.plusMillis(110 + 10L * i));
      call.end(t0.plusMillis(115 + 10L * i));
      root.end(t0.plusMillis(120 + 10L * i));
    }
    return failed;
  }

  private static void flush(Map<String, SdkTracerProvider> tracers, Map<String, SdkLoggerProvider> loggers) {
    List<CompletableResultCode> all = new ArrayList<>();
    tracers.values().forEach(t -> all.add(t.forceFlush()));
    loggers.values().forEach(l -> all.add(l.forceFlush()));
    assertThat(CompletableResultCode.ofAll(all).join(10, TimeUnit.SECONDS).isSuccess())
        .as("OTLP export acknowledged").isTrue();
  }
}
