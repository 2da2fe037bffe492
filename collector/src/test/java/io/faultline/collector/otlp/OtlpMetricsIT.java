/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.faultline.collector.otlp.grpc.OtlpGrpcReceiver;
import io.faultline.collector.otlp.http.OtlpHttpReceiver;
import io.faultline.core.ingest.BackpressureException;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleGauge;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongUpDownCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentSelector;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.View;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * OTLP metrics end to end: the real OpenTelemetry SDK (counter, up-down counter, histogram,
 * exponential histogram, gauge) exporting over gRPC and HTTP into both receivers; partial success
 * and refusals with hand-built requests.
 */
class OtlpMetricsIT {
  private static final RecordingSink SINK = new RecordingSink();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static OtlpGrpcReceiver grpc;
  private static OtlpHttpReceiver http;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    OtlpCollector collector = OtlpCollector.builder(SINK).build();
    grpc = OtlpGrpcReceiver.builder(collector).port(0).build();
    http = OtlpHttpReceiver.builder(collector).port(0).build();
    grpc.start();
    http.start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
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
  void sdkOverGrpcDeliversEveryInstrumentKind() throws Exception {
    record(
        OtlpGrpcMetricExporter.builder()
            .setEndpoint("http://127.0.0.1:" + grpc.port())
            .setCompression("gzip")
            .build());
    assertEveryInstrumentStored();
  }

  @Test
  void sdkOverHttpProtobufDeliversEveryInstrumentKind() throws Exception {
    record(
        OtlpHttpMetricExporter.builder()
            .setEndpoint("http://127.0.0.1:" + http.port() + "/v1/metrics")
            .build());
    assertEveryInstrumentStored();
  }

  /** Records one value or a few into each kind of instrument and exports them once. */
  private static void record(MetricExporter exporter) {
    SdkMeterProvider provider =
        SdkMeterProvider.builder()
            .setResource(
                Resource.getDefault()
                    .merge(
                        Resource.create(
                            Attributes.of(
                                AttributeKey.stringKey("service.name"), "checkout",
                                AttributeKey.stringKey("service.instance.id"), "pod-1"))))
            .registerView(
                InstrumentSelector.builder().setName("payload.size").build(),
                View.builder().setAggregation(Aggregation.base2ExponentialBucketHistogram()).build())
            .registerMetricReader(
                PeriodicMetricReader.builder(exporter).setInterval(Duration.ofHours(1)).build())
            .build();
    try {
      Meter meter = provider.get("io.faultline.test");
      Attributes get = Attributes.of(AttributeKey.stringKey("http.request.method"), "GET");
      LongCounter requests = meter.counterBuilder("http.requests").setUnit("{request}").build();
      requests.add(3, get);
      requests.add(2, get);
      LongUpDownCounter active = meter.upDownCounterBuilder("sessions.active").build();
      active.add(5);
      active.add(-2);
      DoubleHistogram latency =
          meter.histogramBuilder("http.server.duration").setUnit("s").build();
      latency.record(0.004, get);
      latency.record(0.3, get);
      latency.record(7, get);
      DoubleHistogram size = meter.histogramBuilder("payload.size").setUnit("By").build();
      size.record(100);
      size.record(1000);
      DoubleGauge temperature = meter.gaugeBuilder("room.temperature").setUnit("Cel").build();
      temperature.set(21.5);
      assertThat(provider.forceFlush().join(20, TimeUnit.SECONDS).isSuccess()).isTrue();
    } finally {
      provider.shutdown().join(20, TimeUnit.SECONDS);
    }
  }

  private static void assertEveryInstrumentStored() throws Exception {
    List<TelemetryBatch> batches = SINK.batches();
    assertThat(batches).isNotEmpty().allSatisfy(b -> assertThat(b.signal()).isEqualTo(Signal.METRICS));
    Map<String, Metric> metrics = new LinkedHashMap<>();
    ResourceMetrics resource = null;
    for (TelemetryBatch b : batches) {
      ExportMetricsServiceRequest r = (ExportMetricsServiceRequest) b.message();
      // the bytes as the SDK encoded them, which parse back to the same message
      assertThat(ExportMetricsServiceRequest.parseFrom(b.bytes())).isEqualTo(r);
      for (ResourceMetrics rm : r.getResourceMetricsList()) {
        resource = rm;
        for (ScopeMetrics sm : rm.getScopeMetricsList()) {
          if (!sm.getScope().getName().equals("io.faultline.test")) {
            continue; // the SDK may report on itself under its own scope
          }
          for (Metric m : sm.getMetricsList()) {
            metrics.put(m.getName(), m);
          }
        }
      }
    }
    assertThat(resource).isNotNull();
    assertThat(stringAttributes(resource.getResource().getAttributesList()))
        .containsEntry("service.name", "checkout")
        .containsEntry("service.instance.id", "pod-1");
    assertThat(metrics)
        .containsOnlyKeys(
            "http.requests",
            "sessions.active",
            "http.server.duration",
            "payload.size",
            "room.temperature");

    Metric requests = metrics.get("http.requests");
    assertThat(requests.getUnit()).isEqualTo("{request}");
    assertThat(requests.getSum().getIsMonotonic()).isTrue();
    assertThat(requests.getSum().getAggregationTemporality())
        .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    NumberDataPoint requestPoint = requests.getSum().getDataPoints(0);
    assertThat(requestPoint.getAsInt()).isEqualTo(5);
    assertThat(stringAttributes(requestPoint.getAttributesList()))
        .containsExactly(Map.entry("http.request.method", "GET"));

    Metric active = metrics.get("sessions.active");
    assertThat(active.getSum().getIsMonotonic()).isFalse();
    assertThat(active.getSum().getDataPoints(0).getAsInt()).isEqualTo(3);

    HistogramDataPoint latency = metrics.get("http.server.duration").getHistogram().getDataPoints(0);
    assertThat(latency.getCount()).isEqualTo(3);
    assertThat(latency.getSum()).isCloseTo(7.304, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(latency.getBucketCountsCount()).isEqualTo(latency.getExplicitBoundsCount() + 1);
    assertThat(latency.getBucketCountsList().stream().mapToLong(Long::longValue).sum()).isEqualTo(3);

    ExponentialHistogramDataPoint size =
        metrics.get("payload.size").getExponentialHistogram().getDataPoints(0);
    assertThat(size.getCount()).isEqualTo(2);
    assertThat(size.getSum()).isEqualTo(1100.0);
    assertThat(size.getPositive().getBucketCountsList().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(2);

    Metric temperature = metrics.get("room.temperature");
    assertThat(temperature.getUnit()).isEqualTo("Cel");
    assertThat(temperature.getGauge().getDataPoints(0).getAsDouble()).isEqualTo(21.5);
  }

  @Test
  void invalidPointsAreRejectedInPartialSuccessAndTheRestStored() {
    ExportMetricsServiceRequest request =
        request(
            gauge("ok", 1.0),
            gauge("nan_is_a_value", Double.NaN),
            gauge("inf_is_a_value", Double.POSITIVE_INFINITY),
            brokenHistogram("broken"));
    ExportMetricsServiceResponse response =
        MetricsServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .export(request);
    assertThat(response.getPartialSuccess().getRejectedDataPoints()).isEqualTo(1);
    assertThat(response.getPartialSuccess().getErrorMessage())
        .contains("rejected 1 of 4 data points", "invalid_data_point", "'broken'");
    assertThat(storedNames()).containsExactly("ok", "nan_is_a_value", "inf_is_a_value");
  }

  @Test
  void aRequestOfOnlyMalformedPointsIsRefusedWhole() throws Exception {
    ExportMetricsServiceRequest request = request(brokenHistogram("broken"));
    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                MetricsServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .export(request));
    assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).contains("no valid data points");

    HttpResponse<byte[]> viaHttp = post(request.toByteArray());
    assertThat(viaHttp.statusCode()).isEqualTo(400);
    assertThat(SINK.calls()).isZero();
  }

  @Test
  void labelExplosionOnAPointIsRejectedNotStored() throws Exception {
    NumberDataPoint.Builder point = NumberDataPoint.newBuilder().setAsDouble(1).setTimeUnixNano(1);
    for (int i = 0; i < IngestLimits.DEFAULT_MAX_ATTRIBUTES_PER_ITEM + 1; i++) {
      point.addAttributes(
          KeyValue.newBuilder()
              .setKey("k" + i)
              .setValue(AnyValue.newBuilder().setStringValue("v" + i)));
    }
    Metric exploded =
        Metric.newBuilder()
            .setName("exploded")
            .setGauge(io.opentelemetry.proto.metrics.v1.Gauge.newBuilder().addDataPoints(point))
            .build();
    HttpResponse<byte[]> response = post(request(exploded, gauge("fine", 2)).toByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    ExportMetricsServiceResponse body = ExportMetricsServiceResponse.parseFrom(response.body());
    assertThat(body.getPartialSuccess().getRejectedDataPoints()).isEqualTo(1);
    assertThat(body.getPartialSuccess().getErrorMessage()).contains("too_many_attributes");
    assertThat(storedNames()).containsExactly("fine");
  }

  @Test
  void backpressureIs429OverHttp() throws Exception {
    SINK.failWith(new BackpressureException("the write-ahead log is full", Duration.ofSeconds(2)));
    HttpResponse<byte[]> response = post(request(gauge("g", 1)).toByteArray());
    assertThat(response.statusCode()).isEqualTo(429);
    assertThat(response.headers().firstValue("retry-after")).hasValue("2");
  }

  private static HttpResponse<byte[]> post(byte[] body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/v1/metrics"))
            .header("Content-Type", "application/x-protobuf")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private static List<String> storedNames() {
    List<String> names = new ArrayList<>();
    for (TelemetryBatch b : SINK.batches()) {
      for (ResourceMetrics rm : ((ExportMetricsServiceRequest) b.message()).getResourceMetricsList()) {
        for (ScopeMetrics sm : rm.getScopeMetricsList()) {
          for (Metric m : sm.getMetricsList()) {
            names.add(m.getName());
          }
        }
      }
    }
    return names;
  }

  private static ExportMetricsServiceRequest request(Metric... metrics) {
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(
            ResourceMetrics.newBuilder()
                .addScopeMetrics(ScopeMetrics.newBuilder().addAllMetrics(List.of(metrics))))
        .build();
  }

  private static Metric gauge(String name, double value) {
    return Metric.newBuilder()
        .setName(name)
        .setGauge(
            io.opentelemetry.proto.metrics.v1.Gauge.newBuilder()
                .addDataPoints(NumberDataPoint.newBuilder().setAsDouble(value).setTimeUnixNano(1)))
        .build();
  }

  /** Three bucket counts for one bound. */
  private static Metric brokenHistogram(String name) {
    return Metric.newBuilder()
        .setName(name)
        .setHistogram(
            Histogram.newBuilder()
                .setAggregationTemporality(
                    AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                .addDataPoints(
                    HistogramDataPoint.newBuilder()
                        .setCount(3)
                        .addExplicitBounds(1.0)
                        .addAllBucketCounts(List.of(1L, 1L, 1L))))
        .build();
  }

  private static Map<String, String> stringAttributes(List<KeyValue> kvs) {
    Map<String, String> out = new LinkedHashMap<>();
    for (KeyValue kv : kvs) {
      out.put(kv.getKey(), kv.getValue().getStringValue());
    }
    return out;
  }
}
