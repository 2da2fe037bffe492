/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

class MetricGeneratorTest {
  private static final long SEED = 11;

  @Test
  void everySeriesHasItsOwnLabelSet() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      String[][] labels = MetricGenerator.labels(i);
      assertThat(labels[0][0]).isEqualTo("__name__");
      StringBuilder key = new StringBuilder();
      for (String[] l : labels) {
        key.append(l[0]).append('=').append(l[1]).append(',');
      }
      assertThat(seen.add(key.toString())).as("series %d: %s", i, key).isTrue();
    }
  }

  @Test
  void countersGrowAndBucketsAreCumulative() {
    MetricGenerator generator = new MetricGenerator(SEED, 160, 0, 60_000);
    double[] before = new double[160];
    for (int step = 0; step < 20; step++) {
      generator.advance();
      for (int i = 0; i < 160; i++) {
        double v = generator.value(i);
        assertThat(v).as("series %d step %d", i, step).isGreaterThanOrEqualTo(before[i]);
        before[i] = v;
        assertThat(generator.timestamp(i)).isBetween(step * 60_000L, step * 60_000L + 15_004);
      }
      for (int e = 0; e < 10; e++) {
        int base = e * MetricGenerator.SERIES_PER_ENDPOINT;
        for (int k = 3; k < 2 + MetricGenerator.LE.length; k++) {
          assertThat(generator.value(base + k))
              .isGreaterThanOrEqualTo(generator.value(base + k - 1));
        }
        // the +Inf bucket equals _count
        assertThat(generator.value(base + 13)).isEqualTo(generator.value(base + 15));
      }
    }
    assertThat(before[15]).isPositive();
  }

  @Test
  void requestsSurviveSnappyAndProtobuf() throws Exception {
    MetricGenerator generator = new MetricGenerator(SEED, 1000, 1_700_000_000_000L, 60_000);
    generator.advance();
    byte[] body = MetricGenerator.snappy(generator.request(100, 300));
    WriteRequest decoded = WriteRequest.parseFrom(Snappy.uncompress(body));
    assertThat(decoded.getTimeseriesCount()).isEqualTo(200);
    TimeSeries first = decoded.getTimeseries(0);
    List<String> names =
        first.getLabelsList().stream().map(Label::getName).collect(Collectors.toList());
    assertThat(names.get(0)).isEqualTo("__name__");
    assertThat(names.subList(1, names.size())).isSorted();
    assertThat(first.getSamples(0).getValue()).isEqualTo(generator.value(100));
  }

  @Test
  void parsesSeriesCountsAndPicksARateWindow() {
    assertThat(MetricBench.parseSeries("10000, 100000")).containsExactly(10_000, 100_000);
    assertThatThrownBy(() -> MetricBench.parseSeries("10k")).hasMessageContaining("--series");
    assertThatThrownBy(() -> MetricBench.parseSeries("3")).hasMessageContaining("--series");
    assertThat(MetricBench.rateWindow(15_000)).isEqualTo("5m");
    assertThat(MetricBench.rateWindow(7_200_000)).isEqualTo("360m");
    assertThat(MetricBench.battery(60_000)).hasSize(5).anyMatch(MetricBench.Query::range);
  }

  @Test
  void takesOneDensityForEverySizeOrOnePerSize() {
    List<Integer> series = MetricBench.parseSeries(MetricBench.DEFAULT_SERIES);
    MetricBench.Options defaults =
        options(series, MetricBench.parseCounts(null), MetricBench.parseHistory(null));
    // the defaults sample once a minute, as Prometheus scrapes by default
    for (int i = 0; i < series.size(); i++) {
      assertThat(defaults.historyFor(i).toMillis() / defaults.samplesFor(i)).isEqualTo(60_000);
    }
    assertThat(defaults.commandLine())
        .contains("--series 10000,100000 --samples-per-series 10080,1440 --history 1w,1d");
    MetricBench.Options one = options(series, List.of(84), List.of(java.time.Duration.ofDays(7)));
    assertThat(one.samplesFor(1)).isEqualTo(84);
    assertThat(one.historyFor(1)).isEqualTo(java.time.Duration.ofDays(7));
    // a count alone spreads over the default history, as before --history existed
    MetricBench.Options spread = options(List.of(10_000), List.of(336), List.of());
    assertThat(spread.historyFor(0).toMillis() / spread.samplesFor(0)).isEqualTo(1_800_000);
    assertThat(spread.commandLine()).contains("--samples-per-series 336 --history 1w ");
    assertThatThrownBy(() -> options(series, List.of(10, 20, 30), List.of(java.time.Duration.ofDays(1))))
        .hasMessageContaining("--samples-per-series takes one count or one per --series count");
    assertThatThrownBy(() -> options(series, List.of(100_000), List.of(java.time.Duration.ofHours(1))))
        .hasMessageContaining("less than a second apart");
    assertThatThrownBy(() -> MetricBench.parseHistory("7 days")).hasMessageContaining("--history");
    assertThatThrownBy(() -> MetricBench.parseHistory("0s")).hasMessageContaining("--history");
    assertThatThrownBy(() -> MetricBench.parseCounts("many")).hasMessageContaining("--samples-per-series");
  }

  private static MetricBench.Options options(
      List<Integer> series, List<Integer> samples, List<java.time.Duration> history) {
    return new MetricBench.Options(
        series, samples, history, 2, 2000, 9, true, java.nio.file.Path.of("out"), 42);
  }
}
