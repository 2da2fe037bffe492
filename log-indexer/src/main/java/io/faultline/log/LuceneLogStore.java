/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.log;

import io.faultline.core.health.Health;
import io.faultline.core.index.PartitionedIndex;
import io.faultline.core.ingest.BatchIndexer;
import io.faultline.core.log.LogQueries;
import io.faultline.core.log.LogStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The embedded log store: one Lucene document per log record in time-partitioned indexes (see
 * {@link PartitionedIndex}), each record stored once as its OTLP bytes (see {@link LogDocuments}).
 * Its indexer handles {@code LOGS} batches. Thread-safe; open it with {@link #builder}.
 */
public final class LuceneLogStore implements LogStore {
  private final PartitionedIndex index;
  private final LuceneLogIndexer indexer;
  private final LuceneLogQueries queries;

  private LuceneLogStore(PartitionedIndex index, Clock clock) {
    this.index = index;
    this.indexer = new LuceneLogIndexer(index, clock);
    this.queries = new LuceneLogQueries(index, indexer::appliedPosition);
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
  public LogQueries queries() {
    return queries;
  }

  @Override
  public Health check() {
    return index.health();
  }

  /** Bytes on disk per time partition, for the platform's own metrics. */
  public Map<String, Long> diskBytesByPartition() {
    return index.diskBytesByPartition();
  }

  /** Searchable records. */
  /** See {@link PartitionedIndex#droppedUnindexable()}. */
  public long droppedUnindexable() {
    return index.droppedUnindexable();
  }

  /** See {@link PartitionedIndex#refreshLagMillis()}. */
  public long refreshLagMillis() {
    return index.refreshLagMillis();
  }

  public long recordCount() throws IOException {
    return index.docCount();
  }

  /** Records dropped on arrival because they were older than the retention. */
  public long droppedExpiredRecords() {
    return index.droppedExpired();
  }

  /** Records that had neither a time nor an observed time, indexed at arrival. */
  public long untimedRecords() {
    return indexer.untimedRecords();
  }

  /** Closes without committing: the ingest pipeline commits, and replays after a restart. */
  @Override
  public void close() throws IOException {
    index.close();
  }

  /** Configures a {@link LuceneLogStore}; every setting has a default. */
  public static final class Builder {
    private final Path dataDir;
    private Duration partitionLength = PartitionedIndex.DEFAULT_PARTITION_LENGTH;
    private Duration retention = PartitionedIndex.DEFAULT_RETENTION;
    private Duration refreshInterval = PartitionedIndex.DEFAULT_REFRESH_INTERVAL;
    private PartitionedIndex.Compression compression = PartitionedIndex.Compression.BEST_SPEED;
    private Clock clock = Clock.systemUTC();

    private Builder(Path dataDir) {
      this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
    }

    /** Default one day; must not change for an existing directory. */
    public Builder partitionLength(Duration partitionLength) {
      this.partitionLength = Objects.requireNonNull(partitionLength, "partitionLength");
      return this;
    }

    /** Default seven days. */
    public Builder retention(Duration retention) {
      this.retention = Objects.requireNonNull(retention, "retention");
      return this;
    }

    /** How soon applied records become searchable; default and maximum one second. */
    public Builder refreshInterval(Duration refreshInterval) {
      this.refreshInterval = Objects.requireNonNull(refreshInterval, "refreshInterval");
      return this;
    }

    /**
     * How stored records are compressed; default {@link PartitionedIndex.Compression#BEST_SPEED}.
     * A page of results loads up to a hundred records from all over a partition, and inflating a
     * DEFLATE block per record was most of a search's time: 12 ms for a page of 100 against 1 ms
     * with LZ4, next to 2 to 3 ms for finding, counting and sorting the matches (300k records).
     * LZ4 stores about 25 bytes more per record (8 % of the index). Segments keep the mode they
     * were written with, so partitions of either mode stay readable.
     */
    public Builder compression(PartitionedIndex.Compression compression) {
      this.compression = Objects.requireNonNull(compression, "compression");
      return this;
    }

    /** What "now" is for retention and for records without a time; default the system clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public LuceneLogStore build() throws IOException {
      PartitionedIndex index =
          PartitionedIndex.builder(dataDir)
              .partitionLength(partitionLength)
              .retention(retention)
              .refreshInterval(refreshInterval)
              .analyzer(LogTextAnalyzer.forIndexing())
              .compression(compression)
              .clock(clock)
              .build();
      return new LuceneLogStore(index, clock);
    }
  }
}
