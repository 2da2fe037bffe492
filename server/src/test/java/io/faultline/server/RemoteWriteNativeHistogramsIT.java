/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.faultline.core.prometheus.BucketSpan;
import io.faultline.core.prometheus.Histogram;
import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import io.faultline.core.prometheus.v2.Metadata;
import io.faultline.core.prometheus.v2.Request;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

/**
 * Float native histograms (what Prometheus sends for recording rules' results) and native
 * histograms with custom buckets (schema -53) over remote write 1.0 and 2.0 against the real
 * server: acknowledged, stored as classic {@code _bucket{le}}, {@code _count} and {@code _sum}
 * series, and read back through {@code /api/v1/query}; a malformed one is refused with its reason
 * and not counted as written.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class RemoteWriteNativeHistogramsIT {
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
  void floatAndCustomBucketHistogramsOverRemoteWrite10ReadBack() throws Exception {
    long now = System.currentTimeMillis();
    WriteRequest request =
        WriteRequest.newBuilder()
            .addTimeseries(TimeSeries.newBuilder()
                .addLabels(label("__name__", "rw1_rule_seconds")).addLabels(label("job", "rules"))
                .addHistograms(floatExponential(now)))
            .addTimeseries(TimeSeries.newBuilder()
                .addLabels(label("__name__", "rw1_nhcb_seconds")).addLabels(label("job", "api"))
                .addHistograms(integerCustom(now)))
            .build();

    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/api/v1/write"))
            .header("Content-Type", "application/x-protobuf")
            .header("Content-Encoding", "snappy")
            .header("X-Prometheus-Remote-Write-Version", "0.1.0")
            .header("User-Agent", "RemoteWriteNativeHistogramsIT")
            .POST(HttpRequest.BodyPublishers.ofByteArray(Snappy.compress(request.toByteArray())))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(204);

    String at = Double.toString(now / 1000.0);
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      assertFloatExponential("rw1_rule_seconds", "rules", at);
      assertThat(value("rw1_nhcb_seconds_count{job=\"api\"}", at)).isEqualTo("7");
      assertThat(value("rw1_nhcb_seconds_sum{job=\"api\"}", at)).isEqualTo("9");
      assertThat(buckets("rw1_nhcb_seconds_bucket{job=\"api\"}", at))
          .containsExactlyInAnyOrderEntriesOf(Map.of("0.1", "2", "0.5", "2", "1", "5", "5", "6", "+Inf", "7"));
      // rank 3.5 of 7 falls in (0.5, 1], which holds the 3rd to 5th observation
      assertThat(number("histogram_quantile(0.5, rw1_nhcb_seconds_bucket)", at))
          .isCloseTo(0.5 + 0.5 * (3.5 - 2) / 3, within(1e-12));
    });
  }

  @Test
  void floatAndCustomBucketHistogramsOverRemoteWrite20ReadBackAndAreCountedAsWritten() throws Exception {
    long now = System.currentTimeMillis();
    RemoteWriteSymbols s = new RemoteWriteSymbols();
    Metadata histogram = s.metadata(Metadata.MetricType.METRIC_TYPE_HISTOGRAM, "Latency.", "seconds");
    Request request =
        Request.newBuilder()
            .addTimeseries(s.series("__name__", "rw2_rule_seconds", "job", "rules")
                .addHistograms(v2(floatExponential(now))).setMetadata(histogram))
            .addTimeseries(s.series("__name__", "rw2_nhcb_seconds", "job", "api")
                .addHistograms(v2(floatCustom(now))).setMetadata(histogram))
            .addAllSymbols(s.list)
            .build();

    HttpResponse<String> r = post20(request);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
    assertThat(r.headers().firstValue("X-Prometheus-Remote-Write-Samples-Written")).hasValue("0");
    assertThat(r.headers().firstValue("X-Prometheus-Remote-Write-Histograms-Written")).hasValue("2");

    String at = Double.toString(now / 1000.0);
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      assertFloatExponential("rw2_rule_seconds", "rules", at);
      assertThat(value("rw2_nhcb_seconds_count{job=\"api\"}", at)).isEqualTo("4");
      assertThat(value("rw2_nhcb_seconds_sum{job=\"api\"}", at)).isEqualTo("6");
      assertThat(buckets("rw2_nhcb_seconds_bucket{job=\"api\"}", at))
          .containsExactlyInAnyOrderEntriesOf(Map.of("0.1", "0.5", "1", "2", "+Inf", "4"));
      // rank 1 of 4 falls in (0.1, 1], which holds the 0.5th to 2nd observation
      assertThat(number("histogram_quantile(0.25, rw2_nhcb_seconds_bucket)", at))
          .isCloseTo(0.1 + 0.9 * (1 - 0.5) / 1.5, within(1e-12));
      // rank 3 of 4 falls in (1, +Inf): the quantile is the highest finite bound, as in Prometheus
      assertThat(number("histogram_quantile(0.75, rw2_nhcb_seconds_bucket)", at)).isEqualTo(1.0);
    });

    // custom bounds out of order: refused with the reason; only the good sample is written
    RemoteWriteSymbols t = new RemoteWriteSymbols();
    Histogram unordered = floatCustom(now + 1).toBuilder().setCustomValues(1, 0.01).build();
    Request mixed =
        Request.newBuilder()
            .addTimeseries(t.series("__name__", "rw2_nhcb_seconds", "job", "api")
                .addHistograms(v2(floatCustom(now + 1_000))))
            .addTimeseries(t.series("__name__", "rw2_broken_seconds").addHistograms(v2(unordered)))
            .addAllSymbols(t.list)
            .build();
    r = post20(mixed);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body())
        .contains("left out 1 malformed native histogram sample", "rw2_broken_seconds",
            "custom_values are not strictly increasing");
    assertThat(r.headers().firstValue("X-Prometheus-Remote-Write-Histograms-Written")).hasValue("1");
    String later = Double.toString((now + 1_000) / 1000.0);
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(JSON.readTree(query("count_over_time(rw2_nhcb_seconds_count[1m])", later).body())
                .at("/data/result/0/value/1").asText())
            .isEqualTo("2"));
    assertThat(JSON.readTree(query("{__name__=~\"rw2_broken.*\"}", later).body()).at("/data/result").size())
        .isZero();
  }

  /** The float exponential histogram of {@link #floatExponential} read back. */
  private void assertFloatExponential(String name, String job, String at) throws Exception {
    String sel = "{job=\"" + job + "\"}";
    assertThat(value(name + "_count" + sel, at)).isEqualTo("4.75");
    assertThat(value(name + "_sum" + sel, at)).isEqualTo("14");
    assertThat(buckets(name + "_bucket" + sel, at))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("-1", "0.5", "0.001", "0.75", "2", "2.25", "4", "2.25", "8", "4.75", "+Inf", "4.75"));
    // rank 2.375 of 4.75 falls in (4, 8], which holds the 2.25th to 4.75th observation
    assertThat(number("histogram_quantile(0.5, " + name + "_bucket" + sel + ")", at))
        .isCloseTo(4 + 4 * (2.375 - 2.25) / 2.5, within(1e-12));
  }

  /**
   * A recording rule's result of schema 0: positive buckets 1 (1, 2] 1.5 and 3 (4, 8] 2.5,
   * negative bucket 1 [-2, -1) 0.5, the zero bucket 0.25: count 4.75.
   */
  private static Histogram floatExponential(long t) {
    return Histogram.newBuilder()
        .setTimestamp(t).setSchema(0).setCountFloat(4.75).setSum(14)
        .setZeroThreshold(0.001).setZeroCountFloat(0.25)
        .addPositiveSpans(span(1, 1)).addPositiveSpans(span(1, 1)).addAllPositiveCounts(List.of(1.5, 2.5))
        .addNegativeSpans(span(1, 1)).addNegativeCounts(0.5)
        .setResetHint(Histogram.ResetHint.GAUGE)
        .build();
  }

  /** Bounds 0.1, 0.5, 1, 5 holding 2, 0 (not sent), 3, 1, and 1 above 5: integer deltas. */
  private static Histogram integerCustom(long t) {
    return Histogram.newBuilder()
        .setTimestamp(t).setSchema(-53).setCountInt(7).setSum(9)
        .addPositiveSpans(span(0, 1)).addPositiveSpans(span(1, 3)).addAllPositiveDeltas(List.of(2L, 1L, -2L, 0L))
        .addAllCustomValues(List.of(0.1, 0.5, 1.0, 5.0))
        .setResetHint(Histogram.ResetHint.NO)
        .build();
  }

  /** Bounds 0.1, 1 holding 0.5, 1.5, and 2 above 1: float counts. */
  private static Histogram floatCustom(long t) {
    return Histogram.newBuilder()
        .setTimestamp(t).setSchema(-53).setCountFloat(4).setSum(6).setZeroCountFloat(0)
        .addPositiveSpans(span(0, 3)).addAllPositiveCounts(List.of(0.5, 1.5, 2.0))
        .addAllCustomValues(List.of(0.1, 1.0))
        .build();
  }

  /** The same histogram in 2.0's message: the same fields under the same numbers. */
  private static io.faultline.core.prometheus.v2.Histogram v2(Histogram h) throws Exception {
    return io.faultline.core.prometheus.v2.Histogram.parseFrom(h.toByteString());
  }

  private static BucketSpan span(int offset, int length) {
    return BucketSpan.newBuilder().setOffset(offset).setLength(length).build();
  }

  private static Label label(String name, String value) {
    return Label.newBuilder().setName(name).setValue(value).build();
  }

  private HttpResponse<String> post20(Request request) throws Exception {
    return http.send(HttpRequest.newBuilder(uri("/api/v1/write"))
            .header("Content-Type", "application/x-protobuf;proto=io.prometheus.write.v2.Request")
            .header("Content-Encoding", "snappy")
            .header("X-Prometheus-Remote-Write-Version", "2.0.0")
            .header("User-Agent", "RemoteWriteNativeHistogramsIT")
            .POST(HttpRequest.BodyPublishers.ofByteArray(Snappy.compress(request.toByteArray())))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The {@code le} label to value of each series of an instant vector. */
  private Map<String, String> buckets(String query, String at) throws Exception {
    JsonNode result = JSON.readTree(query(query, at).body()).at("/data/result");
    Map<String, String> out = new HashMap<>();
    for (JsonNode s : result) {
      out.put(s.at("/metric/le").asText(), s.at("/value/1").asText());
    }
    return out;
  }

  private String value(String query, String at) throws Exception {
    return JSON.readTree(query(query, at).body()).at("/data/result/0/value/1").asText();
  }

  private double number(String query, String at) throws Exception {
    String v = value(query, at);
    assertThat(v).as(query).isNotEmpty();
    return Double.parseDouble(v);
  }

  private HttpResponse<String> query(String query, String at) throws Exception {
    return http.send(HttpRequest.newBuilder(uri("/api/v1/query?query="
                + URLEncoder.encode(query, StandardCharsets.UTF_8) + "&time=" + at))
            .header("Authorization", ADMIN).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + APP.getLocalPort() + path);
  }
}
