/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import static io.faultline.web.loki.LokiFixture.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.faultline.collector.loki.LokiPush;
import io.faultline.collector.loki.LokiPushLimits;
import io.faultline.collector.otlp.IngestLimits;
import io.faultline.store.TestData;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Lines pushed through Loki's push API ({@link LokiPush}'s mapping) come back through the read API
 * with the labels they were pushed with, as from Loki: {@code {app="shop", env="prod"}} is found by
 * {@code {app="shop"}}, listed by {@code /labels}, and its metadata is structured metadata.
 */
class LokiPushRoundTripTest {
  private static final long T = (TestData.NOW.getEpochSecond() - 600) * 1_000_000_000L;

  @RegisterExtension
  static final LokiFixture loki =
      new LokiFixture()
          .withLogs(
              () ->
                  List.of(
                      LokiPush.decode(
                              ("{\"streams\":[{\"stream\":{\"app\":\"shop\",\"env\":\"prod\"},\"values\":["
                                      + "[\"" + T + "\",\"order 1 placed\",{\"trace_id\":\"5b8efff798038103d269b633813fc60c\",\"user\":\"ann\"}],"
                                      + "[\"" + (T + 1) + "\",\"level=error msg=\\\"card declined\\\" app=other\"]]},"
                                      + "{\"stream\":{\"app\":\"shop\",\"env\":\"dev\",\"level\":\"debug\"},\"values\":[[\""
                                      + (T + 2) + "\",\"dev line\"]]}]}")
                                  .getBytes(StandardCharsets.UTF_8),
                              "application/json",
                              null,
                              LokiPushLimits.defaults(),
                              IngestLimits.defaults())
                          .request()));

  private static JsonNode range(String query) {
    return ok(loki.lastHour(query, "100"));
  }

  private static Map<String, List<String>> streams(JsonNode body) {
    Map<String, List<String>> out = new TreeMap<>();
    for (JsonNode s : body.at("/data/result")) {
      List<String> lines = new ArrayList<>();
      s.get("values").forEach(v -> lines.add(v.get(1).asText()));
      out.put(s.get("stream").toString(), lines);
    }
    return out;
  }

  @Test
  void aPushedStreamIsFoundByItsLabels() {
    JsonNode body = range("{app=\"shop\", env=\"prod\"}");
    assertThat(LokiFixture.lines(body)).containsExactly("level=error msg=\"card declined\" app=other", "order 1 placed");
    JsonNode first = body.at("/data/result/0/stream");
    assertThat(first.get("app").asText()).isEqualTo("shop");
    assertThat(first.get("env").asText()).isEqualTo("prod");
    assertThat(first.get("service_name").asText()).isEqualTo("shop");
    assertThat(LokiFixture.lines(range("{app=\"shop\"}"))).hasSize(3);
    assertThat(LokiFixture.lines(range("{env=~\"d.v\"}"))).containsExactly("dev line");
    assertThat(LokiFixture.lines(range("{app=\"shop\", env!=\"prod\"}"))).containsExactly("dev line");
    assertThat(LokiFixture.lines(range("{service_name=\"shop\", level=\"debug\"}"))).containsExactly("dev line");
    assertThat(LokiFixture.lines(range("{app=\"nope\"}"))).isEmpty();
  }

  @Test
  void structuredMetadataAndParsersKeepLokisCategories() {
    JsonNode meta = range("{app=\"shop\"} | user=\"ann\"");
    assertThat(LokiFixture.lines(meta)).containsExactly("order 1 placed");
    assertThat(meta.at("/data/result/0/stream/trace_id").asText()).isEqualTo("5b8efff798038103d269b633813fc60c");
    // a parsed label that clashes with a pushed stream label gets "_extracted", as in Loki
    JsonNode parsed = range("{app=\"shop\", env=\"prod\"} | logfmt | msg=\"card declined\"");
    assertThat(parsed.at("/data/result/0/stream/app").asText()).isEqualTo("shop");
    assertThat(parsed.at("/data/result/0/stream/app_extracted").asText()).isEqualTo("other");
    // pushed labels are stream labels, not structured metadata
    assertThat(streams(range("{env=\"dev\"}")).keySet())
        .singleElement()
        .satisfies(k -> assertThat(k).doesNotContain("env_extracted"));
  }

  @Test
  void labelsAndLabelValuesListPushedLabels() {
    JsonNode labels = ok(loki.target("/loki/api/v1/labels").queryParam("start", LokiFixture.HOUR_AGO_NS).queryParam("end", LokiFixture.NOW_NS));
    List<String> names = new ArrayList<>();
    labels.get("data").forEach(n -> names.add(n.asText()));
    assertThat(names).contains("app", "env", "service_name", "level").doesNotContain("service.name", "user", "trace_id");
    JsonNode values = ok(loki.target("/loki/api/v1/label/env/values").queryParam("start", LokiFixture.HOUR_AGO_NS).queryParam("end", LokiFixture.NOW_NS));
    assertThat(values.get("data").toString()).isEqualTo("[\"dev\",\"prod\"]");
    JsonNode selected =
        ok(loki.target("/loki/api/v1/labels", "{env=\"dev\"}").queryParam("start", LokiFixture.HOUR_AGO_NS).queryParam("end", LokiFixture.NOW_NS));
    assertThat(selected.get("data").toString()).isEqualTo("[\"app\",\"env\",\"level\",\"service_name\"]");
  }

  @Test
  void metricQueriesGroupByPushedLabels() {
    JsonNode body =
        ok(loki.query("sum by (env) (count_over_time({app=\"shop\"}[1h]))").queryParam("time", LokiFixture.NOW_NS));
    Map<String, String> counts = new TreeMap<>();
    body.at("/data/result").forEach(s -> counts.put(s.at("/metric/env").asText(), s.at("/value/1").asText()));
    assertThat(counts).containsExactly(Map.entry("dev", "1"), Map.entry("prod", "2"));
  }
}
