/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import io.faultline.alert.Alerting;
import io.faultline.alert.AlertingConfig;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.Sample;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import io.faultline.metric.LuceneMetricStore;
import jakarta.ws.rs.client.WebTarget;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The alerting resources over a real store and rule evaluation, checked as JSON. */
@ExtendWith(DropwizardExtensionsSupport.class)
class AlertResourcesTest {
  private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path DIR;
  private static final LuceneMetricStore STORE;
  private static final Alerting ALERTING;
  private static long position = 1;

  static {
    try {
      DIR = Files.createTempDirectory("alert-resources");
      Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
      STORE = LuceneMetricStore.builder(DIR.resolve("m")).clock(clock).build();
      TelemetrySink sink = batch -> {
        try {
          apply(batch);
          return CompletableFuture.completedFuture(null);
        } catch (IOException e) {
          return CompletableFuture.failedFuture(e);
        }
      };
      TimeSeries.Builder up = TimeSeries.newBuilder()
          .addLabels(Label.newBuilder().setName("__name__").setValue("up"))
          .addLabels(Label.newBuilder().setName("instance").setValue("a:80"))
          .addLabels(Label.newBuilder().setName("job").setValue("api"))
          .addSamples(Sample.newBuilder().setTimestamp(NOW.toEpochMilli() - 15_000).setValue(0));
      apply(TelemetryBatch.of(Signal.PROMETHEUS_WRITE,
          WriteRequest.newBuilder().addTimeseries(up).build()));
      Files.writeString(DIR.resolve("r.yml"), """
          groups:
            - name: example
              rules:
                - record: job:up:sum
                  expr: sum by (job) (up)
                - alert: InstanceDown
                  expr: up == 0
                  for: 5m
                  labels: {severity: page}
                  annotations: {summary: "{{ $labels.instance }} down"}
          """);
      // Listed first in the configuration, yet its groups sort after r.yml's, as in Prometheus.
      Files.writeString(DIR.resolve("z.yml"), """
          groups:
            - name: zeta
              rules:
                - alert: TooManyUp
                  expr: up > 1
                  labels: {severity: ticket}
            - name: alpha
              rules:
                - record: instance:up:count
                  expr: count by (instance) (up)
                  labels: {team: infra}
            - name: empty
              rules: []
          """);
      Files.writeString(DIR.resolve("s.yml"),
          "slos:\n  - {name: availability, service: api, objective: 99.5}\n");
      AlertingConfig c = new AlertingConfig();
      c.ruleFiles = List.of("z.yml", "r.yml");
      c.sloFiles = List.of("s.yml");
      ALERTING = Alerting.builder(c, STORE.queries(), sink, DIR.resolve("data")).baseDir(DIR)
          .clock(clock).build();
      ALERTING.tick();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static synchronized void apply(TelemetryBatch b) throws IOException {
    long next = position + b.bytes().length + 16;
    STORE.indexer().apply(position, next, b);
    position = next;
    STORE.indexer().commit();
  }

  static final ResourceExtension resources = ResourceExtension.builder()
      .addResource(new RulesResource(ALERTING))
      .addResource(new AlertsResource(ALERTING))
      .addResource(new SloResource(ALERTING))
      .build();

  @AfterAll
  static void close() throws IOException {
    ALERTING.close();
    STORE.close();
  }

  private static JsonNode get(String path) {
    try {
      return JSON.readTree(resources.target(path).request().get(String.class));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Status and JSON body of a GET with query parameters given as name, value, name, value... */
  private static Answer rules(String... params) {
    WebTarget t = resources.target("/api/v1/rules");
    for (int i = 0; i < params.length; i += 2) {
      // encoded, or Jersey reads a selector's braces as a URI template (and a "+" as itself)
      t = t.queryParam(params[i],
          URLEncoder.encode(params[i + 1], StandardCharsets.UTF_8).replace("+", "%20"));
    }
    try (Response r = t.request().get()) {
      return new Answer(r.getStatus(), JSON.readTree(r.readEntity(String.class)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private record Answer(int status, JsonNode json) {
    String error() {
      return json.get("errorType").asText() + ": " + json.get("error").asText();
    }
  }

  @Test
  void rulesAnswerLikePrometheus() {
    JsonNode g = get("/api/v1/rules").get("data").get("groups").get(0);
    assertThat(g.get("name").asText()).isEqualTo("example");
    assertThat(g.get("file").asText()).endsWith("r.yml");
    assertThat(g.get("interval").asDouble()).isEqualTo(60);
    assertThat(g.get("lastEvaluation").asText()).isEqualTo("2025-03-01T12:00:00Z");
    JsonNode rec = g.get("rules").get(0);
    assertThat(rec.get("type").asText()).isEqualTo("recording");
    assertThat(rec.get("health").asText()).isEqualTo("ok");
    assertThat(rec.has("labels")).isFalse();
    JsonNode alert = g.get("rules").get(1);
    assertThat(alert.get("state").asText()).isEqualTo("pending");
    assertThat(alert.get("duration").asDouble()).isEqualTo(300);
    assertThat(alert.get("alerts").get(0).get("value").asText()).isEqualTo("0e+00");
    assertThat(alert.get("alerts").get(0).get("activeAt").asText())
        .isEqualTo("2025-03-01T12:00:00Z");
    JsonNode onlyRecords = JSON.valueToTree(resources.target("/api/v1/rules")
        .queryParam("type", "record").request().get(java.util.Map.class))
        .get("data").get("groups");
    assertThat(onlyRecords.get(0).get("rules")).hasSize(1);
    assertThat(resources.target("/api/v1/rules").queryParam("type", "x").request().get()
        .getStatus()).isEqualTo(400);
  }

  @Test
  void groupsSortedByFileThenNameLikePrometheus() {
    JsonNode groups = get("/api/v1/rules").get("data").get("groups");
    assertThat(groups).extracting(g -> g.get("file").asText().replaceAll(".*/", ""),
            g -> g.get("name").asText())
        .containsExactly(tuple("r.yml", "example"), tuple("s.yml", "slo:api-availability"),
            tuple("z.yml", "alpha"), tuple("z.yml", "zeta"));
  }

  @Test
  void badTypeAndExcludeAlertsAnswerPrometheusErrors() {
    Answer type = rules("type", "Bogus");
    assertThat(type.status()).isEqualTo(400);
    assertThat(type.error()).as("Prometheus lower-cases the type before it answers")
        .isEqualTo("bad_data: invalid parameter \"type\": not supported value \"bogus\"");
    Answer exclude = rules("exclude_alerts", "Maybe");
    assertThat(exclude.status()).isEqualTo(400);
    assertThat(exclude.error()).isEqualTo("bad_data: invalid parameter \"exclude_alerts\": "
        + "error converting exclude_alerts: strconv.ParseBool: parsing \"maybe\": invalid syntax");
  }

  @Test
  void excludeAlertsTakesGoBooleans() {
    for (String yes : List.of("TRUE", "1", "t")) {
      JsonNode rule = rules("exclude_alerts", yes, "rule_name[]", "InstanceDown").json()
          .get("data").get("groups").get(0).get("rules").get(0);
      assertThat(rule.get("alerts")).as(yes).isEmpty();
    }
    JsonNode rule = rules("exclude_alerts", "F", "rule_name[]", "InstanceDown").json()
        .get("data").get("groups").get(0).get("rules").get(0);
    assertThat(rule.get("alerts")).hasSize(1);
  }

  private static List<String> ruleNames(Answer a) {
    List<String> out = new java.util.ArrayList<>();
    a.json().get("data").get("groups").forEach(g -> g.get("rules").forEach(
        r -> out.add(g.get("name").asText() + "/" + r.get("name").asText())));
    return out;
  }

  @Test
  void matchKeepsRulesWhoseLabelsMatchAnySelector() {
    assertThat(ruleNames(rules("match[]", "{team=\"infra\"}")))
        .containsExactly("alpha/instance:up:count");
    assertThat(ruleNames(rules("match[]", "{severity=\"page\"}")))
        .contains("example/InstanceDown")
        .doesNotContain("example/job:up:sum", "zeta/TooManyUp", "alpha/instance:up:count");
    assertThat(ruleNames(rules("match[]", "{severity=\"page\"}", "match[]", "{team=~\"inf.*\"}")))
        .contains("example/InstanceDown", "alpha/instance:up:count")
        .doesNotContain("zeta/TooManyUp");
    assertThat(ruleNames(rules("match[]", "{severity=\"ticket\", team=\"\"}")))
        .as("a missing label is the empty string").contains("zeta/TooManyUp")
        .doesNotContain("example/InstanceDown", "alpha/instance:up:count");
    assertThat(ruleNames(rules("match[]", "{alertname=\"InstanceDown\"}")))
        .as("only the configured labels count").isEmpty();
  }

  @Test
  void badMatchAnswersPrometheusErrors() {
    Answer empty = rules("match[]", "{severity=\"page\"}", "match[]", "{team=\"\"}");
    assertThat(empty.status()).isEqualTo(400);
    assertThat(empty.error())
        .isEqualTo("bad_data: match[] must contain at least one non-empty matcher");
    Answer broken = rules("match[]", "{severity=\"page\"");
    assertThat(broken.status()).isEqualTo(400);
    assertThat(broken.error()).startsWith("bad_data: 1:").contains("parse error");
  }

  private static List<String> groupNames(Answer a) {
    List<String> out = new java.util.ArrayList<>();
    a.json().get("data").get("groups").forEach(g -> out.add(g.get("name").asText()));
    return out;
  }

  /** Prometheus' token: the hex SHA-1 of "file;group" of the next page's first group. */
  private static String token(String file, String group) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
        .digest((file + ";" + group).getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void groupLimitPagesThroughGroupsWithPrometheusTokens() throws Exception {
    JsonNode all = rules().json().get("data").get("groups");
    assertThat(groupNames(rules()))
        .as("a group without rules is left out").doesNotContain("empty").hasSize(4);
    Answer first = rules("group_limit", "3");
    assertThat(groupNames(first)).containsExactly("example", "slo:api-availability", "alpha");
    assertThat(first.json().get("data").get("groupNextToken").asText())
        .isEqualTo(token(all.get(3).get("file").asText(), "zeta"));
    Answer last = rules("group_limit", "3",
        "group_next_token", first.json().get("data").get("groupNextToken").asText());
    assertThat(groupNames(last)).containsExactly("zeta");
    assertThat(last.json().get("data").has("groupNextToken")).isFalse();
    assertThat(rules("group_limit", "4").json().get("data").has("groupNextToken")).isFalse();
    Answer filtered =
        rules("group_limit", "1", "rule_name[]", "job:up:sum", "rule_name[]", "TooManyUp");
    assertThat(groupNames(filtered)).containsExactly("example");
    assertThat(filtered.json().get("data").get("groupNextToken").asText())
        .as("pages count only the groups left after filtering")
        .isEqualTo(token(all.get(3).get("file").asText(), "zeta"));
  }

  @Test
  void badPaginationAnswersPrometheusErrors() {
    Map<List<String>, String> cases = new LinkedHashMap<>();
    cases.put(List.of("group_limit", "0"),
        "invalid parameter \"group_limit\": group_limit needs to be greater than 0");
    cases.put(List.of("group_limit", "-2"),
        "invalid parameter \"group_limit\": group_limit needs to be greater than 0");
    cases.put(List.of("group_limit", "two"), "invalid parameter \"group_limit\": group_limit "
        + "needs to be a valid number: strconv.ParseInt: parsing \"two\": invalid syntax");
    cases.put(List.of("group_limit", "2147483648"), "invalid parameter \"group_limit\": "
        + "group_limit needs to be a valid number: strconv.ParseInt: parsing \"2147483648\": "
        + "value out of range");
    cases.put(List.of("group_next_token", "abc"), "invalid parameter \"group_next_token\": "
        + "group_limit needs to be present in order to paginate over the groups");
    cases.put(List.of("group_limit", "1", "group_next_token", "abc"),
        "invalid parameter \"group_next_token\": invalid group_next_token 'abc'. "
            + "were rule groups changed?");
    cases.forEach((params, error) -> {
      Answer a = rules(params.toArray(String[]::new));
      assertThat(a.status()).as(params.toString()).isEqualTo(400);
      assertThat(a.error()).as(params.toString()).isEqualTo("bad_data: " + error);
    });
  }

  @Test
  void alertsListPendingAndFiring() {
    JsonNode a = get("/api/v1/alerts").get("data").get("alerts").get(0);
    assertThat(a.get("labels").toString()).isEqualTo(
        "{\"alertname\":\"InstanceDown\",\"instance\":\"a:80\",\"job\":\"api\",\"severity\":\"page\"}");
    assertThat(a.get("annotations").get("summary").asText()).isEqualTo("a:80 down");
    assertThat(a.get("state").asText()).isEqualTo("pending");
  }

  @Test
  void slosListBudgetAndAlerts() {
    JsonNode s = get("/api/slos").get("slos").get(0);
    assertThat(s.get("name").asText()).isEqualTo("availability");
    assertThat(s.get("id").asText()).as("the sloth_id of its series").isEqualTo("api-availability");
    assertThat(s.get("window").asText()).isEqualTo("4w");
    assertThat(s.get("alerts")).hasSize(4);
    assertThat(s.get("errorRatios").get("5m").isNull()).isTrue();  // no traffic
    assertThat(resources.target("/api/slos/nope").request().get().getStatus()).isEqualTo(404);
  }
}
