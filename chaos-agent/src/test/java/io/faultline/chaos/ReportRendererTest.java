/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.faultline.chaos.experiment.Probe;
import io.faultline.chaos.experiment.Tolerance;
import java.time.Duration;
import java.time.Instant;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.data.Range;
import org.junit.jupiter.api.Test;

/** The report's charts show the tolerance and read well for flat signals. */
class ReportRendererTest extends TestbedTestCase {
  @Test
  void theToleranceLineIsWithinTheChartEvenFarFromTheData() throws Exception {
    Instant from = bed.clock.now();
    for (int i = 0; i < 6; i++) {
      bed.gauge("gateway_error_ratio", 0.01 + i * 0.001);
      bed.advance(Duration.ofSeconds(15));
    }
    Probe p = new Probe("gateway errors", Probe.Kind.PROMQL, "gateway_error_ratio", null, null, new Tolerance(null, 0.5), null, null);
    JFreeChart chart = new ReportRenderer(null, bed.metrics.queries()).chartOf(p, p.query(), from, bed.clock.now(), null, null);
    Range range = chart.getXYPlot().getRangeAxis().getRange();
    assertThat(range.contains(0.5)).as(range.toString()).isTrue();
    assertThat(range.contains(0.01)).isTrue();
  }

  @Test
  void aFlatSeriesGetsARangeAroundItsValue() throws Exception {
    Instant from = bed.clock.now();
    for (int i = 0; i < 6; i++) {
      bed.gauge("up", 1);
      bed.advance(Duration.ofSeconds(15));
    }
    Probe p = new Probe("up", Probe.Kind.PROMQL, "up", null, null, new Tolerance(1.0, null), null, null);
    JFreeChart chart = new ReportRenderer(null, bed.metrics.queries()).chartOf(p, p.query(), from, bed.clock.now(), null, null);
    NumberAxis axis = (NumberAxis) chart.getXYPlot().getRangeAxis();
    assertThat(axis.getRange().getLowerBound()).isLessThan(0.95);
    assertThat(axis.getRange().getUpperBound()).isGreaterThan(1.05);
    assertThat(ReportRenderer.valueRange(new Range(0, 0), null, null)).isEqualTo(new Range(-1, 1));
  }
}
