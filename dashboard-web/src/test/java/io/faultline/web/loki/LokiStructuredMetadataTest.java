/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import static io.faultline.web.loki.LokiFixture.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.faultline.core.otlp.OtlpIds;
import io.faultline.store.LogTestData;
import io.faultline.store.TestData;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import jakarta.ws.rs.client.Entity;
import jakarta.ws.rs.client.Invocation;
import jakarta.ws.rs.core.Form;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Structured metadata as Loki 3 derives it from OTLP logs, in LogQL and in answers, over {@code
 * LogTestData.canned()} plus a "worker" service (resource {@code k8s.pod.name=worker-0}) whose
 * lines, minutes before NOW, are:
 *
 * <ul>
 *   <li>-9 no severity, attribute {@code level=WARNING}: {@code job done};
 *   <li>-8 no severity: {@code {"msg":"retry","log":{"lvl":"dbg"}}};
 *   <li>-7 no severity: {@code ts=1 Severity=err msg="boom"};
 *   <li>-6 no severity: {@code connection reset [WARN] retrying};
 *   <li>-5 no severity: {@code {"a":{"b":{"level":"error"}}}} (deeper than Loki looks);
 *   <li>-4 severity text {@code verbose}, no number: {@code tick};
 *   <li>-3 no severity, flags 1, 2 dropped attributes, attributes {@code 2xx.count=3}, {@code
 *       _private=x}, {@code ratio=1e-7}: {@code INFO: started worker};
 *   <li>-2 a line as the Logstash input stores it: INFO 9, MDC trace and span ids as the record's
 *       trace context, fields {@code logger_name}, {@code thread_name}, {@code level_value=20000} as
 *       attributes: {@code order 42 shipped}.
 * </ul>
 *
 * <p>and, 12 minutes before NOW, {@code LogTestData.invalidTraceContext}'s three "legacy" lines.
 */
class LokiStructuredMetadataTest {
  private static final String START = LokiFixture.HOUR_AGO_NS;
  private static final String END = LokiFixture.NOW_NS;
  private static final String CHECKOUT_TRACE = OtlpIds.toHex(TestData.CHECKOUT_TRACE_ID);
  private static final byte[] WORKER_TRACE_ID = TestData.traceId(7);
  private static final String CATEGORIZE = "categorize-labels";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @RegisterExtension
  static final LokiFixture loki = new LokiFixture().withLogs(LokiStructuredMetadataTest::workerAndLegacy);

  static List<ExportLogsServiceRequest> workerAndLegacy() {
    return List.of(
        LogTestData.request(
            LogTestData.resourceLogs(
                TestData.resource("worker", TestData.string("k8s.pod.name", "worker-0")),
                noSeverity(9, "job done").addAttributes(TestData.string("level", "WARNING")),
                noSeverity(8, "{\"msg\":\"retry\",\"log\":{\"lvl\":\"dbg\"}}"),
                noSeverity(7, "ts=1 Severity=err msg=\"boom\""),
                noSeverity(6, "connection reset [WARN] retrying"),
                noSeverity(5, "{\"a\":{\"b\":{\"level\":\"error\"}}}"),
                LogTestData.record(Duration.ofMinutes(4), SeverityNumber.SEVERITY_NUMBER_UNSPECIFIED, "verbose", "tick"),
                noSeverity(3, "INFO: started worker")
                    .setFlags(1)
                    .setDroppedAttributesCount(2)
                    .addAttributes(TestData.integer("2xx.count", 3))
                    .addAttributes(TestData.string("_private", "x"))
                    .addAttributes(TestData.dbl("ratio", 1e-7)),
                LogTestData.record(Duration.ofMinutes(2), SeverityNumber.SEVERITY_NUMBER_INFO, "INFO", "order 42 shipped")
                    .setTraceId(ByteString.copyFrom(WORKER_TRACE_ID))
                    .setSpanId(TestData.spanId(7, 1))
                    .addAttributes(TestData.string("logger_name", "com.example.Worker"))
                    .addAttributes(TestData.string("thread_name", "main"))
                    .addAttributes(TestData.integer("level_value", 20000)))),
        LogTestData.invalidTraceContext(Duration.ofMinutes(12)));
  }

  private static LogRecord.Builder noSeverity(int minutesAgo, String body) {
    return LogTestData.record(Duration.ofMinutes(minutesAgo), SeverityNumber.SEVERITY_NUMBER_UNSPECIFIED, "", body);
  }

  private static Invocation.Builder range(String query, String flags) {
    Invocation.Builder b = loki.lastHour(query, "1000").request();
    return flags == null ? b : b.header("X-Loki-Response-Encoding-Flags", flags);
  }

  private static JsonNode streams(String query) {
    return ok(range(query, null)).get("data").get("result");
  }

  private static List<String> lines(String query) {
    return LokiFixture.lines(ok(range(query, null)));
  }

  /** The single stream of an answer, as a map. */
  private static Map<String, String> onlyStream(String query) {
    JsonNode result = streams(query);
    assertThat(result).hasSize(1);
    return map(result.get(0).get("stream"));
  }

  private static Map<String, String> map(JsonNode o) {
    Map<String, String> m = new TreeMap<>();
    o.fields().forEachRemaining(f -> m.put(f.getKey(), f.getValue().asText()));
    return m;
  }

  private static Map<String, String> vector(String query) {
    JsonNode body =
        ok(loki.query(query).queryParam("time", END).request());
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode s : body.get("data").get("result")) {
      out.put(map(s.get("metric")).toString(), s.get("value").get(1).asText());
    }
    return out;
  }

  @Test
  void labelFiltersSeeStructuredMetadata() {
    assertThat(lines("{service_name=\"payments\"} | trace_id=\"" + CHECKOUT_TRACE + "\""))
        .containsExactly("PaymentService failed: card declined for order ord-42");
    assertThat(CHECKOUT_TRACE).matches("[0-9a-f]{32}");
    assertThat(lines("{service_namespace=\"shop\"} | severity_number >= 17"))
        .containsExactlyInAnyOrder(
            "OutOfMemoryError in worker pool",
            "Timeout calling https://bank.example.com/v2/charge",
            "PaymentService failed: card declined for order ord-42");
    assertThat(lines("{service_name=\"payments\"} | order_id=\"ord-42\"")).hasSize(1);
    assertThat(lines("{service_name=\"payments\"} | payment_amount > 50")).hasSize(1);
    assertThat(lines("{service_name=\"checkout\"} | user_tier=\"gold\"")).containsExactly("OutOfMemoryError in worker pool");
    assertThat(lines("{service_name=\"worker\"} | k8s_pod_name=\"worker-0\"")).hasSize(8);
    // a stream selector matches index labels only, as in Loki
    assertThat(lines("{trace_id=\"" + CHECKOUT_TRACE + "\"}")).isEmpty();
  }

  @Test
  void structuredMetadataIsPartOfEachStreamWithoutCategorizeLabels() {
    Map<String, String> error = onlyStream("{service_name=\"payments\"} | trace_id!=\"\"");
    assertThat(error)
        .containsEntry("service_name", "payments")
        .containsEntry("level", "error")
        .containsEntry("detected_level", "error")
        .containsEntry("trace_id", CHECKOUT_TRACE)
        .containsEntry("span_id", OtlpIds.toHex(TestData.spanId(1, 5)))
        .containsEntry("severity_text", "ERROR")
        .containsEntry("severity_number", "17")
        .containsEntry("observed_timestamp", String.valueOf(LogTestData.nanos(TestData.NOW.minusSeconds(1800)) + 1000))
        .containsEntry("order_id", "ord-42")
        .containsEntry("payment_amount", "100")
        .containsEntry("retry", "false")
        .containsEntry("exception_type", "CardDeclinedException")
        .containsEntry("scope_name", "com.example.logging")
        .containsEntry("scope_version", "1.0");
    // the resource attributes behind stream labels are not metadata
    assertThat(error).doesNotContainKeys("service_namespace_extracted", "deployment_environment_name");
    assertThat(onlyStream("{service_name=\"checkout\"} |= \"OutOfMemory\""))
        .containsEntry("user_tier", "gold")
        .containsEntry("tags", "[\"a\",\"b\"]")
        .containsEntry("severity_number", "21")
        .doesNotContainKey("severity_text");
    assertThat(onlyStream("{service_name=\"worker\"} |= \"started\""))
        .containsEntry("key_2xx_count", "3")
        .containsEntry("key_private", "x")
        .containsEntry("ratio", "1e-7")
        .containsEntry("flags", "1")
        .containsEntry("dropped_attributes_count", "2")
        .containsEntry("k8s_pod_name", "worker-0");
    // only an observed time: no observed_timestamp, as Loki already used it as the line's time
    assertThat(onlyStream("{service_name=\"frontend\"} |= \"page_view\"")).doesNotContainKey("observed_timestamp");
    // lines of one stream part when their metadata differ, and join again when it is dropped
    assertThat(streams("{service_name=\"frontend\"} |= \"GET\"")).hasSize(2);
    assertThat(streams("{service_name=\"frontend\"} |= \"GET\" | drop observed_timestamp, http_route")).hasSize(1);
  }

  @Test
  void metadataNamedLikeAStreamLabelIsSuffixedExtracted() {
    assertThat(onlyStream("{service_name=\"worker\"} | level_extracted=\"WARNING\""))
        .containsEntry("level", "unknown")
        .containsEntry("level_extracted", "WARNING");
  }

  @Test
  void logstashLinesCarryTheirMdcTraceContextAndFields() {
    assertThat(onlyStream("{service_name=\"worker\"} | logger_name=\"com.example.Worker\""))
        .containsEntry("trace_id", OtlpIds.toHex(WORKER_TRACE_ID))
        .containsEntry("span_id", OtlpIds.toHex(TestData.spanId(7, 1)))
        .containsEntry("thread_name", "main")
        .containsEntry("level_value", "20000")
        .containsEntry("severity_text", "INFO");
  }

  @Test
  void invalidTraceAndSpanIdsAreNotMetadata() {
    assertThat(lines("{service_name=\"legacy\"} | trace_id!=\"\""))
        .containsExactly("trace without span");
    assertThat(lines("{service_name=\"legacy\"} | span_id!=\"\"")).isEmpty();
    Map<String, String> zero = onlyStream("{service_name=\"legacy\"} |= \"zero ids\"");
    assertThat(zero).containsEntry("severity_text", "INFO").doesNotContainKeys("trace_id", "span_id");
    assertThat(onlyStream("{service_name=\"legacy\"} |= \"odd ids\"")).doesNotContainKeys("trace_id", "span_id");
  }

  @Test
  void templatesAndMetricQueriesSeeStructuredMetadata() {
    assertThat(lines("{service_name=\"payments\"} | trace_id!=\"\" | line_format \"{{.trace_id}} {{.severity_text}}\""))
        .containsExactly(CHECKOUT_TRACE + " ERROR");
    assertThat(onlyStream("{service_name=\"payments\"} | trace_id!=\"\" | label_format trace=trace_id | keep trace"))
        .containsExactly(Map.entry("trace", CHECKOUT_TRACE));
    assertThat(vector("sum by (trace_id) (count_over_time({service_name=\"payments\"} | trace_id!=\"\" [1h]))"))
        .containsExactly(Map.entry("{trace_id=" + CHECKOUT_TRACE + "}", "1"));
    assertThat(vector("sum by (severity_text) (count_over_time({service_name=\"payments\"}[1h]))"))
        .containsOnly(Map.entry("{severity_text=ERROR}", "1"), Map.entry("{severity_text=WARN}", "1"), Map.entry("{severity_text=error}", "1"));
  }

  @Test
  void categorizeLabelsKeepsStreamsToIndexLabelsAndSplitsEachLinesLabels() {
    JsonNode data =
        ok(range("{service_name=\"payments\"} |= \"card declined\" | regexp \"order (?P<order>\\\\S+)\"", CATEGORIZE)).get("data");
    assertThat(data.get("encodingFlags")).extracting(JsonNode::asText).containsExactly(CATEGORIZE);
    JsonNode stream = data.get("result").get(0);
    assertThat(map(stream.get("stream")))
        .containsOnlyKeys("deployment_environment", "level", "service_name", "service_namespace");
    JsonNode value = stream.get("values").get(0);
    assertThat(value).hasSize(3);
    assertThat(value.get(1).asText()).isEqualTo("PaymentService failed: card declined for order ord-42");
    assertThat(map(value.get(2).get("structuredMetadata")))
        .containsEntry("trace_id", CHECKOUT_TRACE)
        .containsEntry("order_id", "ord-42")
        .containsEntry("detected_level", "error")
        .doesNotContainKeys("level", "service_name");
    assertThat(map(value.get(2).get("parsed"))).containsExactly(Map.entry("order", "ord-42"));
    // metadata no longer splits streams: payments' error lines share one
    assertThat(ok(range("{service_name=\"payments\"}", "other, " + CATEGORIZE)).get("data").get("result")).hasSize(2);
    // nothing but stream labels left: an empty object
    JsonNode kept = ok(range("{service_name=\"payments\"} |= \"Timeout\" | keep service_name", CATEGORIZE)).get("data").get("result");
    assertThat(map(kept.get(0).get("stream"))).containsExactly(Map.entry("service_name", "payments"));
    assertThat(kept.get(0).get("values").get(0).get(2).isObject()).isTrue();
    assertThat(kept.get(0).get("values").get(0).get(2)).isEmpty();
    // without the header: no flags, two-element values
    assertThat(ok(range("{service_name=\"payments\"}", null)).get("data").has("encodingFlags")).isFalse();
  }

  @Test
  void categorizedParsedLabelsWinOverMetadataAndStreamLabels() {
    JsonNode value =
        ok(range("{service_name=\"payments\"} | trace_id!=\"\" | label_format trace_id=\"x\", level=\"L\"", CATEGORIZE))
            .get("data").get("result").get(0);
    assertThat(map(value.get("stream"))).doesNotContainKey("level");
    JsonNode categories = value.get("values").get(0).get(2);
    assertThat(map(categories.get("parsed"))).containsOnly(Map.entry("trace_id", "x"), Map.entry("level", "L"));
    assertThat(map(categories.get("structuredMetadata"))).doesNotContainKey("trace_id");
    // errors are parsed labels
    JsonNode error =
        ok(range("{service_name=\"payments\"} |= \"Timeout\" | json", CATEGORIZE)).get("data").get("result").get(0);
    assertThat(map(error.get("values").get(0).get(2).get("parsed"))).containsKeys("__error__", "__error_details__");
  }

  @Test
  void categorizeLabelsOverPostAndNotOnMetricAnswers() throws IOException {
    Form form = new Form().param("query", "{service_name=\"payments\"}").param("start", START).param("end", END);
    try (Response r =
        loki.target(LokiFixture.QUERY_RANGE).request().header("X-Loki-Response-Encoding-Flags", CATEGORIZE)
            .post(Entity.form(form))) {
      JsonNode data = MAPPER.readTree(r.readEntity(String.class)).get("data");
      assertThat(data.get("encodingFlags")).extracting(JsonNode::asText).containsExactly(CATEGORIZE);
      assertThat(data.get("result").get(0).get("values").get(0)).hasSize(3);
    }
    JsonNode matrix = ok(range("count_over_time({service_name=\"payments\"} | keep level [1h])", CATEGORIZE)).get("data");
    assertThat(matrix.get("resultType").asText()).isEqualTo("matrix");
    assertThat(matrix.has("encodingFlags")).isFalse();
  }

  @Test
  void detectedLevelWithoutSeverityAsLokisDistributorDetectsIt() {
    Map<String, String> byLine = new TreeMap<>();
    for (JsonNode stream : ok(range("{service_name=\"worker\"}", CATEGORIZE)).get("data").get("result")) {
      for (JsonNode v : stream.get("values")) {
        byLine.put(v.get(1).asText(), v.get(2).get("structuredMetadata").get("detected_level").asText());
      }
    }
    assertThat(byLine)
        .containsOnly(
            Map.entry("job done", "warn"), // a level attribute, normalised
            Map.entry("{\"msg\":\"retry\",\"log\":{\"lvl\":\"dbg\"}}", "debug"), // JSON, one level down
            Map.entry("ts=1 Severity=err msg=\"boom\"", "error"), // logfmt, key case ignored
            Map.entry("connection reset [WARN] retrying", "warn"), // text heuristics
            Map.entry("{\"a\":{\"b\":{\"level\":\"error\"}}}", "unknown"), // deeper than Loki looks
            Map.entry("tick", "verbose"), // an unknown severity text is kept
            Map.entry("INFO: started worker", "info"),
            Map.entry("order 42 shipped", "info")); // a severity keeps its level
    assertThat(lines("{service_name=\"worker\"} | detected_level=\"warn\"")).hasSize(2);
    assertThat(vector("sum by (detected_level) (count_over_time({service_name=\"worker\"}[1h]))"))
        .containsEntry("{detected_level=warn}", "2")
        .containsEntry("{detected_level=info}", "2")
        .containsEntry("{detected_level=unknown}", "1");
    // the stream label stays what the severity says
    assertThat(onlyStream("{service_name=\"worker\"} |= \"[WARN]\"")).containsEntry("level", "unknown");
  }
}
