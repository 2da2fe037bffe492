/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class InMemorySeriesSourceTest {
  private final InMemorySeriesSource source = new InMemorySeriesSource();

  @Test
  void selectsByAllMatcherKindsWithinTheWindow() {
    Labels a = Labels.of("__name__", "up", "job", "api");
    Labels b = Labels.of("__name__", "up", "job", "db");
    source.add(a, 1000, 1);
    source.add(a, 2000, 2);
    source.add(b, 5000, 3);

    List<Series> eq = source.select(List.of(LabelMatcher.equal("job", "api")), 0, 10_000);
    assertThat(eq).extracting(Series::labels).containsExactly(a);
    assertThat(eq.get(0).timestamps()).containsExactly(1000, 2000);

    List<Series> re =
        source.select(List.of(LabelMatcher.of(LabelMatcher.Type.NOT_REGEX, "job", "a.*")), 0, 10_000);
    assertThat(re).extracting(Series::labels).containsExactly(b);

    assertThat(source.select(List.of(LabelMatcher.equal("__name__", "up")), 3000, 4000)).isEmpty();
    assertThat(source.labelValues("job", List.of(), 0, 10_000)).containsExactly("api", "db");
    assertThat(source.labelNames(List.of(), 0, 10_000)).containsExactly("__name__", "job");
  }

  @Test
  void keepsTheExactStaleMarkerBitsAndOrdersOutOfOrderSamples() {
    Labels a = Labels.of("__name__", "m");
    source.add(a, 2000, Series.STALE_NAN);
    source.add(a, 1000, 5);

    Series s = source.select(List.of(LabelMatcher.equal("__name__", "m")), 0, 3000).get(0);
    assertThat(s.timestamps()).containsExactly(1000, 2000);
    assertThat(Double.doubleToRawLongBits(s.values()[1])).isEqualTo(Series.STALE_NAN_BITS);
    assertThat(Series.isStaleMarker(Double.NaN)).isFalse();
  }

  @Test
  void regexIsAnchoredAndDotMatchesNewlines() {
    LabelMatcher m = LabelMatcher.of(LabelMatcher.Type.REGEX, "x", "a.b");
    assertThat(m.matches("a\nb")).isTrue();
    assertThat(m.matches("xa\nb")).isFalse();
    assertThatThrownBy(() -> LabelMatcher.of(LabelMatcher.Type.REGEX, "x", "(a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("error parsing regexp");
  }

  @Test
  void emptyLabelValuesAreDropped() {
    assertThat(Labels.of("a", "1", "b", "")).isEqualTo(Labels.of("a", "1"));
    assertThat(Labels.of("b", "2", "a", "1").toString()).isEqualTo("{a=\"1\", b=\"2\"}");
  }
}
