/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.alerts;

import io.faultline.alert.Alerting;
import io.faultline.alert.RuleGroupSnapshot;
import io.faultline.core.metric.InvalidQueryException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * {@code GET /api/v1/rules} as Prometheus answers it: {@code data.groups[]} with {@code name},
 * {@code file}, {@code rules[]}, {@code interval}, {@code limit}, {@code evaluationTime}, {@code
 * lastEvaluation}; filters {@code type=alert|record}, {@code rule_name[]}, {@code rule_group[]},
 * {@code file[]} and {@code exclude_alerts}. Read-only, safe for concurrent requests.
 */
@Path("/api/v1/rules")
@Produces(MediaType.APPLICATION_JSON)
public final class RulesResource {
  private final Alerting alerting;

  public RulesResource(Alerting alerting) {
    this.alerting = Objects.requireNonNull(alerting, "alerting");
  }

  @GET
  public Response rules(
      @QueryParam("type") String type,
      @QueryParam("rule_name[]") List<String> ruleNames,
      @QueryParam("rule_group[]") List<String> ruleGroups,
      @QueryParam("file[]") List<String> files,
      @QueryParam("exclude_alerts") String excludeAlerts,
      @QueryParam("match[]") List<String> match) {
    Predicate<Map<String, String>> labels = l -> true;
    if (!match.isEmpty()) {
      try {
        labels = alerting.labelFilter(match);
      } catch (InvalidQueryException e) {
        // Prometheus answers the parser's words here, without "invalid parameter"
        return Response.status(400).entity(AlertJson.error("bad_data", e.getMessage())).build();
      }
    }
    String t = type == null ? "" : type.toLowerCase(Locale.ROOT);
    if (!t.isEmpty() && !t.equals("alert") && !t.equals("record")) {
      return invalid("type", "not supported value " + AlertJson.quote(t));
    }
    boolean alerts = !t.equals("record");
    boolean records = !t.equals("alert");
    String exclude = excludeAlerts == null ? "" : excludeAlerts.toLowerCase(Locale.ROOT);
    boolean withAlerts = true;
    if (!exclude.isEmpty()) {
      // Go's strconv.ParseBool, after Prometheus lower-cases the value
      if (!Set.of("1", "t", "true", "0", "f", "false").contains(exclude)) {
        return invalid("exclude_alerts", "error converting exclude_alerts: strconv.ParseBool: "
            + "parsing " + AlertJson.quote(exclude) + ": invalid syntax");
      }
      withAlerts = Set.of("0", "f", "false").contains(exclude);
    }
    List<Map<String, Object>> groups = new ArrayList<>();
    for (RuleGroupSnapshot g : alerting.groups()) {
      if (!ruleGroups.isEmpty() && !ruleGroups.contains(g.name())) {
        continue;
      }
      if (!files.isEmpty() && !files.contains(g.file())) {
        continue;
      }
      List<Map<String, Object>> rules = new ArrayList<>();
      for (RuleGroupSnapshot.Rule r : g.rules()) {
        boolean isAlert = r.type().equals("alerting");
        if ((isAlert && !alerts) || (!isAlert && !records)) {
          continue;
        }
        if (!ruleNames.isEmpty() && !ruleNames.contains(r.name())) {
          continue;
        }
        if (!labels.test(r.labels())) {
          continue;
        }
        rules.add(AlertJson.rule(r, withAlerts));
      }
      boolean filtered = !t.isEmpty() || !ruleNames.isEmpty() || !match.isEmpty();
      if (filtered && rules.isEmpty()) {
        continue;
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", g.name());
      m.put("file", g.file());
      m.put("rules", rules);
      m.put("interval", g.intervalSeconds());
      m.put("limit", g.limit());
      m.put("evaluationTime", g.evaluationTimeSeconds());
      m.put("lastEvaluation", AlertJson.time(g.lastEvaluation()));
      groups.add(m);
    }
    return Response.ok(AlertJson.success(Map.of("groups", groups))).build();
  }

  /** Prometheus' {@code invalidParamError}: 400 {@code bad_data}. */
  private static Response invalid(String parameter, String message) {
    return Response.status(400).entity(AlertJson.error("bad_data",
        "invalid parameter " + AlertJson.quote(parameter) + ": " + message)).build();
  }
}
