/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace;

import io.faultline.core.health.Health;
import io.faultline.core.index.PartitionedIndex;
import io.faultline.core.ingest.BatchIndexer;
import io.faultline.core.trace.TraceQueries;
import io.faultline.core.trace.TraceStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.TermQuery;

/**
 * The embedded trace store: one Lucene document per span in time-partitioned indexes (see {@link
 * PartitionedIndex}), each span stored once as its OTLP bytes. Its indexer handles {@code TRACES}
 * batches; its queries answer Jaeger's questions. Thread-safe; open it with {@link #builder}.
 */
public final class LuceneTraceStore implements TraceStore {
  private final PartitionedIndex index;
  private final LuceneTraceIndexer indexer;
  private final LuceneTraceQueries queries;

  private LuceneTraceStore(PartitionedIndex index) {
    this.index = index;
    this.indexer = new LuceneTraceIndexer(index);
    this.queries = new LuceneTraceQueries(index);
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
  public TraceQueries queries() {
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

  /** See {@link PartitionedIndex#droppedUnindexable()}. */
  public long droppedUnindexable() {
    return index.droppedUnindexable();
  }

  /** See {@link PartitionedIndex#refreshLagMillis()}. */
  public long refreshLagMillis() {
    return index.refreshLagMillis();
  }

  /** Searchable spans: the documents, less the resource documents. */
  public long spanCount() throws IOException {
    return index.search(
        Long.MIN_VALUE,
        Long.MAX_VALUE,
        s ->
            (long) s.getIndexReader().numDocs()
                - s.count(
                    new TermQuery(
                        new Term(SpanDocuments.DOC_TYPE, SpanDocuments.RESOURCE_TYPE))));
  }

  /** Spans dropped on arrival because they were older than the retention. */
  public long droppedExpiredSpans() {
    return index.droppedExpired();
  }

  /** Spans dropped on arrival because they started more than a day in the future. */
  public long droppedFutureSpans() {
    return index.droppedFuture();
  }

  /** Spans skipped because they had no valid trace id. */
  public long invalidSpans() {
    return indexer.invalidSpans();
  }

  PartitionedIndex index() {
    return index;
  }

  /** Closes without committing: the ingest pipeline commits, and replays after a restart. */
  @Override
  public void close() throws IOException {
    index.close();
  }

  /** Configures a {@link LuceneTraceStore}; every setting has a default. */
  public static final class Builder {
    private final Path dataDir;
    private Duration partitionLength = PartitionedIndex.DEFAULT_PARTITION_LENGTH;
    private Duration retention = PartitionedIndex.DEFAULT_RETENTION;
    private Duration refreshInterval = PartitionedIndex.DEFAULT_REFRESH_INTERVAL;
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

    /** How soon applied spans become searchable; default and maximum one second. */
    public Builder refreshInterval(Duration refreshInterval) {
      this.refreshInterval = Objects.requireNonNull(refreshInterval, "refreshInterval");
      return this;
    }

    /** What "now" is for retention; default the system clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public LuceneTraceStore build() throws IOException {
      PartitionedIndex index =
          PartitionedIndex.builder(dataDir)
              .partitionLength(partitionLength)
              .retention(retention)
              .refreshInterval(refreshInterval)
              .indexSort(SpanDocuments.NEWEST_FIRST)
              .compression(PartitionedIndex.Compression.ZSTD)
              .clock(clock)
              .build();
      return new LuceneTraceStore(index);
    }
  }
}
