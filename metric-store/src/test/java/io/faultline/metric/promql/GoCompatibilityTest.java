/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.faultline.metric.storage.InMemorySeriesSource;
import io.faultline.metric.storage.Labels;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/**
 * Answers that depend on Go's arithmetic, checked against what Prometheus returned for the same
 * queries on the same data (a side-by-side probe against Prometheus 2.42, 2026-11-25).
 */
class GoCompatibilityTest {
  private final InMemorySeriesSource source = new InMemorySeriesSource();

  private double value(String query) {
    QueryResult r = PromqlEngine.builder(source).build().instantQuery(query, 1_795_577_647_000L);
    return r.type() == QueryResult.Type.SCALAR ? r.scalar() : r.vector().get(0).value();
  }

  @Test
  void dateFunctionsAnswerForEveryValueAsGoDoes() {
    // beyond Java's Instant, which threw and failed the whole query
    assertThat(value("hour(vector(1e17))")).isEqualTo(9);
    assertThat(value("year(vector(1e17))")).isEqualTo(3_168_875_820.0);
    // NaN and infinities convert to MinInt64 on amd64, and Go's calendar wraps around
    assertThat(value("hour(vector(NaN))")).isEqualTo(15);
    assertThat(value("month(vector(Inf))")).isEqualTo(12);
    assertThat(value("month(vector(-Inf))")).isEqualTo(12);
    assertThat(value("minute(vector(9.2e18))")).isBetween(0.0, 59.0);
  }

  @Test
  void dateFunctionsAgreeWithTheCalendarWhereJavaHasOne() {
    for (long day = -800_000; day <= 800_000; day += 997) {
      for (long second : new long[] {0, 1, 3_599, 45_296, 86_399}) {
        long t = day * 86_400 + second;
        var dt = LocalDate.ofEpochDay(day).atStartOfDay().plusSeconds(second).atOffset(ZoneOffset.UTC);
        GoTime g = GoTime.ofUnixSeconds(t);
        assertThat(g.year()).as("year of %d", t).isEqualTo(dt.getYear());
        assertThat(g.month()).as("month of %d", t).isEqualTo(dt.getMonthValue());
        assertThat(g.dayOfMonth()).as("day of %d", t).isEqualTo(dt.getDayOfMonth());
        assertThat(g.dayOfYear()).isEqualTo(dt.getDayOfYear());
        assertThat(g.dayOfWeek()).isEqualTo(dt.getDayOfWeek().getValue() % 7);
        assertThat(g.hour()).isEqualTo(dt.getHour());
        assertThat(g.minute()).isEqualTo(dt.getMinute());
        assertThat(g.daysInMonth()).isEqualTo(dt.toLocalDate().lengthOfMonth());
      }
    }
    // 2024-02-29T13:45:00Z, a leap day; -1 is the last second of 1969 (Go truncates toward zero)
    assertThat(value("day_of_year(vector(1709214300))")).isEqualTo(60);
    assertThat(value("days_in_month(vector(1709214300))")).isEqualTo(29);
    assertThat(value("year(vector(-1))")).isEqualTo(1969);
    assertThat(value("hour(vector(-0.5))")).isEqualTo(0);
  }

  @Test
  void inverseHyperbolicFunctionsKeepTheirPrecisionNearZero() {
    assertThat(value("asinh(vector(1e-12))")).isEqualTo(1e-12);
    assertThat(value("atanh(vector(1e-12))")).isEqualTo(1e-12);
    assertThat(value("asinh(vector(1e-300))")).isEqualTo(1e-300);
    assertThat(value("atanh(vector(1e-300))")).isEqualTo(1e-300);
    assertThat(value("acosh(vector(1.0000001))")).isEqualTo(0.0004472135919037347);
    assertThat(value("atanh(vector(1e-5))")).isEqualTo(0.000010000000000333335);
    assertThat(value("asinh(vector(-3))")).isEqualTo(-1.8184464592320668);
    assertThat(value("log2(vector(10))")).isEqualTo(3.321928094887362);
    assertThat(value("log2(vector(1024))")).isEqualTo(10);
    assertThat(value("log2(vector(0))")).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(value("log2(vector(-1))")).isNaN();
    assertThat(value("log2(vector(4.9e-324))")).isEqualTo(-1074);
  }

  @Test
  void anEmptyMatchingClauseBesideAScalarIsDropped() {
    source.add(Labels.of("__name__", "up", "job", "api"), 1_795_577_600_000L, 1);
    assertThat(value("1 + on() 1")).isEqualTo(2);
    assertThat(value("1 + ignoring() 1")).isEqualTo(2);
    assertThat(value("vector(1) + on() 1")).isEqualTo(2);
    assertThat(value("scalar(up) + on() vector(1)")).isEqualTo(2);
    assertThatThrownBy(() -> value("up + on(job) 1"))
        .isInstanceOf(ParseException.class)
        .hasMessageContaining("vector matching only allowed between instant vectors");
  }

  @Test
  void durationsBeyondGosRangeAreRefused() {
    source.add(Labels.of("__name__", "up"), 1_795_577_600_000L, 1);
    for (String q :
        new String[] {"max_over_time(up[293y])", "up offset 300y", "up offset 10000y", "up[9999999999999999999999s]"}) {
      assertThatThrownBy(() -> value(q)).as(q)
          .isInstanceOf(ParseException.class)
          .hasMessageContaining("duration out of range");
    }
    assertThat(value("max_over_time(up[292y])")).isEqualTo(1);
  }
}
