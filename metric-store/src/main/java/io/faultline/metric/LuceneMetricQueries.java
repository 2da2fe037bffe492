/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import io.faultline.core.metric.InvalidQueryException;
import io.faultline.core.metric.MetricMetadata;
import io.faultline.core.metric.MetricQueries;
import io.faultline.core.metric.PromDurations;
import io.faultline.core.metric.PromqlResult;
import io.faultline.core.metric.QueryFailedException;
import io.faultline.core.metric.QueryOptions;
import io.faultline.core.metric.QueryTimedOutException;
import io.faultline.core.metric.SampleLimitException;
import io.faultline.metric.promql.ParseException;
import io.faultline.metric.promql.PromqlEngine;
import io.faultline.metric.promql.PromqlException;
import io.faultline.metric.promql.QueryResult;
import io.faultline.metric.promql.QueryTimeoutException;
import io.faultline.metric.promql.Selectors;
import io.faultline.metric.promql.TooManySamplesException;
import io.faultline.metric.storage.LabelMatcher;
import io.faultline.metric.storage.Labels;
import io.faultline.metric.storage.Series;
import io.faultline.metric.storage.SeriesSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** {@link MetricQueries} over a {@link SeriesSource} with the PromQL engine and the store's limits. */
final class LuceneMetricQueries implements MetricQueries {
  static final int MAX_POINTS_PER_SERIES = 11_000;
  private static final String NO_NON_EMPTY_MATCHER =
      "vector selector must contain at least one non-empty matcher";

  private final SeriesSource source;
  private final MetadataRegistry metadata;
  private final int maxSamples;
  private final Duration maxTimeout;
  private final long maxRangeMillis;
  private final Duration lookbackDelta;
  private final java.time.Clock clock;
  private final long retentionMillis;

  LuceneMetricQueries(
      SeriesSource source,
      MetadataRegistry metadata,
      int maxSamples,
      Duration maxTimeout,
      Duration maxRange,
      Duration lookbackDelta,
      java.time.Clock clock,
      Duration retention) {
    this.clock = clock;
    this.retentionMillis = retention.toMillis();
    this.source = source;
    this.metadata = metadata;
    this.maxSamples = maxSamples;
    this.maxTimeout = maxTimeout;
    this.maxRangeMillis = maxRange.toMillis();
    this.lookbackDelta = lookbackDelta;
  }

  private PromqlEngine engine(QueryOptions o) {
    Duration timeout =
        o.timeout() == null || o.timeout().compareTo(maxTimeout) > 0 ? maxTimeout : o.timeout();
    return PromqlEngine.builder(source)
        .maxSamples(maxSamples)
        .timeout(timeout)
        .lookbackDelta(o.lookbackDelta() == null ? lookbackDelta : o.lookbackDelta())
        .build();
  }

  @Override
  public PromqlResult instantQuery(String expr, long timeMs, QueryOptions options) {
    requireExpr(expr);
    QueryOptions o = options == null ? QueryOptions.DEFAULTS : options;
    return convert(run(() -> engine(o).instantQuery(expr, timeMs)), o.limit());
  }

  @Override
  public void validate(String expr) {
    requireExpr(expr);
    run(
        () -> {
          PromqlEngine.validate(expr);
          return null;
        });
  }

  @Override
  public PromqlResult rangeQuery(
      String expr, long startMs, long endMs, long stepMs, QueryOptions options) {
    requireExpr(expr);
    QueryOptions o = options == null ? QueryOptions.DEFAULTS : options;
    if (stepMs <= 0) {
      throw new InvalidQueryException(
          "zero or negative query resolution step widths are not accepted. Try a positive integer");
    }
    if (endMs < startMs) {
      throw new InvalidQueryException("end timestamp must not be before start time");
    }
    if (span(startMs, endMs) / stepMs > MAX_POINTS_PER_SERIES) {
      throw new InvalidQueryException(
          "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query"
              + " resolution (?step=XX)");
    }
    checkRange(startMs, endMs);
    return convert(run(() -> engine(o).rangeQuery(expr, startMs, endMs, stepMs)), o.limit());
  }

  @Override
  public List<Map<String, String>> series(
      List<String> matchers, long startMs, long endMs, int limit) {
    if (matchers == null || matchers.isEmpty()) {
      throw new InvalidQueryException("no match[] parameter provided");
    }
    long[] range = metadataRange(startMs, endMs);
    TreeSet<Labels> all = new TreeSet<>();
    for (String m : matchers) {
      List<LabelMatcher> ms = parse(m);
      for (Series s : run(() -> source.select(ms, range[0], range[1]))) {
        all.add(s.labels());
      }
    }
    List<Map<String, String>> out = new ArrayList<>();
    for (Labels l : all) {
      if (limit > 0 && out.size() >= limit) {
        break;
      }
      out.add(l.toMap());
    }
    return out;
  }

  @Override
  public Predicate<Map<String, String>> selectorFilter(List<String> matchers) {
    List<List<LabelMatcher>> sets = new ArrayList<>();
    boolean allEmpty = false;
    for (String m : matchers) {
      try {
        sets.add(Selectors.parse(m));
      } catch (ParseException e) {
        // Prometheus parses match[] without the query check for a non-empty matcher, then makes
        // that check itself, with its own words, once every selector has parsed.
        if (!e.detail().equals(NO_NON_EMPTY_MATCHER)) {
          throw new InvalidQueryException(e.getMessage(), e);
        }
        allEmpty = true;
      } catch (IllegalArgumentException e) {
        throw new InvalidQueryException(e.getMessage(), e);
      }
    }
    if (allEmpty) {
      throw new InvalidQueryException("match[] must contain at least one non-empty matcher");
    }
    return labels -> {
      for (List<LabelMatcher> set : sets) {
        if (set.stream().allMatch(m -> m.matches(labels.getOrDefault(m.name(), "")))) {
          return true;
        }
      }
      return false;
    };
  }

  @Override
  public List<String> labelNames(List<String> matchers, long startMs, long endMs, int limit) {
    long[] range = metadataRange(startMs, endMs);
    TreeSet<String> names = new TreeSet<>();
    if (matchers == null || matchers.isEmpty()) {
      names.addAll(run(() -> source.labelNames(List.of(), range[0], range[1])));
    } else {
      for (String m : matchers) {
        List<LabelMatcher> ms = parse(m);
        names.addAll(run(() -> source.labelNames(ms, range[0], range[1])));
      }
    }
    return limited(names, limit);
  }

  @Override
  public List<String> labelValues(
      String labelName, List<String> matchers, long startMs, long endMs, int limit) {
    if (labelName == null || labelName.isEmpty()) {
      throw new InvalidQueryException("invalid label name: \"\"");
    }
    long[] range = metadataRange(startMs, endMs);
    TreeSet<String> values = new TreeSet<>();
    if (matchers == null || matchers.isEmpty()) {
      values.addAll(run(() -> source.labelValues(labelName, List.of(), range[0], range[1])));
    } else {
      for (String m : matchers) {
        List<LabelMatcher> ms = parse(m);
        values.addAll(run(() -> source.labelValues(labelName, ms, range[0], range[1])));
      }
    }
    return limited(values, limit);
  }

  @Override
  public Map<String, List<MetricMetadata>> metadata(String metric, int limit, int limitPerMetric) {
    return metadata.get(metric == null || metric.isEmpty() ? null : metric, limit, limitPerMetric);
  }

  private static List<String> limited(TreeSet<String> set, int limit) {
    List<String> out = new ArrayList<>(set);
    return limit > 0 && out.size() > limit ? List.copyOf(out.subList(0, limit)) : out;
  }

  /**
   * The range a series or label lookup really covers: nothing is kept outside the retention, so
   * an open-ended lookup (Prometheus clients send none or the widest times) is narrowed to it
   * instead of being refused.
   */
  private long[] metadataRange(long startMs, long endMs) {
    if (endMs < startMs) {
      throw new InvalidQueryException("end timestamp must not be before start time");
    }
    long now = clock.millis();
    long from = Math.max(startMs, now - retentionMillis);
    long to = Math.min(endMs, now + TimeUnit.DAYS.toMillis(1));
    if (to < from) {
      to = from;
    }
    checkRange(from, to);
    return new long[] {from, to};
  }

  private void checkRange(long startMs, long endMs) {
    if (endMs < startMs) {
      throw new InvalidQueryException("end timestamp must not be before start time");
    }
    if (span(startMs, endMs) > maxRangeMillis) {
      throw new InvalidQueryException(
          "the query time range of "
              + PromDurations.format(Duration.ofMillis(span(startMs, endMs)))
              + " exceeds the limit of "
              + PromDurations.format(Duration.ofMillis(maxRangeMillis))
              + "; narrow start and end");
    }
  }

  /** {@code end - start}, saturated at the int64 maximum as Go's {@code time.Time.Sub} is. */
  private static long span(long startMs, long endMs) {
    try {
      return Math.subtractExact(endMs, startMs);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  private static void requireExpr(String expr) {
    if (expr == null || expr.isBlank()) {
      throw new InvalidQueryException("1:1: parse error: no expression found in input");
    }
  }

  private static List<LabelMatcher> parse(String selector) {
    return run(() -> Selectors.parse(selector));
  }

  /** Runs engine or source code, mapping its failures onto the core exception types. */
  private static <T> T run(Supplier<T> work) {
    try {
      return work.get();
    } catch (ParseException e) {
      throw new InvalidQueryException(e.getMessage(), e);
    } catch (TooManySamplesException e) {
      throw new SampleLimitException(e.getMessage(), e);
    } catch (QueryTimeoutException e) {
      throw new QueryTimedOutException(e.getMessage(), e);
    } catch (PromqlException e) {
      throw new QueryFailedException(e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new InvalidQueryException(e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new QueryFailedException("query failed: " + e.getMessage(), e);
    }
  }

  static PromqlResult convert(QueryResult r, int limit) {
    List<String> warnings = new ArrayList<>(r.warnings());
    return switch (r.type()) {
      case SCALAR ->
          new PromqlResult(PromqlResult.ResultType.SCALAR, List.of(), r.timestampMs(), r.scalar(),
              null, warnings, r.infos());
      case STRING ->
          new PromqlResult(PromqlResult.ResultType.STRING, List.of(), r.timestampMs(), Double.NaN,
              r.string(), warnings, r.infos());
      case VECTOR -> {
        List<PromqlResult.Series> out = new ArrayList<>();
        for (QueryResult.VectorSample s : r.vector()) {
          if (limit > 0 && out.size() >= limit) {
            warnings.add("results truncated due to limit");
            break;
          }
          out.add(new PromqlResult.Series(map(s.labels()), new long[] {s.timestampMs()},
              new double[] {s.value()}));
        }
        yield new PromqlResult(PromqlResult.ResultType.VECTOR, out, r.timestampMs(), Double.NaN,
            null, warnings, r.infos());
      }
      case MATRIX -> {
        List<PromqlResult.Series> out = new ArrayList<>();
        for (QueryResult.MatrixSeries s : r.matrix()) {
          if (limit > 0 && out.size() >= limit) {
            warnings.add("results truncated due to limit");
            break;
          }
          out.add(new PromqlResult.Series(map(s.labels()), s.timestampsMs(), s.values()));
        }
        yield new PromqlResult(PromqlResult.ResultType.MATRIX, out, r.timestampMs(), Double.NaN,
            null, warnings, r.infos());
      }
    };
  }

  private static Map<String, String> map(Labels l) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < l.size(); i++) {
      m.put(l.name(i), l.value(i));
    }
    return java.util.Collections.unmodifiableMap(m);
  }
}
