/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.log;

import io.opentelemetry.proto.common.v1.AnyValue;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The read side of a log store. Thread-safe; every method may be called concurrently with ingest.
 * A bad query or parameter throws {@link LogQueryException} (never a bare Lucene or parse error);
 * a failing store throws {@link java.io.UncheckedIOException}.
 */
public interface LogQueries {

  /** The most buckets one histogram may have. */
  int MAX_BUCKETS = 11_000;

  /**
   * A page of the records matching {@code query} (syntax: {@link LogQuery}), ordered by time in
   * the query's direction, ties broken by arrival order.
   *
   * <p>Paging: following {@link LogPage#nextCursor()} until it is null visits every record that
   * matched when the first page was read exactly once, whatever arrives meanwhile, and records
   * that arrive meanwhile with times between pages' bounds may or may not be visited. The cursor
   * is opaque; a cursor from another query's direction, or a damaged one, is a {@link
   * LogQueryException}.
   */
  LogPage search(LogQuery query);

  /**
   * How the matches of {@code query} (its text and time range; direction, limit and cursor are
   * ignored) spread over time: one bucket per {@code step}, aligned to multiples of {@code step}
   * since the epoch, from the bucket holding {@code start} to the one holding the last instant
   * before {@code end}, empty buckets included, oldest first. The counts add up to {@link
   * #search}'s {@link LogPage#total()} for the same query.
   *
   * @throws LogQueryException if the step is not positive or the range needs more than {@link
   *     #MAX_BUCKETS} buckets
   */
  List<Bucket> histogram(LogQuery query, Duration step);

  /**
   * The most frequent values of every facet field among the matches of {@code query} (its text
   * and time range): {@code service}, {@code severity}, {@code level}, and each {@code
   * attributes.<key>} and {@code resource.<key>} whose values are at most 256 characters long.
   * Fields are sorted by name; values by count descending, then by value. Values keep their OTLP
   * types (a numeric attribute's values are numbers).
   *
   * @param maxValues values kept per field, at least 1
   */
  List<FieldValues> fields(LogQuery query, int maxValues);

  /**
   * The stream label names in Loki's terms that occur among records in {@code [start, end)}
   * (whole time partitions may be considered): of {@code service_name}, {@code
   * service_namespace}, {@code deployment_environment} and {@code level}, and the names of
   * resource attributes that are labels of streams pushed through Loki's push API (a string value,
   * a name {@link LogEntry#isStreamLabelKey} accepts), sorted.
   */
  List<String> labelNames(Instant start, Instant end);

  /** The values of one stream label (see {@link #labelNames}), sorted; empty for an unknown one. */
  List<String> labelValues(String label, Instant start, Instant end);

  /**
   * A tail cursor positioned at the current end: {@link #tail} with it returns only records that
   * are applied after this call.
   */
  String tailCursor();

  /**
   * Live tail: the records matching {@code query} (any time; only the text counts) that the store
   * applied after {@code cursor}, in arrival order, at most {@code limit} of them, and the cursor
   * to ask with next. Callers poll. Every applied record is returned once, no record twice, none
   * skipped; a record applied before the call is visible to it (this method does not wait for the
   * periodic refresh). A cursor is valid only within the process that issued it.
   *
   * @throws LogQueryException for a bad query, a limit outside 1 to {@link LogQuery#MAX_LIMIT} or a
   *     cursor this store did not issue
   */
  TailPage tail(String query, String cursor, int limit);

  /** One histogram bucket: records in {@code [startMillis, startMillis + step)}. */
  record Bucket(long startMillis, long count) {}

  /** One facet field and its most frequent values. */
  record FieldValues(String name, List<ValueCount> values) {
    public FieldValues {
      Objects.requireNonNull(name, "name");
      values = List.copyOf(values);
    }
  }

  /** A value with its number of matching records. */
  record ValueCount(AnyValue value, long count) {}

  /** What {@link #tail} found, and where to continue. */
  record TailPage(List<LogEntry> logs, String cursor) {
    public TailPage {
      logs = List.copyOf(logs);
      Objects.requireNonNull(cursor, "cursor");
    }
  }
}
