/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import static io.faultline.web.loki.LokiFixture.NOW_NS;
import static io.faultline.web.loki.LokiFixture.bad;
import static io.faultline.web.loki.LokiFixture.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.faultline.store.LogTestData;
import io.faultline.store.TestData;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import jakarta.ws.rs.client.WebTarget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Metric queries over a real Lucene log store holding {@code LogTestData.canned()} plus a
 * "gateway" service writing logfmt lines and a "bulk" service of 501 lines with distinct ids.
 * Expected numbers are worked out by hand from those records; answers are checked against Loki's
 * shapes: {@code {"resultType":"matrix","result":[{"metric":{...},"values":[[<unix s>,"<v>"]]}]}}
 * and {@code vector} with {@code "value":[<unix s>,"<v>"]}.
 */
class LokiMetricQueryTest {
  private static final long NOW_S = TestData.NOW.getEpochSecond();

  @RegisterExtension
  static final LokiFixture loki = new LokiFixture().withLogs(LokiMetricQueryTest::gatewayAndBulk);

  /**
   * Gateway (namespace edge), logfmt, minutes before NOW: -9 info GET /a 250ms 1KB; -8 info GET /b
   * 500ms 2KB; -7 error POST /a 500 1s 1KiB; -4 info GET /a 1750ms 500B; -3 warn GET /a 404
   * latency "abc" 1KB; -1 info, an unterminated quote (an error only for logfmt --strict).
   */
  static List<ExportLogsServiceRequest> gatewayAndBulk() {
    LogRecord.Builder[] bulk = new LogRecord.Builder[501];
    for (int n = 0; n < bulk.length; n++) {
      bulk[n] =
          LogTestData.record(Duration.ofMinutes(30).minusMillis(n), SeverityNumber.SEVERITY_NUMBER_INFO, "INFO", "id=" + n);
    }
    return List.of(
        LogTestData.request(
            LogTestData.resourceLogs(
                TestData.resource("gateway", TestData.string("service.namespace", "edge")),
                line(9, SeverityNumber.SEVERITY_NUMBER_INFO, "method=GET path=/a status=200 latency=250ms size=1KB"),
                line(8, SeverityNumber.SEVERITY_NUMBER_INFO, "method=GET path=/b status=200 latency=500ms size=2KB"),
                line(7, SeverityNumber.SEVERITY_NUMBER_ERROR, "method=POST path=/a status=500 latency=1s size=1KiB"),
                line(4, SeverityNumber.SEVERITY_NUMBER_INFO, "method=GET path=/a status=200 latency=1750ms size=500B"),
                line(3, SeverityNumber.SEVERITY_NUMBER_WARN, "method=GET path=/a status=404 latency=abc size=1KB"),
                line(1, SeverityNumber.SEVERITY_NUMBER_INFO, "not logfmt msg=\"unterminated"))),
        LogTestData.request(LogTestData.resourceLogs(TestData.resource("bulk"), bulk)));
  }

  private static LogRecord.Builder line(int minutesAgo, SeverityNumber severity, String body) {
    return LogTestData.record(Duration.ofMinutes(minutesAgo), severity, severity.name().substring(16), body);
  }

  private static WebTarget range(String query, long startSecondsAgo, String step) {
    WebTarget t =
        loki.queryRange(query)
            .queryParam("start", String.valueOf((NOW_S - startSecondsAgo) * 1_000_000_000L))
            .queryParam("end", NOW_NS);
    return step == null ? t : t.queryParam("step", step);
  }

  private static WebTarget instant(String query) {
    return loki.query(query).queryParam("time", NOW_NS);
  }

  /** Series of a matrix answer as "labels -> [[seconds before NOW, value]]", checking the shape. */
  private static Map<String, List<String>> matrix(JsonNode body) {
    assertThat(body.get("status").asText()).isEqualTo("success");
    assertThat(body.get("data").get("resultType").asText()).isEqualTo("matrix");
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (JsonNode series : body.get("data").get("result")) {
      List<String> points = new ArrayList<>();
      for (JsonNode v : series.get("values")) {
        assertThat(v.size()).isEqualTo(2);
        assertThat(v.get(0).isNumber()).as("time is a JSON number").isTrue();
        assertThat(v.get(1).isTextual()).as("value is a string").isTrue();
        points.add((NOW_S - v.get(0).asLong()) + "s ago=" + v.get(1).asText());
      }
      out.put(series.get("metric").toString(), points);
    }
    return out;
  }

  /** A vector answer as "labels -> value", checking the shape and that every time is NOW. */
  private static Map<String, String> vector(JsonNode body) {
    assertThat(body.get("status").asText()).isEqualTo("success");
    assertThat(body.get("data").get("resultType").asText()).isEqualTo("vector");
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode sample : body.get("data").get("result")) {
      JsonNode value = sample.get("value");
      assertThat(value.get(0).isNumber()).isTrue();
      assertThat(value.get(0).asLong()).isEqualTo(NOW_S);
      assertThat(value.get(1).isTextual()).isTrue();
      out.put(sample.get("metric").toString(), value.get(1).asText());
    }
    return out;
  }

  @Test
  void grafanaLogsVolumeCountsPerLevelInSlidingWindows() {
    // steps at -10, -5, 0 min; a window is (t-5m, t]: -9,-8,-7 fall in t=-5, -4,-3,-1 in t=0
    String q = "sum by (level) (count_over_time({service_name=\"gateway\"} |= \"\" | drop __error__ [5m]))";
    assertThat(matrix(ok(range(q, 600, "300"))))
        .containsExactly(
            Map.entry("{\"level\":\"error\"}", List.of("300s ago=1")),
            Map.entry("{\"level\":\"info\"}", List.of("300s ago=2", "0s ago=2")),
            Map.entry("{\"level\":\"warn\"}", List.of("0s ago=1")));
    String detected = "sum by (detected_level) (count_over_time({service_name=\"gateway\"} | drop __error__[5m]))";
    assertThat(matrix(ok(range(detected, 600, "5m"))).keySet())
        .containsExactly("{\"detected_level\":\"error\"}", "{\"detected_level\":\"info\"}", "{\"detected_level\":\"warn\"}");
  }

  @Test
  void aRecordExactlyAtAStepCountsThereAndNotInTheNextWindow() {
    // payments: error at -30m and -10m, warn at -20m; steps every 10 minutes over the last hour
    String q = "sum by (level) (count_over_time({service_name=\"payments\"}[10m]))";
    assertThat(matrix(ok(range(q, 3600, "10m"))))
        .containsExactly(
            Map.entry("{\"level\":\"error\"}", List.of("1800s ago=1", "600s ago=1")),
            Map.entry("{\"level\":\"warn\"}", List.of("1200s ago=1")));
  }

  @Test
  void rateKeepsTheStreamLabelsAndStructuredMetadata() {
    // the window (-30m, 0] holds the -20m warn and the -10m error, not the -30m error: 1/1800 each
    Map<String, String> v = vector(ok(instant("rate({service_name=\"payments\"}[30m])")));
    assertThat(v).hasSize(2).containsValue("0.0005555555555555556");
    // as in Loki, a series without grouping carries the line's structured metadata too
    JsonNode first = ok(instant("rate({service_name=\"payments\"}[30m])")).get("data").get("result").get(0).get("metric");
    assertThat(first.get("service_name").asText()).isEqualTo("payments");
    assertThat(first.get("service_namespace").asText()).isEqualTo("shop");
    assertThat(first.get("deployment_environment").asText()).isEqualTo("prod");
    assertThat(first.get("level").asText()).isEqualTo("warn");
    assertThat(first.get("attempt").asText()).isEqualTo("2");
    assertThat(first.get("severity_text").asText()).isEqualTo("WARN");
  }

  @Test
  void vectorAggregationsWithGroupingBeforeOrAfter() {
    // namespace shop in the last hour: checkout -40m, -2m; payments -30m, -20m, -10m
    assertThat(vector(ok(instant("sum(count_over_time({service_namespace=\"shop\"}[1h]))"))))
        .containsExactly(Map.entry("{}", "5"));
    assertThat(vector(ok(instant("sum(count_over_time({service_namespace=\"shop\"}[1h])) by (service_name)"))))
        .containsExactly(Map.entry("{\"service_name\":\"checkout\"}", "2"), Map.entry("{\"service_name\":\"payments\"}", "3"));
    // each line's structured metadata would make it a series of its own; keep the stream labels
    String streamLabels = " | keep service_name, service_namespace, deployment_environment, level, detected_level";
    assertThat(vector(ok(instant("count without (level, detected_level) (count_over_time({service_namespace=\"shop\"}"
            + streamLabels + " [1h]))"))))
        .containsExactly(
            // sorted by labels as Prometheus compares them: deployment_environment < service_name
            Map.entry("{\"deployment_environment\":\"prod\",\"service_name\":\"payments\",\"service_namespace\":\"shop\"}", "2"),
            Map.entry("{\"service_name\":\"checkout\",\"service_namespace\":\"shop\"}", "2"));
    assertThat(vector(ok(instant("max by (service_name) (count_over_time({service_namespace=\"shop\"}" + streamLabels + " [1h]))"))))
        .containsExactly(Map.entry("{\"service_name\":\"checkout\"}", "1"), Map.entry("{\"service_name\":\"payments\"}", "2"));
    assertThat(vector(ok(instant("avg(count_over_time({service_namespace=\"shop\"}" + streamLabels + " [1h]))"))))
        .containsExactly(Map.entry("{}", "1.25"));
    String perPath = "sum by (path) (count_over_time({service_name=\"gateway\"} | logfmt --strict | __error__=\"\" [10m]))";
    assertThat(vector(ok(instant("topk(1, " + perPath + ")")))).containsExactly(Map.entry("{\"path\":\"/a\"}", "4"));
    assertThat(vector(ok(instant("bottomk(1, " + perPath + ")")))).containsExactly(Map.entry("{\"path\":\"/b\"}", "1"));
  }

  @Test
  void bytesCountTheLinesUtf8Bytes() {
    String r3 = "PaymentService failed: card declined for order ord-42";
    String r4 = "Retrying charge 550e8400-e29b-41d4-a716-446655440000 after card_declined";
    String r5 = "Timeout calling https://bank.example.com/v2/charge";
    long bytes = r3.length() + r4.length() + r5.length();
    assertThat(vector(ok(instant("sum(bytes_over_time({service_name=\"payments\"}[1h]))"))))
        .containsExactly(Map.entry("{}", String.valueOf(bytes)));
    assertThat(vector(ok(instant("sum(bytes_rate({service_name=\"payments\"}[1h])) * 3600"))))
        .containsExactly(Map.entry("{}", String.valueOf(bytes)));
  }

  @Test
  void unwrappedRangeAggregations() {
    String latency = "{service_name=\"gateway\"} | logfmt | unwrap duration(latency) | __error__=\"\" [10m]";
    // /a: 0.25, 1, 1.75 (the "abc" sample is a SampleExtractionErr, filtered); /b: 0.5
    assertThat(vector(ok(instant("quantile_over_time(0.5, " + latency + ") by (path)"))))
        .containsExactly(Map.entry("{\"path\":\"/a\"}", "1"), Map.entry("{\"path\":\"/b\"}", "0.5"));
    assertThat(vector(ok(instant("max_over_time(" + latency + ") by (path)"))))
        .containsExactly(Map.entry("{\"path\":\"/a\"}", "1.75"), Map.entry("{\"path\":\"/b\"}", "0.5"));
    assertThat(vector(ok(instant("min_over_time(" + latency + ") by (method)"))))
        .containsExactly(Map.entry("{\"method\":\"GET\"}", "0.25"), Map.entry("{\"method\":\"POST\"}", "1"));
    // without grouping the unwrapped label is gone and the other labels stay
    JsonNode metric = ok(instant("sum_over_time(" + latency + ")")).get("data").get("result").get(0).get("metric");
    assertThat(metric.has("latency")).isFalse();
    assertThat(metric.get("path").asText()).startsWith("/");
    // sizes: /a 1KB + 1KiB + 500B + 1KB = 3524, /b 2KB = 2000
    String size = "sum_over_time({service_name=\"gateway\"} | logfmt | unwrap bytes(size) | __error__=\"\" [10m])";
    assertThat(vector(ok(instant("sum by (path) (" + size + ")"))))
        .containsExactly(Map.entry("{\"path\":\"/a\"}", "3524"), Map.entry("{\"path\":\"/b\"}", "2000"));
  }

  @Test
  void binaryOperators() {
    String all = "sum(count_over_time({service_name=\"gateway\"} | drop __error__ [10m]))";
    assertThat(vector(ok(instant(all + " * 60")))).containsExactly(Map.entry("{}", "360"));
    assertThat(vector(ok(instant("sum(rate({service_name=\"gateway\"}[10m])) * 600 - 1")))).containsExactly(Map.entry("{}", "5"));
    assertThat(vector(ok(instant("2 ^ 3 ^ 2 * " + all)))).containsExactly(Map.entry("{}", "3072"));
    String perPath = "sum by (path) (count_over_time({service_name=\"gateway\"} | logfmt --strict | __error__=\"\" [10m]))";
    String errors = "sum by (path) (count_over_time({service_name=\"gateway\"} | logfmt | status >= 500 [10m]))";
    assertThat(vector(ok(instant(errors + " / " + perPath)))).containsExactly(Map.entry("{\"path\":\"/a\"}", "0.25"));
    assertThat(vector(ok(instant(perPath + " > 1")))).containsExactly(Map.entry("{\"path\":\"/a\"}", "4"));
    assertThat(vector(ok(instant(perPath + " > bool 1"))))
        .containsExactly(Map.entry("{\"path\":\"/a\"}", "1"), Map.entry("{\"path\":\"/b\"}", "0"));
    assertThat(vector(ok(instant(errors + " or on (path) " + perPath))))
        .containsExactly(Map.entry("{\"path\":\"/a\"}", "1"), Map.entry("{\"path\":\"/b\"}", "1"));
    assertThat(vector(ok(instant(perPath + " unless " + errors)))).containsExactly(Map.entry("{\"path\":\"/b\"}", "1"));
    JsonNode scalar = ok(instant("1 + 2 * 3"));
    assertThat(scalar.get("data").get("resultType").asText()).isEqualTo("scalar");
    assertThat(scalar.get("data").get("result").get(1).asText()).isEqualTo("7");
  }

  @Test
  void logQueriesFilterOnDurationsAndSizes() {
    // 1s/1KiB passes; the "abc" latency keeps its line with a LabelFilterErr; 1750ms/500B fails on size
    JsonNode body = ok(range("{service_name=\"gateway\"} | logfmt | latency > 500ms and size >= 1KB", 600, null));
    List<String> errors = new ArrayList<>();
    for (JsonNode stream : body.at("/data/result")) {
      errors.add(stream.at("/stream/__error__").asText() + " x" + stream.get("values").size());
    }
    assertThat(errors).containsExactlyInAnyOrder(" x1", "LabelFilterErr x1");
    JsonNode clean =
        ok(range("{service_name=\"gateway\"} | logfmt | latency > 500ms and size >= 1KB | __error__=\"\"", 600, null));
    assertThat(clean.at("/data/result/0/values/0/1").asText()).contains("latency=1s");
  }

  @Test
  void sortOrdersAnInstantVectorByValue() {
    // per path over the gateway lines: /a 4, /b 1; per method: GET 4, POST 1 (the -1 line has neither)
    String perPath = "sum by (path) (count_over_time({service_name=\"gateway\"} | logfmt | path!=\"\" [10m]))";
    String perStatus = "sum by (status) (count_over_time({service_name=\"gateway\"} | logfmt | status!=\"\" [10m]))";
    // status 200: 3, 500: 1, 404: 1; by labels the order would be 200, 404, 500
    assertThat(vector(ok(instant("sort(" + perStatus + ")"))).values()).containsExactly("1", "1", "3");
    assertThat(vector(ok(instant("sort_desc(" + perStatus + ")"))).values()).containsExactly("3", "1", "1");
    assertThat(vector(ok(instant("sort(" + perPath + ")"))).keySet())
        .containsExactly("{\"path\":\"/b\"}", "{\"path\":\"/a\"}");
    assertThat(vector(ok(instant("sort(" + perPath + ") * 2"))).values()).containsExactly("2", "8");
    // (count - 4) / (count - 4): /a is 0/0, NaN, which goes last either way
    String nan = "(" + perPath + " - 4) / (" + perPath + " - 4)";
    assertThat(vector(ok(instant("sort(" + nan + ")"))).values()).containsExactly("1", "NaN");
    assertThat(vector(ok(instant("sort_desc(" + nan + ")"))).values()).containsExactly("1", "NaN");
  }

  @Test
  void labelReplaceRewritesSeriesLabels() {
    String perPath = "sum by (path) (count_over_time({service_name=\"gateway\"} | logfmt | path!=\"\" [10m]))";
    assertThat(vector(ok(instant("label_replace(" + perPath + ", \"route\", \"r-$1\", \"path\", \"/(.*)\")"))))
        .containsExactly(
            Map.entry("{\"path\":\"/a\",\"route\":\"r-a\"}", "4"), Map.entry("{\"path\":\"/b\",\"route\":\"r-b\"}", "1"));
    // no match leaves the series as it was; an empty result removes the label; ${1}x and $$ as in Go
    assertThat(vector(ok(instant("label_replace(" + perPath + ", \"route\", \"x\", \"path\", \"/b\")"))).keySet())
        .containsExactly("{\"path\":\"/a\"}", "{\"path\":\"/b\",\"route\":\"x\"}");
    assertThat(vector(ok(instant("label_replace(" + perPath + ", \"path\", \"\", \"path\", \"/a\")"))).keySet())
        .containsExactly("{}", "{\"path\":\"/b\"}");
    assertThat(vector(ok(instant("label_replace(" + perPath + ", \"route\", \"${1}x$$\", \"path\", \"/(a)\")"))).keySet())
        .contains("{\"path\":\"/a\",\"route\":\"ax$\"}");
  }

  @Test
  void absentOverTime() {
    assertThat(vector(ok(instant("absent_over_time({service_name=\"nope\", level=~\"e.*\"}[5m])"))))
        .containsExactly(Map.entry("{\"service_name\":\"nope\"}", "1"));
    assertThat(vector(ok(instant("absent_over_time({service_name=\"gateway\"}[5m])")))).isEmpty();
    // gateway has lines only in the last 10 minutes: absent at -20m and -10m (window (-15m,-10m])
    assertThat(matrix(ok(range("absent_over_time({service_name=\"gateway\"}[5m])", 1200, "10m"))))
        .containsExactly(Map.entry("{\"service_name\":\"gateway\"}", List.of("1200s ago=1", "600s ago=1")));
  }

  @Test
  void defaultStepAndOffset() {
    // an hour over 250 points: a 14 s step, as Loki computes it
    JsonNode body = ok(range("sum(count_over_time({service_name=\"payments\"}[1h]))", 3600, null));
    JsonNode values = body.get("data").get("result").get(0).get("values");
    assertThat(values.get(1).get(0).asLong() - values.get(0).get(0).asLong()).isEqualTo(14);
    // offset 20m at NOW is the window (-80m, -20m]: -30m and -20m
    assertThat(vector(ok(instant("sum(count_over_time({service_name=\"payments\"}[1h] offset 20m))"))))
        .containsExactly(Map.entry("{}", "2"));
  }

  @Test
  void pipelineErrorsMustBeHandled() {
    // Loki 3's logfmt skips a malformed pair; only --strict records the LogfmtParserErr
    assertThat(vector(ok(instant("sum(count_over_time({service_name=\"gateway\"} | logfmt [10m]))"))))
        .containsExactly(Map.entry("{}", "6"));
    assertThat(bad(instant("sum(count_over_time({service_name=\"gateway\"} | logfmt --strict [10m]))")))
        .contains("pipeline error: 'LogfmtParserErr'");
    assertThat(vector(ok(instant("sum(count_over_time({service_name=\"gateway\"} | logfmt | drop __error__ [10m]))"))))
        .containsExactly(Map.entry("{}", "6"));
    assertThat(vector(ok(instant("sum(count_over_time({service_name=\"gateway\"} | logfmt --strict | __error__=\"\" [10m]))"))))
        .containsExactly(Map.entry("{}", "5"));
    assertThat(bad(instant("sum(sum_over_time({service_name=\"gateway\"} | logfmt | __error__=\"\" | unwrap duration(latency) [10m]))")))
        .contains("SampleExtractionErr");
  }

  @Test
  void limitsAndParseErrorsAre400WithAReason() {
    assertThat(bad(instant("count_over_time({service_name=\"bulk\"} | logfmt [1h])")))
        .contains("maximum of series (500)");
    assertThat(vector(ok(instant("count(count_over_time({service_name=\"bulk\"} | logfmt [1h]))"))))
        .containsExactly(Map.entry("{}", "501"));
    assertThat(bad(range("count_over_time({service_name=\"x\"}[1m])", 86_400, "1"))).contains("11,000 points");
    assertThat(bad(range("count_over_time({service_name=\"x\"}[1m])", 600, "0"))).contains("positive");
    assertThat(bad(instant("count_over_time({service_name=\"x\"})"))).contains("range");
    assertThat(bad(instant("count_over_time({service_name=\"x\"}[5m]) by (level)"))).contains("grouping not allowed");
    assertThat(bad(instant("sum_over_time({service_name=\"x\"}[5m])"))).contains("without unwrap");
    assertThat(bad(instant("count_over_time({service_name=\"x\"} | logfmt | unwrap n [5m])"))).contains("with unwrap");
    assertThat(bad(instant("rate({service_name=\"x\"}[5x])"))).contains("invalid duration");
    assertThat(bad(instant("label_replace(rate({service_name=\"x\"}[5m]), \"a\", \"$1\", \"b\", \"(.*\")")))
        .contains("invalid regex in label_replace");
    assertThat(bad(instant("label_replace(rate({service_name=\"x\"}[5m]), \"a\", \"$1\", \"b\")")))
        .contains("five arguments");
    assertThat(bad(instant("sum(rate({service_name=\"x\"}[5m])) / on (a) group_left rate({service_name=\"y\"}[5m])")))
        .contains("group_left");
    assertThat(bad(instant("sum(rate({service_name=\"x\"}[5m]) ) )"))).contains("col ");
    assertThat(bad(instant("{service_name=\"x\"} | unwrap n"))).contains("unwrap");
    assertThat(bad(instant("sum({service_name=\"x\"})"))).contains("range aggregation");
  }

  @Test
  void queriesNestedTooDeeplyAre400NotAStackOverflow() {
    String rate = "rate({service_name=\"x\"}[5m])";
    assertThat(bad(instant("(".repeat(5000) + rate + ")".repeat(5000))))
        .isEqualTo("parse error at line 1, col 201 near '((((((((((((((((((((': the query nests more than 200 levels deep");
    assertThat(bad(instant("sum(".repeat(3000) + rate + ")".repeat(3000))))
        .contains("nests more than 200 levels deep");
    assertThat(bad(instant("-".repeat(100_000) + rate))).contains("nests more than 200 levels deep");
    assertThat(vector(ok(instant("(".repeat(198) + "sum(count_over_time({service_name=\"bulk\"} | logfmt [1h]))"
            + ")".repeat(198)))))
        .containsExactly(Map.entry("{}", "501"));
  }
}
