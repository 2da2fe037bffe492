/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import io.faultline.core.metric.InvalidQueryException;
import io.faultline.core.metric.MetricMetadata;
import io.faultline.core.metric.MetricQueries;
import io.faultline.core.metric.PromqlResult;
import io.faultline.core.metric.QueryFailedException;
import io.faultline.core.metric.QueryOptions;
import io.faultline.core.metric.QueryTimedOutException;
import jakarta.ws.rs.client.Entity;
import jakarta.ws.rs.client.WebTarget;
import jakarta.ws.rs.core.Form;
import jakarta.ws.rs.core.Response;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Prometheus API resource over a scripted {@link MetricQueries} that records what it was asked
 * (the metric store's Lucene implementation did not exist yet when this was written; the store's
 * own behaviour is its contract suite's business). What is checked here is the resource's part:
 * parameter parsing, defaults, the envelope, value and time formatting, and error mapping.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class PrometheusApiResourceTest {
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00.250Z");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ScriptedQueries STORE = new ScriptedQueries();

  static final ResourceExtension resources =
      ResourceExtension.builder()
          .addResource(
              new PrometheusApiResource(STORE, Clock.fixed(NOW, ZoneOffset.UTC), "0.1.0"))
          .build();

  @BeforeEach
  void reset() {
    STORE.calls.clear();
    STORE.answer = null;
    STORE.failure = null;
  }

  @Test
  void instantQueryRendersAVectorExactlyAsPrometheus() {
    STORE.answer =
        () ->
            new PromqlResult(
                PromqlResult.ResultType.VECTOR,
                List.of(
                    series(Map.of("__name__", "up", "job", "api"), new long[] {1435781451781L}, new double[] {1}),
                    series(Map.of(), new long[] {1435781451781L}, new double[] {1e21})),
                1435781451781L,
                Double.NaN,
                null,
                List.of(),
                List.of());
    Response r =
        target("/api/v1/query")
            .queryParam("query", "up")
            .queryParam("time", "2015-07-01T20:10:51.781Z")
            .request()
            .get();
    assertThat(r.getStatus()).isEqualTo(200);
    assertThat(r.getMediaType().toString()).startsWith("application/json");
    assertThat(r.readEntity(String.class))
        .isEqualTo(
            "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                + "{\"metric\":{\"__name__\":\"up\",\"job\":\"api\"},\"value\":[1435781451.781,\"1\"]},"
                + "{\"metric\":{},\"value\":[1435781451.781,\"1e+21\"]}]}}");
    assertThat(STORE.calls).containsExactly("instant up @1435781451781 " + QueryOptions.DEFAULTS);
  }

  @Test
  void instantQueryDefaultsToNowAndPassesTimeoutLookbackAndLimit() {
    STORE.answer = () -> scalar(NOW.toEpochMilli(), 2.5);
    String body =
        target("/api/v1/query")
            .queryParam("query", "2.5")
            .queryParam("timeout", "30s")
            .queryParam("lookback_delta", "1m")
            .queryParam("limit", "7")
            .request()
            .get(String.class);
    assertThat(body)
        .isEqualTo("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1780315200.25,\"2.5\"]}}");
    assertThat(STORE.calls)
        .containsExactly(
            "instant 2.5 @" + NOW.toEpochMilli() + " " + new QueryOptions(Duration.ofSeconds(30), Duration.ofMinutes(1), 7));
  }

  @Test
  void rangeQueryByPostFormWithWarningsInfosAndSpecialValues() throws Exception {
    STORE.answer =
        () ->
            new PromqlResult(
                PromqlResult.ResultType.MATRIX,
                List.of(
                    series(
                        new TreeMap<>(Map.of("__name__", "x", "a", "b")),
                        new long[] {1000, 16000, 31000},
                        new double[] {Double.NaN, Double.POSITIVE_INFINITY, -1.5e-7})),
                0,
                Double.NaN,
                null,
                List.of("PromQL warning: something"),
                List.of("PromQL info: something else"));
    Form form = new Form().param("query", "rate(x[5m])").param("start", "1").param("end", "31").param("step", "15s");
    Response r = target("/api/v1/query_range").request().post(Entity.form(form));
    assertThat(r.getStatus()).isEqualTo(200);
    assertThat(r.readEntity(String.class))
        .isEqualTo(
            "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
                + "{\"metric\":{\"__name__\":\"x\",\"a\":\"b\"},\"values\":[[1,\"NaN\"],[16,\"+Inf\"],[31,\"-1.5e-07\"]]}]},"
                + "\"warnings\":[\"PromQL warning: something\"],\"infos\":[\"PromQL info: something else\"]}");
    assertThat(STORE.calls).containsExactly("range rate(x[5m]) 1000..31000/15000 " + QueryOptions.DEFAULTS);
  }

  @Test
  void stringResults() {
    STORE.answer =
        () -> new PromqlResult(PromqlResult.ResultType.STRING, List.of(), 5, Double.NaN, "hello \"you\"", List.of(), List.of());
    assertThat(target("/api/v1/query").queryParam("query", "\"hello\"").request().get(String.class))
        .isEqualTo("{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[0.005,\"hello \\\"you\\\"\"]}}");
  }

  @Test
  void badParametersAreBadDataWithPrometheusMessages() throws Exception {
    assertError(target("/api/v1/query").queryParam("query", "up").queryParam("time", "noon"), 400, "bad_data",
        "invalid parameter \"time\": Invalid time value for 'time': cannot parse \"noon\" to a valid timestamp");
    assertError(target("/api/v1/query_range").queryParam("query", "up").queryParam("end", "2").queryParam("step", "1"), 400, "bad_data",
        "invalid parameter \"start\": cannot parse \"\" to a valid timestamp");
    assertError(range("10", "5", "1"), 400, "bad_data", "invalid parameter \"end\": end timestamp must not be before start time");
    assertError(range("1", "5", "0"), 400, "bad_data",
        "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer");
    assertError(range("1", "5", "soon"), 400, "bad_data", "invalid parameter \"step\": cannot parse \"soon\" to a valid duration");
    assertError(range("0", "11001", "1"), 400, "bad_data",
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)");
    assertError(target("/api/v1/query").queryParam("query", "up").queryParam("timeout", "x"), 400, "bad_data",
        "invalid parameter \"timeout\": cannot parse \"x\" to a valid duration");
    assertThat(STORE.calls).isEmpty();
  }

  @Test
  void storeFailuresMapToPrometheusErrorTypes() throws Exception {
    STORE.failure = () -> new InvalidQueryException("1:3: parse error: unexpected end of input");
    assertError(target("/api/v1/query").queryParam("query", enc("up{")), 400, "bad_data",
        "invalid parameter \"query\": 1:3: parse error: unexpected end of input");
    STORE.failure = () -> new QueryFailedException("vector cannot contain metrics with the same labelset");
    assertError(target("/api/v1/query").queryParam("query", "x"), 422, "execution",
        "vector cannot contain metrics with the same labelset");
    STORE.failure = () -> new QueryTimedOutException("query timed out in expression evaluation", null);
    assertError(range("1", "5", "1"), 503, "timeout", "query timed out in expression evaluation");
    STORE.failure = () -> new IllegalStateException("index closed");
    JsonNode internal = assertError(target("/api/v1/query").queryParam("query", "x"), 500, "internal", null);
    assertThat(internal.get("error").asText()).contains("index closed");
  }

  @Test
  void seriesNeedsMatchAndTruncatesToTheLimitWithAWarning() throws Exception {
    assertError(target("/api/v1/series"), 400, "bad_data", "no match[] parameter provided");
    STORE.answer =
        () -> List.of(Map.of("__name__", "up", "job", "a"), Map.of("__name__", "up", "job", "b"), Map.of("__name__", "up", "job", "c"));
    String body =
        target("/api/v1/series")
            .queryParam("match[]", "up")
            .queryParam("match[]", enc("{job=\"a\"}"))
            .queryParam("start", "10")
            .queryParam("limit", "2")
            .request()
            .get(String.class);
    assertThat(body)
        .isEqualTo(
            "{\"status\":\"success\",\"data\":[{\"__name__\":\"up\",\"job\":\"a\"},{\"__name__\":\"up\",\"job\":\"b\"}],"
                + "\"warnings\":[\"results truncated due to limit\"]}");
    assertThat(STORE.calls)
        .containsExactly("series [up, {job=\"a\"}] 10000.." + PromParams.MAX_TIME_MS + " limit 3");

    STORE.calls.clear();
    Form form = new Form().param("match[]", "up");
    assertThat(target("/api/v1/series").request().post(Entity.form(form)).getStatus()).isEqualTo(200);
    assertThat(STORE.calls)
        .containsExactly("series [up] " + PromParams.MIN_TIME_MS + ".." + PromParams.MAX_TIME_MS + " limit 0");

    STORE.failure = () -> new InvalidQueryException("match[] must contain at least one non-empty matcher");
    assertError(target("/api/v1/series").queryParam("match[]", enc("{a=\"\"}")), 400, "bad_data",
        "invalid parameter \"match[]\": match[] must contain at least one non-empty matcher");
  }

  @Test
  void labelNamesAndValues() {
    STORE.answer = () -> List.of("__name__", "job");
    assertThat(target("/api/v1/labels").request().get(String.class))
        .isEqualTo("{\"status\":\"success\",\"data\":[\"__name__\",\"job\"]}");
    STORE.answer = () -> List.of("GET", "POST");
    assertThat(
            target("/api/v1/label/U__http_2e_method/values")
                .queryParam("match[]", "http_requests_total")
                .queryParam("end", "2015-07-01T20:10:51Z")
                .request()
                .get(String.class))
        .isEqualTo("{\"status\":\"success\",\"data\":[\"GET\",\"POST\"]}");
    assertThat(STORE.calls)
        .containsExactly(
            "labels [] " + PromParams.MIN_TIME_MS + ".." + PromParams.MAX_TIME_MS + " limit 0",
            "values http.method [http_requests_total] " + PromParams.MIN_TIME_MS + "..1435781451000 limit 0");
  }

  @Test
  void metadata() throws Exception {
    STORE.answer = () -> {
      Map<String, List<MetricMetadata>> m = new LinkedHashMap<>();
      m.put("http_requests_total", List.of(new MetricMetadata("counter", "Requests.", "")));
      return m;
    };
    assertThat(target("/api/v1/metadata").queryParam("limit_per_metric", "1").request().get(String.class))
        .isEqualTo(
            "{\"status\":\"success\",\"data\":{\"http_requests_total\":[{\"type\":\"counter\",\"help\":\"Requests.\",\"unit\":\"\"}]}}");
    assertThat(STORE.calls).containsExactly("metadata null 0 1");
    assertThat(target("/api/v1/metadata").queryParam("limit", "0").request().get(String.class))
        .isEqualTo("{\"status\":\"success\",\"data\":{}}");
    assertError(target("/api/v1/metadata").queryParam("limit", "x"), 400, "bad_data", "limit must be a number");
  }

  @Test
  void statusEndpointsGrafanaAsksFor() throws Exception {
    JsonNode build = JSON.readTree(target("/api/v1/status/buildinfo").request().get(String.class));
    assertThat(build.get("status").asText()).isEqualTo("success");
    assertThat(build.at("/data/version").asText()).isEqualTo("3.0.0");
    assertThat(build.at("/data/revision").asText()).isEqualTo("faultline-0.1.0");
    JsonNode runtime = JSON.readTree(target("/api/v1/status/runtimeinfo").request().get(String.class));
    assertThat(runtime.at("/data/startTime").asText()).isEqualTo(NOW.toString());
    JsonNode flags = JSON.readTree(target("/api/v1/status/flags").request().get(String.class));
    assertThat(flags.at("/data/query.lookback-delta").asText()).isEqualTo("5m");
    assertThat(target("/api/v1/query_exemplars").queryParam("query", "up").request().get(String.class))
        .isEqualTo("{\"status\":\"success\",\"data\":[]}");
  }

  @Test
  void exemplarQueriesAreCheckedLikeAnyOther() throws Exception {
    Response bad = target("/api/v1/query_exemplars").queryParam("query", enc("bad{")).request().get();
    assertThat(bad.getStatus()).isEqualTo(400);
    JsonNode body = JSON.readTree(bad.readEntity(String.class));
    assertThat(body.get("errorType").asText()).isEqualTo("bad_data");
    assertThat(body.get("error").asText())
        .isEqualTo("invalid parameter \"query\": 1:5: parse error: unexpected end of input inside braces");
    Response badTime =
        target("/api/v1/query_exemplars").queryParam("query", "up").queryParam("start", "soon")
            .request().get();
    assertThat(badTime.getStatus()).isEqualTo(400);
  }

  /** Braces would be taken for URI template variables. */
  private static String enc(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  private static WebTarget target(String path) {
    return resources.target(path);
  }

  private static WebTarget range(String start, String end, String step) {
    return target("/api/v1/query_range")
        .queryParam("query", "up")
        .queryParam("start", start)
        .queryParam("end", end)
        .queryParam("step", step);
  }

  private static JsonNode assertError(WebTarget t, int status, String type, String message) throws Exception {
    Response r = t.request().get();
    assertThat(r.getStatus()).isEqualTo(status);
    JsonNode body = JSON.readTree(r.readEntity(String.class));
    assertThat(body.get("status").asText()).isEqualTo("error");
    assertThat(body.get("errorType").asText()).isEqualTo(type);
    if (message != null) {
      assertThat(body.get("error").asText()).isEqualTo(message);
    }
    return body;
  }

  private static PromqlResult.Series series(Map<String, String> labels, long[] t, double[] v) {
    return new PromqlResult.Series(new TreeMap<>(labels), t, v);
  }

  private static PromqlResult scalar(long t, double v) {
    return new PromqlResult(PromqlResult.ResultType.SCALAR, List.of(), t, v, null, List.of(), List.of());
  }

  /** Records each call as a line and answers what the test scripted. */
  static final class ScriptedQueries implements MetricQueries {
    final List<String> calls = new ArrayList<>();
    volatile Supplier<?> answer;
    volatile Supplier<RuntimeException> failure;

    @SuppressWarnings("unchecked")
    private <T> T answer(String call) {
      calls.add(call);
      if (failure != null) {
        throw failure.get();
      }
      return (T) answer.get();
    }

    @Override
    public PromqlResult instantQuery(String expr, long timeMs, QueryOptions options) {
      return answer("instant " + expr + " @" + timeMs + " " + options);
    }

    @Override
    public void validate(String expr) {
      calls.add("validate " + expr);
      if (expr == null || expr.contains("{") && !expr.contains("}")) {
        throw new InvalidQueryException("1:5: parse error: unexpected end of input inside braces");
      }
    }

    @Override
    public PromqlResult rangeQuery(String expr, long startMs, long endMs, long stepMs, QueryOptions options) {
      return answer("range " + expr + " " + startMs + ".." + endMs + "/" + stepMs + " " + options);
    }

    @Override
    public List<Map<String, String>> series(List<String> matchers, long startMs, long endMs, int limit) {
      return answer("series " + matchers + " " + startMs + ".." + endMs + " limit " + limit);
    }

    @Override
    public List<String> labelNames(List<String> matchers, long startMs, long endMs, int limit) {
      return answer("labels " + matchers + " " + startMs + ".." + endMs + " limit " + limit);
    }

    @Override
    public List<String> labelValues(String labelName, List<String> matchers, long startMs, long endMs, int limit) {
      return answer("values " + labelName + " " + matchers + " " + startMs + ".." + endMs + " limit " + limit);
    }

    @Override
    public Map<String, List<MetricMetadata>> metadata(String metric, int limit, int limitPerMetric) {
      return answer("metadata " + metric + " " + limit + " " + limitPerMetric);
    }

    @Override
    public java.util.function.Predicate<Map<String, String>> selectorFilter(List<String> matchers) {
      return answer("selectorFilter " + matchers);
    }
  }
}
