/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp;

import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A sink for tests: records the batches it stored (those whose future completed normally), and
 * can complete at once, fail, or hold every future until {@link #release()}.
 */
public final class RecordingSink implements TelemetrySink {
  private final List<TelemetryBatch> stored = new CopyOnWriteArrayList<>();
  private final List<CompletableFuture<Void>> held = new CopyOnWriteArrayList<>();
  private final AtomicInteger calls = new AtomicInteger();
  private volatile Throwable failure;
  private volatile boolean hold;
  private volatile boolean room = true;

  @Override
  public CompletableFuture<Void> accept(TelemetryBatch batch) {
    calls.incrementAndGet();
    Throwable f = failure;
    if (f != null) {
      return CompletableFuture.failedFuture(f);
    }
    CompletableFuture<Void> future = new CompletableFuture<>();
    future.thenRun(() -> stored.add(batch));
    if (hold) {
      held.add(future);
    } else {
      future.complete(null);
    }
    return future;
  }

  @Override
  public boolean hasRoomFor(long bytes) {
    return room;
  }

  /** Every later call fails with {@code t}; null to store again. */
  public RecordingSink failWith(Throwable t) {
    this.failure = t;
    return this;
  }

  /** Later calls return futures that complete only on {@link #release()}. */
  public RecordingSink hold() {
    this.hold = true;
    return this;
  }

  public RecordingSink noRoom() {
    this.room = false;
    return this;
  }

  /** Forgets what was stored and goes back to storing everything at once. */
  public void reset() {
    release();
    failure = null;
    room = true;
    stored.clear();
    calls.set(0);
  }

  /** Completes every held future and stops holding. */
  public void release() {
    hold = false;
    for (CompletableFuture<Void> f : held) {
      f.complete(null);
    }
    held.clear();
  }

  public int heldCount() {
    return held.size();
  }

  public int calls() {
    return calls.get();
  }

  public List<TelemetryBatch> batches() {
    return List.copyOf(stored);
  }

  /** Every stored trace request, in order. */
  public List<ExportTraceServiceRequest> traceRequests() {
    List<ExportTraceServiceRequest> out = new ArrayList<>();
    for (TelemetryBatch b : stored) {
      out.add((ExportTraceServiceRequest) b.message());
    }
    return out;
  }

  /** Every stored span, in order. */
  public List<Span> spans() {
    List<Span> out = new ArrayList<>();
    for (ExportTraceServiceRequest r : traceRequests()) {
      for (ResourceSpans rs : r.getResourceSpansList()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          out.addAll(ss.getSpansList());
        }
      }
    }
    return out;
  }
}
