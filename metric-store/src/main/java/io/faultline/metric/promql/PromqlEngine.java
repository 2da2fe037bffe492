/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.metric.promql.Ast.Call;
import io.faultline.metric.promql.Ast.Expr;
import io.faultline.metric.promql.Ast.ValueType;
import io.faultline.metric.storage.Labels;
import io.faultline.metric.storage.SeriesSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Evaluates PromQL with Prometheus 3 semantics against a {@link SeriesSource}.
 *
 * <p>Thread-safe: one engine serves concurrent queries. Every query is bounded by a timeout
 * ({@link QueryTimeoutException}) and by a maximum number of samples held in memory ({@link
 * TooManySamplesException}); invalid queries raise {@link ParseException}; evaluation failures
 * raise {@link QueryExecutionException}.
 */
public final class PromqlEngine {
  /** Default lookback delta: how far back an instant selector finds the latest sample. */
  public static final Duration DEFAULT_LOOKBACK_DELTA = Duration.ofMinutes(5);

  /** Default limit of samples held in memory by one query. */
  public static final int DEFAULT_MAX_SAMPLES = 50_000_000;

  /** Default query timeout. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

  /** Default step of a subquery written without one ({@code [30m:]}). */
  public static final Duration DEFAULT_SUBQUERY_STEP = Duration.ofMinutes(1);

  private static final Set<String> SORT_FUNCTIONS =
      Set.of("sort", "sort_desc", "sort_by_label", "sort_by_label_desc");

  private final SeriesSource source;
  private final long lookbackMs;
  private final int maxSamples;
  private final Duration timeout;
  private final long subqueryStepMs;

  private PromqlEngine(Builder b) {
    this.source = b.source;
    this.lookbackMs = b.lookbackDelta.toMillis();
    this.maxSamples = b.maxSamples;
    this.timeout = b.timeout;
    this.subqueryStepMs = b.subqueryStep.toMillis();
  }

  /** A builder reading from the given source, with the documented defaults. */
  public static Builder builder(SeriesSource source) {
    return new Builder(source);
  }

  /**
   * Checks that a query is valid PromQL without running it.
   *
   * @throws ParseException with position and reason when it is not
   */
  public static void validate(String query) {
    Parser.parse(Objects.requireNonNull(query, "query"));
  }

  /** Evaluates the query at one instant (milliseconds since the epoch). */
  public QueryResult instantQuery(String query, long timeMs) {
    return exec(query, timeMs, timeMs, 0, false);
  }

  /**
   * Evaluates the query at every step from start to end inclusive (milliseconds).
   *
   * @throws ParseException when the query is invalid, the step is not positive or the query
   *     yields a range vector or string
   */
  public QueryResult rangeQuery(String query, long startMs, long endMs, long stepMs) {
    if (stepMs <= 0) {
      throw new ParseException(
          "zero or negative query resolution step widths are not accepted. Try a positive"
              + " integer");
    }
    if (endMs < startMs) {
      throw new ParseException("end timestamp must not be before start time");
    }
    if (endMs > Long.MAX_VALUE - stepMs) {
      // the evaluation steps past end; beyond int64 milliseconds it would wrap and never stop
      throw new ParseException(
          "end timestamp plus the step overflows int64 milliseconds; use an earlier end or a"
              + " smaller step");
    }
    return exec(query, startMs, endMs, stepMs, true);
  }

  private QueryResult exec(String query, long start, long end, long step, boolean range) {
    Objects.requireNonNull(query, "query");
    long deadline = System.nanoTime() + timeout.toNanos();
    Expr expr = Parser.parse(query);
    if (range && expr.type() != ValueType.VECTOR && expr.type() != ValueType.SCALAR) {
      throw new ParseException(
          "invalid expression type \"" + expr.type().documented
              + "\" for range query, must be Scalar or instant Vector");
    }
    Annotations annos = new Annotations(query);
    if (range) {
      Ast.inspect(
          expr,
          (node, path) -> {
            if (node instanceof Call && SORT_FUNCTIONS.contains(((Call) node).func.name)) {
              annos.warn(
                  "sort is ineffective for range queries since results are always ordered by"
                      + " labels",
                  node);
            }
          });
    }
    ValueType type = expr.type();
    expr = Preprocessor.preprocess(expr, start, end);
    Preprocessor.setOffsetForAtModifier(start, expr);
    Evaluator.Context ctx =
        new Evaluator.Context(source, deadline, annos, subqueryStepMs, maxSamples);
    ctx.queryStart = start;
    ctx.queryEnd = end;
    ctx.queryStep = range ? step : 0;
    Evaluator ev = new Evaluator(ctx, start, end, range ? step : 1, lookbackMs);
    Object val;
    try {
      val = ev.evalAny(expr);
    } catch (PromqlException e) {
      throw e;
    } catch (StackOverflowError e) {
      throw new QueryExecutionException("query is nested too deeply to evaluate", null);
    } catch (RuntimeException e) {
      throw new QueryExecutionException("unexpected error: " + e, e);
    }
    if (val instanceof String) {
      return QueryResult.ofString(start, (String) val, annos.warnings(), annos.infos());
    }
    @SuppressWarnings("unchecked")
    List<EvSeries> mat = (List<EvSeries>) val;
    for (EvSeries s : mat) {
      if (s.dropName) {
        s.metric = s.metric.withoutMetricName();
      }
    }
    if (!range && type == ValueType.VECTOR) {
      Set<Labels> seen = new HashSet<>();
      List<QueryResult.VectorSample> out = new ArrayList<>(mat.size());
      for (EvSeries s : mat) {
        if (!seen.add(s.metric)) {
          throw new QueryExecutionException("vector cannot contain metrics with the same labelset");
        }
        out.add(new QueryResult.VectorSample(s.metric, start, s.fs[0]));
      }
      return QueryResult.ofVector(start, out, annos.warnings(), annos.infos());
    }
    if (!range && type == ValueType.SCALAR) {
      double v = mat.isEmpty() ? Double.NaN : mat.get(0).fs[0];
      return QueryResult.ofScalar(start, v, annos.warnings(), annos.infos());
    }
    mat = Evaluator.sortedByLabels(Evaluator.mergeSameLabelset(mat));
    List<QueryResult.MatrixSeries> out = new ArrayList<>(mat.size());
    for (EvSeries s : mat) {
      out.add(
          new QueryResult.MatrixSeries(
              s.metric, Arrays.copyOf(s.ts, s.n), Arrays.copyOf(s.fs, s.n)));
    }
    return QueryResult.ofMatrix(start, out, annos.warnings(), annos.infos());
  }

  /** Configures an engine; every setting has a default. */
  public static final class Builder {
    private final SeriesSource source;
    private Duration lookbackDelta = DEFAULT_LOOKBACK_DELTA;
    private int maxSamples = DEFAULT_MAX_SAMPLES;
    private Duration timeout = DEFAULT_TIMEOUT;
    private Duration subqueryStep = DEFAULT_SUBQUERY_STEP;

    private Builder(SeriesSource source) {
      this.source = Objects.requireNonNull(source, "source");
    }

    /** How far back an instant selector looks for a sample; must be positive. */
    public Builder lookbackDelta(Duration d) {
      requirePositive(d, "lookbackDelta");
      this.lookbackDelta = d;
      return this;
    }

    /** Maximum samples one query may hold in memory; must be positive. */
    public Builder maxSamples(int n) {
      if (n <= 0) {
        throw new IllegalArgumentException("maxSamples must be positive, got " + n);
      }
      this.maxSamples = n;
      return this;
    }

    /** Wall-clock limit of one query; must be positive. */
    public Builder timeout(Duration d) {
      requirePositive(d, "timeout");
      this.timeout = d;
      return this;
    }

    /** Step of subqueries written without one; must be positive. */
    public Builder defaultSubqueryStep(Duration d) {
      requirePositive(d, "defaultSubqueryStep");
      this.subqueryStep = d;
      return this;
    }

    public PromqlEngine build() {
      return new PromqlEngine(this);
    }

    private static void requirePositive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(what + " must be positive, got " + d);
      }
    }
  }
}
