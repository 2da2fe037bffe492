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
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Indexes trace batches span by span. Spans without a 16-byte trace id cannot be found by any
 * query, so they are skipped and counted (the collector rejects them before they get here).
 */
final class LuceneTraceIndexer implements BatchIndexer {
  private static final Logger LOG = LoggerFactory.getLogger(LuceneTraceIndexer.class);

  private final PartitionedIndex index;
  private final LongAdder invalidSpans = new LongAdder();
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
      List<String> resourceTags = SpanDocuments.resourceTags(rs.getResource());
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        List<String> scopeTags = SpanDocuments.scopeTags(ss.getScope());
        for (Span span : ss.getSpansList()) {
          if (span.getTraceId().size() != 16) {
            invalidSpans.increment();
            continue;
          }
          byte[] stored = SpanDocuments.single(rs, ss, span).toByteArray();
          index.add(
              position,
              span.getStartTimeUnixNano() / 1_000_000,
              SpanDocuments.document(service, resourceTags, scopeTags, span, stored));
        }
      }
    }
    appliedPosition = Math.max(appliedPosition, nextPosition);
  }

  private static ExportTraceServiceRequest request(TelemetryBatch batch, long position) {
    if (batch.message() instanceof ExportTraceServiceRequest r) {
      return r;
    }
    try {
      return ExportTraceServiceRequest.parseFrom(batch.bytes());
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
