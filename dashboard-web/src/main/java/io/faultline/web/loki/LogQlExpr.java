/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import java.util.List;
import java.util.Set;

/**
 * A parsed LogQL query: a log query ({@link Logs}) or a metric expression built from range
 * aggregations over log ranges, vector aggregations, numbers and binary operators, as in Loki's
 * metric-query grammar.
 */
sealed interface LogQlExpr {

  /** Log range aggregations: one sample per line, no unwrap. */
  Set<String> LOG_RANGE_OPS = Set.of("count_over_time", "rate", "bytes_over_time", "bytes_rate", "absent_over_time");

  /** Range aggregations over an unwrapped label. */
  Set<String> UNWRAP_RANGE_OPS =
      Set.of(
          "rate", "rate_counter", "sum_over_time", "avg_over_time", "min_over_time", "max_over_time",
          "first_over_time", "last_over_time", "stddev_over_time", "stdvar_over_time",
          "quantile_over_time", "absent_over_time");

  /** Range aggregations that accept {@code by}/{@code without} (Loki rejects it on the others). */
  Set<String> GROUPABLE_RANGE_OPS =
      Set.of(
          "avg_over_time", "stddev_over_time", "stdvar_over_time", "quantile_over_time", "rate",
          "rate_counter", "max_over_time", "min_over_time", "first_over_time", "last_over_time");

  Set<String> VECTOR_OPS =
      Set.of("sum", "avg", "min", "max", "count", "stddev", "stdvar", "topk", "bottomk", "sort", "sort_desc");

  /** A log query: its answer is streams of lines. */
  record Logs(LogQl query) implements LogQlExpr {}

  /** A number literal: a scalar. */
  record Number(double value) implements LogQlExpr {}

  /** {@code vector(x)}: one series without labels, x at every step. */
  record VectorOf(double value) implements LogQlExpr {}

  /**
   * {@code fn([param,] log-range) [by|without (...)]}. {@code query}'s stages run before the
   * sample is taken; with {@code unwrap} set, the stages after it in {@code postFilters} run after.
   */
  record RangeAgg(
      String fn,
      Double param,
      LogQl query,
      LogQl.Unwrap unwrap,
      List<LogQl.Stage> postFilters,
      long rangeNanos,
      long offsetNanos,
      Grouping grouping)
      implements LogQlExpr {}

  /** {@code op [by|without (...)] ([param,] inner)}. */
  record VectorAgg(String op, Grouping grouping, Double param, LogQlExpr inner) implements LogQlExpr {}

  /**
   * {@code lhs op [bool] [on|ignoring (...)] rhs}; ops are {@code + - * / % ^ == != > >= < <= and
   * or unless}.
   */
  record Binary(String op, boolean bool, Matching matching, LogQlExpr lhs, LogQlExpr rhs) implements LogQlExpr {}

  /**
   * {@code label_replace(inner, "dst", "replacement", "src", "regex")}: where {@code regex} (held
   * anchored, {@code ^(?:regex)$}) matches the value of {@code src}, {@code dst} becomes the
   * replacement with {@code $1}, {@code ${name}} expanded (removed when that is empty).
   */
  record LabelReplace(LogQlExpr inner, String dst, String replacement, String src, java.util.regex.Pattern regex)
      implements LogQlExpr {}

  /** {@code by (labels)} or {@code without (labels)}. */
  record Grouping(boolean without, List<String> labels) {
    public Grouping {
      labels = List.copyOf(labels);
    }
  }

  /** {@code on (labels)} or {@code ignoring (labels)}. */
  record Matching(boolean on, List<String> labels) {
    public Matching {
      labels = List.copyOf(labels);
    }
  }
}
