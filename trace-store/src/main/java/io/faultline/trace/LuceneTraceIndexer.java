/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace;

import com.google.protobuf.InvalidProtocolBufferException;
import io.faultline.core.index.PartitionedIndex;
import io.faultline.core.ingest.BatchIndexer;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Indexes trace batches span by span, and each resource and scope once per partition (see {@link
 * SpanDocuments}). Spans without a 16-byte trace id cannot be found by any
 * query, so they are skipped and counted (the collector rejects them before they get here).
 */
final class LuceneTraceIndexer implements BatchIndexer {
  private static final Logger LOG = LoggerFactory.getLogger(LuceneTraceIndexer.class);

  private final PartitionedIndex index;
  private static final int MAX_REMEMBERED_RESOURCES = 100_000;

  private final LongAdder invalidSpans = new LongAdder();

  /**
   * The resource documents written by this process, by partition. After a restart each resource
   * is written again on first sight: its earlier document may have been lost with the uncommitted
   * part of the index, which the write-ahead log replays. Only the indexing thread touches it.
   */
  private final Set<ResourceInPartition> resourcesWritten = new HashSet<>();

  private record ResourceInPartition(long partitionStart, long key) {}
  private volatile long appliedPosition;

  LuceneTraceIndexer(PartitionedIndex index) {
    this.index = index;
    this.appliedPosition = index.checkpoint();
  }

  @Override
  public String name() {
    return "traces";
  }

  @Override
  public Set<Signal> signals() {
    return Set.of(Signal.TRACES);
  }

  @Override
  public void apply(long position, long nextPosition, TelemetryBatch batch) throws IOException {
    if (batch.signal() != Signal.TRACES) {
      throw new IllegalArgumentException(
          "the trace store indexes only TRACES batches, got " + batch.signal());
    }
    ExportTraceServiceRequest request = request(batch, position);
    for (ResourceSpans rs : request.getResourceSpansList()) {
      String service = SpanDocuments.serviceName(rs.getResource());
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        SpanDocuments.SharedResource resource = new SpanDocuments.SharedResource(rs, ss);
        for (Span span : ss.getSpansList()) {
          if (span.getTraceId().size() != 16) {
            invalidSpans.increment();
            continue;
          }
          long millis = span.getStartTimeUnixNano() / 1_000_000;
          // the resource document goes into the partition before its first span there, so that
          // no refresh shows the span without it; a span dropped for its age, or skipped on
          // replay because its partition has it committed already, needs none
          ResourceInPartition written =
              new ResourceInPartition(index.partitionStartOf(millis), resource.key);
          if (index.accepts(position, millis)
              && resourcesWritten.add(written)
              && !index.add(position, millis, resource.document())) {
            resourcesWritten.remove(written); // refused by Lucene: the next span tries again
          }
          index.add(
              position,
              millis,
              SpanDocuments.document(
                  service,
                  resource,
                  span,
                  index.indexesAsPoints(millis, SpanDocuments.START)));
        }
      }
    }
    appliedPosition = Math.max(appliedPosition, nextPosition);
    if (resourcesWritten.size() > MAX_REMEMBERED_RESOURCES) {
      // a resource written again is only a duplicate document, which readers tolerate
      resourcesWritten.clear();
    }
  }

  private static ExportTraceServiceRequest request(TelemetryBatch batch, long position) {
    try {
      return batch.messageAs(ExportTraceServiceRequest.getDefaultInstance());
    } catch (InvalidProtocolBufferException e) {
      // The log checksums its records, so this is a bug upstream, not disk damage: skip, loudly.
      LOG.error(
          "trace batch at log position {} is not an ExportTraceServiceRequest; skipped",
          position,
          e);
      return ExportTraceServiceRequest.getDefaultInstance();
    }
  }

  @Override
  public long checkpoint() {
    return index.checkpoint();
  }

  @Override
  public long commit() throws IOException {
    return index.commit(appliedPosition);
  }

  long invalidSpans() {
    return invalidSpans.sum();
  }
}
