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
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * {@code GET /api/v1/rules} as Prometheus answers it: {@code data.groups[]} with {@code name},
 * {@code file}, {@code rules[]}, {@code interval}, {@code limit}, {@code evaluationTime}, {@code
 * lastEvaluation}, sorted by file and then name; filters {@code type=alert|record}, {@code
 * rule_name[]}, {@code rule_group[]}, {@code file[]}, {@code match[]} (rule labels) and {@code
 * exclude_alerts}; groups left without rules are left out. {@code group_limit} pages the groups,
 * and {@code data.groupNextToken} (absent on the last page) is the {@code group_next_token} of the
 * next page. Bad parameters answer 400 {@code bad_data} in Prometheus' words. Read-only, safe for
 * concurrent requests.
 */
@Path("/api/v1/rules")
@Produces(MediaType.APPLICATION_JSON)
public final class RulesResource {
  private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]+");

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
      @QueryParam("match[]") List<String> match,
      @QueryParam("group_limit") String groupLimit,
      @QueryParam("group_next_token") String groupNextToken) {
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
    String limitText = groupLimit == null ? "" : groupLimit;
    String token = groupNextToken == null ? "" : groupNextToken;
    if (!token.isEmpty() && limitText.isEmpty()) {
      return invalid("group_next_token",
          "group_limit needs to be present in order to paginate over the groups");
    }
    long maxGroups = -1;
    if (!limitText.isEmpty()) {
      try {
        maxGroups = parseInt32(limitText);
      } catch (IllegalArgumentException e) {
        return invalid("group_limit", "group_limit needs to be a valid number: " + e.getMessage());
      }
      if (maxGroups <= 0) {
        return invalid("group_limit", "group_limit needs to be greater than 0");
      }
    }
    boolean paged = maxGroups > 0;
    boolean foundToken = false;
    String nextToken = null;
    List<Map<String, Object>> groups = new ArrayList<>();
    for (RuleGroupSnapshot g : alerting.groups()) {
      if (paged && !token.isEmpty() && !foundToken) {
        if (!token.equals(groupToken(g))) {
          continue;
        }
        foundToken = true;
      }
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
      // Prometheus leaves out every group without rules to show, filtered or not.
      if (rules.isEmpty()) {
        continue;
      }
      if (paged && groups.size() == maxGroups) {
        // one group past the page: the next page starts there
        nextToken = groupToken(g);
        break;
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
    if (paged && !token.isEmpty() && !foundToken) {
      return invalid("group_next_token",
          "invalid group_next_token '" + token + "'. were rule groups changed?");
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("groups", groups);
    if (nextToken != null) {
      data.put("groupNextToken", nextToken);
    }
    return Response.ok(AlertJson.success(data)).build();
  }

  /**
   * Prometheus' page token of a group, {@code getRuleGroupNextToken}: the hex SHA-1 of {@code
   * file;name}. It names the first group of the next page.
   */
  private static String groupToken(RuleGroupSnapshot g) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      return HexFormat.of().formatHex(
          sha1.digest((g.file() + ";" + g.name()).getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-1", e);
    }
  }

  /**
   * Go's {@code strconv.ParseInt(s, 10, 32)}.
   *
   * @throws IllegalArgumentException with Go's error text
   */
  private static long parseInt32(String s) {
    if (!INTEGER.matcher(s).matches()) {
      throw new IllegalArgumentException(
          "strconv.ParseInt: parsing " + AlertJson.quote(s) + ": invalid syntax");
    }
    BigInteger v = new BigInteger(s);
    if (v.bitLength() > 31) {
      throw new IllegalArgumentException(
          "strconv.ParseInt: parsing " + AlertJson.quote(s) + ": value out of range");
    }
    return v.longValue();
  }

  /** Prometheus' {@code invalidParamError}: 400 {@code bad_data}. */
  private static Response invalid(String parameter, String message) {
    return Response.status(400).entity(AlertJson.error("bad_data",
        "invalid parameter " + AlertJson.quote(parameter) + ": " + message)).build();
  }
}
