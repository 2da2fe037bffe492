/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace.derived;

import static io.faultline.trace.derived.DerivedMetricsGeneratorTest.calls;
import static io.faultline.trace.derived.DerivedMetricsGeneratorTest.edge;
import static io.faultline.trace.derived.DerivedTestSupport.NOW;
import static io.faultline.trace.derived.DerivedTestSupport.NOW_NANOS;
import static io.faultline.trace.derived.DerivedTestSupport.latest;
import static io.faultline.trace.derived.DerivedTestSupport.s;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.trace.derived.DerivedTestSupport.MutableClock;
import io.faultline.trace.derived.DerivedTestSupport.RecordingSink;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spans made by the real OpenTelemetry SDK in four services, with context crossing services as W3C
 * trace-context headers, exported with the SDK's own OTLP encoding, then derived.
 */
class OtelSdkTraceTest {
  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final TextMapGetter<Map<String, String>> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
          return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };

  @TempDir Path dir;
  private final List<SdkTracerProvider> providers = new ArrayList<>();
  private final Map<String, InMemorySpanExporter> exporters = new HashMap<>();

  @AfterEach
  void shutdown() {
    providers.forEach(SdkTracerProvider::close);
  }

  private Tracer service(String name) {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .setResource(
                Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), name)))
            .addSpanProcessor(SimpleSpanProcessor.create(exporter))
            .build();
    providers.add(provider);
    exporters.put(name, exporter);
    return provider.get("io.faultline.test");
  }

  /** What one service sends: its finished spans as one OTLP export request. */
  private TelemetryBatch export(String service) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TraceRequestMarshaler.create(exporters.get(service).getFinishedSpanItems()).writeBinaryTo(out);
    return TelemetryBatch.of(Signal.TRACES, ExportTraceServiceRequest.parseFrom(out.toByteArray()));
  }

  /** A remote call: the caller's context as headers, extracted on the other side. */
  private static Context overTheWire(Span caller) {
    Map<String, String> headers = new HashMap<>();
    W3C.inject(Context.root().with(caller), headers, Map::put);
    return W3C.extract(Context.root(), headers, GETTER);
  }

  private static Span start(Tracer t, String name, SpanKind kind, Context parent, long atMs) {
    return t.spanBuilder(name)
        .setSpanKind(kind)
        .setParent(parent)
        .setStartTimestamp(NOW_NANOS + atMs * 1_000_000L, TimeUnit.NANOSECONDS)
        .startSpan();
  }

  private static void end(Span span, long atMs) {
    span.end(NOW_NANOS + atMs * 1_000_000L, TimeUnit.NANOSECONDS);
  }

  @Test
  void realSdkTraceAcrossFourServicesGivesTemposSeries() throws IOException {
    Tracer frontend = service("frontend");
    Tracer orders = service("orders");
    Tracer inventory = service("inventory");
    Tracer shipping = service("shipping");

    Span checkout = start(frontend, "GET /checkout", SpanKind.SERVER, Context.root(), 0);
    Span postOrders =
        start(frontend, "POST /orders", SpanKind.CLIENT, Context.root().with(checkout), 5);
    Span ordersServer = start(orders, "POST /orders", SpanKind.SERVER, overTheWire(postOrders), 10);
    Span stock =
        start(orders, "GET /stock", SpanKind.CLIENT, Context.root().with(ordersServer), 15);
    Span stockServer = start(inventory, "GET /stock", SpanKind.SERVER, overTheWire(stock), 20);
    stockServer.setStatus(StatusCode.ERROR, "out of stock");
    end(stockServer, 50); // 30 ms
    stock.setStatus(StatusCode.ERROR);
    end(stock, 55); // 40 ms
    Span query =
        orders
            .spanBuilder("SELECT ordersdb.orders")
            .setSpanKind(SpanKind.CLIENT)
            .setParent(Context.root().with(ordersServer))
            .setAttribute("db.system", "postgresql")
            .setAttribute("db.namespace", "ordersdb")
            .setAttribute("server.address", "postgres")
            .setStartTimestamp(NOW_NANOS + 60_000_000L, TimeUnit.NANOSECONDS)
            .startSpan();
    end(query, 63);
    Span publish =
        start(orders, "orders publish", SpanKind.PRODUCER, Context.root().with(ordersServer), 65);
    end(publish, 70);
    Span process = start(shipping, "orders process", SpanKind.CONSUMER, overTheWire(publish), 80);
    end(process, 130);
    end(ordersServer, 100); // 90 ms
    end(postOrders, 105); // 100 ms
    end(checkout, 120); // 120 ms

    MutableClock clock = new MutableClock(NOW);
    RecordingSink sink = new RecordingSink();
    try (DerivedMetricsGenerator generator =
        DerivedMetricsGenerator.builder(dir)
            .clock(clock)
            .emitInterval(Duration.ofHours(1))
            .callbackExecutor(Runnable::run)
            .build()) {
      generator.start(sink);
      long position = 0;
      for (String service : List.of("shipping", "inventory", "orders", "frontend")) {
        generator.apply(position, position + 1000, export(service));
        position += 1000;
      }
      clock.advanceMillis(Duration.ofSeconds(10).toMillis()); // the root span's caller expires
      generator.emit();

      Map<String, Double> values = latest(sink.requests());
      assertThat(filter(values, "traces_spanmetrics_calls_total"))
          .containsOnly(
              entry(calls("frontend", "GET /checkout", "SERVER", "UNSET"), 1.0),
              entry(calls("frontend", "POST /orders", "CLIENT", "UNSET"), 1.0),
              entry(calls("orders", "POST /orders", "SERVER", "UNSET"), 1.0),
              entry(calls("orders", "GET /stock", "CLIENT", "ERROR"), 1.0),
              entry(calls("orders", "SELECT ordersdb.orders", "CLIENT", "UNSET"), 1.0),
              entry(calls("orders", "orders publish", "PRODUCER", "UNSET"), 1.0),
              entry(calls("inventory", "GET /stock", "SERVER", "ERROR"), 1.0),
              entry(calls("shipping", "orders process", "CONSUMER", "UNSET"), 1.0));
      String total = "traces_service_graph_request_total";
      assertThat(filter(values, total))
          .containsOnly(
              entry(edge(total, "user", "frontend", "virtual_node"), 1.0),
              entry(edge(total, "frontend", "orders", ""), 1.0),
              entry(edge(total, "orders", "inventory", ""), 1.0),
              entry(edge(total, "orders", "shipping", "messaging_system"), 1.0),
              entry(edge(total, "orders", "postgres", "database"), 1.0));
      String failed = "traces_service_graph_request_failed_total";
      assertThat(filter(values, failed))
          .containsOnly(entry(edge(failed, "orders", "inventory", ""), 1.0));

      String[] stockServerLabels = {
        "service",
        "inventory",
        "span_name",
        "GET /stock",
        "span_kind",
        "SPAN_KIND_SERVER",
        "status_code",
        "STATUS_CODE_ERROR"
      };
      // 30 ms: not in the 0.016 s bucket, in the 0.032 s one
      assertThat(values)
          .containsEntry(
              s("traces_spanmetrics_latency_bucket", with(stockServerLabels, "0.016")), 0.0)
          .containsEntry(
              s("traces_spanmetrics_latency_bucket", with(stockServerLabels, "0.032")), 1.0)
          .containsEntry(s("traces_spanmetrics_latency_count", stockServerLabels), 1.0);
      assertThat(values.get(s("traces_spanmetrics_latency_sum", stockServerLabels)))
          .isCloseTo(0.03, org.assertj.core.api.Assertions.within(1e-9));
      assertThat(
              values.get(
                  s(
                      "traces_service_graph_request_client_seconds_sum",
                      "client",
                      "orders",
                      "server",
                      "shipping",
                      "connection_type",
                      "messaging_system")))
          .isCloseTo(0.005, org.assertj.core.api.Assertions.within(1e-9));
      assertThat(generator.expiredEdges()).isZero();
    }
  }

  private static Map<String, Double> filter(Map<String, Double> values, String name) {
    return values.entrySet().stream()
        .filter(e -> e.getKey().startsWith(name + "{"))
        .collect(
            Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
  }

  private static String[] with(String[] labels, String le) {
    String[] out = java.util.Arrays.copyOf(labels, labels.length + 2);
    out[labels.length] = "le";
    out[labels.length + 1] = le;
    return out;
  }
}
