/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import io.faultline.core.ingest.BackpressureException;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.MetricMetadata;
import io.faultline.core.prometheus.Sample;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scrapes one target, the way Prometheus' scrape loop does: every sample gets the target's labels
 * (a clashing scraped label becomes {@code exported_<name>}) and the scrape's start time unless it
 * carries its own timestamp; {@code up}, {@code scrape_duration_seconds}, {@code
 * scrape_samples_scraped}, {@code scrape_samples_post_metric_relabeling} and {@code
 * scrape_series_added} report on the scrape; a series that was in the previous scrape and is not
 * in this one (all of them when the scrape fails) gets a stale marker, and so does every series,
 * the report series included, when the target is removed. Series with explicit timestamps are not
 * tracked for staleness, as in Prometheus.
 *
 * <p>Each scrape is handed to the sink as one {@link Signal#PROMETHEUS_WRITE} batch, with the
 * target's metadata when it changed or every {@link #METADATA_EVERY}. Scrapes of one target never
 * overlap ({@link #scrape()} and {@link #stop()} are synchronized).
 */
final class ScrapeLoop {
  /** Prometheus' stale marker: a NaN with this exact bit pattern. */
  static final long STALE_NAN_BITS = 0x7ff0000000000002L;

  static final double STALE_NAN = Double.longBitsToDouble(STALE_NAN_BITS);

  /** How often metadata is sent again although unchanged, as Prometheus' remote write does. */
  static final Duration METADATA_EVERY = Duration.ofMinutes(10);

  /** How far ahead of the scrape an explicit sample timestamp may be (Prometheus: 10 minutes). */
  static final Duration MAX_AHEAD = Duration.ofMinutes(10);

  private static final Logger LOG = LoggerFactory.getLogger(ScrapeLoop.class);

  /** Code point order, which is UTF-8 byte order: the order remote write wants labels in. */
  private static final Comparator<String> LABEL_ORDER =
      (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
          int ca = a.codePointAt(i);
          int cb = b.codePointAt(j);
          if (ca != cb) {
            return Integer.compare(ca, cb);
          }
          i += Character.charCount(ca);
          j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
      };

  private final ScrapeTarget target;
  private final Fetcher fetcher;
  private final TelemetrySink sink;
  private final Clock clock;
  private final ScrapeLimits limits;

  /** Series of the last scrape without explicit timestamps, by key; what staleness compares. */
  private Map<String, List<Label>> previous = Map.of();

  private Map<String, ExpositionParser.Family> sentMetadata = Map.of();
  private long metadataSentMs = Long.MIN_VALUE;
  private boolean stopped;
  private volatile Status status;

  /** What the last scrape found, for operators. */
  record Status(Instant lastScrape, boolean up, String lastError, Duration lastDuration) {}

  ScrapeLoop(
      ScrapeTarget target, Fetcher fetcher, TelemetrySink sink, Clock clock, ScrapeLimits limits) {
    this.target = target;
    this.fetcher = fetcher;
    this.sink = sink;
    this.clock = clock;
    this.limits = limits;
  }

  ScrapeTarget target() {
    return target;
  }

  /** Null before the first scrape. */
  Status status() {
    return status;
  }

  /** Scrapes once and hands the result (and stale markers) to the sink; never throws. */
  synchronized void scrape() {
    if (stopped) {
      return;
    }
    Instant start = clock.instant();
    long t = start.toEpochMilli();
    List<TimeSeries> out = new ArrayList<>();
    Map<String, List<Label>> current = new LinkedHashMap<>();
    Map<String, ExpositionParser.Family> families = Map.of();
    String error = null;
    int scraped = 0;
    try {
      Fetcher.Fetched fetched = fetcher.fetch(target, limits.bodySizeLimit());
      ExpositionParser.Exposition exposition =
          ExpositionParser.parse(
              new String(fetched.body(), StandardCharsets.UTF_8),
              ExpositionParser.Format.ofContentType(fetched.contentType()));
      scraped = exposition.samples().size();
      if (limits.sampleLimit() > 0 && scraped > limits.sampleLimit()) {
        throw new ScrapeFailure(
            "sample_limit exceeded: the target exposes " + scraped + " samples, the limit is " + limits.sampleLimit());
      }
      append(exposition.samples(), t, out, current);
      families = exposition.families();
    } catch (ExpositionException e) {
      error = e.getMessage();
      out.clear();
      current.clear();
      scraped = e.samplesBefore(); // what Prometheus reports for a body that breaks off
    } catch (IOException | ScrapeFailure e) {
      error = e.getMessage();
      out.clear();
      current.clear();
      scraped = 0;
    } catch (RuntimeException e) {
      LOG.error("scraping {} failed unexpectedly; counting it as down", target.uri(), e);
      error = "internal error: " + e;
      out.clear();
      current.clear();
      scraped = 0;
    }
    Duration duration = Duration.between(start, clock.instant());
    int added = 0;
    for (String key : current.keySet()) {
      if (!previous.containsKey(key)) {
        added++;
      }
    }
    for (Map.Entry<String, List<Label>> e : previous.entrySet()) {
      if (!current.containsKey(e.getKey())) {
        out.add(series(e.getValue(), STALE_NAN, t));
      }
    }
    out.add(report("up", error == null ? 1 : 0, t));
    out.add(report("scrape_duration_seconds", duration.toNanos() / 1e9, t));
    out.add(report("scrape_samples_scraped", scraped, t));
    out.add(report("scrape_samples_post_metric_relabeling", scraped, t));
    out.add(report("scrape_series_added", added, t));
    WriteRequest.Builder request = WriteRequest.newBuilder().addAllTimeseries(out);
    if (error == null
        && (!families.equals(sentMetadata)
            || t - metadataSentMs >= METADATA_EVERY.toMillis())) {
      addMetadata(request, families);
      sentMetadata = families;
      metadataSentMs = t;
    }
    boolean wasUp = status == null || status.up();
    if (error != null && wasUp) {
      LOG.warn(
          "scraping {} (job {}) failed: {}. The target's series are marked stale and up is 0"
              + " until a scrape succeeds; check that the target runs and serves {}",
          target.uri(),
          target.job(),
          error,
          target.metricsPath());
    } else if (error == null && !wasUp) {
      LOG.info("scraping {} (job {}) succeeds again", target.uri(), target.job());
    }
    previous = current;
    status = new Status(start, error == null, error, duration);
    send(request.build());
  }

  /**
   * Stops scraping and marks every series of the target stale, the report series included, as
   * Prometheus does when a target goes away. Idempotent.
   */
  synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    if (status == null) {
      return; // never scraped: nothing to mark
    }
    long t = Math.max(clock.millis(), status.lastScrape().toEpochMilli() + 1);
    List<TimeSeries> out = new ArrayList<>();
    for (List<Label> labels : previous.values()) {
      out.add(series(labels, STALE_NAN, t));
    }
    for (String name :
        List.of(
            "up",
            "scrape_duration_seconds",
            "scrape_samples_scraped",
            "scrape_samples_post_metric_relabeling",
            "scrape_series_added")) {
      out.add(report(name, STALE_NAN, t));
    }
    previous = Map.of();
    send(WriteRequest.newBuilder().addAllTimeseries(out).build());
  }

  /** Takes over the staleness state of the loop this one replaces (same target, new settings). */
  synchronized void inherit(ScrapeLoop old) {
    synchronized (old) {
      this.previous = old.previous;
      this.status = old.status;
      old.stopped = true;
    }
  }

  private void append(
      List<ExpositionParser.Sample> samples,
      long t,
      List<TimeSeries> out,
      Map<String, List<Label>> current) {
    Set<String> seen = new HashSet<>();
    for (ExpositionParser.Sample s : samples) {
      List<Label> labels = labels(s);
      String key = key(labels);
      if (!seen.add(key)) {
        continue; // Prometheus keeps the first of duplicate samples in one scrape
      }
      if (s.hasTimestamp()) {
        if (s.timestampMs() > t + MAX_AHEAD.toMillis()) {
          continue; // Prometheus' timeLimitAppender drops it as out of bounds; the scrape goes on
        }
        out.add(series(labels, s.value(), s.timestampMs()));
      } else {
        current.put(key, labels);
        out.add(series(labels, s.value(), t));
      }
    }
  }

  private List<Label> labels(ExpositionParser.Sample s) {
    TreeMap<String, String> m = new TreeMap<>(LABEL_ORDER);
    String[] pairs = s.labels();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    m.put("__name__", s.name());
    targetLabel(m, "job", target.job());
    targetLabel(m, "instance", target.address());
    for (Map.Entry<String, String> e : target.labels().entrySet()) {
      targetLabel(m, e.getKey(), e.getValue());
    }
    if (m.size() > limits.labelLimit()) {
      throw new ScrapeFailure(
          "label_limit exceeded (metric: "
              + ExpositionParser.abbreviate(s.name())
              + ", number of labels: "
              + m.size()
              + ", limit: "
              + limits.labelLimit()
              + ")");
    }
    List<Label> out = new ArrayList<>(m.size());
    for (Map.Entry<String, String> e : m.entrySet()) {
      if (e.getKey().length() > limits.labelNameLengthLimit()) {
        throw new ScrapeFailure(
            "label_name_length_limit exceeded (metric: "
                + ExpositionParser.abbreviate(s.name())
                + ", label name: "
                + ExpositionParser.abbreviate(e.getKey())
                + ", limit: "
                + limits.labelNameLengthLimit()
                + ")");
      }
      if (e.getValue().length() > limits.labelValueLengthLimit()) {
        throw new ScrapeFailure(
            "label_value_length_limit exceeded (metric: "
                + ExpositionParser.abbreviate(s.name())
                + ", label: "
                + ExpositionParser.abbreviate(e.getKey())
                + ", value length: "
                + e.getValue().length()
                + ", limit: "
                + limits.labelValueLengthLimit()
                + ")");
      }
      out.add(Label.newBuilder().setName(e.getKey()).setValue(e.getValue()).build());
    }
    return out;
  }

  /** Sets a target label; a scraped label of that name moves to exported_&lt;name&gt;. */
  private static void targetLabel(Map<String, String> m, String name, String value) {
    String scraped = m.get(name);
    if (scraped != null) {
      String exported = "exported_" + name;
      while (m.containsKey(exported)) {
        exported = "exported_" + exported;
      }
      m.put(exported, scraped);
    }
    m.put(name, value);
  }

  private TimeSeries report(String name, double value, long t) {
    TreeMap<String, String> m = new TreeMap<>(LABEL_ORDER);
    m.put("__name__", name);
    m.put("job", target.job());
    m.put("instance", target.address());
    m.putAll(target.labels());
    List<Label> labels = new ArrayList<>(m.size());
    for (Map.Entry<String, String> e : m.entrySet()) {
      labels.add(Label.newBuilder().setName(e.getKey()).setValue(e.getValue()).build());
    }
    return series(labels, value, t);
  }

  private static TimeSeries series(List<Label> labels, double value, long t) {
    return TimeSeries.newBuilder()
        .addAllLabels(labels)
        .addSamples(Sample.newBuilder().setValue(value).setTimestamp(t))
        .build();
  }

  private static String key(List<Label> labels) {
    StringBuilder sb = new StringBuilder();
    for (Label l : labels) {
      sb.append(l.getName()).append('\u0000').append(l.getValue()).append('\u0001');
    }
    return sb.toString();
  }

  private static void addMetadata(
      WriteRequest.Builder request, Map<String, ExpositionParser.Family> families) {
    for (Map.Entry<String, ExpositionParser.Family> e : families.entrySet()) {
      ExpositionParser.Family f = e.getValue();
      request.addMetadata(
          MetricMetadata.newBuilder()
              .setMetricFamilyName(e.getKey())
              .setType(type(f.type()))
              .setHelp(f.help())
              .setUnit(f.unit()));
    }
  }

  private static MetricMetadata.MetricType type(String type) {
    switch (type) {
      case "counter":
        return MetricMetadata.MetricType.COUNTER;
      case "gauge":
        return MetricMetadata.MetricType.GAUGE;
      case "histogram":
        return MetricMetadata.MetricType.HISTOGRAM;
      case "gaugehistogram":
        return MetricMetadata.MetricType.GAUGEHISTOGRAM;
      case "summary":
        return MetricMetadata.MetricType.SUMMARY;
      case "info":
        return MetricMetadata.MetricType.INFO;
      case "stateset":
        return MetricMetadata.MetricType.STATESET;
      default:
        return MetricMetadata.MetricType.UNKNOWN;
    }
  }

  /** Waits until the batch is durable, so one target's scrapes reach the store in order. */
  private void send(WriteRequest request) {
    long waitMs = Math.max(target.interval().toMillis(), 1000);
    try {
      sink.accept(TelemetryBatch.of(Signal.PROMETHEUS_WRITE, request))
          .get(waitMs, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof BackpressureException) {
        LOG.warn(
            "the ingest pipeline is full; dropped {} series scraped from {} (the next scrape"
                + " carries on)",
            request.getTimeseriesCount(),
            target.uri());
      } else {
        LOG.warn(
            "storing {} series scraped from {} failed; they are lost, the next scrape carries on",
            request.getTimeseriesCount(),
            target.uri(),
            cause);
      }
    } catch (TimeoutException e) {
      LOG.warn(
          "storing series scraped from {} took longer than {} ms; check the write-ahead log's"
              + " disk",
          target.uri(),
          waitMs);
    } catch (RuntimeException e) {
      LOG.warn("the telemetry sink refused series scraped from {}", target.uri(), e);
    }
  }

  /** A limit broke: the scrape fails as a whole. */
  private static final class ScrapeFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ScrapeFailure(String message) {
      super(message, null, false, false);
    }
  }
}
