/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.faultline.collector.otlp.RecordingSink;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.prometheus.MetricMetadata;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Scrapes a real endpoint: the Prometheus Java client's HTTP exporter, on loopback. Checks labels,
 * values, metadata, report series, the target going down (stale markers), a hanging target (the
 * timeout) and removal.
 */
class ScrapeManagerIT {
  private static final Duration INTERVAL = Duration.ofMillis(300);

  @Test
  void scrapesARealExporterAndMarksItsSeriesStaleWhenItGoesAway() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    Counter requests =
        Counter.builder()
            .name("shop_requests_total")
            .help("Requests served")
            .labelNames("path")
            .register(registry);
    Gauge queue = Gauge.builder().name("shop_queue_length").help("Queued orders").register(registry);
    Histogram latency =
        Histogram.builder()
            .name("shop_latency_seconds")
            .help("Latency")
            .classicUpperBounds(0.1, 1)
            .register(registry);
    requests.labelValues("/cart").inc(3);
    queue.set(4);
    latency.observe(0.05);
    latency.observe(0.5);

    RecordingSink sink = new RecordingSink();
    HTTPServer server =
        HTTPServer.builder().inetAddress(InetAddress.getLoopbackAddress()).port(0).registry(registry).buildAndStart();
    String address = "127.0.0.1:" + server.getPort();
    ScrapeTarget target =
        new ScrapeTarget("shop", address, "http", "/metrics", INTERVAL, INTERVAL, Map.of("team", "a"));
    try (ScrapeManager scraper = ScrapeManager.builder(sink).threads(2).build()) {
      scraper.start();
      assertThat(scraper.addTarget(target)).isTrue();
      assertThat(scraper.addTarget(target)).isFalse();
      java.util.function.BiFunction<String, String, String> key =
          (name, extra) -> {
            java.util.TreeMap<String, String> labels = new java.util.TreeMap<>(
                Map.of("instance", address, "job", "shop", "team", "a"));
            if (!extra.isEmpty()) {
              String[] kv = extra.split("=", 2);
              labels.put(kv[0], kv[1]);
            }
            StringBuilder sb = new StringBuilder(name).append('{');
            labels.forEach((k, v) -> sb.append(sb.charAt(sb.length() - 1) == '{' ? "" : ",").append(k).append('=').append(v));
            return sb.append('}').toString();
          };

      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () -> {
                Map<String, TimeSeries> s = latestSeries(sink);
                assertThat(s).containsKey(key.apply("shop_requests_total", "path=/cart"));
                assertThat(value(s, key.apply("shop_requests_total", "path=/cart"))).isEqualTo(3);
                assertThat(value(s, key.apply("shop_queue_length", ""))).isEqualTo(4);
                assertThat(value(s, key.apply("shop_latency_seconds_bucket", "le=0.1"))).isEqualTo(1);
                assertThat(value(s, key.apply("shop_latency_seconds_bucket", "le=+Inf"))).isEqualTo(2);
                assertThat(value(s, key.apply("shop_latency_seconds_count", ""))).isEqualTo(2);
                assertThat(value(s, key.apply("up", ""))).isEqualTo(1);
              });
      assertThat(metadata(sink))
          .anySatisfy(
              m -> {
                assertThat(m.getMetricFamilyName()).isIn("shop_requests", "shop_requests_total");
                assertThat(m.getType()).isEqualTo(MetricMetadata.MetricType.COUNTER);
                assertThat(m.getHelp()).isEqualTo("Requests served");
              });
      assertThat(scraper.status()).singleElement().satisfies(st -> assertThat(st.up()).isTrue());

      // the exporter stops: up 0 and every series it exposed is marked stale
      server.close();
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () -> {
                Map<String, TimeSeries> s = latestSeries(sink);
                assertThat(value(s, key.apply("up", ""))).isZero();
                assertThat(isStale(s.get(key.apply("shop_requests_total", "path=/cart")))).isTrue();
              });
      assertThat(scraper.status().get(0).lastError()).isNotBlank();

      assertThat(scraper.removeTarget(target)).isTrue();
      Map<String, TimeSeries> last = latestSeries(sink);
      assertThat(isStale(last.get(key.apply("up", "")))).isTrue();
      assertThat(scraper.targets()).isEmpty();
    } finally {
      server.close();
    }
  }

  @Test
  void aTargetThatNeverAnswersTimesOutAndIsDown() throws Exception {
    RecordingSink sink = new RecordingSink();
    List<Socket> accepted = new ArrayList<>();
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    accepted.add(silent.accept()); // read nothing, answer nothing
                  }
                } catch (java.io.IOException closed) {
                  // the test is over
                }
              },
              "silent-target");
      acceptor.setDaemon(true);
      acceptor.start();
      String address = "127.0.0.1:" + silent.getLocalPort();
      ScrapeTarget target =
          new ScrapeTarget("silent", address, "http", "/metrics", INTERVAL, Duration.ofMillis(200), Map.of());
      try (ScrapeManager scraper = ScrapeManager.builder(sink).targets(List.of(target)).build()) {
        scraper.start();
        await()
            .atMost(Duration.ofSeconds(20))
            .untilAsserted(
                () -> {
                  assertThat(value(latestSeries(sink), "up{instance=" + address + ",job=silent}")).isZero();
                  assertThat(scraper.status().get(0).lastError()).contains("timed out");
                });
      }
    } finally {
      for (Socket s : accepted) {
        s.close();
      }
    }
  }

  /** Every series' latest sample across the stored batches, by name{labels}. */
  private static Map<String, TimeSeries> latestSeries(RecordingSink sink) {
    Map<String, TimeSeries> out = new java.util.LinkedHashMap<>();
    for (TelemetryBatch b : sink.batches()) {
      out.putAll(WriteRequests.byKey((WriteRequest) b.message()));
    }
    return out;
  }

  private static List<MetricMetadata> metadata(RecordingSink sink) {
    List<MetricMetadata> out = new ArrayList<>();
    for (TelemetryBatch b : sink.batches()) {
      out.addAll(((WriteRequest) b.message()).getMetadataList());
    }
    return out;
  }

  private static double value(Map<String, TimeSeries> s, String key) {
    TimeSeries ts = Optional.ofNullable(s.get(key)).orElseThrow(() -> new AssertionError("no series " + key + " in " + s.keySet()));
    return ts.getSamples(0).getValue();
  }

  private static boolean isStale(TimeSeries ts) {
    return ts != null && Double.doubleToRawLongBits(ts.getSamples(0).getValue()) == ScrapeLoop.STALE_NAN_BITS;
  }
}
