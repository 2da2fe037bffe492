/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.faultline.metric.storage.InMemorySeriesSource;
import io.faultline.metric.storage.Labels;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PromqlEngineTest {
  private final InMemorySeriesSource source = new InMemorySeriesSource();

  @BeforeEach
  void load() {
    for (int i = 0; i <= 10; i++) {
      source.add(Labels.of("__name__", "req_total", "job", "api"), i * 60_000L, i * 60.0);
      source.add(Labels.of("__name__", "req_total", "job", "db"), i * 60_000L, i * 120.0);
    }
  }

  private PromqlEngine engine() {
    return PromqlEngine.builder(source).build();
  }

  @Test
  void instantQueryAggregatesRates() {
    QueryResult r = engine().instantQuery("sum by (job) (rate(req_total[5m]))", 600_000);
    assertThat(r.type()).isEqualTo(QueryResult.Type.VECTOR);
    assertThat(r.vector())
        .extracting(QueryResult.VectorSample::labels, QueryResult.VectorSample::value)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(Labels.of("job", "api"), 1.0),
            org.assertj.core.groups.Tuple.tuple(Labels.of("job", "db"), 2.0));
  }

  @Test
  void rangeQueryReturnsSortedMatrix() {
    QueryResult r = engine().rangeQuery("req_total * 2", 0, 120_000, 60_000);
    assertThat(r.matrix()).hasSize(2);
    assertThat(r.matrix().get(0).labels()).isEqualTo(Labels.of("job", "api"));
    assertThat(r.matrix().get(0).values()).containsExactly(0, 120, 240);
    assertThat(r.matrix().get(0).timestampsMs()).containsExactly(0, 60_000, 120_000);
  }

  @Test
  void scalarAndStringResults() {
    assertThat(engine().instantQuery("1 + 2 * 3 ^ 2", 0).scalar()).isEqualTo(19);
    assertThat(engine().instantQuery("2 ^ 3 ^ 2", 0).scalar()).isEqualTo(512);
    assertThat(engine().instantQuery("-2 ^ 2", 0).scalar()).isEqualTo(-4);
    assertThat(engine().instantQuery("\"hi\"", 0).string()).isEqualTo("hi");
  }

  @Test
  void parseErrorsAreBadDataWithPosition() {
    assertThatThrownBy(() -> engine().instantQuery("sum(rate(req_total))", 0))
        .isInstanceOf(ParseException.class)
        .hasMessageStartingWith("1:10: parse error: expected type range vector")
        .extracting(e -> ((PromqlException) e).errorType())
        .isEqualTo("bad_data");
    assertThatThrownBy(() -> engine().rangeQuery("req_total[5m]", 0, 60_000, 1000))
        .isInstanceOf(ParseException.class)
        .hasMessageContaining("invalid expression type \"range vector\" for range query");
  }

  @Test
  void expressionsNestedTooDeeplyAreBadDataNotAStackOverflow() {
    String deep = "(".repeat(5000) + "1" + ")".repeat(5000);
    assertThatThrownBy(() -> engine().instantQuery(deep, 0))
        .isInstanceOf(ParseException.class)
        .hasMessage("1:501: parse error: the expression nests more than 500 levels deep");
    assertThatThrownBy(() -> engine().instantQuery("sum(".repeat(3000) + "req_total" + ")".repeat(3000), 0))
        .isInstanceOf(ParseException.class)
        .hasMessageContaining("nests more than 500 levels deep");
    assertThatThrownBy(() -> engine().instantQuery("-".repeat(100_000) + "1", 0))
        .isInstanceOf(ParseException.class)
        .hasMessageContaining("nests more than 500 levels deep");
    // up to the limit they parse and evaluate
    assertThat(engine().instantQuery("(".repeat(499) + "1" + ")".repeat(499), 0).scalar()).isEqualTo(1);
    assertThat(engine().instantQuery("sum(".repeat(499) + "req_total" + ")".repeat(499), 600_000).vector())
        .hasSize(1);
  }

  @Test
  void executionErrorsAreExecutionType() {
    assertThatThrownBy(() -> engine().instantQuery("req_total + on() req_total", 600_000))
        .isInstanceOf(QueryExecutionException.class)
        .extracting(e -> ((PromqlException) e).errorType())
        .isEqualTo("execution");
    // as Prometheus 2.42 answers: the parameter printed with Go's %v
    assertThatThrownBy(() -> engine().instantQuery("topk(1e19, vector(1))", 0))
        .hasMessage("Scalar value 1e+19 overflows int64");
    // Prometheus 3 returns nothing for k < 1 before checking its range (2.42 still refused it)
    assertThat(engine().instantQuery("topk(-1e19, vector(1))", 0).vector()).isEmpty();
  }

  @Test
  void aRangeWhoseStepsPassTheLastTimestampIsRefused() {
    // stepping past end wrapped around int64 and evaluated until the heap ran out
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () ->
            assertThatThrownBy(
                    () -> engine().rangeQuery("1", Long.MAX_VALUE - 3_600_000, Long.MAX_VALUE - 1000, 5000))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining("overflows int64"));
  }

  @Test
  void sampleLimitIsEnforced() {
    PromqlEngine limited = PromqlEngine.builder(source).maxSamples(5).build();
    assertThatThrownBy(() -> limited.rangeQuery("req_total", 0, 600_000, 60_000))
        .isInstanceOf(TooManySamplesException.class)
        .hasMessageContaining("too many samples");
  }

  @Test
  void timeoutIsReportedAsTimeout() {
    PromqlEngine hurried = PromqlEngine.builder(source).timeout(Duration.ofNanos(1)).build();
    assertThatThrownBy(() -> hurried.rangeQuery("sum(rate(req_total[5m]))", 0, 600_000, 1000))
        .isInstanceOf(QueryTimeoutException.class)
        .extracting(e -> ((PromqlException) e).errorType())
        .isEqualTo("timeout");
  }

  @Test
  void nonCounterNamesGetAnInfoAnnotation() {
    source.add(Labels.of("__name__", "temperature"), 0, 1);
    source.add(Labels.of("__name__", "temperature"), 60_000, 2);
    QueryResult r = engine().instantQuery("rate(temperature[5m])", 60_000);
    assertThat(r.infos())
        .containsExactly(
            "PromQL info: metric might not be a counter, name does not end in"
                + " _total/_sum/_count/_bucket: \"temperature\" (1:6)");
  }
}
