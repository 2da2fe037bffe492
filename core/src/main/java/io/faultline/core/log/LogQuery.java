/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.log;

import java.time.Instant;
import java.util.Objects;

/**
 * A log search.
 *
 * <p>The query text is Lucene's classic query syntax over these fields:
 *
 * <ul>
 *   <li>{@code body} (the default field): full text, case-insensitive; words, identifiers, paths,
 *       IPs and UUIDs match whole, and the parts of {@code snake_case}, {@code camelCase}, dotted
 *       and dashed tokens match on their own ({@code declined} finds {@code card_declined}).
 *       Phrases, wildcards and fuzzy terms work as in Lucene.
 *   <li>{@code service}, {@code trace_id}, {@code span_id} (hex): exact values. A record whose id
 *       is all zero or of the wrong length has no such field: OTLP says it is not associated with
 *       a trace (or span).
 *   <li>{@code severity}: the severity text, case-insensitive ({@code severity:error}); {@code
 *       severity_number}: the OTLP number (1-24), with ranges ({@code severity_number:[17 TO
 *       24]}); {@code level}: {@code trace|debug|info|warn|error|fatal|unknown}, from the number or
 *       else the text.
 *   <li>{@code attributes.<key>} and {@code resource.<key>}: exact values as written (numbers in
 *       decimal, booleans as {@code true}/{@code false}); dotted keys are written as they are
 *       ({@code attributes.order.id:42}); numeric ranges on numeric values ({@code
 *       attributes.http.status_code:[500 TO 599]}); {@code resource.<key>:*} for "has the key".
 *   <li>{@code timestamp}: ranges with RFC 3339 times or Unix milliseconds.
 * </ul>
 *
 * <p>An empty or blank query (or {@code *}) matches every record in the time range.
 *
 * @param query Lucene syntax, never null (blank for all)
 * @param start earliest record time, inclusive
 * @param end latest record time, exclusive
 * @param direction {@link Direction#BACKWARD} for newest first
 * @param limit records per page, 1 to {@link #MAX_LIMIT}
 * @param cursor null for the first page, else the {@link LogPage#nextCursor()} of the previous page
 *     of the same query, time range and direction
 */
public record LogQuery(
    String query, Instant start, Instant end, Direction direction, int limit, String cursor) {

  /** The most records one page may hold. */
  public static final int MAX_LIMIT = 5000;

  /** The order of records in a page, by time (ties broken by arrival, so the order is total). */
  public enum Direction {
    /** Newest first. */
    BACKWARD,
    /** Oldest first. */
    FORWARD
  }

  public LogQuery {
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(end, "end");
    Objects.requireNonNull(direction, "direction");
    if (end.isBefore(start)) {
      throw new LogQueryException("the end " + end + " is before the start " + start);
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new LogQueryException("limit must be between 1 and " + MAX_LIMIT + ", was " + limit);
    }
  }

  /** The first page of the newest records matching {@code query} in {@code [start, end)}. */
  public static LogQuery of(String query, Instant start, Instant end, int limit) {
    return new LogQuery(query, start, end, Direction.BACKWARD, limit, null);
  }

  /** The same search, continuing after {@code nextCursor}. */
  public LogQuery next(String nextCursor) {
    return new LogQuery(query, start, end, direction, limit, nextCursor);
  }
}
