/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The read side of a metric store: PromQL and the metadata queries of Prometheus' HTTP API, with
 * Prometheus 3 semantics. Times are milliseconds since the Unix epoch. Thread-safe; every method
 * may be called concurrently with ingest.
 *
 * <p>Failures are {@link MetricQueryException}s whose {@link MetricQueryException#errorType()}
 * and {@link MetricQueryException#httpStatus()} are what Prometheus' API answers: {@link
 * InvalidQueryException} ({@code bad_data}, 400), {@link QueryFailedException} and its {@link
 * SampleLimitException} ({@code execution}, 422), {@link QueryTimedOutException} ({@code
 * timeout}, 503).
 *
 * <p>Series selectors ({@code match[]}) are PromQL series selectors as strings, e.g. {@code
 * up{job=~"api|db"}}; each must have at least one matcher that does not match the empty string.
 * Several selectors select the union of their series.
 */
public interface MetricQueries {

  /**
   * Evaluates a PromQL expression at one instant ({@code /api/v1/query}).
   *
   * @return a {@code vector}, {@code scalar} or {@code string} result (a range-vector expression
   *     such as {@code up[5m]} yields a {@code matrix})
   * @throws InvalidQueryException the expression does not parse, or the options are invalid
   * @throws QueryFailedException evaluation failed (e.g. duplicate label sets)
   * @throws SampleLimitException the query would hold more samples than the store's limit
   * @throws QueryTimedOutException the query ran longer than its timeout
   */
  PromqlResult instantQuery(String expr, long timeMs, QueryOptions options);

  /**
   * Checks that a PromQL expression parses, without evaluating it (for endpoints that take a query
   * but answer from elsewhere, such as {@code /api/v1/query_exemplars}).
   *
   * @throws InvalidQueryException the expression does not parse
   */
  void validate(String expr);

  /**
   * Evaluates a PromQL expression at {@code start, start+step, ...} up to {@code end} inclusive
   * ({@code /api/v1/query_range}); the result is always a {@code matrix}, series sorted by labels.
   *
   * @throws InvalidQueryException as for {@link #instantQuery}, and when {@code step <= 0}, {@code
   *     end < start}, the range is longer than the store's maximum query range, or it would
   *     produce more than 11,000 points per series (Prometheus' message: "exceeded maximum
   *     resolution of 11,000 points per timeseries. Try decreasing the query resolution
   *     (?step=XX)")
   */
  PromqlResult rangeQuery(
      String expr, long startMs, long endMs, long stepMs, QueryOptions options);

  /**
   * Label sets of the series matching any of the selectors that have samples within {@code
   * [startMs, endMs]} ({@code /api/v1/series}), sorted by labels.
   *
   * @param matchers one or more series selectors
   * @param limit at most this many results, 0 for no limit; ask for one more than you show to
   *     know whether the answer was truncated
   * @throws InvalidQueryException a selector does not parse, or none is given
   */
  List<Map<String, String>> series(List<String> matchers, long startMs, long endMs, int limit);

  /**
   * Sorted distinct label names, {@code __name__} included, of the series matching any of the
   * selectors (all series when {@code matchers} is empty) with samples within the range ({@code
   * /api/v1/labels}).
   *
   * @param limit as for {@link #series}
   */
  List<String> labelNames(List<String> matchers, long startMs, long endMs, int limit);

  /**
   * Sorted distinct values of one label among the series matching any of the selectors (all
   * series when empty) with samples within the range ({@code /api/v1/label/{name}/values}).
   *
   * @param limit as for {@link #series}
   */
  List<String> labelValues(
      String labelName, List<String> matchers, long startMs, long endMs, int limit);

  /**
   * A test of label sets against series selectors, for API answers that filter something other
   * than stored series by {@code match[]}: the rules of {@code /api/v1/rules} by their configured
   * labels. A label set passes when it satisfies every matcher of at least one selector; a missing
   * label counts as the empty string, so {@code {severity!="page"}} passes a set without {@code
   * severity}. Unlike a query, a metric name is just the {@code __name__} matcher. The predicate is
   * thread-safe.
   *
   * @param matchers one or more series selectors
   * @throws InvalidQueryException a selector does not parse (the parser's message), or one has no
   *     matcher that rejects the empty string ("match[] must contain at least one non-empty
   *     matcher", after every selector has parsed, as Prometheus checks)
   */
  Predicate<Map<String, String>> selectorFilter(List<String> matchers);

  /**
   * Metric metadata (type, help, unit) by metric family name ({@code /api/v1/metadata}), from
   * remote-write metadata and OTLP metric descriptions, names sorted.
   *
   * @param metric only this metric family, or null for all
   * @param limit at most this many metric names, 0 for no limit
   * @param limitPerMetric at most this many entries per name, 0 for no limit
   */
  Map<String, List<MetricMetadata>> metadata(String metric, int limit, int limitPerMetric);
}
