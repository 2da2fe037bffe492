/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.faultline.collector.otlp.RecordingSink;
import io.faultline.core.ingest.BackpressureException;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.MetricMetadata;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScrapeLoopTest {
  private static final Instant T0 = Instant.parse("2026-06-01T12:00:00Z");
  private static final ScrapeTarget TARGET =
      new ScrapeTarget(
          "api",
          "10.0.0.1:9100",
          "http",
          "/metrics",
          Duration.ofSeconds(15),
          Duration.ofSeconds(10),
          Map.of("env", "prod"));

  private final MutableClock clock = new MutableClock(T0);
  private final RecordingSink sink = new RecordingSink();
  private final FakeFetcher fetcher = new FakeFetcher();
  private ScrapeLoop loop = new ScrapeLoop(TARGET, fetcher, sink, clock, ScrapeLimits.defaults());

  @Test
  void samplesGetTargetLabelsTheScrapeTimeAndReportSeries() {
    fetcher.body =
        "# HELP requests_total Requests.\n# TYPE requests_total counter\n"
            + "requests_total{code=\"200\"} 7\n"
            + "temperature 21.5\n";
    fetcher.took = Duration.ofMillis(250);
    loop.scrape();

    WriteRequest w = lastWrite();
    Map<String, TimeSeries> byKey = byKey(w);
    TimeSeries requests = byKey.get("requests_total{code=200,env=prod,instance=10.0.0.1:9100,job=api}");
    assertThat(requests).isNotNull();
    assertThat(requests.getLabelsList()).extracting(Label::getName)
        .containsExactly("__name__", "code", "env", "instance", "job");
    assertThat(requests.getSamples(0).getValue()).isEqualTo(7);
    assertThat(requests.getSamples(0).getTimestamp()).isEqualTo(T0.toEpochMilli());
    assertThat(value(byKey, "up")).isEqualTo(1);
    assertThat(value(byKey, "scrape_duration_seconds")).isEqualTo(0.25);
    assertThat(value(byKey, "scrape_samples_scraped")).isEqualTo(2);
    assertThat(value(byKey, "scrape_samples_post_metric_relabeling")).isEqualTo(2);
    assertThat(value(byKey, "scrape_series_added")).isEqualTo(2);
    assertThat(w.getMetadataList())
        .extracting(MetricMetadata::getMetricFamilyName, MetricMetadata::getType, MetricMetadata::getHelp)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("requests_total", MetricMetadata.MetricType.COUNTER, "Requests."));
    assertThat(loop.status().up()).isTrue();
  }

  @Test
  void aVanishedSeriesGetsAStaleMarkerWithPrometheusBitPattern() {
    fetcher.body = "a 1\nb 2\n";
    loop.scrape();
    clock.advance(Duration.ofSeconds(15));
    fetcher.body = "a 3\nc 4\n";
    loop.scrape();

    Map<String, TimeSeries> byKey = byKey(lastWrite());
    TimeSeries b = byKey.get("b{env=prod,instance=10.0.0.1:9100,job=api}");
    assertThat(b).isNotNull();
    assertThat(Double.doubleToRawLongBits(b.getSamples(0).getValue())).isEqualTo(0x7ff0000000000002L);
    assertThat(b.getSamples(0).getTimestamp()).isEqualTo(T0.plusSeconds(15).toEpochMilli());
    assertThat(byKey.get("a{env=prod,instance=10.0.0.1:9100,job=api}").getSamples(0).getValue()).isEqualTo(3);
    assertThat(value(byKey, "scrape_series_added")).isEqualTo(1);
    // the metadata did not change and was sent less than ten minutes ago
    assertThat(lastWrite().getMetadataCount()).isZero();
  }

  @Test
  void aFailedScrapeIsUpZeroAndMarksEverySeriesStale() {
    fetcher.body = "a 1\nb 2\n";
    loop.scrape();
    clock.advance(Duration.ofSeconds(15));
    fetcher.failure = new IOException("connection refused");
    loop.scrape();

    Map<String, TimeSeries> byKey = byKey(lastWrite());
    assertThat(value(byKey, "up")).isZero();
    assertThat(value(byKey, "scrape_samples_scraped")).isZero();
    assertThat(Double.doubleToRawLongBits(byKey.get("a{env=prod,instance=10.0.0.1:9100,job=api}").getSamples(0).getValue()))
        .isEqualTo(ScrapeLoop.STALE_NAN_BITS);
    assertThat(Double.doubleToRawLongBits(byKey.get("b{env=prod,instance=10.0.0.1:9100,job=api}").getSamples(0).getValue()))
        .isEqualTo(ScrapeLoop.STALE_NAN_BITS);
    assertThat(loop.status().lastError()).isEqualTo("connection refused");

    // back up: the series come back, nothing more is stale
    clock.advance(Duration.ofSeconds(15));
    fetcher.failure = null;
    loop.scrape();
    byKey = byKey(lastWrite());
    assertThat(value(byKey, "up")).isEqualTo(1);
    assertThat(value(byKey, "scrape_series_added")).isEqualTo(2);
    assertThat(byKey.values()).noneMatch(ts -> Double.doubleToRawLongBits(ts.getSamples(0).getValue()) == ScrapeLoop.STALE_NAN_BITS);
  }

  @Test
  void anUnparsableBodyFailsTheScrape() {
    fetcher.body = "ok 1\nbroken{ 2\n";
    loop.scrape();
    Map<String, TimeSeries> byKey = byKey(lastWrite());
    assertThat(value(byKey, "up")).isZero();
    assertThat(byKey).doesNotContainKey("ok{env=prod,instance=10.0.0.1:9100,job=api}");
    assertThat(loop.status().lastError()).contains("line 2");
    // Prometheus counts what it read before the broken line
    assertThat(value(byKey, "scrape_samples_scraped")).isEqualTo(1);
  }

  @Test
  void samplesMoreThanTenMinutesAheadAreDropped() {
    long now = clock.instant().toEpochMilli();
    fetcher.body =
        "near " + 1 + " " + (now + Duration.ofMinutes(9).toMillis()) + "\n"
            + "far 2 " + (now + Duration.ofHours(2).toMillis()) + "\n";
    loop.scrape();
    Map<String, TimeSeries> byKey = byKey(lastWrite());
    assertThat(value(byKey, "up")).isEqualTo(1);
    assertThat(byKey).containsKey("near{env=prod,instance=10.0.0.1:9100,job=api}");
    assertThat(byKey).doesNotContainKey("far{env=prod,instance=10.0.0.1:9100,job=api}");
  }

  @Test
  void explicitTimestampsAreHonouredAndNotTrackedForStaleness() {
    fetcher.body = "with_ts 1 1000\nwithout 2\n";
    loop.scrape();
    assertThat(byKey(lastWrite()).get("with_ts{env=prod,instance=10.0.0.1:9100,job=api}").getSamples(0).getTimestamp())
        .isEqualTo(1000);
    clock.advance(Duration.ofSeconds(15));
    fetcher.body = "";
    loop.scrape();
    Map<String, TimeSeries> byKey = byKey(lastWrite());
    assertThat(byKey).containsKey("without{env=prod,instance=10.0.0.1:9100,job=api}");
    assertThat(byKey).doesNotContainKey("with_ts{env=prod,instance=10.0.0.1:9100,job=api}");
  }

  @Test
  void clashingScrapedLabelsBecomeExported() {
    fetcher.body = "m{job=\"theirs\",instance=\"x\",exported_job=\"older\"} 1\n";
    loop.scrape();
    assertThat(byKey(lastWrite()))
        .containsKey(
            "m{env=prod,exported_exported_job=theirs,exported_instance=x,exported_job=older,instance=10.0.0.1:9100,job=api}");
  }

  @Test
  void labelAndSampleLimitsFailTheScrape() {
    loop = new ScrapeLoop(TARGET, fetcher, sink, clock, new ScrapeLimits(1 << 20, 2, 5, 1024, 8));
    fetcher.body = "m{a=\"1\",b=\"2\"} 1\n";
    loop.scrape();
    assertThat(loop.status().lastError()).startsWith("label_limit exceeded (metric: m, number of labels: 6, limit: 5)");
    fetcher.body = "m{a=\"123456789\"} 1\n";
    loop.scrape();
    assertThat(loop.status().lastError()).startsWith("label_value_length_limit exceeded");
    fetcher.body = "a 1\nb 1\nc 1\n";
    loop.scrape();
    assertThat(loop.status().lastError()).startsWith("sample_limit exceeded");
    assertThat(value(byKey(lastWrite()), "up")).isZero();
  }

  @Test
  void labelValuesAndNamesTooLongForTheStoresIndexFailTheScrapeByDefault() {
    // the metric store indexes name\0value as one Lucene term of at most 32766 bytes; a longer
    // one would be dropped there
    loop = new ScrapeLoop(TARGET, fetcher, sink, clock, ScrapeLimits.defaults());
    fetcher.body = "m{a=\"" + "€".repeat(12_000) + "\"} 1\n";
    loop.scrape();
    assertThat(loop.status().lastError()).startsWith("label_value_length_limit exceeded");
    fetcher.body = "m" + "x".repeat(40_000) + " 1\n";
    loop.scrape();
    assertThat(loop.status().lastError()).startsWith("label_value_length_limit exceeded");
    assertThat(value(byKey(lastWrite()), "up")).isZero();
  }

  @Test
  void stoppingMarksEverySeriesAndTheReportSeriesStale() {
    fetcher.body = "a 1\n";
    loop.scrape();
    clock.advance(Duration.ofSeconds(3));
    loop.stop();
    Map<String, TimeSeries> byKey = byKey(lastWrite());
    assertThat(byKey.keySet())
        .containsExactlyInAnyOrder(
            "a{env=prod,instance=10.0.0.1:9100,job=api}",
            "up{env=prod,instance=10.0.0.1:9100,job=api}",
            "scrape_duration_seconds{env=prod,instance=10.0.0.1:9100,job=api}",
            "scrape_samples_scraped{env=prod,instance=10.0.0.1:9100,job=api}",
            "scrape_samples_post_metric_relabeling{env=prod,instance=10.0.0.1:9100,job=api}",
            "scrape_series_added{env=prod,instance=10.0.0.1:9100,job=api}");
    assertThat(byKey.values())
        .allSatisfy(ts -> {
          assertThat(Double.doubleToRawLongBits(ts.getSamples(0).getValue())).isEqualTo(ScrapeLoop.STALE_NAN_BITS);
          assertThat(ts.getSamples(0).getTimestamp()).isEqualTo(T0.plusSeconds(3).toEpochMilli());
        });
    int batches = sink.batches().size();
    loop.scrape();
    loop.stop();
    assertThat(sink.batches()).hasSize(batches);
  }

  @Test
  void aFullSinkLosesThisScrapeOnly() {
    sink.failWith(new BackpressureException("full", Duration.ofSeconds(1)));
    fetcher.body = "a 1\n";
    loop.scrape();
    assertThat(sink.batches()).isEmpty();
    sink.failWith(null);
    clock.advance(Duration.ofSeconds(15));
    loop.scrape();
    assertThat(sink.batches()).hasSize(1);
  }

  private WriteRequest lastWrite() {
    List<TelemetryBatch> batches = sink.batches();
    assertThat(batches).isNotEmpty();
    TelemetryBatch last = batches.get(batches.size() - 1);
    assertThat(last.signal()).isEqualTo(Signal.PROMETHEUS_WRITE);
    return (WriteRequest) last.message();
  }

  static Map<String, TimeSeries> byKey(WriteRequest w) {
    return WriteRequests.byKey(w);
  }

  private static double value(Map<String, TimeSeries> byKey, String reportName) {
    TimeSeries ts = byKey.get(reportName + "{env=prod,instance=10.0.0.1:9100,job=api}");
    assertThat(ts).as(reportName).isNotNull();
    return ts.getSamples(0).getValue();
  }

  /** Answers the body set by the test; advances the clock by {@link #took} per fetch. */
  private final class FakeFetcher implements Fetcher {
    String body = "";
    String contentType = "text/plain; version=0.0.4";
    IOException failure;
    Duration took = Duration.ZERO;

    @Override
    public Fetched fetch(ScrapeTarget target, long maxBytes) throws IOException {
      clock.advance(took);
      if (failure != null) {
        throw failure;
      }
      return new Fetched(contentType, body.getBytes(StandardCharsets.UTF_8));
    }
  }

  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
