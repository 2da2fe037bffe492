/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import io.faultline.core.health.Health;
import io.faultline.core.index.PartitionedIndex;
import io.faultline.core.ingest.BatchIndexer;
import io.faultline.core.metric.MetricQueries;
import io.faultline.core.metric.MetricStore;
import io.faultline.metric.promql.PromqlEngine;
import io.faultline.metric.storage.SeriesSource;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The embedded metric store: series documents and compressed sample chunks in time-partitioned
 * Lucene indexes (see {@link PartitionedIndex}), the newest samples of every active series in an
 * in-memory head backed by the write-ahead log and a head snapshot at each commit, and PromQL over
 * both. Its indexer takes {@code METRICS} (OTLP) and {@code PROMETHEUS_WRITE} batches. Thread-safe;
 * open it with {@link #builder}.
 */
public final class LuceneMetricStore implements MetricStore {
  /** Default maximum of active series in the head; samples of further new series are rejected. */
  public static final int DEFAULT_MAX_ACTIVE_SERIES = 1_000_000;

  /** Default window behind a series' newest sample in which out-of-order samples are accepted. */
  public static final Duration DEFAULT_OUT_OF_ORDER_WINDOW = Duration.ofMinutes(10);

  /** Default limit of samples one query may hold in memory. */
  public static final int DEFAULT_MAX_QUERY_SAMPLES = PromqlEngine.DEFAULT_MAX_SAMPLES;

  /** Default and maximum query timeout. */
  public static final Duration DEFAULT_QUERY_TIMEOUT = PromqlEngine.DEFAULT_TIMEOUT;

  /** Default longest {@code end - start} of a range, series or label query. */
  public static final Duration DEFAULT_MAX_QUERY_RANGE = Duration.ofDays(32);

  /** A series that received nothing for this long leaves the head (its chunk is indexed). */
  public static final Duration DEFAULT_SERIES_IDLE_TIMEOUT = Duration.ofHours(1);

  /** Samples per chunk before it is sealed and indexed. */
  static final int MAX_CHUNK_SAMPLES = 240;

  private final PartitionedIndex index;
  private final Head head;
  private final LuceneMetricIndexer indexer;
  private final LuceneSeriesSource source;
  private final LuceneMetricQueries queries;

  private LuceneMetricStore(Builder b, PartitionedIndex index) throws IOException {
    this.index = index;
    this.head =
        new Head(
            b.maxActiveSeries,
            b.outOfOrderWindow.toMillis(),
            b.partitionLength.toMillis(),
            MAX_CHUNK_SAMPLES);
    MetadataRegistry metadata = new MetadataRegistry();
    this.indexer =
        new LuceneMetricIndexer(
            index, head, metadata, b.dataDir, b.clock, b.retention.toMillis(),
            b.seriesIdleTimeout.toMillis());
    this.source = new LuceneSeriesSource(index, head, b.clock, b.retention.toMillis());
    this.queries =
        new LuceneMetricQueries(
            source, metadata, b.maxQuerySamples, b.queryTimeout, b.maxQueryRange,
            PromqlEngine.DEFAULT_LOOKBACK_DELTA, b.clock, b.retention);
  }

  /** A store kept in {@code dataDir} (created if missing; one store per directory). */
  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  @Override
  public BatchIndexer indexer() {
    return indexer;
  }

  @Override
  public MetricQueries queries() {
    return queries;
  }

  /** The store as the PromQL engine reads it, e.g. for a rule evaluator with its own engine. */
  public SeriesSource seriesSource() {
    return source;
  }

  @Override
  public Health check() {
    return index.health();
  }

  /** Series in the head (active series, what the series limit counts). */
  public int activeSeries() {
    return head.size();
  }

  /** Approximate bytes the head holds in memory. */
  public long headMemoryBytes() {
    return head.memoryBytes();
  }

  /** Samples stored since the store opened. */
  public long samplesAppended() {
    return indexer.counters().appended.sum();
  }

  /** Samples ignored because the same sample (timestamp and value) was already stored. */
  public long samplesDuplicateIgnored() {
    return indexer.counters().duplicateIgnored.sum();
  }

  /**
   * Samples rejected since the store opened, by reason: {@code duplicate} (same timestamp,
   * different value), {@code out_of_order} (older than the out-of-order window), {@code too_old}
   * (older than the retention), {@code too_new} (more than a day ahead), {@code series_limit}
   * (a new series over the active-series limit), {@code invalid} (bad labels or points).
   */
  public Map<String, Long> samplesRejected() {
    return indexer.rejectedByReason();
  }

  /** Bytes on disk per time partition, for the platform's own metrics. */
  public Map<String, Long> diskBytesByPartition() {
    return index.diskBytesByPartition();
  }

  /** See {@link PartitionedIndex#droppedUnindexable()}. */
  public long droppedUnindexable() {
    return index.droppedUnindexable();
  }

  /** See {@link PartitionedIndex#refreshLagMillis()}. */
  public long refreshLagMillis() {
    return index.refreshLagMillis();
  }

  PartitionedIndex index() {
    return index;
  }

  /** Closes without committing: the ingest pipeline commits, and replays after a restart. */
  @Override
  public void close() throws IOException {
    index.close();
  }

  /** Configures a {@link LuceneMetricStore}; every setting has a default. */
  public static final class Builder {
    private final Path dataDir;
    private Duration partitionLength = PartitionedIndex.DEFAULT_PARTITION_LENGTH;
    private Duration retention = Duration.ofDays(15);
    private Duration refreshInterval = PartitionedIndex.DEFAULT_REFRESH_INTERVAL;
    private int maxActiveSeries = DEFAULT_MAX_ACTIVE_SERIES;
    private Duration outOfOrderWindow = DEFAULT_OUT_OF_ORDER_WINDOW;
    private int maxQuerySamples = DEFAULT_MAX_QUERY_SAMPLES;
    private Duration queryTimeout = DEFAULT_QUERY_TIMEOUT;
    private Duration maxQueryRange = DEFAULT_MAX_QUERY_RANGE;
    private Duration seriesIdleTimeout = DEFAULT_SERIES_IDLE_TIMEOUT;
    private Clock clock = Clock.systemUTC();

    private Builder(Path dataDir) {
      this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
    }

    /** Default one day; must not change for an existing directory. */
    public Builder partitionLength(Duration partitionLength) {
      this.partitionLength = Objects.requireNonNull(partitionLength, "partitionLength");
      return this;
    }

    /** Default 15 days (Prometheus' default); whole partitions are deleted past it. */
    public Builder retention(Duration retention) {
      this.retention = positive(retention, "retention");
      return this;
    }

    /** How soon applied samples become queryable; default and maximum one second. */
    public Builder refreshInterval(Duration refreshInterval) {
      this.refreshInterval = Objects.requireNonNull(refreshInterval, "refreshInterval");
      return this;
    }

    /** Default {@link #DEFAULT_MAX_ACTIVE_SERIES}; must be positive. */
    public Builder maxActiveSeries(int maxActiveSeries) {
      if (maxActiveSeries <= 0) {
        throw new IllegalArgumentException("maxActiveSeries must be positive, got " + maxActiveSeries);
      }
      this.maxActiveSeries = maxActiveSeries;
      return this;
    }

    /** Default {@link #DEFAULT_OUT_OF_ORDER_WINDOW}; zero rejects every out-of-order sample. */
    public Builder outOfOrderWindow(Duration window) {
      Objects.requireNonNull(window, "outOfOrderWindow");
      if (window.isNegative()) {
        throw new IllegalArgumentException("outOfOrderWindow must not be negative, got " + window);
      }
      this.outOfOrderWindow = window;
      return this;
    }

    /** Default {@link #DEFAULT_MAX_QUERY_SAMPLES}; must be positive. */
    public Builder maxQuerySamples(int maxQuerySamples) {
      if (maxQuerySamples <= 0) {
        throw new IllegalArgumentException("maxQuerySamples must be positive, got " + maxQuerySamples);
      }
      this.maxQuerySamples = maxQuerySamples;
      return this;
    }

    /** Default and ceiling of a query's timeout: {@link #DEFAULT_QUERY_TIMEOUT}. */
    public Builder queryTimeout(Duration queryTimeout) {
      this.queryTimeout = positive(queryTimeout, "queryTimeout");
      return this;
    }

    /** Default {@link #DEFAULT_MAX_QUERY_RANGE}. */
    public Builder maxQueryRange(Duration maxQueryRange) {
      this.maxQueryRange = positive(maxQueryRange, "maxQueryRange");
      return this;
    }

    /** Default {@link #DEFAULT_SERIES_IDLE_TIMEOUT}. */
    public Builder seriesIdleTimeout(Duration seriesIdleTimeout) {
      this.seriesIdleTimeout = positive(seriesIdleTimeout, "seriesIdleTimeout");
      return this;
    }

    /** What "now" is for retention, idle series and future samples; default the system clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public LuceneMetricStore build() throws IOException {
      PartitionedIndex index =
          PartitionedIndex.builder(dataDir)
              .partitionLength(partitionLength)
              .retention(retention)
              .refreshInterval(refreshInterval)
              .compression(PartitionedIndex.Compression.BEST_COMPRESSION)
              .clock(clock)
              .build();
      try {
        return new LuceneMetricStore(this, index);
      } catch (IOException | RuntimeException e) {
        index.close();
        throw e;
      }
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(what + " must be positive, got " + d);
      }
      return d;
    }
  }
}
