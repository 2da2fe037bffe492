/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import static io.faultline.web.loki.LokiFixture.checkedLines;
import static io.faultline.web.loki.LokiFixture.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.ws.rs.client.WebTarget;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Answers are checked against the shapes in Loki's HTTP API reference: {@code
 * {"status":"success","data":{"resultType":"streams","result":[{"stream":{labels},"values":
 * [["<unix ns as string>","<line>"]]}]}}} and {@code {"status":"success","data":["..."]}}.
 */
class LokiResourceTest {
  private static final String START = LokiFixture.HOUR_AGO_NS;
  private static final String END = LokiFixture.NOW_NS;

  @RegisterExtension static final LokiFixture loki = new LokiFixture();

  private static WebTarget range(String query) {
    return loki.lastHour(query, "1000");
  }

  @Test
  void labelsAndValues() {
    JsonNode names =
        ok(loki.target("/loki/api/v1/labels").queryParam("start", START).queryParam("end", END));
    assertThat(names.get("status").asText()).isEqualTo("success");
    assertThat(names.get("data")).extracting(JsonNode::asText)
        .containsExactly("deployment_environment", "level", "service_name", "service_namespace");
    JsonNode values =
        ok(loki.target("/loki/api/v1/label/service_name/values").queryParam("start", START).queryParam("end", END));
    assertThat(values.get("data")).extracting(JsonNode::asText).contains("checkout", "frontend", "payments");
  }

  @Test
  void streamSelectorsGroupLinesByLabels() {
    JsonNode body = ok(range("{service_name=\"payments\"}"));
    assertThat(checkedLines(body)).hasSize(3);
    JsonNode first = body.get("data").get("result").get(0);
    assertThat(first.get("stream").get("service_name").asText()).isEqualTo("payments");
    assertThat(first.get("stream").get("service_namespace").asText()).isEqualTo("shop");
    assertThat(first.get("stream").get("deployment_environment").asText()).isEqualTo("prod");
    // each line's structured metadata (observed_timestamp, attributes...) is part of its stream, as
    // Loki answers without categorize-labels; keeping only level leaves the error and warn streams
    assertThat(body.get("data").get("result")).hasSize(3);
    assertThat(ok(range("{service_name=\"payments\"} | keep level")).get("data").get("result")).hasSize(2);
    assertThat(checkedLines(ok(range("{service_name=~\"pay.*|check.*\", level!=\"debug\"}")))).hasSize(4);
    assertThat(checkedLines(ok(range("{service_name!~\"front.*\", service_namespace=\"shop\"}")))).hasSize(5);
    assertThat(checkedLines(ok(range("{service_name=\"nope\"}")))).isEmpty();
  }

  @Test
  void lineFilters() {
    assertThat(checkedLines(ok(range("{service_name=\"payments\"} |= \"card\"")))).hasSize(2);
    assertThat(checkedLines(ok(range("{service_name=\"payments\"} |= \"card\" != \"Retrying\""))))
        .containsExactly("PaymentService failed: card declined for order ord-42");
    assertThat(checkedLines(ok(range("{service_name=\"payments\"} |~ \"ord-\\\\d+\"")))).hasSize(1);
    assertThat(checkedLines(ok(range("{service_name=\"payments\"} !~ `(?i)timeout`")))).hasSize(2);
    // line filters are case-sensitive substrings, unlike the Lucene search
    assertThat(checkedLines(ok(range("{service_name=\"payments\"} |= \"CARD\"")))).isEmpty();
  }

  @Test
  void jsonAndLogfmtParsersWithLabelFilters() {
    assertThat(checkedLines(ok(range("{service_name=\"frontend\"} | json | event=\"page_view\""))))
        .containsExactly("{\"event\":\"page_view\",\"path\":\"/cart\"}");
    JsonNode parsed = ok(range("{service_name=\"frontend\"} | json | path=\"/cart\""));
    assertThat(parsed.get("data").get("result").get(0).get("stream").get("path").asText()).isEqualTo("/cart");
    assertThat(checkedLines(ok(range("{service_name=\"checkout\"} | logfmt | user_id=\"u-1\"")))).hasSize(1);
    assertThat(checkedLines(ok(range("{service_name=\"frontend\"} | json | __error__=\"JSONParserErr\"")))).hasSize(2);
    assertThat(checkedLines(ok(range("{service_namespace=\"shop\"} | level=\"error\" or level=\"fatal\"")))).hasSize(3);
  }

  @Test
  void regexpAndPatternParsersExtractLabels() {
    JsonNode regexp =
        ok(range("{service_name=\"payments\"} | regexp `for order (?P<order_id>ord-\\d+)` | order_id=\"ord-42\""));
    assertThat(checkedLines(regexp)).containsExactly("PaymentService failed: card declined for order ord-42");
    assertThat(regexp.at("/data/result/0/stream/order_id").asText()).isEqualTo("ord-42");
    // a line the expression does not match gets no label, so the filter drops it
    assertThat(checkedLines(ok(range("{service_name=\"payments\"} | regexp `(?<host>[a-z]+\\.example\\.com)` | host!=\"\""))))
        .containsExactly("Timeout calling https://bank.example.com/v2/charge");

    JsonNode pattern =
        ok(range("{service_name=\"payments\"} | pattern \"<_> failed: <reason> for order <order>\" | order=\"ord-42\""));
    assertThat(checkedLines(pattern)).containsExactly("PaymentService failed: card declined for order ord-42");
    assertThat(pattern.at("/data/result/0/stream/reason").asText()).isEqualTo("card declined");
    // a leading literal must start the line
    assertThat(checkedLines(ok(range("{service_name=\"payments\"} | pattern \"failed: <reason> for\" | reason!=\"\""))))
        .isEmpty();
    // a metric query over an extracted label
    JsonNode count =
        ok(loki.queryRange("sum by (host) (count_over_time({service_name=\"payments\"} | pattern \"Timeout calling https://<host>/<_>\" [1h]))")
            .queryParam("start", START).queryParam("end", END).queryParam("step", "3600"));
    // lines the pattern does not match are counted too, in the group without the label
    List<String> hosts = new ArrayList<>();
    count.at("/data/result").forEach(r -> hosts.add(r.at("/metric/host").asText()));
    assertThat(hosts).containsExactlyInAnyOrder("bank.example.com", "");
  }

  @Test
  void lineFormatLabelFormatAndDecolorizeRewriteLinesAndLabels() {
    JsonNode formatted =
        ok(range("{service_name=\"payments\"} | regexp `for order (?P<order>ord-\\d+)` | order!=\"\""
            + " | line_format \"{{.level}}: order {{ .order }} ({{.missing}}) {{- __line__ -}} !\""));
    assertThat(checkedLines(formatted))
        .containsExactly("error: order ord-42 ()PaymentService failed: card declined for order ord-42!");
    JsonNode relabelled =
        ok(range("{service_name=\"payments\"} | regexp `for order (?P<order>ord-\\d+)` | order!=\"\""
            + " | label_format id=order, summary=\"{{.level}}/{{.order}}\" | id=\"ord-42\""));
    JsonNode stream = relabelled.at("/data/result/0/stream");
    assertThat(stream.has("order")).as("renamed away").isFalse();
    assertThat(stream.get("summary").asText()).isEqualTo("error/ord-42");
    // the line filter after line_format sees the new line
    assertThat(checkedLines(ok(range("{service_name=\"payments\"} | line_format \"svc={{.service_name}}\" |= \"svc=payments\""))))
        .containsOnly("svc=payments");
    // bytes_over_time counts the line as the stages leave it
    JsonNode bytes =
        ok(loki.query("sum(bytes_over_time({service_name=\"payments\"} |= \"ord-42\" | line_format \"12345\" [1h]))")
            .queryParam("time", END));
    assertThat(bytes.at("/data/result/0/value/1").asText()).isEqualTo("5");
  }

  @Test
  void unpackTakesTopLevelStringsAsLabelsAndEntryAsTheLine() {
    Map<String, String> labels = new java.util.HashMap<>();
    String line =
        LogPipeline.apply(
            List.of(new LogQl.Parser("unpack")),
            "{\"_entry\":\"GET /cart 200\",\"pod\":\"web-1\",\"size\":3}",
            labels);
    assertThat(line).isEqualTo("GET /cart 200");
    assertThat(labels).containsExactly(Map.entry("pod", "web-1"));
    assertThat(checkedLines(ok(range("{service_name=\"frontend\"} | unpack | event=\"page_view\""))))
        .containsExactly("{\"event\":\"page_view\",\"path\":\"/cart\"}");
    assertThat(checkedLines(ok(range("{service_name=\"frontend\"} | unpack | __error__=\"JSONParserErr\"")))).hasSize(2);
  }

  @Test
  void templatesTakeLokisStringFunctions() {
    Map<String, String> labels = Map.of("a", "  Mixed Case ", "b", "x");
    assertThat(LineTemplate.parse("{{ToUpper .a}}|{{ .a | ToLower | TrimSpace }}|{{.b | upper}}|{{trim .missing}}", 0)
            .render("line", labels))
        .isEqualTo("  MIXED CASE |mixed case|X|");
    assertThat(LineTemplate.parse("{{ __line__ | ToUpper }}", 0).render("line", labels)).isEqualTo("LINE");
  }

  @Test
  void decolorizeRemovesAnsiEscapes() {
    assertThat(new LogQl.Decolorize().apply("\u001B[31mERROR\u001B[0m disk \u001B[1;33mfull\u001B[0m"))
        .isEqualTo("ERROR disk full");
    assertThat(checkedLines(ok(range("{service_name=\"payments\"} |= \"ord-42\" | decolorize"))))
        .containsExactly("PaymentService failed: card declined for order ord-42");
  }

  @Test
  void stringLiteralsDecodeGoEscapes() {
    LogQl.LineFilter f =
        (LogQl.LineFilter) LogQl.parse("{service_name=\"x\"} |= \"\\u00e9\\x41\\t\\101\\xc3\\xa9\\\\\"").stages().get(0);
    assertThat(f.text()).isEqualTo("\u00e9A\tA\u00e9\\");
    LogQl.LineFilter raw = (LogQl.LineFilter) LogQl.parse("{service_name=\"x\"} |~ `\\d+\\t`").stages().get(0);
    assertThat(raw.text()).isEqualTo("\\d+\\t");
    // an escape Go does not know is a parse error, as in Loki
    Response r = range("{service_name=\"payments\"} |~ \"ord-\\d+\"").request().get();
    assertThat(r.getStatus()).isEqualTo(400);
    assertThat(r.readEntity(String.class)).contains("invalid escape \\d").contains("backtick");
    assertThat(range("{service_name=\"x\"} |= \"\\u12\"").request().get().getStatus()).isEqualTo(400);
  }

  /** The labels after running {@code stages} over {@code line}, or null when a filter drops it. */
  static Map<String, String> afterPipeline(String stages, String line, Map<String, String> labels) {
    Map<String, String> out = new java.util.TreeMap<>(labels);
    return LogPipeline.apply(LogQl.parse("{service_name=\"x\"} " + stages).stages(), line, out) == null ? null : out;
  }

  @Test
  void numericLabelFiltersCompareNumbers() {
    assertThat(afterPipeline("| status = 200.0", "", Map.of("status", "200"))).isNotNull();
    assertThat(afterPipeline("| status == 2e2", "", Map.of("status", "200"))).isNotNull();
    assertThat(afterPipeline("| status != 200", "", Map.of("status", "200.00"))).isNull();
    assertThat(afterPipeline("| status >= -1", "", Map.of("status", "+0"))).isNotNull();
    // a line without the label is dropped by every conversion filter, != included
    assertThat(afterPipeline("| status != 200", "", Map.of())).isNull();
    assertThat(afterPipeline("| latency != 1s", "", Map.of())).isNull();
    // a value that does not convert keeps the line and records why
    assertThat(afterPipeline("| status > 100", "", Map.of("status", "abc")))
        .containsEntry("__error__", "LabelFilterErr")
        .containsEntry("__error_details__", "strconv.ParseFloat: parsing \"abc\": invalid syntax");
    assertThat(afterPipeline("| status > 100 | __error__=\"\"", "", Map.of("status", "abc"))).isNull();
    // an earlier error is not overwritten
    assertThat(afterPipeline("| status > 100", "", Map.of("status", "abc", "__error__", "JSONParserErr")))
        .containsEntry("__error__", "JSONParserErr");
  }

  @Test
  void durationAndBytesLabelFilters() {
    assertThat(afterPipeline("| latency > 1s", "", Map.of("latency", "2.5s"))).isNotNull();
    assertThat(afterPipeline("| latency > 1s", "", Map.of("latency", "250ms"))).isNull();
    assertThat(afterPipeline("| latency >= 1m30s", "", Map.of("latency", "90s"))).isNotNull();
    assertThat(afterPipeline("| latency == 250ms", "", Map.of("latency", "0.25s"))).isNotNull();
    assertThat(afterPipeline("| latency < 1s", "", Map.of("latency", "fast")))
        .containsEntry("__error__", "LabelFilterErr")
        .containsEntry("__error_details__", "time: invalid duration \"fast\"");
    assertThat(afterPipeline("| size > 1KB", "", Map.of("size", "2KB"))).isNotNull();
    assertThat(afterPipeline("| size > 1KB", "", Map.of("size", "1KiB"))).isNotNull();
    assertThat(afterPipeline("| size > 1KB", "", Map.of("size", "500B"))).isNull();
    assertThat(afterPipeline("| size <= 20MB", "", Map.of("size", "19 MB"))).isNotNull();
    assertThat(afterPipeline("| size = 1KiB", "", Map.of("size", "1024"))).isNotNull();
    assertThat(afterPipeline("| size > 1KB", "", Map.of("size", "huge")))
        .containsEntry("__error__", "LabelFilterErr")
        .containsEntry("__error_details__", "strconv.ParseFloat: parsing \"\": invalid syntax");
  }

  @Test
  void labelFilterExpressionsCombineWithLokisPrecedence() {
    Map<String, String> labels = Map.of("a", "1", "b", "0", "c", "1");
    assertThat(afterPipeline("| a=\"0\" or b=\"0\" and c=\"1\"", "", labels)).as("a or (b and c)").isNotNull();
    assertThat(afterPipeline("| (a=\"0\" or b=\"0\") and c=\"0\"", "", labels)).isNull();
    // a comma or a space is "and" taking everything to its right: a and (b or c)
    assertThat(afterPipeline("| a=\"0\", b=\"1\" or c=\"1\"", "", labels)).isNull();
    assertThat(afterPipeline("| a=\"0\" b=\"1\" or c=\"1\"", "", labels)).isNull();
    assertThat(afterPipeline("| a=\"0\" and b=\"1\" or c=\"1\"", "", labels)).isNotNull();
    assertThat(afterPipeline("| a=\"1\" b=\"0\", c > 0", "", labels)).isNotNull();
    // "or" stops at the first side that holds, so the right side records no error
    assertThat(afterPipeline("| a=\"1\" or status > 1", "", Map.of("a", "1", "status", "x")))
        .doesNotContainKey("__error__");
    assertThat(afterPipeline("| a=\"2\" and status > 1", "", Map.of("a", "1", "status", "x"))).isNull();
  }

  /** Each of {@code stages} after a payments selector is a 400 "parse error". */
  private static void assertParseErrors(String... stages) {
    for (String bad : stages) {
      Response r = range("{service_name=\"payments\"} " + bad).request().get();
      assertThat(r.getStatus()).as(bad).isEqualTo(400);
      assertThat(r.readEntity(String.class)).as(bad).startsWith("parse error");
    }
  }

  @Test
  void aQuotedValueTakesOnlyStringOperators() {
    assertParseErrors("| status > \"200\"", "| status == \"200\"", "| level = error", "| a =~ 1");
    assertThat(range("{service_name=\"payments\"} | status > \"200\"").request().get().readEntity(String.class))
        .contains("a string value only takes = != =~ !~");
  }

  @Test
  void logfmtSkipsEmptyValuesAndMalformedPairsUnlessAsked() {
    Map<String, String> none = Map.of();
    assertThat(afterPipeline("| logfmt", "debug cache hit level=info msg=\"a b\" empty=", none))
        .containsOnlyKeys("level", "msg")
        .containsEntry("msg", "a b");
    assertThat(afterPipeline("| logfmt --keep-empty", "debug cache hit empty=", none))
        .containsOnly(Map.entry("debug", ""), Map.entry("cache", ""), Map.entry("hit", ""), Map.entry("empty", ""));
    assertThat(afterPipeline("| logfmt", "a=1 b=\"unterminated", none)).containsOnly(Map.entry("a", "1"));
    assertThat(afterPipeline("| logfmt --strict", "a=1 b=\"unterminated", none))
        .containsEntry("a", "1")
        .containsEntry("__error__", "LogfmtParserErr")
        .containsEntry("__error_details__", "logfmt syntax error at pos 20 : unterminated quoted value");
    assertThat(afterPipeline("| logfmt --strict", "a==1 b=2", none))
        .doesNotContainKey("b")
        .containsEntry("__error_details__", "logfmt syntax error at pos 3 : unexpected '='");
    assertThat(afterPipeline("| logfmt", "a==1 b=2", none)).containsOnly(Map.entry("b", "2"));
  }

  @Test
  void logfmtAndJsonTakeParameters() {
    Map<String, String> none = Map.of();
    assertThat(afterPipeline("| logfmt msg, d=\"duration\", gone", "msg=hi duration=5s other=x", none))
        .containsOnly(Map.entry("msg", "hi"), Map.entry("d", "5s"), Map.entry("gone", ""));
    String line =
        "{\"latency_ms\": 12.50, \"user\": {\"id\": \"u-1\"}, \"items\": [{\"n\": 1}, 2], \"a.b\": true, \"n\": null}";
    assertThat(afterPipeline(
            "| json lat=\"latency_ms\", uid=\"user.id\", first=\"items[0]\", second=\"items[1]\","
                + " dotted=`[\"a.b\"]`, missing=\"user.name\", n",
            line, none))
        .containsOnly(
            Map.entry("lat", "12.50"), Map.entry("uid", "u-1"), Map.entry("first", "{\"n\": 1}"),
            Map.entry("second", "2"), Map.entry("dotted", "true"), Map.entry("missing", ""), Map.entry("n", ""));
    assertThat(afterPipeline("| json a=\"x\"", "plain text", none)).containsEntry("__error__", "JSONParserErr");
    assertParseErrors("| json 1a=\"x\"", "| json a=\"items[x]\"", "| json a=\"x..y\"", "| logfmt --bogus");
  }

  @Test
  void extractedNamesAreSanitisedAsInLoki() {
    assertThat(afterPipeline("| json", "{\"2xx\": 5, \"a-b\": 1, \"obj\": {\"3d\": 2, \"k\u00e9y\": 3}}", Map.of()))
        .containsOnly(Map.entry("_2xx", "5"), Map.entry("a_b", "1"), Map.entry("obj_3d", "2"), Map.entry("obj_k_y", "3"));
    assertThat(afterPipeline("| logfmt", "2xx=5 a.b=1", Map.of())).containsOnly(Map.entry("_2xx", "5"), Map.entry("a_b", "1"));
  }

  @Test
  void parserErrorsCarryDetailsAndKeepNeverDropsThem() {
    assertThat(afterPipeline("| json", "not json", Map.of()))
        .containsEntry("__error__", "JSONParserErr")
        .containsEntry("__error_details__", "Value looks like object, but can't find closing '}' symbol");
    assertThat(afterPipeline("| json", "{\"a\": 1, \"b\": ", Map.of()))
        .containsEntry("a", "1")
        .containsEntry("__error__", "JSONParserErr")
        .hasEntrySatisfying("__error_details__", d -> assertThat(d).isNotBlank());
    assertThat(afterPipeline("| unpack", "[1]", Map.of()))
        .containsEntry("__error_details__", "expecting json object(6), but it is not");
    assertThat(afterPipeline("| json | keep service_name", "not json", Map.of("service_name", "x", "level", "info")))
        .containsOnlyKeys("service_name", "__error__", "__error_details__");
  }

  @Test
  void lineFiltersTakeOrBetweenValues() {
    // payments lines: "card declined ... ord-42", "Retrying charge ... card_declined", "Timeout calling https://bank..."
    assertThat(checkedLines(ok(range("{service_name=\"payments\"} |= \"ord-42\" or \"Timeout\"")))).hasSize(2);
    // != "a" or "b" keeps the lines holding neither, as in Loki 3
    assertThat(checkedLines(ok(range("{service_name=\"payments\"} != \"ord-42\" or \"Timeout\""))))
        .containsExactly("Retrying charge 550e8400-e29b-41d4-a716-446655440000 after card_declined");
    assertThat(checkedLines(ok(range("{service_name=\"payments\"} |~ `ord-\\d+` or `^Timeout` |= \"card\""))))
        .containsExactly("PaymentService failed: card declined for order ord-42");
    assertThat(checkedLines(ok(range("{service_name=\"payments\"} !~ `ord-\\d+` or `^Timeout`")))).hasSize(1);
  }

  @Test
  void ipFiltersMatchAddressesInLinesAndLabels() {
    Map<String, String> none = Map.of();
    assertThat(afterPipeline("|= ip(\"192.168.0.0/16\")", "GET from 192.168.4.20:8080 ok", none)).isNotNull();
    assertThat(afterPipeline("|= ip(\"192.168.0.0/16\")", "GET from 10.0.0.1 ok", none)).isNull();
    assertThat(afterPipeline("!= ip(\"192.168.0.0/16\")", "GET from 10.0.0.1 ok", none)).isNotNull();
    assertThat(afterPipeline("|= \"x\" or ip(\"10.0.0.1\")", "GET from 10.0.0.1 ok", none)).isNotNull();
    assertThat(afterPipeline("|= ip(\"2001:db8::/32\")", "peer [2001:db8::1]:443", none)).isNotNull();
    assertThat(afterPipeline("| addr = ip(\"10.0.0.1-10.0.0.255\")", "", Map.of("addr", "10.0.0.77"))).isNotNull();
    assertThat(afterPipeline("| addr = ip(\"10.0.0.1-10.0.0.255\")", "", Map.of("addr", "10.0.1.77"))).isNull();
    assertThat(afterPipeline("| addr != ip(\"10.0.0.1-10.0.0.255\")", "", Map.of("addr", "10.0.1.77"))).isNotNull();
    assertThat(afterPipeline("| addr != ip(\"10.0.0.1-10.0.0.255\")", "", none)).isNull();
    for (String bad : new String[] {"|= ip(\"10.0.0.300\")", "|~ ip(\"10.0.0.1\")", "| addr = ip(\"10.0.0.9-10.0.0.1\")"}) {
      Response r = range("{service_name=\"payments\"} " + bad).request().get();
      assertThat(r.getStatus()).as(bad).isEqualTo(400);
    }
  }

  @Test
  void limitAndDirection() {
    JsonNode backward = ok(loki.lastHour("{service_name=\"payments\"}", "1"));
    assertThat(checkedLines(backward)).containsExactly("Timeout calling https://bank.example.com/v2/charge");
    JsonNode forward =
        ok(loki.lastHour("{service_name=\"payments\"}", "1").queryParam("direction", "forward"));
    assertThat(checkedLines(forward)).containsExactly("PaymentService failed: card declined for order ord-42");
  }

  @Test
  void instantQueryOfALogSelectorIsRefusedAsInLoki3() {
    Response r =
        loki.query("{level=\"fatal\"}").queryParam("time", END).request().get();
    assertThat(r.getStatus()).isEqualTo(400);
    assertThat(r.readEntity(String.class)).isEqualTo(LokiResource.UNSUPPORTED_INSTANT);
  }

  @Test
  void errorsAre400WithPlainText() {
    for (String bad :
        new String[] {
          "service_name=\"x\"", "{service_name=\"x\"", "{service_name=~\"(\"}", "{service_name=\"\"}",
          "count_over_time({a=\"b\"})",
          "{service_name=\"x\"} | regexp \"no names\"", "{service_name=\"x\"} | regexp \"(?P<a>(\"",
          "{service_name=\"x\"} | regexp \"(?P<1a>x)\"", "{service_name=\"x\"} | pattern \"<_> only\"",
          "{service_name=\"x\"} | pattern \"<a><b>\"", "{service_name=\"x\"} | pattern \"<a> <a>\"",
          "{service_name=\"x\"} | line_format \"{{printf .a}}\"", "{service_name=\"x\"} | line_format \"{{.a\"",
          "{service_name=\"x\"} | line_format \"{{if .a}}x{{end}}\"", "{service_name=\"x\"} | line_format \"{{ToUpper .a .b}}\"",
          "{service_name=\"x\"} | label_format 1a=b", "{service_name=\"x\"} | label_format a",
          "{service_name=\"x\"} |= 42"
        }) {
      Response r = range(bad).request().get();
      String text = r.readEntity(String.class);
      assertThat(r.getStatus()).as(bad + " -> " + text).isEqualTo(400);
      assertThat(text).as(bad).isNotBlank();
    }
    Response wide =
        loki.queryRange("{level=\"info\"}").queryParam("start", "0").queryParam("end", END).request().get();
    assertThat(wide.getStatus()).isEqualTo(400);
    assertThat(wide.readEntity(String.class)).contains("time range");
  }
}
