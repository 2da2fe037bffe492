/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A trace server under test, started as a child process: how to feed it spans and how to ask it for
 * a trace by id and for a search, in its own wire formats.
 */
interface BenchTarget {
  String name();

  /** Starts the server and returns once it answers; the process is registered for cleanup. */
  void start() throws IOException, InterruptedException;

  long pid();

  /**
   * If the server process has exited (it should not before {@link #stop}): its exit status and the
   * end of its log, for the error message.
   */
  Optional<String> exitReport();

  /** The ingest request carrying {@code batch}, encoded for this server. */
  HttpRequest ingest(TraceGenerator generator, List<TraceGenerator.SpanRef> batch);

  /**
   * How many spans an ingest response says were rejected (OTLP {@code partialSuccess}); 0 when the
   * server has no such notion.
   */
  long rejectedSpans(byte[] responseBody);

  HttpRequest traceById(String traceIdHex);

  /** Spans in a trace-by-id answer; 0 when the trace was not found. */
  int spansInTrace(byte[] responseBody) throws IOException;

  HttpRequest search(SearchQuery query, long fromMicros, long toMicros);

  /** Traces in a search answer. */
  int tracesInSearch(byte[] responseBody) throws IOException;

  /**
   * Stops the server gracefully (so it commits) and measures what it keeps on disk; {@link
   * DiskUsage#NONE} for a server that keeps everything in memory.
   */
  DiskUsage stop() throws IOException, InterruptedException;

  /** A Jaeger-style search: traces with a span of this service and operation having this tag. */
  record SearchQuery(String service, String operation, String tagKey, String tagValue) {}

  /**
   * Bytes on disk by top-level entry of the data directory.
   *
   * @param cleanStop whether the server exited by itself after SIGTERM (and so had committed)
   */
  record DiskUsage(Map<String, Long> bytesByEntry, boolean cleanStop) {
    static final DiskUsage NONE = new DiskUsage(Map.of(), true);

    boolean applies() {
      return !bytesByEntry.isEmpty();
    }

    long total() {
      return bytesByEntry.values().stream().mapToLong(Long::longValue).sum();
    }
  }
}
