/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import static io.faultline.web.loki.LokiFixture.encoded;
import static io.faultline.web.loki.LokiFixture.error;
import static io.faultline.web.loki.LokiFixture.lines;
import static io.faultline.web.loki.LokiFixture.ns;
import static io.faultline.web.loki.LokiFixture.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.faultline.core.health.Health;
import io.faultline.store.TestData;
import jakarta.ws.rs.client.Entity;
import jakarta.ws.rs.client.WebTarget;
import jakarta.ws.rs.core.Form;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The HTTP surface of the Loki API as Grafana Loki 3.x answers it: parameters (times, durations,
 * form bodies), the series, index stats, buildinfo and readiness endpoints, and error statuses and
 * messages. Data: {@code LogTestData.canned()}; payments logs at NOW-30m, -20m and -10m.
 */
class LokiHttpApiTest {
  private static final Instant NOW = TestData.NOW;
  private static final String PAYMENTS = "{service_name=\"payments\"}";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final AtomicReference<Health> HEALTH = new AtomicReference<>(Health.ok());

  @RegisterExtension
  static final LokiFixture loki =
      new LokiFixture().withVersion("1.2.3").withResource(() -> new LokiReadyResource(HEALTH::get));

  private static WebTarget range(String query, String start, String end) {
    WebTarget t = loki.queryRange(query);
    if (start != null) {
      t = t.queryParam("start", start);
    }
    return end == null ? t : t.queryParam("end", end);
  }

  private static JsonNode post(String path, Form form) throws IOException {
    Response r = loki.target(path).request().post(Entity.form(form));
    String text = r.readEntity(String.class);
    assertThat(r.getStatus()).as(text).isEqualTo(200);
    return MAPPER.readTree(text);
  }

  @Test
  void startIsInclusiveAndEndExclusive() {
    JsonNode body = ok(range(PAYMENTS, ns(NOW.minusSeconds(1800)), ns(NOW.minusSeconds(600))));
    // the line at NOW-30m (= start) is in, the one at NOW-10m (= end) is not
    assertThat(lines(body))
        .containsExactly(
            "Retrying charge 550e8400-e29b-41d4-a716-446655440000 after card_declined",
            "PaymentService failed: card declined for order ord-42");
  }

  @Test
  void instantQueriesRefuseLogQueriesWithLokisMessage() {
    WebTarget t = loki.query(PAYMENTS).queryParam("time", ns(NOW));
    assertThat(error(t))
        .isEqualTo("log queries are not supported as an instant query type, please change your query to a range query type");
  }

  @Test
  void timestampsAreReadAsLokiReadsThem() {
    Instant t = Instant.ofEpochSecond(1_700_000_000L);
    assertThat(LokiParams.timestamp("1700000000", null)).isEqualTo(t);
    assertThat(LokiParams.timestamp("1700000000000000000", null)).isEqualTo(t);
    assertThat(LokiParams.timestamp("2023-11-14T22:13:20Z", null)).isEqualTo(t);
    assertThat(LokiParams.timestamp("2023-11-14T23:13:20.5+01:00", null)).isEqualTo(t.plusMillis(500));
    // float seconds, the fraction rounded to milliseconds as Loki does
    assertThat(LokiParams.timestamp("1700000000.1236", null)).isEqualTo(t.plusMillis(124));
    assertThat(LokiParams.timestamp("1700000000.", null)).isEqualTo(t);
    // an integer of more than 10 characters is nanoseconds, at most 10 seconds
    assertThat(LokiParams.timestamp("10000000000", null)).isEqualTo(Instant.ofEpochSecond(10));
    assertThat(LokiParams.timestamp("9999999999", null)).isEqualTo(Instant.ofEpochSecond(9_999_999_999L));
    assertThat(LokiParams.timestamp("-1", null)).isEqualTo(Instant.ofEpochSecond(-1));
    assertThat(LokiParams.secondsOrDurationNanos("0.25")).isEqualTo(250_000_000L);
    assertThat(LokiParams.secondsOrDurationNanos("1m30s")).isEqualTo(90_000_000_000L);

    // the same window in every form, through the API
    Instant start = NOW.minusSeconds(1800);
    Instant end = NOW.minusSeconds(600);
    List<String> expected = lines(ok(range(PAYMENTS, ns(start), ns(end))));
    assertThat(expected).hasSize(2);
    assertThat(lines(ok(range(PAYMENTS, String.valueOf(start.getEpochSecond()), end.getEpochSecond() + ".000"))))
        .isEqualTo(expected);
    assertThat(lines(ok(range(PAYMENTS, start.toString(), end.toString()))))
        .isEqualTo(expected);
    JsonNode instant =
        ok(loki.query("sum(count_over_time(" + PAYMENTS + "[1h]))").queryParam("time", "2026-11-24T09:55:00Z"));
    assertThat(instant.at("/data/result/0/value/0").asLong()).isEqualTo(NOW.minusSeconds(300).getEpochSecond());
    assertThat(instant.at("/data/result/0/value/1").asText()).isEqualTo("3");
  }

  @Test
  void sinceIsADurationBeforeEndOrBeforeNowWhenEndIsInTheFuture() {
    JsonNode sinceEnd =
        ok(range(PAYMENTS, null, ns(NOW.minusSeconds(900))).queryParam("since", "10m"));
    assertThat(lines(sinceEnd)).containsExactly("Retrying charge 550e8400-e29b-41d4-a716-446655440000 after card_declined");
    JsonNode future =
        ok(range(PAYMENTS, null, ns(NOW.plusSeconds(3600))).queryParam("since", "15m"));
    assertThat(lines(future)).containsExactly("Timeout calling https://bank.example.com/v2/charge");
    // since takes Prometheus durations only, not seconds
    assertThat(error(range(PAYMENTS, null, ns(NOW)).queryParam("since", "600")))
        .isEqualTo("could not parse 'since' parameter: not a valid duration string: \"600\"");
  }

  @Test
  void everyQueryEndpointTakesAFormBody() throws IOException {
    String start = ns(NOW.minusSeconds(3600));
    String end = ns(NOW);
    JsonNode logs =
        post("/loki/api/v1/query_range",
            new Form().param("query", PAYMENTS + " |= \"card\"").param("start", start).param("end", end));
    assertThat(lines(logs)).hasSize(2);
    JsonNode metric =
        post("/loki/api/v1/query", new Form().param("query", "sum(count_over_time(" + PAYMENTS + "[1h]))").param("time", end));
    assertThat(metric.at("/data/result/0/value/1").asText()).isEqualTo("3");
    assertThat(post("/loki/api/v1/labels", new Form().param("start", start).param("end", end)).get("data"))
        .extracting(JsonNode::asText)
        .contains("service_name", "level");
    assertThat(post("/loki/api/v1/label/service_name/values", new Form().param("start", start).param("end", end)).get("data"))
        .extracting(JsonNode::asText)
        .contains("payments", "checkout");
    assertThat(post("/loki/api/v1/series", new Form().param("match[]", PAYMENTS).param("start", start).param("end", end))
            .get("data"))
        .hasSize(2);
    assertThat(post("/loki/api/v1/index/stats", new Form().param("query", PAYMENTS).param("start", start).param("end", end))
            .get("entries").asLong())
        .isEqualTo(3);
    // the body wins over the URL, as in Go's Request.Form
    Response r =
        loki.queryRange("{service_name=\"nope\"}")
            .request().post(Entity.form(new Form().param("query", PAYMENTS).param("start", start).param("end", end)));
    assertThat(lines(MAPPER.readTree(r.readEntity(String.class)))).hasSize(3);
  }

  @Test
  void labelsAndValuesAreRestrictedToTheQuerysStreams() {
    String start = ns(NOW.minusSeconds(3600));
    String end = ns(NOW);
    JsonNode names = ok(loki.target("/loki/api/v1/labels", "{service_name=\"checkout\"}")
        .queryParam("start", start).queryParam("end", end));
    assertThat(names.get("data")).extracting(JsonNode::asText).containsExactly("level", "service_name", "service_namespace");
    JsonNode values = ok(loki.target("/loki/api/v1/label/level/values", PAYMENTS)
        .queryParam("start", start).queryParam("end", end));
    assertThat(values.get("data")).extracting(JsonNode::asText).containsExactly("error", "warn");
    // within start and end: the warning at NOW-20m is outside
    JsonNode recent = ok(loki.target("/loki/api/v1/label/level/values", PAYMENTS)
        .queryParam("start", ns(NOW.minusSeconds(900))).queryParam("end", end));
    assertThat(recent.get("data")).extracting(JsonNode::asText).containsExactly("error");
    assertThat(error(loki.target("/loki/api/v1/labels", PAYMENTS + " |= \"x\"")))
        .isEqualTo("only label matchers are supported");
  }

  @Test
  void seriesListsTheLabelSetsOfMatchingStreams() {
    String start = ns(NOW.minusSeconds(3600));
    String end = ns(NOW);
    JsonNode body = ok(loki.target("/loki/api/v1/series").queryParam("match[]", encoded(PAYMENTS))
        .queryParam("start", start).queryParam("end", end));
    assertThat(body.get("status").asText()).isEqualTo("success");
    assertThat(body.get("data")).hasSize(2);
    JsonNode first = body.at("/data/0");
    assertThat(first.get("service_name").asText()).isEqualTo("payments");
    assertThat(first.get("service_namespace").asText()).isEqualTo("shop");
    assertThat(first.get("deployment_environment").asText()).isEqualTo("prod");
    assertThat(first.get("level").asText()).isEqualTo("error");
    assertThat(first.has("detected_level")).as("structured metadata is not a stream label").isFalse();
    // repeated match[] is a union; match works too
    JsonNode union = ok(loki.target("/loki/api/v1/series").queryParam("match[]", encoded(PAYMENTS))
        .queryParam("match", encoded("{level=\"fatal\"}"))
        .queryParam("start", start).queryParam("end", end));
    assertThat(union.get("data")).hasSize(3);
    JsonNode all = ok(loki.target("/loki/api/v1/series").queryParam("start", start).queryParam("end", end));
    assertThat(all.get("data").size()).isGreaterThan(3);
    assertThat(error(loki.target("/loki/api/v1/series").queryParam("match[]", encoded("{service_name=\"x\""))))
        .isNotBlank();
    // an empty match[] was a 500 (NullPointerException)
    assertThat(error(loki.target("/loki/api/v1/series").queryParam("match[]", "")))
        .startsWith("query is empty");
  }

  @Test
  void indexStatsCountStreamsChunksEntriesAndBytes() {
    JsonNode stats = ok(loki.target("/loki/api/v1/index/stats", PAYMENTS)
        .queryParam("start", ns(NOW.minusSeconds(3600))).queryParam("end", ns(NOW)));
    long bytes =
        List.of(
                "PaymentService failed: card declined for order ord-42",
                "Retrying charge 550e8400-e29b-41d4-a716-446655440000 after card_declined",
                "Timeout calling https://bank.example.com/v2/charge")
            .stream()
            .mapToLong(l -> l.getBytes(StandardCharsets.UTF_8).length)
            .sum();
    assertThat(stats.get("streams").asLong()).isEqualTo(2);
    assertThat(stats.get("chunks").asLong()).as("one 2h window per stream").isEqualTo(2);
    assertThat(stats.get("entries").asLong()).isEqualTo(3);
    assertThat(stats.get("bytes").asLong()).isEqualTo(bytes);
    assertThat(stats.has("status")).as("not in the envelope, as Loki answers").isFalse();
  }

  @Test
  void buildInfoNamesFaultlineInLokisShape() {
    JsonNode info = ok(loki.target("/loki/api/v1/status/buildinfo"));
    assertThat(info.get("version").asText()).isEqualTo(LokiResource.COMPATIBLE_VERSION);
    assertThat(info.get("revision").asText()).isEqualTo("faultline-1.2.3");
    assertThat(info.has("branch") && info.has("buildUser") && info.has("buildDate") && info.has("goVersion")).isTrue();
  }

  @Test
  void readyFollowsTheLogStoresHealth() {
    Response ok = loki.target("/ready").request().get();
    assertThat(ok.getStatus()).isEqualTo(200);
    assertThat(ok.readEntity(String.class)).isEqualTo("ready");
    HEALTH.set(Health.unhealthy("index closed"));
    try {
      Response down = loki.target("/ready").request().get();
      assertThat(down.getStatus()).isEqualTo(503);
      assertThat(down.readEntity(String.class)).contains("index closed");
    } finally {
      HEALTH.set(Health.ok());
    }
  }

  @Test
  void endpointsFaultlineDoesNotServeAnswerAPlainNotFoundAndTheTailWantsAWebSocket() {
    // as Loki answers patterns when its pattern ingester is off
    for (Response r : List.of(
        loki.target("/loki/api/v1/patterns", PAYMENTS).request().get(),
        loki.target("/loki/api/v1/patterns").request().post(Entity.form(new Form().param("query", PAYMENTS))))) {
      String text = r.readEntity(String.class);
      assertThat(r.getStatus()).isEqualTo(404);
      assertThat(r.getMediaType().toString()).startsWith("text/plain");
      assertThat(text).contains("patterns").contains("not implemented");
    }
    // the tail is a WebSocket (LokiTail); a plain GET is told so
    Response tail = loki.target("/loki/api/v1/tail", PAYMENTS).request().get();
    assertThat(tail.getStatus()).isEqualTo(400);
    assertThat(tail.readEntity(String.class)).contains("WebSocket");
  }

  @Test
  void badParametersAre400WithLokisMessages() {
    String end = ns(NOW);
    assertThat(error(range(PAYMENTS, "yesterday", end))).startsWith("could not parse 'start' parameter: ");
    assertThat(error(range(PAYMENTS, null, "soon"))).startsWith("could not parse 'end' parameter: ");
    assertThat(error(range(PAYMENTS, ns(NOW), ns(NOW.minus(Duration.ofMinutes(1))))))
        .isEqualTo("end timestamp must not be before or equal to start time");
    assertThat(error(range(PAYMENTS, null, end).queryParam("limit", "0"))).isEqualTo("limit must be a positive value");
    assertThat(error(range(PAYMENTS, null, end).queryParam("limit", "many")))
        .isEqualTo("strconv.Atoi: parsing \"many\": invalid syntax");
    assertThat(error(range(PAYMENTS, null, end).queryParam("limit", "6000")))
        .isEqualTo("max entries limit per query exceeded, limit > max_entries_limit (6000 > 5000)");
    assertThat(error(range(PAYMENTS, null, end).queryParam("direction", "sideways"))).isEqualTo("invalid direction 'sideways'");
    assertThat(error(range(PAYMENTS, null, end).queryParam("step", "often"))).isEqualTo("cannot parse \"often\" to a valid duration");
    assertThat(error(range(PAYMENTS, null, end).queryParam("step", "0")))
        .isEqualTo("zero or negative query resolution step widths are not accepted. Try a positive integer");
    assertThat(error(range(PAYMENTS, null, end).queryParam("step", "0.1")))
        .isEqualTo("exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter");
    assertThat(error(loki.query("rate(" + PAYMENTS + "[1m])").queryParam("time", "later")))
        .startsWith("could not parse 'time' parameter: ");
  }

  @Test
  void timesBeyondUnixNanosecondsAre400() {
    // these overflowed int64 nanoseconds and were a 500 (ArithmeticException)
    String end = ns(NOW);
    assertThat(error(range(PAYMENTS, "-9223372036854775808", end)))
        .isEqualTo(
            "could not parse 'start' parameter: timestamp \"-9223372036854775808\" is out of range:"
                + " it must be between 1677-09-21T00:12:44Z and 2262-04-11T23:47:15Z");
    assertThat(error(range(PAYMENTS, null, "9999-12-31T23:59:59Z")))
        .startsWith("could not parse 'end' parameter: timestamp \"9999-12-31T23:59:59Z\" is out of range");
    assertThat(error(loki.target("/loki/api/v1/index/volume").queryParam("query", encoded(PAYMENTS))
            .queryParam("end", "-9223372036854775808")))
        .startsWith("could not parse 'end' parameter: ");
    assertThat(error(loki.query("rate(" + PAYMENTS + "[1m])").queryParam("time", "99999999999.5")))
        .startsWith("could not parse 'time' parameter: ");
    // a since reaching before 1677 is the widest range, refused as too wide
    assertThat(error(range(PAYMENTS, null, end).queryParam("since", "500y")))
        .startsWith("the query time range exceeds the limit");
  }
}
