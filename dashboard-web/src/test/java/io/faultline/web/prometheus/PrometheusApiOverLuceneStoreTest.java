/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.MetricMetadata;
import io.faultline.core.prometheus.Sample;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import io.faultline.metric.LuceneMetricStore;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus API over the real {@link LuceneMetricStore} in a temporary folder, fed one
 * remote-write batch through its indexer: the wiring from HTTP parameters to stored samples and
 * back to Prometheus' JSON.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class PrometheusApiOverLuceneStoreTest {
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final long NOW_S = NOW.getEpochSecond();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dataDir;
  private static LuceneMetricStore store;

  static final ResourceExtension resources =
      ResourceExtension.builder()
          .addResource(
              () ->
                  new PrometheusApiResource(
                      openSeededStore().queries(), Clock.fixed(NOW, ZoneOffset.UTC), "test"))
          .build();

  @AfterAll
  static void close() throws IOException {
    if (store != null) {
      store.close();
    }
  }

  /** Counters rising 1/s (code 200) and 0.5/s (code 500) for five minutes, a gauge, metadata. */
  private static LuceneMetricStore openSeededStore() {
    try {
      store =
          LuceneMetricStore.builder(dataDir)
              .clock(Clock.fixed(NOW, ZoneOffset.UTC))
              .refreshInterval(Duration.ofMillis(100))
              .build();
      WriteRequest.Builder w = WriteRequest.newBuilder();
      TimeSeries.Builder ok = series("http_requests_total", "code", "200", "job", "api");
      TimeSeries.Builder failed = series("http_requests_total", "code", "500", "job", "api");
      for (int i = 0; i <= 20; i++) {
        long t = NOW.minusSeconds(300 - 15L * i).toEpochMilli();
        ok.addSamples(Sample.newBuilder().setTimestamp(t).setValue(15.0 * i));
        failed.addSamples(Sample.newBuilder().setTimestamp(t).setValue(7.5 * i));
      }
      w.addTimeseries(ok).addTimeseries(failed);
      w.addTimeseries(
          series("temperature", "room", "a")
              .addSamples(Sample.newBuilder().setTimestamp(NOW.minusSeconds(60).toEpochMilli()).setValue(21.5)));
      w.addMetadata(
          MetricMetadata.newBuilder()
              .setMetricFamilyName("http_requests_total")
              .setType(MetricMetadata.MetricType.COUNTER)
              .setHelp("Requests."));
      store.indexer().apply(0, 1, TelemetryBatch.of(Signal.PROMETHEUS_WRITE, w.build()));
      store.indexer().commit();
      return store;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void instantQueryAnswersFromTheStore() {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(get("/api/v1/query?query=" + enc("http_requests_total{code=\"200\"}") + "&time=" + NOW_S))
                    .isEqualTo(
                        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                            + "{\"metric\":{\"__name__\":\"http_requests_total\",\"code\":\"200\",\"job\":\"api\"},"
                            + "\"value\":[" + NOW_S + ",\"300\"]}]}}"));
  }

  @Test
  void rangeQuerySeriesLabelsValuesAndMetadata() throws Exception {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(
                        get("/api/v1/query_range?query=temperature&start=" + (NOW_S - 60) + "&end=" + NOW_S + "&step=30s"))
                    .isEqualTo(
                        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
                            + "{\"metric\":{\"__name__\":\"temperature\",\"room\":\"a\"},\"values\":["
                            + "[" + (NOW_S - 60) + ",\"21.5\"],[" + (NOW_S - 30) + ",\"21.5\"],[" + NOW_S + ",\"21.5\"]]}]}}"));

    JsonNode series = json("/api/v1/series?match[]=" + enc("{job=\"api\"}"));
    assertThat(series.get("data")).hasSize(2);
    assertThat(series.at("/data/0/code").asText()).isEqualTo("200");
    assertThat(json("/api/v1/labels").get("data").toString())
        .isEqualTo("[\"__name__\",\"code\",\"job\",\"room\"]");
    assertThat(json("/api/v1/label/__name__/values").get("data").toString())
        .isEqualTo("[\"http_requests_total\",\"temperature\"]");
    JsonNode limited = json("/api/v1/label/code/values?limit=1");
    assertThat(limited.get("data").toString()).isEqualTo("[\"200\"]");
    assertThat(limited.get("warnings").get(0).asText()).isEqualTo("results truncated due to limit");
    assertThat(json("/api/v1/metadata").at("/data/http_requests_total/0/type").asText()).isEqualTo("counter");
  }

  @Test
  void theStoresParseErrorsAreBadData() throws Exception {
    var response = resources.target("/api/v1/query").queryParam("query", enc("rate(")).request().get();
    assertThat(response.getStatus()).isEqualTo(400);
    JsonNode body = JSON.readTree(response.readEntity(String.class));
    assertThat(body.get("errorType").asText()).isEqualTo("bad_data");
    assertThat(body.get("error").asText()).startsWith("invalid parameter \"query\": 1:");
  }

  private static String get(String pathAndQuery) {
    String[] parts = pathAndQuery.split("\\?", 2);
    var target = resources.target(parts[0]);
    if (parts.length > 1) {
      for (String kv : parts[1].split("&")) {
        String[] p = kv.split("=", 2);
        target = target.queryParam(p[0], p[1]);
      }
    }
    return target.request().get(String.class);
  }

  private static JsonNode json(String pathAndQuery) throws IOException {
    return JSON.readTree(get(pathAndQuery));
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static TimeSeries.Builder series(String name, String... labels) {
    TimeSeries.Builder b =
        TimeSeries.newBuilder().addLabels(Label.newBuilder().setName("__name__").setValue(name));
    for (int i = 0; i < labels.length; i += 2) {
      b.addLabels(Label.newBuilder().setName(labels[i]).setValue(labels[i + 1]));
    }
    return b;
  }
}
