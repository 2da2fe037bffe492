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
import io.faultline.core.prometheus.v2.BucketSpan;
import io.faultline.core.prometheus.v2.Exemplar;
import io.faultline.core.prometheus.v2.Histogram;
import io.faultline.core.prometheus.v2.Metadata;
import io.faultline.core.prometheus.v2.Request;
import io.faultline.core.prometheus.v2.Sample;
import io.faultline.core.prometheus.v2.TimeSeries;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

/**
 * Remote write 2.0 over the real server: a hand-built {@code io.prometheus.write.v2.Request} with a
 * gauge, a counter with metadata and an exemplar, and a native histogram is acknowledged with the
 * written counts, and reads back through the Prometheus API (the histogram as classic series).
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class RemoteWriteV2IT {
  private static final String ADMIN = "Bearer test-admin-token";
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path dataDir;

  static final DropwizardAppExtension<FaultlineConfiguration> APP =
      new DropwizardAppExtension<>(
          FaultlineApplication.class,
          ResourceHelpers.resourceFilePath("test-config.yml"),
          ConfigOverride.config("dataDir", () -> dataDir.toString()));

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aGaugeACounterWithMetadataAndANativeHistogramReadBack() throws Exception {
    long now = System.currentTimeMillis();
    RemoteWriteSymbols s = new RemoteWriteSymbols();
    TimeSeries gauge =
        s.series("__name__", "v2_room_temperature_celsius", "room", "kitchen")
            .addSamples(Sample.newBuilder().setValue(21.5).setTimestamp(now))
            .setMetadata(s.metadata(Metadata.MetricType.METRIC_TYPE_GAUGE, "Room temperature.", "celsius"))
            .build();
    TimeSeries counter =
        s.series("__name__", "v2_http_requests_total", "code", "200", "job", "api")
            .addSamples(Sample.newBuilder().setValue(42).setTimestamp(now))
            .addExemplars(Exemplar.newBuilder().addAllLabelsRefs(s.refs("trace_id", "5b8efff798038103d269b633813fc60c"))
                .setValue(0.25).setTimestamp(now))
            .setMetadata(s.metadata(Metadata.MetricType.METRIC_TYPE_COUNTER, "HTTP requests served.", ""))
            .setCreatedTimestamp(now - 60_000)
            .build();
    // schema 0: bucket 1 is (1, 2], bucket 2 is (2, 4]; one observation in each, one at zero
    TimeSeries histogram =
        s.series("__name__", "v2_request_duration_seconds", "job", "api")
            .addHistograms(Histogram.newBuilder()
                .setCountInt(3).setSum(4.5).setSchema(0).setZeroThreshold(1e-128).setZeroCountInt(1)
                .addPositiveSpans(BucketSpan.newBuilder().setOffset(1).setLength(2))
                .addPositiveDeltas(1).addPositiveDeltas(0)
                .setResetHint(Histogram.ResetHint.RESET_HINT_NO)
                .setTimestamp(now))
            .setMetadata(s.metadata(Metadata.MetricType.METRIC_TYPE_HISTOGRAM, "Request latency.", "seconds"))
            .build();
    Request request =
        Request.newBuilder().addAllSymbols(s.list).addTimeseries(gauge).addTimeseries(counter).addTimeseries(histogram).build();

    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/api/v1/write"))
            .header("Content-Type", "application/x-protobuf;proto=io.prometheus.write.v2.Request")
            .header("Content-Encoding", "snappy")
            .header("X-Prometheus-Remote-Write-Version", "2.0.0")
            .header("User-Agent", "RemoteWriteV2IT")
            .POST(HttpRequest.BodyPublishers.ofByteArray(Snappy.compress(request.toByteArray())))
            .build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
    assertThat(r.headers().firstValue("X-Prometheus-Remote-Write-Samples-Written")).hasValue("2");
    assertThat(r.headers().firstValue("X-Prometheus-Remote-Write-Histograms-Written")).hasValue("1");
    assertThat(r.headers().firstValue("X-Prometheus-Remote-Write-Exemplars-Written")).hasValue("1");

    String at = Double.toString(now / 1000.0);
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      assertThat(value("v2_room_temperature_celsius{room=\"kitchen\"}", at)).isEqualTo("21.5");
      assertThat(value("v2_http_requests_total{code=\"200\",job=\"api\"}", at)).isEqualTo("42");
      assertThat(value("v2_request_duration_seconds_count{job=\"api\"}", at)).isEqualTo("3");
      assertThat(value("v2_request_duration_seconds_sum{job=\"api\"}", at)).isEqualTo("4.5");
      assertThat(value("v2_request_duration_seconds_bucket{job=\"api\",le=\"+Inf\"}", at)).isEqualTo("3");
      assertThat(value("v2_request_duration_seconds_bucket{job=\"api\",le=\"2\"}", at)).isEqualTo("2");
    });

    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      JsonNode md = JSON.readTree(get("/api/v1/metadata").body()).path("data");
      assertThat(md.path("v2_http_requests_total").get(0).path("type").asText()).isEqualTo("counter");
      assertThat(md.path("v2_http_requests_total").get(0).path("help").asText()).isEqualTo("HTTP requests served.");
      assertThat(md.path("v2_room_temperature_celsius").get(0).path("type").asText()).isEqualTo("gauge");
      assertThat(md.path("v2_room_temperature_celsius").get(0).path("unit").asText()).isEqualTo("celsius");
      assertThat(md.path("v2_request_duration_seconds").get(0).path("type").asText()).isEqualTo("histogram");
      assertThat(md.path("v2_request_duration_seconds").get(0).path("help").asText()).isEqualTo("Request latency.");
    });
  }

  @Test
  void anUnknownProtoIs415NamingTheAcceptedOnes() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/api/v1/write"))
            .header("Content-Type", "application/x-protobuf;proto=io.prometheus.write.v3.Request")
            .header("Content-Encoding", "snappy")
            .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0}))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(415);
    assertThat(r.body()).contains("prometheus.WriteRequest", "io.prometheus.write.v2.Request");
  }

  private String value(String query, String at) throws Exception {
    JsonNode r = JSON.readTree(get("/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)
        + "&time=" + at).body());
    return r.at("/data/result/0/value/1").asText();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).header("Authorization", ADMIN).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + APP.getLocalPort() + path);
  }
}
