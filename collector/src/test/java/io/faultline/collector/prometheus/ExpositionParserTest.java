/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.faultline.collector.prometheus.ExpositionParser.Exposition;
import io.faultline.collector.prometheus.ExpositionParser.Family;
import io.faultline.collector.prometheus.ExpositionParser.Format;
import io.faultline.collector.prometheus.ExpositionParser.Sample;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExpositionParserTest {

  @Test
  void textFormatWithHelpTypeLabelsEscapesAndTimestamps() {
    String body =
        "# HELP http_requests_total The total number of HTTP requests.\n"
            + "# TYPE http_requests_total counter\n"
            + "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
            + "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n"
            + "\n"
            + "# Escaping in label values:\n"
            + "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n"
            + "# Minimalistic line:\n"
            + "metric_without_timestamp_and_labels 12.47\n"
            + "something_weird{problem=\"division by zero\"} +Inf -3982045\n"
            + "# HELP help_escapes a \\\\ backslash and a \\n newline and a \\\" quote\n"
            + "trailing_comma{a=\"1\",} -Inf\n"
            + "tabs\t{a = \"1\" , b=\"2\"}\tNaN\n"
            + "empty_value_is_absent{a=\"\",b=\"x\"} 1\n"
            + "empty_braces{} 0x1p-2\n";
    Exposition e = ExpositionParser.parse(body, Format.TEXT);
    List<Sample> s = e.samples();
    assertThat(s).hasSize(9);
    assertThat(s.get(0).name()).isEqualTo("http_requests_total");
    assertThat(s.get(0).labels()).containsExactly("method", "post", "code", "200");
    assertThat(s.get(0).value()).isEqualTo(1027);
    assertThat(s.get(0).timestampMs()).isEqualTo(1395066363000L);
    assertThat(s.get(1).value()).isEqualTo(3);
    assertThat(s.get(2).labels())
        .containsExactly("path", "C:\\DIR\\FILE.TXT", "error", "Cannot find file:\n\"FILE.TXT\"");
    assertThat(s.get(2).value()).isEqualTo(1.458255915e9);
    assertThat(s.get(3).hasTimestamp()).isFalse();
    assertThat(s.get(4).value()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(s.get(4).timestampMs()).isEqualTo(-3982045L);
    assertThat(s.get(5).value()).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(s.get(5).labels()).containsExactly("a", "1");
    assertThat(s.get(6).value()).isNaN();
    assertThat(s.get(6).labels()).containsExactly("a", "1", "b", "2");
    assertThat(s.get(7).labels()).containsExactly("b", "x");
    assertThat(s.get(8).value()).isEqualTo(0.25);
    assertThat(e.families().get("http_requests_total"))
        .isEqualTo(new Family("counter", "The total number of HTTP requests.", ""));
    assertThat(e.families().get("help_escapes").help())
        .isEqualTo("a \\ backslash and a \n newline and a \\\" quote");
  }

  @Test
  void histogramsAndSummariesAreOrdinarySamples() {
    String body =
        "# TYPE rpc_duration_seconds summary\n"
            + "rpc_duration_seconds{quantile=\"0.5\"} 4773\n"
            + "rpc_duration_seconds_sum 1.7560473e+07\n"
            + "rpc_duration_seconds_count 2693\n"
            + "# TYPE http_request_duration_seconds histogram\n"
            + "http_request_duration_seconds_bucket{le=\"0.05\"} 24054\n"
            + "http_request_duration_seconds_bucket{le=\"+Inf\"} 144320\n";
    Exposition e = ExpositionParser.parse(body, Format.TEXT);
    assertThat(e.samples()).extracting(Sample::name)
        .containsExactly(
            "rpc_duration_seconds",
            "rpc_duration_seconds_sum",
            "rpc_duration_seconds_count",
            "http_request_duration_seconds_bucket",
            "http_request_duration_seconds_bucket");
    assertThat(e.samples().get(4).labels()).containsExactly("le", "+Inf");
    assertThat(e.families().get("http_request_duration_seconds").type()).isEqualTo("histogram");
  }

  @Test
  void openMetricsWithUnitsSecondTimestampsExemplarsAndEof() {
    String body =
        "# TYPE acme_http_router_request_seconds summary\n"
            + "# UNIT acme_http_router_request_seconds seconds\n"
            + "# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.\n"
            + "acme_http_router_request_seconds_sum{path=\"/api/v1\",method=\"GET\"} 9036.32\n"
            + "acme_http_router_request_seconds_count{path=\"/api/v1\",method=\"GET\"} 807283.0 1520879607.789\n"
            + "# TYPE foo counter\n"
            + "foo_total 17.0 1520879607.789 # {trace_id=\"KOO5S4vxi0o\"} 0.67 1520879606.1\n"
            + "foo_created 1520430000.123\n"
            + "# EOF\n";
    Exposition e = ExpositionParser.parse(body, Format.OPENMETRICS);
    assertThat(e.samples()).hasSize(4);
    assertThat(e.samples().get(1).timestampMs()).isEqualTo(1520879607789L);
    assertThat(e.samples().get(2).name()).isEqualTo("foo_total");
    assertThat(e.samples().get(2).value()).isEqualTo(17.0);
    assertThat(e.samples().get(2).timestampMs()).isEqualTo(1520879607789L);
    assertThat(e.families().get("acme_http_router_request_seconds"))
        .isEqualTo(
            new Family(
                "summary", "Latency though all of ACME's HTTP request router.", "seconds"));
    assertThat(e.families().get("foo").type()).isEqualTo("counter");
  }

  @Test
  void quotedUtf8NamesAsPrometheus3ReadsThem() {
    Exposition e =
        ExpositionParser.parse(
            "{\"my.metric\",\"http.method\"=\"GET\",code=\"200\"} 1\n"
                + "# TYPE \"other.metric\" gauge\n"
                + "{\"other.metric\"} 2\n",
            Format.TEXT);
    assertThat(e.samples().get(0).name()).isEqualTo("my.metric");
    assertThat(e.samples().get(0).labels()).containsExactly("http.method", "GET", "code", "200");
    assertThat(e.samples().get(1).name()).isEqualTo("other.metric");
    assertThat(e.families().get("other.metric").type()).isEqualTo("gauge");
  }

  @Test
  void contentTypeChoosesTheGrammar() {
    assertThat(Format.ofContentType("application/openmetrics-text; version=1.0.0; charset=utf-8"))
        .isEqualTo(Format.OPENMETRICS);
    assertThat(Format.ofContentType("text/plain; version=0.0.4; charset=utf-8")).isEqualTo(Format.TEXT);
    assertThat(Format.ofContentType(null)).isEqualTo(Format.TEXT);
  }

  @Test
  void malformedLinesFailTheWholeExpositionNamingTheLine() {
    assertError("ok 1\nbad{a=\"1\" 2\n", Format.TEXT, "line 2", "expected ',' or '}'");
    assertError("no_value\n", Format.TEXT, "line 1", "expected a value");
    assertError("x{a=\"1\",a=\"2\"} 1\n", Format.TEXT, "label name 'a' is not unique");
    assertError("x 1 notanumber\n", Format.TEXT, "invalid timestamp");
    assertError("x 1.5d\n", Format.TEXT, "invalid value '1.5d'");
    assertError("x Infinity2\n", Format.TEXT, "invalid value");
    assertError("x{a=\"unterminated} 1\n", Format.TEXT, "unterminated quoted label value");
    assertError("x{1a=\"b\"} 1\n", Format.TEXT, "invalid label name");
    assertError("9x 1\n", Format.TEXT, "invalid metric name");
    assertError("# TYPE x bogus\nx 1\n", Format.TEXT, "invalid metric type 'bogus'");
    assertError("x 1 2 3\n", Format.TEXT, "unexpected '3'");
    assertError("x 1\n", Format.OPENMETRICS, "does not end with '# EOF'");
    assertError("x 1\n# EOF\ny 2\n", Format.OPENMETRICS, "content after '# EOF'");
    assertError("x 1 NaN\n# EOF\n", Format.OPENMETRICS, "invalid timestamp");
  }

  @Test
  void aRepeatedTypeLineIsAcceptedAndTheLastWins() {
    for (Format f : Format.values()) {
      String body = "# TYPE x gauge\n# TYPE x counter\nx 1\n" + (f == Format.OPENMETRICS ? "# EOF\n" : "");
      Exposition e = ExpositionParser.parse(body, f);
      assertThat(e.samples()).hasSize(1);
      assertThat(e.families().get("x").type()).isEqualTo("counter");
    }
  }

  @Test
  void bucketAndQuantileValuesAreWrittenAsOpenMetricsFloats() {
    String body =
        "# TYPE h histogram\n"
            + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"10\"} 2\nh_bucket{le=\"0.50\"} 0\n"
            + "h_bucket{le=\"1e3\"} 3\nh_bucket{le=\"1000000\"} 3\nh_bucket{le=\"+Inf\"} 4\n"
            + "h_bucket{le=\"0.00001\"} 0\nh_bucket{le=\"high\"} 0\n"
            + "# TYPE s summary\n"
            + "s{quantile=\"1\"} 5\ns{quantile=\"0.990\"} 4\n"
            + "# TYPE g gauge\n"
            + "g{le=\"1\",quantile=\"0.50\"} 1\n";
    List<String> values =
        ExpositionParser.parse(body, Format.TEXT).samples().stream()
            .map(x -> x.labels()[1])
            .toList();
    assertThat(values)
        .containsExactly(
            "1.0", "10.0", "0.5", "1000.0", "1e+06", "+Inf", "1e-05", "high", "1.0", "0.99", "1");
  }

  @Test
  void anErrorTellsHowManySamplesCameBeforeIt() {
    assertThatThrownBy(() -> ExpositionParser.parse("a 1\nb 2\nthis is a bad line\n", Format.TEXT))
        .isInstanceOfSatisfying(
            ExpositionException.class, e -> assertThat(e.samplesBefore()).isEqualTo(2));
    assertThatThrownBy(() -> ExpositionParser.parse("a 1\nb 2\n", Format.OPENMETRICS))
        .isInstanceOfSatisfying(
            ExpositionException.class, e -> assertThat(e.samplesBefore()).isEqualTo(2));
  }

  @Test
  void anEmptyBodyHasNoSamples() {
    assertThat(ExpositionParser.parse("", Format.TEXT).samples()).isEmpty();
    assertThat(ExpositionParser.parse("# EOF\n", Format.OPENMETRICS).samples()).isEmpty();
  }

  @Test
  void goFloatSpellings() {
    assertThat(GoFloat.parse("1e3")).isEqualTo(1000);
    assertThat(GoFloat.parse("-1.5E-3")).isEqualTo(-0.0015);
    assertThat(GoFloat.parse(".5")).isEqualTo(0.5);
    assertThat(GoFloat.parse("inf")).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(GoFloat.parse("-Infinity")).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(GoFloat.parse("nan")).isNaN();
    for (String bad : List.of("", "+", "1f", "0x10", " 1", "1 ", "1e", "--1", "NaNa")) {
      assertThatThrownBy(() -> GoFloat.parse(bad)).as("'%s'", bad).isInstanceOf(NumberFormatException.class);
    }
  }

  private static void assertError(String body, Format format, String... fragments) {
    assertThatThrownBy(() -> ExpositionParser.parse(body, format))
        .isInstanceOf(ExpositionException.class)
        .message()
        .contains(fragments);
  }
}
