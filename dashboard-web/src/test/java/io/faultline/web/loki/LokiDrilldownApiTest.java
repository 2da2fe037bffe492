/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import static io.faultline.web.loki.LokiFixture.error;
import static io.faultline.web.loki.LokiFixture.ns;
import static io.faultline.web.loki.LokiFixture.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.faultline.store.LogTestData;
import io.faultline.store.TestData;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import jakarta.ws.rs.client.Entity;
import jakarta.ws.rs.client.WebTarget;
import jakarta.ws.rs.core.Form;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Loki endpoints Grafana's Logs Drilldown calls: {@code index/volume}, {@code
 * index/volume_range}, {@code detected_labels}, {@code detected_fields} and {@code
 * detected_field/{name}/values}, in the shapes Loki 3 answers.
 *
 * <p>Data: {@code LogTestData.canned()}, whose payments lines are (bytes counted by hand) NOW-30m
 * error "PaymentService failed: card declined for order ord-42" (53), NOW-20m warn "Retrying charge
 * 550e8400-e29b-41d4-a716-446655440000 after card_declined" (72), NOW-10m error "Timeout calling
 * https://bank.example.com/v2/charge" (50), and checkout's NOW-40m "Validating cart for
 * user_id=u-1 in com.example.checkout.CartValidator" (69) and NOW-2m "OutOfMemoryError in worker
 * pool" (31); plus service "shipping" (namespace {@code logistics}, no severity text, no observed
 * time):
 *
 * <ul>
 *   <li>NOW-15m INFO 9, {@code region=eu}: {@code
 *       {"status":200,"took":"35ms","user":{"id":"u-7"},"ok":true}};
 *   <li>NOW-14m ERROR 17, {@code region=eu}: {@code status=504 took=1.5s size=1536KiB
 *       msg="upstream timeout"};
 *   <li>NOW-13m INFO 9, {@code region=us}: {@code
 *       {"status":200,"took":"12ms","user":{"id":"u-8"},"ok":false}};
 * </ul>
 *
 * <p>and service "batch" (namespace {@code 42}, an ID), NOW-12m INFO: {@code nightly run}.
 */
class LokiDrilldownApiTest {
  private static final Instant NOW = TestData.NOW;
  private static final String START = LokiFixture.HOUR_AGO_NS;
  private static final String END = LokiFixture.NOW_NS;
  private static final String PAYMENTS = "{service_name=\"payments\"}";
  private static final String SHIPPING = "{service_name=\"shipping\"}";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @RegisterExtension
  static final LokiFixture loki = new LokiFixture().withLogs(LokiDrilldownApiTest::shippingAndBatch);

  static List<ExportLogsServiceRequest> shippingAndBatch() {
    return List.of(
        LogTestData.request(
            LogTestData.resourceLogs(
                TestData.resource("shipping", TestData.string("service.namespace", "logistics")),
                line(15, SeverityNumber.SEVERITY_NUMBER_INFO,
                        "{\"status\":200,\"took\":\"35ms\",\"user\":{\"id\":\"u-7\"},\"ok\":true}")
                    .addAttributes(TestData.string("region", "eu")),
                line(14, SeverityNumber.SEVERITY_NUMBER_ERROR,
                        "status=504 took=1.5s size=1536KiB msg=\"upstream timeout\"")
                    .addAttributes(TestData.string("region", "eu")),
                line(13, SeverityNumber.SEVERITY_NUMBER_INFO,
                        "{\"status\":200,\"took\":\"12ms\",\"user\":{\"id\":\"u-8\"},\"ok\":false}")
                    .addAttributes(TestData.string("region", "us"))),
            LogTestData.resourceLogs(
                TestData.resource("batch", TestData.string("service.namespace", "42")),
                line(12, SeverityNumber.SEVERITY_NUMBER_INFO, "nightly run"))));
  }

  private static LogRecord.Builder line(int minutesAgo, SeverityNumber severity, String body) {
    return LogRecord.newBuilder()
        .setTimeUnixNano(LogTestData.nanos(NOW.minus(Duration.ofMinutes(minutesAgo))))
        .setSeverityNumber(severity)
        .setBody(AnyValue.newBuilder().setStringValue(body));
  }

  private static WebTarget get(String path, String query, String start, String end) {
    return loki.target("/loki/api/v1/" + path, query).queryParam("start", start).queryParam("end", end);
  }

  private static WebTarget lastHour(String path, String query) {
    return get(path, query, START, END);
  }

  /** {@code [[metric as text, value], ...]} of a vector answer, checking its envelope. */
  private static List<List<String>> vector(JsonNode body) {
    assertThat(body.get("status").asText()).isEqualTo("success");
    assertThat(body.at("/data/resultType").asText()).isEqualTo("vector");
    List<List<String>> out = new ArrayList<>();
    for (JsonNode sample : body.at("/data/result")) {
      assertThat(sample.at("/value/0").isNumber()).isTrue();
      assertThat(sample.at("/value/0").asLong()).isEqualTo(NOW.getEpochSecond());
      assertThat(sample.at("/value/1").isTextual()).isTrue();
      out.add(List.of(sample.get("metric").toString(), sample.at("/value/1").asText()));
    }
    return out;
  }

  private static BigDecimal seconds(Instant t) {
    return BigDecimal.valueOf(t.toEpochMilli(), 3);
  }

  // ---- index/volume

  @Test
  void volumeSumsTheBytesOfEachSeriesOfTheSelectorsLabelsLargestFirst() {
    JsonNode body = ok(lastHour("index/volume", "{service_name=~\"payments|checkout\"}"));
    // payments 53 + 72 + 50, checkout 69 + 31
    assertThat(vector(body))
        .containsExactly(
            List.of("{\"service_name\":\"payments\"}", "175"),
            List.of("{\"service_name\":\"checkout\"}", "100"));
    // the limit keeps the largest
    assertThat(vector(ok(lastHour("index/volume", "{service_name=~\"payments|checkout\"}").queryParam("limit", "1"))))
        .containsExactly(List.of("{\"service_name\":\"payments\"}", "175"));
    // limit 0 is Loki's default of 100
    assertThat(vector(ok(lastHour("index/volume", "{service_name=~\"payments|checkout\"}").queryParam("limit", "0"))))
        .hasSize(2);
  }

  @Test
  void volumeAggregatesIntoTargetLabelsOrLabelNames() {
    JsonNode byLevel = ok(lastHour("index/volume", PAYMENTS).queryParam("targetLabels", "level"));
    assertThat(vector(byLevel))
        .containsExactly(List.of("{\"level\":\"error\"}", "103"), List.of("{\"level\":\"warn\"}", "72"));
    // two targets, the metric's labels sorted
    JsonNode byTwo = ok(lastHour("index/volume", PAYMENTS).queryParam("targetLabels", "service_name,level"));
    assertThat(vector(byTwo))
        .containsExactly(
            List.of("{\"level\":\"error\",\"service_name\":\"payments\"}", "103"),
            List.of("{\"level\":\"warn\",\"service_name\":\"payments\"}", "72"));
    // aggregateBy=labels: one series per label name, equal volumes ordered by name
    JsonNode byLabels = ok(lastHour("index/volume", PAYMENTS).queryParam("aggregateBy", "labels"));
    assertThat(vector(byLabels))
        .containsExactly(
            List.of("{\"deployment_environment\":\"\"}", "175"),
            List.of("{\"level\":\"\"}", "175"),
            List.of("{\"service_name\":\"\"}", "175"),
            List.of("{\"service_namespace\":\"\"}", "175"));
    JsonNode labelsOfTarget =
        ok(lastHour("index/volume", "{service_name=~\"payments|checkout\"}")
            .queryParam("aggregateBy", "labels").queryParam("targetLabels", "deployment_environment"));
    // checkout has no deployment_environment: only payments' bytes count
    assertThat(vector(labelsOfTarget)).containsExactly(List.of("{\"deployment_environment\":\"\"}", "175"));
  }

  @Test
  void volumeCountsOnlyLinesWithinStartAndEnd() {
    JsonNode body = ok(get("index/volume", "{service_name=~\"payments|checkout\"}", ns(NOW.minusSeconds(1500)), END));
    // payments NOW-20m (72) and NOW-10m (50); checkout NOW-2m (31)
    assertThat(vector(body))
        .containsExactly(
            List.of("{\"service_name\":\"payments\"}", "122"),
            List.of("{\"service_name\":\"checkout\"}", "31"));
    JsonNode none = ok(get("index/volume", PAYMENTS, ns(NOW.minusSeconds(300)), END));
    assertThat(none.at("/data/resultType").asText()).isEqualTo("vector");
    assertThat(none.at("/data/result")).isEmpty();
  }

  @Test
  void volumeRangeIsAMatrixOfLokisTimeBuckets() {
    // step 10m from NOW-35m: buckets end at NOW-30m, -20m, -10m (each stamped 1ms before) and NOW
    JsonNode body = ok(get("index/volume_range", PAYMENTS, ns(NOW.minusSeconds(2100)), END).queryParam("step", "10m"));
    assertThat(body.at("/data/resultType").asText()).isEqualTo("matrix");
    JsonNode result = body.at("/data/result");
    assertThat(result).hasSize(1);
    assertThat(result.at("/0/metric").toString()).isEqualTo("{\"service_name\":\"payments\"}");
    JsonNode values = result.at("/0/values");
    assertThat(values).hasSize(3);
    assertThat(values.at("/0/0").decimalValue()).isEqualByComparingTo(seconds(NOW.minusSeconds(1200).minusMillis(1)));
    assertThat(values.at("/0/1").asText()).isEqualTo("53");
    assertThat(values.at("/1/0").decimalValue()).isEqualByComparingTo(seconds(NOW.minusSeconds(600).minusMillis(1)));
    assertThat(values.at("/1/1").asText()).isEqualTo("72");
    assertThat(values.at("/2/0").asLong()).isEqualTo(NOW.getEpochSecond());
    assertThat(values.at("/2/1").asText()).isEqualTo("50");

    // by level: series ordered by their first sample, largest first (warn 72 before error 53)
    JsonNode byLevel =
        ok(get("index/volume_range", PAYMENTS, ns(NOW.minusSeconds(2100)), END)
            .queryParam("step", "600").queryParam("targetLabels", "level"));
    assertThat(byLevel.at("/data/resultType").asText()).isEqualTo("matrix");
    assertThat(byLevel.at("/data/result/0/metric").toString()).isEqualTo("{\"level\":\"warn\"}");
    assertThat(byLevel.at("/data/result/0/values")).hasSize(1);
    assertThat(byLevel.at("/data/result/1/metric").toString()).isEqualTo("{\"level\":\"error\"}");
    List<String> errorValues = new ArrayList<>();
    byLevel.at("/data/result/1/values").forEach(v -> errorValues.add(v.get(1).asText()));
    assertThat(errorValues).containsExactly("53", "50");

    // one sample per series is a vector, as Loki answers it
    JsonNode single = ok(get("index/volume_range", PAYMENTS, ns(NOW.minusSeconds(900)), END).queryParam("step", "1h"));
    assertThat(vector(single)).containsExactly(List.of("{\"service_name\":\"payments\"}", "50"));
  }

  @Test
  void volumeRefusesWhatLokiRefuses() {
    assertThat(error(lastHour("index/volume", PAYMENTS + " |= \"card\""))).isEqualTo("only label matchers are supported");
    assertThat(error(lastHour("index/volume_range", "sum(rate(" + PAYMENTS + "[1m]))")))
        .isEqualTo("only label matchers are supported");
    assertThat(error(loki.target("/loki/api/v1/index/volume"))).isEqualTo("only label matchers are supported");
    assertThat(error(lastHour("index/volume", PAYMENTS).queryParam("aggregateBy", "streams")))
        .isEqualTo("invalid aggregation option");
    assertThat(error(lastHour("index/volume", PAYMENTS).queryParam("limit", "-1")))
        .isEqualTo("limit must be a positive value");
    assertThat(error(lastHour("index/volume_range", PAYMENTS).queryParam("step", "0")))
        .isEqualTo("zero or negative query resolution step widths are not accepted. Try a positive integer");
    assertThat(error(get("index/volume", PAYMENTS, END, START))).isEqualTo("end timestamp must not be before or equal to start time");
    assertThat(error(get("index/volume", PAYMENTS, ns(NOW.minus(Duration.ofDays(40))), END)))
        .startsWith("the query time range exceeds the limit");
  }

  // ---- detected_labels

  @Test
  void detectedLabelsCountTheValuesOfTheQuerysStreamLabels() {
    JsonNode body = ok(lastHour("detected_labels", SHIPPING));
    assertThat(body.toString())
        .isEqualTo(
            "{\"detectedLabels\":[{\"label\":\"level\",\"cardinality\":2},{\"label\":\"service_name\",\"cardinality\":1},"
                + "{\"label\":\"service_namespace\",\"cardinality\":1}]}");
    // within start and end: only the error line at NOW-14m
    JsonNode narrow = ok(get("detected_labels", SHIPPING, ns(NOW.minusSeconds(870)), ns(NOW.minusSeconds(810))));
    assertThat(narrow.at("/detectedLabels/0/label").asText()).isEqualTo("level");
    assertThat(narrow.at("/detectedLabels/0/cardinality").asInt()).isEqualTo(1);
    // nothing in range: Loki leaves detectedLabels out
    assertThat(ok(get("detected_labels", SHIPPING, ns(NOW.minusSeconds(60)), END)).toString()).isEqualTo("{}");
  }

  @Test
  void detectedLabelsLeaveOutLabelsWhoseValuesAreAllIds() {
    // batch's namespace is "42", an ID to Loki
    JsonNode body = ok(lastHour("detected_labels", "{service_name=\"batch\"}"));
    assertThat(body.get("detectedLabels")).extracting(l -> l.get("label").asText()).containsExactly("level", "service_name");
    // without a query: every stream; the namespaces shop, logistics and 42 are not all IDs
    JsonNode all = ok(loki.target("/loki/api/v1/detected_labels").queryParam("start", START).queryParam("end", END));
    assertThat(all.get("detectedLabels")).extracting(l -> l.get("label").asText())
        .containsExactly("deployment_environment", "level", "service_name", "service_namespace");
    assertThat(all.at("/detectedLabels/2/cardinality").asInt()).as("frontend checkout payments shipping batch").isEqualTo(5);
    assertThat(all.at("/detectedLabels/3/cardinality").asInt()).isEqualTo(3);

    assertThat(DetectedValues.rejectLabel(List.of("42", "550e8400-e29b-41d4-a716-446655440000", "1.5"))).isTrue();
    assertThat(DetectedValues.rejectLabel(List.of("0", "1"))).as("a flag").isFalse();
    assertThat(DetectedValues.rejectLabel(List.of("42", "prod"))).isFalse();
    assertThat(DetectedValues.rejectLabel(List.of())).isTrue();
  }

  @Test
  void detectedLabelsRefuseAPipeline() {
    assertThat(error(lastHour("detected_labels", SHIPPING + " | json"))).isEqualTo("only label matchers are supported");
    assertThat(error(get("detected_labels", SHIPPING, END, START))).isEqualTo("end timestamp must not be before or equal to start time");
  }

  // ---- detected_fields

  @Test
  void detectedFieldsComeFromStructuredMetadataAndJsonOrLogfmtParsing() {
    JsonNode body = ok(lastHour("detected_fields", SHIPPING));
    assertThat(body.get("limit").asInt()).isEqualTo(1000);
    assertThat(fields(body))
        .containsExactly(
            // structured metadata: no parsers
            "detected_level string 2 null",
            "msg string 1 [\"logfmt\"]",
            "ok boolean 2 [\"json\"]",
            "region string 2 null",
            "scope_name string 1 null",
            "scope_version float 1 null",
            "severity_number int 2 null",
            "size bytes 1 [\"logfmt\"]",
            "status int 2 [\"json\",\"logfmt\"]",
            "took duration 3 [\"json\",\"logfmt\"]",
            "user_id string 2 [\"json\"]");
    assertThat(body.at("/fields/0").fieldNames()).toIterable().containsExactly("label", "type", "cardinality", "parsers");
  }

  /** Each field as "label type cardinality parsers". */
  private static List<String> fields(JsonNode body) {
    List<String> out = new ArrayList<>();
    for (JsonNode f : body.get("fields")) {
      out.add(f.get("label").asText() + " " + f.get("type").asText() + " " + f.get("cardinality").asInt() + " "
          + f.get("parsers"));
    }
    return out;
  }

  @Test
  void detectedFieldsHonourTheLineAndFieldLimitsTheRangeAndThePipeline() {
    // one line, the newest (NOW-13m, JSON)
    JsonNode newest = ok(lastHour("detected_fields", SHIPPING).queryParam("line_limit", "1"));
    assertThat(fields(newest))
        .containsExactly(
            "detected_level string 1 null", "ok boolean 1 [\"json\"]", "region string 1 null",
            "scope_name string 1 null", "scope_version float 1 null", "severity_number int 1 null",
            "status int 1 [\"json\"]", "took duration 1 [\"json\"]", "user_id string 1 [\"json\"]");
    // the first three fields found: the newest line's metadata, by name
    JsonNode three = ok(lastHour("detected_fields", SHIPPING).queryParam("limit", "3"));
    assertThat(three.get("limit").asInt()).isEqualTo(3);
    assertThat(fields(three))
        .containsExactly("detected_level string 2 null", "region string 2 null", "scope_name string 1 null");
    // field_limit is the older name of limit
    assertThat(ok(lastHour("detected_fields", SHIPPING).queryParam("field_limit", "2")).get("fields")).hasSize(2);
    // within start and end: only the logfmt line at NOW-14m
    JsonNode logfmt = ok(get("detected_fields", SHIPPING, ns(NOW.minusSeconds(870)), ns(NOW.minusSeconds(810))));
    assertThat(fields(logfmt)).contains("status int 1 [\"logfmt\"]", "size bytes 1 [\"logfmt\"]").hasSize(9);
    // a line filter in the query picks the lines
    JsonNode filtered = ok(lastHour("detected_fields", SHIPPING + " |= \"upstream\""));
    assertThat(fields(filtered)).isEqualTo(fields(logfmt));
    // nothing sampled: Loki answers an empty object
    assertThat(ok(get("detected_fields", SHIPPING, ns(NOW.minusSeconds(60)), END)).toString()).isEqualTo("{}");
  }

  @Test
  void detectedFieldValuesListTheDistinctValuesOfOneField() {
    assertThat(ok(lastHour("detected_field/took/values", SHIPPING)).toString())
        .isEqualTo("{\"values\":[\"1.5s\",\"12ms\",\"35ms\"],\"limit\":1000}");
    assertThat(ok(lastHour("detected_field/region/values", SHIPPING)).get("values"))
        .extracting(JsonNode::asText).containsExactly("eu", "us");
    // a byte size is respelled as go-humanize writes it: 1536KiB is 1.6MB
    assertThat(ok(lastHour("detected_field/size/values", SHIPPING)).get("values"))
        .extracting(JsonNode::asText).containsExactly("1.6MB");
    // reading stops once the limit is reached: the newest line's value only
    assertThat(ok(lastHour("detected_field/took/values", SHIPPING).queryParam("limit", "1")).toString())
        .isEqualTo("{\"values\":[\"12ms\"],\"limit\":1}");
    assertThat(ok(lastHour("detected_field/nope/values", SHIPPING)).toString()).isEqualTo("{}");
  }

  @Test
  void detectedFieldsRefuseWhatLokiRefuses() {
    assertThat(error(lastHour("detected_fields", "sum(count_over_time(" + SHIPPING + "[1m]))")))
        .isEqualTo("only log selector is supported");
    assertThat(error(lastHour("detected_field/took/values", "count_over_time(" + SHIPPING + "[1m])")))
        .isEqualTo("only log selector is supported");
    assertThat(error(lastHour("detected_fields", SHIPPING).queryParam("line_limit", "0")))
        .isEqualTo("limit must be a positive value");
    assertThat(error(lastHour("detected_fields", SHIPPING).queryParam("line_limit", "6000")))
        .isEqualTo("max entries limit per query exceeded, limit > max_entries_limit (6000 > 5000)");
    assertThat(error(lastHour("detected_fields", SHIPPING).queryParam("limit", "-3")))
        .isEqualTo("limit must be a positive value");
    assertThat(error(lastHour("detected_fields", SHIPPING).queryParam("step", "0.0001")))
        .isEqualTo("exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter");
  }

  @Test
  void fieldTypesAndValuesAreReadAsLokiReadsThem() {
    assertThat(DetectedValues.type("200")).isEqualTo("int");
    assertThat(DetectedValues.type("-1.5e3")).isEqualTo("float");
    assertThat(DetectedValues.type("True")).isEqualTo("boolean");
    assertThat(DetectedValues.type("1h30m")).isEqualTo("duration");
    assertThat(DetectedValues.type("10 MB")).isEqualTo("bytes");
    assertThat(DetectedValues.type("1,000")).as("go-humanize drops the commas").isEqualTo("bytes");
    assertThat(DetectedValues.type("u-7")).isEqualTo("string");
    assertThat(DetectedValues.type("99999999999999999999")).as("beyond int64: a float").isEqualTo("float");
    assertThat(DetectedValues.fieldValue("2KiB")).isEqualTo("2.0kB");
    assertThat(DetectedValues.fieldValue("512b")).isEqualTo("512B");
    assertThat(DetectedValues.fieldValue("35ms")).isEqualTo("35ms");
    assertThat(DetectedValues.fieldValue("42")).as("no unit: unchanged").isEqualTo("42");
  }

  @Test
  void everyEndpointTakesAFormBody() throws IOException {
    Form form = new Form().param("query", PAYMENTS).param("start", START).param("end", END).param("targetLabels", "level");
    assertThat(vector(post("index/volume", form))).hasSize(2);
    Form range = new Form().param("query", PAYMENTS).param("start", START).param("end", END).param("step", "10m");
    assertThat(post("index/volume_range", range).at("/data/resultType").asText()).isEqualTo("matrix");
    Form shipping = new Form().param("query", SHIPPING).param("start", START).param("end", END);
    assertThat(post("detected_labels", shipping).get("detectedLabels")).hasSize(3);
    assertThat(post("detected_fields", shipping).get("fields")).hasSize(11);
    assertThat(post("detected_field/ok/values", shipping).get("values")).hasSize(2);
  }

  private static JsonNode post(String path, Form form) throws IOException {
    Response r = loki.target("/loki/api/v1/" + path).request().post(Entity.form(form));
    String text = r.readEntity(String.class);
    assertThat(r.getStatus()).as(text).isEqualTo(200);
    return MAPPER.readTree(text);
  }
}
