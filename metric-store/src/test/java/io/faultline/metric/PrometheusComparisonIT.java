/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.metric.MetricQueries;
import io.faultline.core.metric.MetricQueryException;
import io.faultline.core.metric.PromqlResult;
import io.faultline.core.metric.QueryOptions;
import io.faultline.core.prometheus.WriteRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PromQL conformance against a real Prometheus (Debian's {@code prometheus} package, 2.42): the
 * same seeded samples go into a Prometheus TSDB (backfilled with {@code promtool}) and into a
 * {@link LuceneMetricStore} (as remote-write batches, with a commit half-way so answers merge the
 * index and the head); then every query of {@code prometheus-comparison.promql} runs as instant
 * queries at several times and as range queries on both, and the answers must be equal: same
 * series, same timestamps, values within a relative 1e-9 (NaN equals NaN), in order only after
 * {@code sort}/{@code sort_desc}; errors must have the same error type.
 *
 * <p>Skipped when {@code prometheus} or {@code promtool} is not on the PATH. Rerun one data set
 * with {@code -Dfaultline.comparison.seed=N} (the seed is printed).
 */
class PrometheusComparisonIT {
  private static final long MINUTE = 60_000;
  private static final long DAY = 86_400_000;
  /**
   * Every query time sits 7 s past a multiple of 10 s, so a subquery's steps (10 s or more, whole
   * multiples of 10 s) never fall on its range's left boundary, which 2.42 includes and 3.x does
   * not. Samples never sit on a whole second (see ComparisonDataset) for the same reason.
   */
  private static final long SKEW = 7_000;

  private static final Pattern STDDEV_OR_STDVAR = Pattern.compile("std(dev|var)\\b(?!_)");

  @TempDir Path dir;

  @Test
  void faultlineAnswersEveryQueryAsPrometheusDoes() throws Exception {
    Path prometheus = PrometheusProcess.findOnPath("prometheus");
    Path promtool = PrometheusProcess.findOnPath("promtool");
    Assumptions.assumeTrue(prometheus != null && promtool != null,
        "skipped: 'prometheus' and 'promtool' must both be on the PATH to compare answers"
            + " (Debian: apt-get install prometheus)");

    long seed = Long.getLong("faultline.comparison.seed", System.nanoTime());
    System.out.println("PrometheusComparisonIT seed " + seed
        + " (rerun with -Dfaultline.comparison.seed=" + seed + ")");
    // two hours well in the past: promtool's blocks must lie behind Prometheus' (empty) head
    long start = (System.currentTimeMillis() / DAY - 2) * DAY + 10 * 60 * MINUTE;
    long end = start + 120 * MINUTE;
    ComparisonDataset data = ComparisonDataset.generate(seed, start, end);
    System.out.printf("data set: %d series, %d samples from %s to %s%n", data.series().size(),
        data.sampleCount(), Instant.ofEpochMilli(start), Instant.ofEpochMilli(end));

    Path openMetrics = dir.resolve("data.om");
    data.writeOpenMetrics(openMetrics);
    Path tsdb = dir.resolve("tsdb");
    PrometheusProcess.createBlocks(promtool, openMetrics, tsdb, dir);

    try (PrometheusProcess prom = PrometheusProcess.start(prometheus, tsdb, dir);
        LuceneMetricStore store = LuceneMetricStore.builder(dir.resolve("faultline"))
            .clock(Clock.fixed(Instant.ofEpochMilli(end + 60 * MINUTE), ZoneOffset.UTC))
            .build()) {
      feed(store, data);
      MetricQueries faultline = store.queries();

      // both hold exactly the generated samples, or no comparison below would mean anything
      String all = "{__name__=~\".+\"}[3h]";
      long afterAll = end + 1_000;
      QueryAnswer raw = prom.instant(all, afterAll);
      assertThat(raw.failed()).as("Prometheus' raw samples: %s", raw.error()).isFalse();
      assertThat(raw.rows().stream().mapToInt(r -> r.t().length).sum())
          .as("samples Prometheus loaded from promtool's blocks")
          .isEqualTo(data.sampleCount());
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertThat(raw.difference(run(faultline, all, afterAll), false))
              .as("raw samples in Faultline")
              .isNull());

      Report report = new Report();
      long[] instants = {
        start + SKEW,
        start + 31 * MINUTE + SKEW,
        start + 77 * MINUTE + SKEW,
        end - MINUTE + SKEW,
        end + 3 * MINUTE + SKEW,
        end + 10 * MINUTE + SKEW,
      };
      for (String template : queries()) {
        String q = template.replace("${MID}", Long.toString((start + 60 * MINUTE + SKEW) / 1000));
        boolean ordered = q.startsWith("sort(") || q.startsWith("sort_desc(");
        for (long t : instants) {
          report.add(q, "instant @" + PromqlResult.formatTime(t),
              prom.instant(q, t), run(faultline, q, t), ordered);
        }
        report.add(q, "range 1m", prom.range(q, start + SKEW, end + 6 * MINUTE + SKEW, MINUTE),
            range(faultline, q, start + SKEW, end + 6 * MINUTE + SKEW, MINUTE), false);
        long from = start + 50 * MINUTE + SKEW;
        // 70 s keeps every step 7 s past a multiple of 10 s (see SKEW)
        report.add(q, "range 70s", prom.range(q, from, from + 40 * MINUTE, 70_000),
            range(faultline, q, from, from + 40 * MINUTE, 70_000), false);
        // fine steps where series end and the lookback runs out
        long tail = end - 20 * MINUTE + SKEW;
        report.add(q, "range 10s", prom.range(q, tail, tail + 30 * MINUTE, 10_000),
            range(faultline, q, tail, tail + 30 * MINUTE, 10_000), false);
      }
      report.print();
      assertThat(report.nonEmpty)
          .as("comparisons where Prometheus returned data (else the battery proves little)")
          .isGreaterThan(report.compared * 7 / 10);
      if (!report.differences.isEmpty()) {
        fail("%d of %d comparisons differ from Prometheus (seed %d); the first ones:%n%s",
            report.differences.size(), report.compared, seed,
            String.join("\n", report.differences.stream().limit(15).toList()));
      }
    }
  }

  /** Applies the batches in time order as the ingest pipeline would, committing half-way. */
  private static void feed(LuceneMetricStore store, ComparisonDataset data) throws IOException {
    List<WriteRequest> batches = data.writeRequests(5 * MINUTE);
    long position = store.indexer().checkpoint();
    for (int i = 0; i < batches.size(); i++) {
      WriteRequest w = batches.get(i);
      long next = position + w.getSerializedSize() + 16;
      store.indexer().apply(position, next, TelemetryBatch.of(Signal.PROMETHEUS_WRITE, w));
      position = next;
      if (i == batches.size() / 2) {
        store.indexer().commit();
      }
    }
  }

  private static QueryAnswer run(MetricQueries q, String expr, long t) {
    try {
      return QueryAnswer.of(q.instantQuery(expr, t, QueryOptions.DEFAULTS));
    } catch (MetricQueryException e) {
      return QueryAnswer.of(e);
    }
  }

  private static QueryAnswer range(MetricQueries q, String expr, long from, long to, long step) {
    try {
      return QueryAnswer.of(q.rangeQuery(expr, from, to, step, QueryOptions.DEFAULTS));
    } catch (MetricQueryException e) {
      return QueryAnswer.of(e);
    }
  }

  private static List<String> queries() throws IOException {
    try (InputStream in =
        PrometheusComparisonIT.class.getResourceAsStream("prometheus-comparison.promql")) {
      assertThat(in).as("prometheus-comparison.promql on the test class path").isNotNull();
      Set<String> out = new LinkedHashSet<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        String q = line.strip();
        if (!q.isEmpty() && !q.startsWith("#")) {
          assertThat(out.add(q)).as("query listed twice: %s", q).isTrue();
        }
      }
      return new ArrayList<>(out);
    }
  }

  /** Counts and remembers the outcome of every comparison. */
  private static final class Report {
    int compared;
    int equal;
    int bothFailed;
    int nonEmpty;
    final List<String> differences = new ArrayList<>();
    final Set<String> queriesDiffering = new LinkedHashSet<>();
    final Map<String, Integer> failuresByQuery = new LinkedHashMap<>();
    final Map<String, Integer> runsByQuery = new HashMap<>();

    /**
     * Values compare as {@link QueryAnswer#close}, with one difference between the versions: the
     * {@code stddev}/{@code stdvar} of a group whose only value is NaN or ±Inf is 0 in 2.42 and NaN
     * in 3.x, which Faultline follows (its conformance tests check it). Both versions agree on
     * every other group (a lone finite value gives 0, a NaN among others gives NaN), so a 0
     * against a NaN can only be that case.
     */
    static BiPredicate<Double, Double> sameValue(String query) {
      if (!STDDEV_OR_STDVAR.matcher(query).lookingAt()) {
        return QueryAnswer::close;
      }
      return (want, got) -> QueryAnswer.close(want, got) || (want == 0 && Double.isNaN(got));
    }

    void add(String query, String mode, QueryAnswer want, QueryAnswer got, boolean ordered) {
      compared++;
      runsByQuery.merge(query, 1, Integer::sum);
      if (!want.failed() && !want.empty()) {
        nonEmpty++;
      }
      String diff = want.difference(got, ordered, sameValue(query));
      if (diff == null) {
        equal++;
        if (want.failed()) {
          bothFailed++;
          failuresByQuery.merge(query, 1, Integer::sum);
        }
      } else {
        queriesDiffering.add(query);
        differences.add(query + "  [" + mode + "]  " + diff);
      }
    }

    void print() {
      System.out.printf(
          "PrometheusComparisonIT: %d comparisons, %d equal (%d of them errors on both sides),"
              + " %d different, %d with data in Prometheus' answer%n",
          compared, equal, bothFailed, differences.size(), nonEmpty);
      failuresByQuery.forEach((q, n) -> {
        if (n.equals(runsByQuery.get(q))) {
          System.out.println("  fails alike in every run: " + q);
        }
      });
      for (String q : queriesDiffering) {
        System.out.println("  differs: " + q);
      }
      for (String d : differences.stream().limit(40).toList()) {
        System.out.println("  " + d);
      }
    }
  }
}
