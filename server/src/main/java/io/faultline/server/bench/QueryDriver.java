/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Measures query latency one request at a time (no concurrency, so the figure is the server's
 * service time plus loopback HTTP), after a short unmeasured warm-up. Every answer is also checked:
 * a trace by id must come back with all its spans, a search should find something.
 */
final class QueryDriver {
  /** Stops a phase early against a server so slow it would hold up the whole benchmark. */
  static final Duration PHASE_BUDGET = Duration.ofMinutes(20);

  private static final List<String> SEARCH_TAGS =
      List.of(
          "http.status_code",
          "http.method",
          "db.system",
          "db.operation",
          "db.sql.table",
          "messaging.system",
          "peer.service",
          "cache.hit",
          "http.route",
          "net.peer.name");


  /**
   * Latencies of the answered queries; {@code good} of them were complete (trace by id) or found at
   * least one trace (search); {@code planned} were meant to run.
   */
  record Latencies(long[] nanos, int good, int planned) {
    boolean truncated() {
      return nanos.length < planned;
    }
  }

  /**
   * Picks {@code count} searches from the shapes: a span's service, operation and one of its tags.
   */
  static List<BenchTarget.SearchQuery> searches(TraceShapes shapes, long seed, int count) {
    List<BenchTarget.SearchQuery> candidates = new ArrayList<>();
    for (TraceTemplate trace : shapes.traces()) {
      for (SpanTemplate span : trace.spans()) {
        span.attributes().stream()
            .filter(kv -> SEARCH_TAGS.contains(kv.getKey()))
            .findFirst()
            .ifPresent(
                kv ->
                    candidates.add(
                        new BenchTarget.SearchQuery(
                            span.service(),
                            span.name(),
                            kv.getKey(),
                            ZipkinJsonEncoder.text(kv.getValue()))));
      }
    }
    SplittableRandom random = new SplittableRandom(seed);
    List<BenchTarget.SearchQuery> picked = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      picked.add(candidates.get(random.nextInt(candidates.size())));
    }
    return picked;
  }

  /**
   * Unmeasured queries first, for every server alike: at least {@code min}, then more until {@link
   * #WARMUP_BUDGET} or {@value #MAX_WARMUPS} queries, so that a JVM answers from compiled code (the
   * JIT compiles a path after some thousands of calls) rather than the first calls' interpreted one.
   */
  static final Duration WARMUP_BUDGET = Duration.ofSeconds(3);

  static final int MAX_WARMUPS = 300;

  private static boolean warmingUp(int done, int min, long endNanos) {
    return done < min || (done < MAX_WARMUPS && System.nanoTime() < endNanos);
  }

  /** Random trace numbers among those sent, the same for every target given the same seed. */
  static long[] traceNumbers(long traces, long seed, int count) {
    SplittableRandom random = new SplittableRandom(seed);
    long[] picked = new long[count];
    for (int i = 0; i < count; i++) {
      picked[i] = random.nextLong(traces);
    }
    return picked;
  }

  Latencies byId(BenchTarget target, TraceGenerator generator, long[] traces, int warmup)
      throws IOException, InterruptedException {
    long warmupEnd = System.nanoTime() + WARMUP_BUDGET.toNanos();
    for (int i = 0; traces.length > 0 && warmingUp(i, warmup, warmupEnd); i++) {
      call(target.traceById(generator.traceIdHex(traces[i % traces.length])));
    }
    long[] nanos = new long[traces.length];
    int done = 0;
    int good = 0;
    long deadline = System.nanoTime() + PHASE_BUDGET.toNanos();
    for (long trace : traces) {
      if (System.nanoTime() > deadline) {
        break;
      }
      HttpRequest request = target.traceById(generator.traceIdHex(trace));
      long start = System.nanoTime();
      QueryClient.Answer response = call(request);
      nanos[done++] = System.nanoTime() - start;
      if (response.statusCode() == 200
          && target.spansInTrace(response.body()) == generator.template(trace).spans().size()) {
        good++;
      }
    }
    return new Latencies(Arrays.copyOf(nanos, done), good, traces.length);
  }

  Latencies search(
      BenchTarget target,
      List<BenchTarget.SearchQuery> queries,
      long fromMicros,
      long toMicros,
      int warmup)
      throws IOException, InterruptedException {
    long warmupEnd = System.nanoTime() + WARMUP_BUDGET.toNanos();
    for (int i = 0; !queries.isEmpty() && warmingUp(i, warmup, warmupEnd); i++) {
      call(target.search(queries.get(i % queries.size()), fromMicros, toMicros));
    }
    long[] nanos = new long[queries.size()];
    int done = 0;
    int good = 0;
    boolean reported = false;
    long deadline = System.nanoTime() + PHASE_BUDGET.toNanos();
    for (BenchTarget.SearchQuery query : queries) {
      if (System.nanoTime() > deadline) {
        break;
      }
      HttpRequest request = target.search(query, fromMicros, toMicros);
      long start = System.nanoTime();
      QueryClient.Answer response = call(request);
      nanos[done++] = System.nanoTime() - start;
      if (response.statusCode() != 200) {
        if (!reported) {
          reported = true;
          String body = new String(response.body(), StandardCharsets.UTF_8);
          System.out.printf(
              "  %s answered %d to %s: %s%n",
              target.name(),
              response.statusCode(),
              request.uri(),
              body.substring(0, Math.min(300, body.length())));
        }
      } else if (target.tracesInSearch(response.body()) > 0) {
        good++;
      }
    }
    return new Latencies(Arrays.copyOf(nanos, done), good, queries.size());
  }

  /** Polls trace by id until the trace is complete; returns the seconds that took. */
  double awaitComplete(BenchTarget target, String traceIdHex, int spans, Duration timeout)
      throws IOException, InterruptedException {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    while (true) {
      QueryClient.Answer response = call(target.traceById(traceIdHex));
      if (response.statusCode() == 200 && target.spansInTrace(response.body()) == spans) {
        return (System.nanoTime() - start) / 1e9;
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            target.name()
                + " did not return the last trace sent ("
                + traceIdHex
                + ", "
                + spans
                + " spans) within "
                + timeout.toSeconds()
                + " s of its acknowledgement;"
                + " last answer: "
                + response.statusCode()
                + " "
                + new String(response.body()).substring(0, Math.min(300, response.body().length)));
      }
      Thread.sleep(50);
    }
  }

  private static QueryClient.Answer call(HttpRequest request) throws IOException {
    return QueryClient.send(request);
  }
}
