/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.loki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LokiLabelsTest {

  @Test
  void parsesSelectorSyntaxSorted() throws Exception {
    assertThat(LokiLabels.parse("{env=\"prod\", app=\"shop\"}"))
        .containsExactly(Map.entry("app", "shop"), Map.entry("env", "prod"));
    assertThat(LokiLabels.parse("  { job = \"varlogs\" ,filename=\"/var/log/a.log\" }  "))
        .containsExactly(Map.entry("filename", "/var/log/a.log"), Map.entry("job", "varlogs"));
  }

  @Test
  void goEscapesAndRawStrings() throws Exception {
    assertThat(LokiLabels.parse("{a=\"q\\\"b\\\\s\\n\\t\\u00e9\\x41\\101\", b=`raw\\n`}"))
        .containsEntry("a", "q\"b\\s\n\té" + "AA")
        .containsEntry("b", "raw\\n");
    assertThat(LokiLabels.parse("{a=\"ünïcødé ✓\"}")).containsEntry("a", "ünïcødé ✓");
  }

  @Test
  void emptyValuesAreAbsent() throws Exception {
    assertThat(LokiLabels.parse("{a=\"\", b=\"x\"}")).containsExactly(Map.entry("b", "x"));
    assertThatThrownBy(() -> LokiLabels.parse("{a=\"\"}"))
        .hasMessage("error at least one label pair is required per stream");
    assertThatThrownBy(() -> LokiLabels.parse("{}"))
        .hasMessage("error at least one label pair is required per stream");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "app=\"shop\"",
        "{app=\"shop\"",
        "{app=shop}",
        "{app='shop'}",
        "{app!=\"shop\"}",
        "{app=~\"shop\"}",
        "{app=\"shop\",}",
        "{app=\"shop\" env=\"prod\"}",
        "{app=\"shop\", app=\"other\"}",
        "{1app=\"shop\"}",
        "{app.name=\"shop\"}",
        "{app=\"shop\"} x",
        "{app=\"sh\\qop\"}",
        "{app=\"unterminated}",
        "{app=\"\\xff\"}",
        "{app=\"\\ud800\"}"
      })
  void refusesWhatLokiRefuses(String text) {
    assertThatThrownBy(() -> LokiLabels.parse(text))
        .isInstanceOf(LokiLabels.InvalidLabelsException.class)
        .satisfiesAnyOf(
            e -> assertThat(e).hasMessageStartingWith("error parsing labels '"),
            e -> assertThat(e).hasMessage("error at least one label pair is required per stream"));
  }

  @Test
  void duplicateAndMatcherMessagesNameTheProblem() {
    assertThatThrownBy(() -> LokiLabels.parse("{app=\"a\", app=\"b\"}"))
        .hasMessageContaining("duplicate label name: 'app'");
    assertThatThrownBy(() -> LokiLabels.parse("{app!=\"a\"}"))
        .hasMessageContaining("a matcher other than '='");
  }

  @Test
  void jsonLabelsNeedValidNames() throws Exception {
    Map<String, String> ok = new LinkedHashMap<>();
    ok.put("z", "1");
    ok.put("a_b", "2");
    assertThat(LokiLabels.of(ok)).containsExactly(Map.entry("a_b", "2"), Map.entry("z", "1"));
    assertThatThrownBy(() -> LokiLabels.of(Map.of("service.name", "x")))
        .hasMessageContaining("invalid label name 'service.name'");
    assertThatThrownBy(() -> LokiLabels.of(Map.of()))
        .hasMessage("error at least one label pair is required per stream");
  }
}
