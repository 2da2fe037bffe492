/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * An endless-looking but reproducible stream of traces built from {@link TraceShapes}: trace {@code
 * n} always gets the same shape, ids, start time and per-trace values for a given seed, so two
 * servers can be sent exactly the same workload and any trace can be looked up again by its number
 * without remembering it.
 *
 * <p>Trace start times are spread evenly over a time window (the last hour, in the benchmark).
 * {@link #nextBatch} is thread-safe; every other method is a pure function of the trace number.
 */
final class TraceGenerator {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private static final HexFormat HEX = HexFormat.of();

  private final TraceShapes shapes;
  private final long seed;
  private final long targetSpans;
  private final long windowStartNanos;
  private final long spacingNanos;

  private long nextTrace;
  private int nextSpan;
  private long emitted;

  /** One span to send: span {@code index} of trace number {@code trace}. */
  record SpanRef(long trace, TraceTemplate template, int index) {
    SpanTemplate span() {
      return template.spans().get(index);
    }
  }

  TraceGenerator(
      TraceShapes shapes, long seed, long targetSpans, long windowStartNanos, long windowNanos) {
    if (targetSpans < 1) {
      throw new IllegalArgumentException("the number of spans must be positive: " + targetSpans);
    }
    this.shapes = shapes;
    this.seed = seed;
    this.targetSpans = targetSpans;
    this.windowStartNanos = windowStartNanos;
    long expectedTraces = Math.max(1, (long) Math.ceil(targetSpans / shapes.meanSpansPerTrace()));
    this.spacingNanos = Math.max(1, windowNanos / expectedTraces);
  }

  /**
   * The next spans in trace order, at most {@code max}; empty once at least the target number of
   * spans was handed out. The last trace is always completed, so the total may exceed the target by
   * less than one trace.
   */
  synchronized List<SpanRef> nextBatch(int max) {
    List<SpanRef> batch = new ArrayList<>(max);
    while (batch.size() < max) {
      if (nextSpan == 0 && emitted >= targetSpans) {
        break;
      }
      TraceTemplate template = template(nextTrace);
      batch.add(new SpanRef(nextTrace, template, nextSpan));
      emitted++;
      if (++nextSpan == template.spans().size()) {
        nextSpan = 0;
        nextTrace++;
      }
    }
    return batch;
  }

  /** Traces completely handed out so far. */
  synchronized long traces() {
    return nextTrace;
  }

  synchronized long spans() {
    return emitted;
  }

  TraceShapes shapes() {
    return shapes;
  }

  TraceTemplate template(long trace) {
    List<TraceTemplate> all = shapes.traces();
    return all.get((int) Math.floorMod(mix(seed ^ (trace * 0xD1B54A32D192ED03L)), all.size()));
  }

  long traceStartNanos(long trace) {
    return windowStartNanos
        + trace * spacingNanos
        + Math.floorMod(mix(trace ^ seed), Math.max(1, spacingNanos / 2));
  }

  byte[] traceId(long trace) {
    long hi = traceIdHigh(trace);
    long lo = mix(hi ^ GOLDEN ^ trace);
    if (hi == 0 && lo == 0) {
      lo = 1;
    }
    byte[] id = new byte[16];
    putLong(id, 0, hi);
    putLong(id, 8, lo);
    return id;
  }

  String traceIdHex(long trace) {
    return HEX.formatHex(traceId(trace));
  }

  byte[] spanId(long trace, int index) {
    long id = mix(traceIdHigh(trace) + (index + 1) * GOLDEN);
    byte[] bytes = new byte[8];
    putLong(bytes, 0, id == 0 ? 1 : id);
    return bytes;
  }

  /** A user id per trace, from a population of a million users. */
  String userId(long trace) {
    return "u-" + Math.floorMod(mix(trace * 31 + seed), 1_000_000L);
  }

  String orderId(long trace) {
    return "ord-" + (10_000_000L + trace);
  }

  private long traceIdHigh(long trace) {
    return mix(seed + trace * GOLDEN);
  }

  /** SplitMix64's finalizer: a cheap bijective scrambler. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static void putLong(byte[] out, int offset, long value) {
    for (int i = 7; i >= 0; i--) {
      out[offset + i] = (byte) value;
      value >>>= 8;
    }
  }
}
