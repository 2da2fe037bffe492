/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Expected strings are what Prometheus' template tests and Go's fmt produce. */
class TemplateTest {
  private static String expand(String t, double value) throws Exception {
    return Template.parse("t", t).expand(new Template.Data(
        Map.of("instance", "a:80", "job", "api"), value, Map.of("cluster", "prod"),
        "http://x"));
  }

  @Test
  void valuesPrintLikeGo() throws Exception {
    assertThat(expand("{{ $value }}", 0.5)).isEqualTo("0.5");
    assertThat(expand("{{ $value }}", 100000)).isEqualTo("100000");
    assertThat(expand("{{ $value }}", 1234567)).isEqualTo("1.234567e+06");
    assertThat(expand("{{ $value }}", 0.00001)).isEqualTo("1e-05");
    assertThat(expand("{{ .Value }}", Double.NaN)).isEqualTo("NaN");
    assertThat(GoFormat.e(1)).isEqualTo("1e+00");
    assertThat(GoFormat.e(0.25)).isEqualTo("2.5e-01");
  }

  @Test
  void humanizeFunctionsMatchPrometheus() throws Exception {
    assertThat(expand("{{ humanize $value }}", 1234567)).isEqualTo("1.235M");
    assertThat(expand("{{ $value | humanize }}", 0.0012)).isEqualTo("1.2m");
    assertThat(expand("{{ humanize1024 $value }}", 1048576)).isEqualTo("1Mi");
    assertThat(expand("{{ humanizeDuration $value }}", 93784)).isEqualTo("1d 2h 3m 4s");
    assertThat(expand("{{ humanizeDuration $value }}", 1.5)).isEqualTo("1.5s");
    assertThat(expand("{{ humanizeDuration $value }}", 0.02)).isEqualTo("20ms");
    assertThat(expand("{{ humanizePercentage $value }}", 0.1234)).isEqualTo("12.34%");
    assertThat(expand("{{ humanizeTimestamp $value }}", 1435065584.128))
        .isEqualTo("2015-06-23 13:19:44.128 +0000 UTC");
    assertThat(expand("{{ printf \"%.2f\" $value }}", 2.345678)).isEqualTo("2.35");
  }

  @Test
  void labelsPipelinesAndTrimMarkers() throws Exception {
    assertThat(expand("{{ $labels.instance }} of {{ .Labels.job }}{{ $labels.nope }}", 1))
        .isEqualTo("a:80 of api");
    assertThat(expand("{{ $labels.instance | stripPort | toUpper }}", 1)).isEqualTo("A");
    assertThat(expand("x  {{- $externalLabels.cluster -}}  y {{ $externalURL }}", 1))
        .isEqualTo("xprody http://x");
    assertThat(expand("{{/* a comment */}}ok", 1)).isEqualTo("ok");
  }

  @Test
  void unsupportedActionsFailAtParseTime() {
    assertThatThrownBy(() -> Template.parse("t", "{{ range $labels }}x{{ end }}"))
        .hasMessageContaining("\"range\" is not supported");
    assertThatThrownBy(() -> Template.parse("t", "{{ nosuch $value }}"))
        .hasMessageContaining("function \"nosuch\" not defined");
    assertThatThrownBy(() -> Template.parse("t", "{{ $value"))
        .hasMessageContaining("unclosed action");
  }
}
