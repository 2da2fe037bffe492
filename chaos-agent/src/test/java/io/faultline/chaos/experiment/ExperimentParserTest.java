/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.faultline.chaos.fault.ActiveFault;
import io.faultline.chaos.fault.FaultContext;
import io.faultline.chaos.fault.FaultInjector;
import io.faultline.chaos.fault.FaultSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExperimentParserTest {
  static final FaultInjector LATENCY = new FaultInjector() {
    @Override
    public String type() {
      return "proxy-http";
    }

    @Override
    public List<String> validate(FaultSpec spec) {
      Object v = spec.parameters().get("delayMs");
      return v instanceof Number n && n.longValue() > 0 ? List.of() : List.of("delayMs: must be a positive number of milliseconds");
    }

    @Override
    public String describe(FaultSpec spec) {
      return "delay";
    }

    @Override
    public ActiveFault inject(FaultSpec spec, FaultContext context) {
      throw new UnsupportedOperationException();
    }
  };

  final ExperimentParser parser = new ExperimentParser(Map.of("proxy-http", LATENCY));

  static final String VALID = """
      title: checkout survives a slow inventory
      description: p99 stays under 1s
      schedule:
        cron: "0 10 * * MON-FRI"
        timeZone: Europe/Berlin
        blackouts: [{days: [SAT, SUN], from: "22:00", to: "06:00"}]
      targets: [{service: inventory}]
      steadyState:
        - {"type":"promql","name":"gateway p99","query":"histogram_quantile(0.99, sum by (le) (rate(traces_spanmetrics_latency_bucket{service=\\"gateway\\"}[1m])))","tolerance":{"max":1.0}}
        - {type: trace, name: gateway errors, service: gateway, measure: errorRatio, window: 2m, tolerance: "< 0.01"}
      method:
        - {name: slow-inventory, type: proxy-http, target: inventory, duration: 2m, parameters: {delayMs: 400}}
      haltWhen:
        - {type: promql, name: storm, query: "sum(rate(x[1m])) > 5"}
      rollbacks: [{name: reset, url: "http://localhost:9/reset"}]
      """;

  @Test
  void cronThatNeverFiresIsRejected() {
    for (String cron : new String[] {"0 0 0 30 2 *", "0 0 12 31 4 ?"}) {
      assertThatThrownBy(() -> parser.parse(VALID.replace("0 10 * * MON-FRI", cron), ExperimentParser.Format.YAML))
          .isInstanceOfSatisfying(ExperimentValidationException.class, e -> assertThat(e.problems())
              .containsExactly("schedule.cron: '" + cron + "' never fires (no date matches it, e.g. 30 February)"));
    }
    assertThat(ExperimentParser.neverFires("0 0 0 29 2 *", ZoneId.of("UTC"))).isFalse();
  }

  @Test
  void durationsNoRunCouldUseAreRejectedWithTheirLimit() throws Exception {
    String bad = VALID
        .replace("timeZone: Europe/Berlin", "timeZone: Europe/Berlin\n  maxRunTime: 99999999999d")
        .replace("rollbacks: [{name: reset, url: \"http://localhost:9/reset\"}]",
            "rollbacks: [{name: reset, url: \"http://localhost:9/reset\", timeout: 365d}]\nrecoveryDeadline: 7h")
        .replace("  - {type: trace, name: gateway errors", "  - {type: http, name: up, url: \"http://localhost:9/\", timeout: 1h}\n  - {type: trace, name: gateway errors");
    assertThatThrownBy(() -> parser.parse(bad, ExperimentParser.Format.YAML))
        .isInstanceOfSatisfying(ExperimentValidationException.class, e -> assertThat(e.problems())
            .contains(
                "recoveryDeadline: 7h is longer than the limit of 6h",
                "rollbacks[0].timeout: 8760h is longer than the limit of 5m",
                "steadyState[1].timeout: 1h is longer than the limit of 5m")
            .anySatisfy(p -> assertThat(p).startsWith("schedule.maxRunTime: ").endsWith("is longer than the limit of 24h")));
    // at the limits they are fine
    String edge = VALID
        .replace("timeZone: Europe/Berlin", "timeZone: Europe/Berlin\n  maxRunTime: 24h")
        .replace("rollbacks: [{name: reset, url: \"http://localhost:9/reset\"}]",
            "rollbacks: [{name: reset, url: \"http://localhost:9/reset\", timeout: 5m}]\nrecoveryDeadline: 6h");
    Experiment e = parser.parse(edge, ExperimentParser.Format.YAML);
    assertThat(e.recoveryDeadline()).isEqualTo(Duration.ofHours(6));
  }

  @Test
  void parsesYamlAndRoundTripsThroughCanonicalJson() throws Exception {
    Experiment e = parser.parse(VALID, ExperimentParser.Format.YAML);
    assertThat(e.schedule().cron()).isEqualTo("0 0 10 * * MON-FRI");
    assertThat(e.schedule().zone()).isEqualTo(ZoneId.of("Europe/Berlin"));
    assertThat(e.steadyState().get(1).tolerance()).isEqualTo(new Tolerance(null, 0.01));
    assertThat(e.method().get(0).duration()).isEqualTo(Duration.ofMinutes(2));
    assertThat(e.recoveryDeadline()).isEqualTo(ExperimentParser.DEFAULT_RECOVERY_DEADLINE);
    String json = ExperimentJson.toJson(e).toString();
    assertThat(parser.parse(json, ExperimentParser.Format.JSON)).isEqualTo(e);
  }

  @Test
  void everyProblemNamesItsField() {
    String bad = """
        {"description": 3,
         "schedule": {"cron": "61 * * * * *", "timeZone": "Mars/Olympus"},
         "targets": [{"service": "inventory"}],
         "steadyState": [{"type": "promql", "query": "up"}, {"type": "graphite"}],
         "method": [{"name": "a", "type": "proxy-http", "target": "inventory", "duration": "soon", "parameters": {"delayMs": 400}},
                    {"name": "b", "type": "teleport", "target": "payments", "duration": "1m"},
                    {"name": "c", "type": "proxy-http", "target": "inventory", "duration": "1m", "parameters": {"delayMs": -1}}],
         "haltWhen": [{"type": "trace", "service": "gateway", "measure": "speed"}],
         "colour": "red"}
        """;
    assertThatThrownBy(() -> parser.parse(bad, ExperimentParser.Format.JSON))
        .isInstanceOfSatisfying(ExperimentValidationException.class, e -> assertThat(e.problems()).contains(
            "colour: unknown field; expected one of description, haltWhen, method, recoveryDeadline, rollbacks, schedule, steadyState, targets, title",
            "title: is required",
            "steadyState[0].tolerance: is required: the range the value must stay in, e.g. {max: 1.0}",
            "steadyState[1].type: must be promql, trace or http, not 'graphite'",
            "method[0].duration: must be a positive duration like 2m (got 'soon')",
            "method[1].type: unknown fault type 'teleport'; known: proxy-http",
            "method[1].target: 'payments' is not among the experiment's targets (inventory)",
            "method[2].parameters.delayMs: must be a positive number of milliseconds",
            "haltWhen[0].measure: must be errorRatio or latency, not 'speed'",
            "schedule.timeZone: unknown time zone 'Mars/Olympus'; use a region like Europe/Berlin or UTC")
            .anySatisfy(p -> assertThat(p).startsWith("schedule.cron: not a valid cron expression")));
  }

  @Test
  void alertAndSloBurnRateHaltConditionsParseAndRoundTrip() throws Exception {
    String yaml = """
        title: checkout survives a slow inventory
        targets: [{service: inventory}]
        method:
          - {name: slow-inventory, type: proxy-http, target: inventory, duration: 2m, parameters: {delayMs: 400}}
        haltWhen:
          - {type: alert, name: paging, alert: ErrorBudgetBurn, labels: {service: checkout, severity: page}}
          - {type: sloBurnRate, name: budget burn, slo: availability, window: 5m, above: 14.4}
          - {alert: HighLatency}
        """;
    Experiment e = parser.parse(yaml, ExperimentParser.Format.YAML);
    assertThat(e.haltWhen()).extracting(Probe::kind)
        .containsExactly(Probe.Kind.ALERT, Probe.Kind.SLO_BURN_RATE, Probe.Kind.ALERT);
    assertThat(e.haltWhen().get(0).alert())
        .isEqualTo(new Probe.AlertCheck("ErrorBudgetBurn", Map.of("service", "checkout", "severity", "page")));
    assertThat(e.haltWhen().get(1).burnRate())
        .isEqualTo(new Probe.BurnRateCheck("availability", Duration.ofMinutes(5), 14.4));
    assertThat(e.haltWhen().get(2).alert().labels()).isEmpty();
    var json = ExperimentJson.toJson(e);
    assertThat(json.path("haltWhen").get(1).path("type").asText()).isEqualTo("sloBurnRate");
    assertThat(parser.parse(json.toString(), ExperimentParser.Format.JSON)).isEqualTo(e);
  }

  @Test
  void alertAndSloBurnRateProblemsNameTheirField() {
    String bad = """
        {"title": "t",
         "steadyState": [{"type": "alert", "alert": "X"}],
         "haltWhen": [{"type": "sloBurnRate", "slo": "availability", "window": "1500ms", "above": -2},
                      {"type": "sloBurnRate", "slo": "availability"},
                      {"type": "alert", "labels": {"service": {"nested": 1}}, "tolerance": {"max": 1}},
                      {"type": "pagerduty"}]}
        """;
    assertThatThrownBy(() -> parser.parse(bad, ExperimentParser.Format.JSON))
        .isInstanceOfSatisfying(ExperimentValidationException.class, e -> assertThat(e.problems()).contains(
            "steadyState[0].type: alert conditions are only allowed in haltWhen; a steady-state probe must be promql, trace or http",
            "haltWhen[0].window: must be whole seconds, at most 2160h, e.g. 5m or 1h",
            "haltWhen[0].above: must be a positive number, e.g. 14.4",
            "haltWhen[1].window: is required: a positive duration like 2m",
            "haltWhen[1].above: is required: the burn rate that halts the run, e.g. 14.4",
            "haltWhen[2].alert: is required",
            "haltWhen[2].labels.service: must be a string",
            "haltWhen[3].type: must be promql, trace, http, alert or sloBurnRate, not 'pagerduty'")
            .anySatisfy(p -> assertThat(p).startsWith("haltWhen[2].tolerance: unknown field")));
  }

  @Test
  void httpRequestsTheClientCannotSendAreRejectedBeforeAnyRun() {
    String bad = """
        title: t
        targets: [inventory]
        method:
          - {name: slow, type: proxy-http, target: inventory, duration: 1m, parameters: {delayMs: 400}}
        steadyState:
          - {type: http, name: health, url: "http://localhost:9/health", method: "GE T"}
        rollbacks:
          - {name: reset, url: "http://localhost:9/reset", method: CONNECT}
          - {name: flags, url: "http://localhost:9/flags", headers: {Host: flags.internal, "X Bad": 1, X-Ok: "a\\nb"}}
        """;
    assertThatThrownBy(() -> parser.parse(bad, ExperimentParser.Format.YAML))
        .isInstanceOfSatisfying(ExperimentValidationException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
            "steadyState[0].method: must be an HTTP method such as GET, POST or PUT, not 'GE T'",
            "rollbacks[0].method: must be an HTTP method such as GET, POST or PUT, not 'CONNECT'",
            "rollbacks[1].headers.Host: cannot be sent (restricted header name: \"Host\"); the HTTP client sets Host,"
                + " Content-Length, Connection and the like itself",
            "rollbacks[1].headers.X Bad: cannot be sent (invalid header name: \"X Bad\"); the HTTP client sets Host,"
                + " Content-Length, Connection and the like itself",
            "rollbacks[1].headers.X-Ok: cannot be sent (invalid header value: \"a\nb\"); the HTTP client sets Host,"
                + " Content-Length, Connection and the like itself"));
  }

  @Test
  void badYamlSaysWhere() {
    assertThatThrownBy(() -> parser.parse("title: [unclosed", ExperimentParser.Format.YAML))
        .isInstanceOfSatisfying(ExperimentValidationException.class,
            e -> assertThat(e.problems()).singleElement().asString().startsWith("body: not valid YAML at line"));
  }

  @Test
  void badJsonSaysWhereWithoutJacksonsSourceDescription() {
    assertThatThrownBy(() -> parser.parse("{\"title\": \"t\"", ExperimentParser.Format.JSON))
        .isInstanceOfSatisfying(ExperimentValidationException.class,
            e -> assertThat(e.problems()).singleElement().asString()
                .startsWith("body: not valid JSON at line 1, column 14: ")
                .contains("(start marker at line 1, column 1)")
                .doesNotContain("Source:")
                .doesNotContain("StreamReadFeature"));
  }

  @Test
  void blackoutsWrapMidnightOnTheDayTheyStart() {
    Blackout b = new Blackout(java.util.Set.of(java.time.DayOfWeek.SATURDAY), java.time.LocalTime.of(22, 0),
        java.time.LocalTime.of(6, 0), null, null, null);
    ZoneId utc = ZoneId.of("UTC");
    assertThat(b.covers(Instant.parse("2026-11-21T23:00:00Z"), utc)).isTrue(); // Sat 23:00
    assertThat(b.covers(Instant.parse("2026-11-22T05:00:00Z"), utc)).isTrue(); // Sun 05:00, Saturday's window
    assertThat(b.covers(Instant.parse("2026-11-22T23:00:00Z"), utc)).isFalse(); // Sun 23:00
    assertThat(b.covers(Instant.parse("2026-11-21T05:00:00Z"), utc)).isFalse(); // Sat 05:00, Friday's
  }

  @Test
  void durations() {
    assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("PT2M")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Durations.format(Duration.ofSeconds(150))).isEqualTo("2m30s");
    assertThatThrownBy(() -> Durations.parse("2 minutes")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void httpUrlsNeedAPortTheClientCanUse() {
    String probe = "  - {type: http, name: health, url: \"http://127.0.0.1:65536/health\"}\n";
    String source = VALID.replace("http://localhost:9/reset", "http://localhost:99999/reset")
        .replace("method:\n", probe + "method:\n");
    assertThatThrownBy(() -> parser.parse(source, ExperimentParser.Format.YAML))
        .isInstanceOfSatisfying(ExperimentValidationException.class, e -> assertThat(e.problems()).containsExactly(
            "steadyState[2].url: port must be between 1 and 65535 (got 65536 in 'http://127.0.0.1:65536/health')",
            "rollbacks[0].url: port must be between 1 and 65535 (got 99999 in 'http://localhost:99999/reset')"));
  }

  @Test
  void nestingTooDeepSaysSoWithoutNamingJacksonClasses() {
    for (ExperimentParser.Format f : ExperimentParser.Format.values()) {
      String deep = "[".repeat(2000) + "]".repeat(2000);
      String source = f == ExperimentParser.Format.JSON ? "{\"title\": " + deep + "}" : "title: " + deep + "\n";
      assertThatThrownBy(() -> parser.parse(source, f))
          .isInstanceOfSatisfying(ExperimentValidationException.class, e -> assertThat(e.problems()).singleElement()
              .asString().endsWith("nesting depth (1001) exceeds the maximum allowed (1000)")
              .doesNotContain("StreamReadConstraints"));
    }
  }

  @Test
  void aTraceWindowTooLongForAnyQueryIsRejectedBeforeTheRun() throws Exception {
    for (String window : new String[] {"99999999999d", "91d"}) {
      String source = VALID.replace("window: 2m", "window: " + window);
      assertThatThrownBy(() -> parser.parse(source, ExperimentParser.Format.YAML))
          .isInstanceOfSatisfying(ExperimentValidationException.class, e -> assertThat(e.problems())
              .containsExactly("steadyState[1].window: must be at most 2160h, e.g. 1m or 1h"));
    }
    assertThat(parser.parse(VALID.replace("window: 2m", "window: 90d"), ExperimentParser.Format.YAML)
        .steadyState().get(1).trace().window()).isEqualTo(Duration.ofDays(90));
  }

  @Test
  void aSecondDocumentOrValueIsRejectedNotDropped() {
    assertThatThrownBy(() -> parser.parse(VALID + "---\ntitle: another\n", ExperimentParser.Format.YAML))
        .isInstanceOfSatisfying(ExperimentValidationException.class, e -> assertThat(e.problems()).singleElement()
            .asString().startsWith("body: more than one YAML document (the next starts at line ")
            .endsWith("); send one experiment"));
    assertThatThrownBy(() -> parser.parse("{\"title\": \"a\"} {\"title\": \"b\"}", ExperimentParser.Format.JSON))
        .isInstanceOfSatisfying(ExperimentValidationException.class, e -> assertThat(e.problems()).containsExactly(
            "body: more than one JSON value (the next starts at line 1, column 16); send one experiment"));
    assertThatThrownBy(() -> parser.parse("{\"title\": \"a\"} ]", ExperimentParser.Format.JSON))
        .isInstanceOfSatisfying(ExperimentValidationException.class, e -> assertThat(e.problems()).singleElement()
            .asString().startsWith("body: not valid JSON at line 1, column 16"));
  }
}
