/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class OtlpJsonTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TRACE_ID = "5b8efff798038103d269b633813fc60c";
  private static final String SPAN_ID = "eee19b7ec3c1b174";

  @Test
  void conformanceTraceParsesAndRoundTrips() throws IOException {
    byte[] json = conformanceFile("trace.json");

    ExportTraceServiceRequest request =
        OtlpJson.parse(json, ExportTraceServiceRequest.getDefaultInstance());

    ResourceSpans resourceSpans = request.getResourceSpans(0);
    assertThat(resourceSpans.getResource().getAttributes(0).getValue().getStringValue())
        .isEqualTo("my.service");
    ScopeSpans scopeSpans = resourceSpans.getScopeSpans(0);
    assertThat(scopeSpans.getScope().getName()).isEqualTo("my.library");
    Span span = scopeSpans.getSpans(0);
    assertThat(OtlpIds.toHex(span.getTraceId())).isEqualTo(TRACE_ID);
    assertThat(OtlpIds.toHex(span.getSpanId())).isEqualTo(SPAN_ID);
    assertThat(OtlpIds.toHex(span.getParentSpanId())).isEqualTo("eee19b7ec3c1b173");
    assertThat(span.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
    assertThat(span.getStartTimeUnixNano()).isEqualTo(1544712660000000000L);
    assertThat(span.getEndTimeUnixNano()).isEqualTo(1544712661000000000L);
    assertThat(span.getAttributes(0).getValue().getStringValue()).isEqualTo("some value");

    assertRoundTripsLosslessly(json, request);
    String printed = OtlpJson.print(request);
    assertThat(printed)
        .contains("\"traceId\":\"" + TRACE_ID + "\"")
        .contains("\"spanId\":\"" + SPAN_ID + "\"")
        .contains("\"parentSpanId\":\"eee19b7ec3c1b173\"")
        .contains("\"kind\":2")
        .contains("\"startTimeUnixNano\":\"1544712660000000000\"");
  }

  @Test
  void conformanceLogsParseAndRoundTrip() throws IOException {
    byte[] json = conformanceFile("logs.json");

    ExportLogsServiceRequest request =
        OtlpJson.parse(json, ExportLogsServiceRequest.getDefaultInstance());

    LogRecord log = request.getResourceLogs(0).getScopeLogs(0).getLogRecords(0);
    assertThat(OtlpIds.toHex(log.getTraceId())).isEqualTo(TRACE_ID);
    assertThat(OtlpIds.toHex(log.getSpanId())).isEqualTo(SPAN_ID);
    assertThat(log.getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_INFO2);
    assertThat(log.getBody().getStringValue()).isEqualTo("Example log record");
    Map<String, AnyValue> attributes = attributes(log.getAttributesList());
    assertThat(attributes.get("string.attribute").getStringValue()).isEqualTo("some string");
    assertThat(attributes.get("boolean.attribute").getBoolValue()).isTrue();
    assertThat(attributes.get("int.attribute").getIntValue()).isEqualTo(10L);
    assertThat(attributes.get("double.attribute").getDoubleValue()).isEqualTo(637.704);
    assertThat(attributes.get("array.attribute").getArrayValue().getValuesList())
        .extracting(AnyValue::getStringValue)
        .containsExactly("many", "values");
    assertThat(attributes.get("map.attribute").getKvlistValue().getValues(0).getKey())
        .isEqualTo("some.map.key");

    assertRoundTripsLosslessly(json, request);
  }

  @Test
  void conformanceMetricsParseAndRoundTrip() throws IOException {
    byte[] json = conformanceFile("metrics.json");

    ExportMetricsServiceRequest request =
        OtlpJson.parse(json, ExportMetricsServiceRequest.getDefaultInstance());

    var metrics = request.getResourceMetrics(0).getScopeMetrics(0).getMetricsList();
    assertThat(metrics)
        .extracting(Metric::getName)
        .containsExactly("my.counter", "my.gauge", "my.histogram", "my.exponential.histogram");
    Sum sum = metrics.get(0).getSum();
    assertThat(sum.getAggregationTemporality())
        .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA);
    assertThat(sum.getIsMonotonic()).isTrue();
    assertThat(sum.getDataPoints(0).getAsDouble()).isEqualTo(5.0);
    var histogram = metrics.get(2).getHistogram().getDataPoints(0);
    assertThat(histogram.getCount()).isEqualTo(2L);
    assertThat(histogram.getBucketCountsList()).containsExactly(1L, 1L);
    assertThat(histogram.hasMin()).isTrue();
    var exponential = metrics.get(3).getExponentialHistogram().getDataPoints(0);
    assertThat(exponential.getZeroCount()).isEqualTo(1L);
    assertThat(exponential.getPositive().getBucketCountsList()).containsExactly(0L, 2L);

    assertRoundTripsLosslessly(json, request);
  }

  @Test
  void conformanceEventsAreLogRecordsWithAnEventName() throws IOException {
    byte[] json = conformanceFile("events.json");
    assertThat(JSON.readTree(json).has("resourceLogs")).isTrue();

    ExportLogsServiceRequest request =
        OtlpJson.parse(json, ExportLogsServiceRequest.getDefaultInstance());

    LogRecord event = request.getResourceLogs(0).getScopeLogs(0).getLogRecords(0);
    assertThat(event.getEventName()).isEqualTo("browser.page_view");
    assertThat(event.getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_INFO);
    Map<String, AnyValue> body = attributes(event.getBody().getKvlistValue().getValuesList());
    assertThat(body.get("type").getValueCase()).isEqualTo(AnyValue.ValueCase.INT_VALUE);
    assertThat(body.get("type").getIntValue()).isZero();
    assertThat(body.get("title").getStringValue()).isEqualTo("Free Online GUID Generator");

    assertRoundTripsLosslessly(json, request);
  }

  @Test
  void acceptsSnakeCaseKeysEnumNamesAndNumericInt64() {
    String json =
        """
        {"resource_spans":[{"scope_spans":[{"spans":[{
          "trace_id":"5B8EFFF798038103D269B633813FC60C",
          "span_id":"eee19b7ec3c1b174",
          "parent_span_id":"",
          "name":"snake",
          "kind":"SPAN_KIND_CLIENT",
          "start_time_unix_nano":1544712660000000000,
          "end_time_unix_nano":"1544712661000000000",
          "status":{"code":"STATUS_CODE_ERROR","message":"boom"},
          "links":[{"trace_id":"0102030405060708090a0b0c0d0e0f10","span_id":"0102030405060708"}],
          "some_future_field":{"nested":[1,2,3]}
        }]}]}]}
        """;

    ExportTraceServiceRequest request =
        OtlpJson.parse(json, ExportTraceServiceRequest.getDefaultInstance());

    Span span = request.getResourceSpans(0).getScopeSpans(0).getSpans(0);
    assertThat(OtlpIds.toHex(span.getTraceId())).isEqualTo(TRACE_ID);
    assertThat(span.getParentSpanId()).isEqualTo(ByteString.EMPTY);
    assertThat(span.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
    assertThat(span.getStartTimeUnixNano()).isEqualTo(1544712660000000000L);
    assertThat(span.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(OtlpIds.toHex(span.getLinks(0).getTraceId()))
        .isEqualTo("0102030405060708090a0b0c0d0e0f10");
    assertThat(OtlpIds.toHex(span.getLinks(0).getSpanId())).isEqualTo("0102030405060708");

    String printed = OtlpJson.print(request);
    assertThat(printed)
        .contains("\"resourceSpans\"", "\"kind\":3", "\"code\":2")
        .doesNotContain("resource_spans", "SPAN_KIND_CLIENT", "parentSpanId");
  }

  @Test
  void everyAnyValueKindAndExemplarIdsRoundTrip() {
    AnyValue nested =
        AnyValue.newBuilder()
            .setKvlistValue(
                KeyValueList.newBuilder()
                    .addValues(kv("s", AnyValue.newBuilder().setStringValue("text").build()))
                    .addValues(kv("b", AnyValue.newBuilder().setBoolValue(true).build()))
                    .addValues(kv("i", AnyValue.newBuilder().setIntValue(Long.MIN_VALUE).build()))
                    .addValues(kv("d", AnyValue.newBuilder().setDoubleValue(0.1).build()))
                    .addValues(
                        kv(
                            "bytes",
                            AnyValue.newBuilder()
                                .setBytesValue(ByteString.copyFrom(new byte[] {0, -1, 42}))
                                .build()))
                    .addValues(kv("empty", AnyValue.getDefaultInstance()))
                    .addValues(
                        kv(
                            "array",
                            AnyValue.newBuilder()
                                .setArrayValue(
                                    ArrayValue.newBuilder()
                                        .addValues(AnyValue.newBuilder().setIntValue(0))
                                        .addValues(AnyValue.newBuilder().setStringValue("")))
                                .build())))
            .build();
    Exemplar exemplar =
        Exemplar.newBuilder()
            .setTraceId(OtlpIds.traceIdByteString(TRACE_ID))
            .setSpanId(OtlpIds.spanIdByteString(SPAN_ID))
            .setAsInt(7)
            .setTimeUnixNano(Long.MAX_VALUE)
            .build();
    ExportMetricsServiceRequest request =
        ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(
                io.opentelemetry.proto.metrics.v1.ResourceMetrics.newBuilder()
                    .addScopeMetrics(
                        io.opentelemetry.proto.metrics.v1.ScopeMetrics.newBuilder()
                            .addMetrics(
                                Metric.newBuilder()
                                    .setName("m")
                                    .setSum(
                                        Sum.newBuilder()
                                            .addDataPoints(
                                                NumberDataPoint.newBuilder()
                                                    .setAsInt(1)
                                                    .addAttributes(kv("nested", nested))
                                                    .addExemplars(exemplar))))))
            .build();

    String printed = OtlpJson.print(request);

    assertThat(printed)
        .contains("\"traceId\":\"" + TRACE_ID + "\"")
        .contains("\"spanId\":\"" + SPAN_ID + "\"")
        .contains("\"bytesValue\":\"AP8q\"")
        .contains("\"intValue\":\"-9223372036854775808\"")
        .contains("\"timeUnixNano\":\"9223372036854775807\"");
    assertThat(OtlpJson.parse(printed, ExportMetricsServiceRequest.getDefaultInstance()))
        .isEqualTo(request);
    assertThat(
            OtlpJson.parse(
                OtlpJson.printBytes(request), ExportMetricsServiceRequest.getDefaultInstance()))
        .isEqualTo(request);
  }

  @Test
  void badTraceIdNamesThePath() {
    String json = traceWithIds("5b8efff798038103d269b633813fc60", SPAN_ID);

    assertThatThrownBy(() -> OtlpJson.parse(json, ExportTraceServiceRequest.getDefaultInstance()))
        .isInstanceOf(OtlpJsonException.class)
        .hasMessage(
            "resourceSpans[0].scopeSpans[0].spans[1].traceId: expected 32 hex characters, got 31");
  }

  @Test
  void nonHexSpanIdNamesThePathAndCharacter() {
    String json = traceWithIds(TRACE_ID, "eee19b7ec3c1b17x");

    assertThatThrownBy(() -> OtlpJson.parse(json, ExportTraceServiceRequest.getDefaultInstance()))
        .isInstanceOf(OtlpJsonException.class)
        .hasMessage(
            "resourceSpans[0].scopeSpans[0].spans[1].spanId: invalid hex character 'x' at index"
                + " 15");
  }

  @Test
  void base64IdIsRejected() {
    // Protobuf's own JSON mapping writes bytes as base64; OTLP/JSON does not.
    String base64TraceId = "W47/95gDgQPSabYzgT/GDA==";
    String json = traceWithIds(base64TraceId, SPAN_ID);

    assertThatThrownBy(() -> OtlpJson.parse(json, ExportTraceServiceRequest.getDefaultInstance()))
        .isInstanceOf(OtlpJsonException.class)
        .hasMessageContaining("traceId: expected 32 hex characters, got 24");
  }

  @Test
  void nonStringIdIsRejected() {
    String json = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"span_id\":12}]}]}]}";

    assertThatThrownBy(() -> OtlpJson.parse(json, ExportLogsServiceRequest.getDefaultInstance()))
        .isInstanceOf(OtlpJsonException.class)
        .hasMessage(
            "resourceLogs[0].scopeLogs[0].logRecords[0].span_id: "
                + "expected a string of 16 hex characters, got a number");
  }

  @Test
  void garbageIsRejectedWithAReason() {
    for (String garbage :
        new String[] {"", "not json", "{\"resourceSpans\":[", "[]", "{} trailing", "null"}) {
      assertThatThrownBy(
              () -> OtlpJson.parse(garbage, ExportTraceServiceRequest.getDefaultInstance()),
              garbage)
          .isInstanceOf(OtlpJsonException.class)
          .hasMessageNotContaining("null pointer");
    }
    assertThatThrownBy(
            () ->
                OtlpJson.parse(
                    new ByteArrayInputStream(
                        "{\"resourceSpans\":{".getBytes(StandardCharsets.UTF_8)),
                    ExportTraceServiceRequest.getDefaultInstance()))
        .isInstanceOf(OtlpJsonException.class)
        .hasMessageStartingWith("malformed JSON");
  }

  @Test
  void unknownEnumNamesAreIgnoredLikeUnknownFields() {
    // The Protobuf JSON mapping treats an unknown enum name like an unknown field when parsing
    // leniently, so a newer sender's enum value does not fail the whole request.
    ExportTraceServiceRequest request =
        OtlpJson.parse(
            "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"kind\":\"NOT_A_KIND\"},"
                + "{\"kind\":9}]}]}]}",
            ExportTraceServiceRequest.getDefaultInstance());

    var spans = request.getResourceSpans(0).getScopeSpans(0).getSpansList();
    assertThat(spans.get(0).getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_UNSPECIFIED);
    assertThat(spans.get(1).getKindValue()).isEqualTo(9);
  }

  @Test
  void wrongValueTypesAreRejected() {
    assertThatThrownBy(
            () ->
                OtlpJson.parse(
                    "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
                        + "{\"startTimeUnixNano\":\"soon\"}]}]}]}",
                    ExportTraceServiceRequest.getDefaultInstance()))
        .isInstanceOf(OtlpJsonException.class)
        .hasMessageContaining("soon");
  }

  @Test
  void tooDeeplyNestedValuesAreRejectedNotOverflowed() {
    StringBuilder json = new StringBuilder("{\"resourceSpans\":[{\"resource\":{\"attributes\":[");
    int depth = 5_000;
    json.append("{\"key\":\"k\",\"value\":");
    json.append("{\"arrayValue\":{\"values\":[".repeat(depth));
    json.append("]}}".repeat(depth));
    json.append("}]}}]}");

    assertThatThrownBy(
            () -> OtlpJson.parse(json.toString(), ExportTraceServiceRequest.getDefaultInstance()))
        .isInstanceOf(OtlpJsonException.class);
  }

  @Test
  void printsTracesDataTreeForEmbedding() {
    TracesData data =
        TracesData.newBuilder()
            .addResourceSpans(
                ResourceSpans.newBuilder()
                    .addScopeSpans(
                        ScopeSpans.newBuilder()
                            .addSpans(
                                Span.newBuilder()
                                    .setTraceId(OtlpIds.traceIdByteString(TRACE_ID))
                                    .setSpanId(OtlpIds.spanIdByteString(SPAN_ID))
                                    .setName("x"))))
            .build();

    JsonNode tree = OtlpJson.printTree(data);

    assertThat(tree.at("/resourceSpans/0/scopeSpans/0/spans/0/traceId").asText())
        .isEqualTo(TRACE_ID);
  }

  private static String traceWithIds(String traceId, String spanId) {
    return """
    {"resourceSpans":[{"scopeSpans":[{"spans":[
      {"traceId":"%s","spanId":"%s","name":"ok"},
      {"traceId":"%s","spanId":"%s","name":"bad"}]}]}]}
    """
        .formatted(TRACE_ID, SPAN_ID, traceId, spanId);
  }

  /**
   * print then parse gives back the same message, and no key of the original file was dropped (the
   * parser ignores unknown keys, so a misspelled one would otherwise vanish unnoticed).
   */
  private static void assertRoundTripsLosslessly(byte[] original, Message parsed)
      throws IOException {
    String printed = OtlpJson.print(parsed);
    assertThat(OtlpJson.parse(printed, parsed.getDefaultInstanceForType())).isEqualTo(parsed);
    assertThat(OtlpJson.print(OtlpJson.parse(printed, parsed.getDefaultInstanceForType())))
        .isEqualTo(printed);
    Set<String> originalKeys = new TreeSet<>();
    keyPaths(JSON.readTree(original), "", originalKeys);
    Set<String> printedKeys = new TreeSet<>();
    keyPaths(JSON.readTree(printed), "", printedKeys);
    assertThat(printedKeys).containsAll(originalKeys);
  }

  /** Paths of keys whose value is not a proto3 default (defaults are not printed). */
  private static void keyPaths(JsonNode node, String path, Set<String> out) {
    if (node.isArray()) {
      for (JsonNode element : node) {
        keyPaths(element, path + "[]", out);
      }
    } else if (node.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        JsonNode value = field.getValue();
        boolean isDefault =
            (value.isNumber() && value.asDouble() == 0)
                || (value.isBoolean() && !value.asBoolean())
                || (value.isTextual() && value.asText().isEmpty());
        if (!isDefault) {
          out.add(path + "." + field.getKey());
        }
        keyPaths(value, path + "." + field.getKey(), out);
      }
    }
  }

  private static Map<String, AnyValue> attributes(Iterable<KeyValue> keyValues) {
    Map<String, AnyValue> map = new java.util.LinkedHashMap<>();
    keyValues.forEach(kv -> map.put(kv.getKey(), kv.getValue()));
    return map;
  }

  private static KeyValue kv(String key, AnyValue value) {
    return KeyValue.newBuilder().setKey(key).setValue(value).build();
  }

  private static byte[] conformanceFile(String name) throws IOException {
    Path dir = conformanceDir().resolve("otlp-json");
    Path file = dir.resolve(name);
    assumeTrue(
        Files.isRegularFile(file),
        "conformance data not found at "
            + file.toAbsolutePath()
            + "; set -Dfaultline.conformance.dir=/path/to/shared/conformance to run this test");
    return Files.readAllBytes(file);
  }

  private static Path conformanceDir() {
    String configured = System.getProperty("faultline.conformance.dir");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    // Surefire runs in the module directory; shared/ sits beside the repository's checkout.
    Path fromModule = Path.of("..", "..", "shared", "conformance");
    if (Files.isDirectory(fromModule)) {
      return fromModule;
    }
    return Path.of("..", "shared", "conformance");
  }
}
