/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.alerts;

import io.faultline.alert.RuleGroupSnapshot;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** Prometheus' JSON shapes of rules and alerts ({@code web/api/v1/api.go}). */
final class AlertJson {
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

  private AlertJson() {}

  /** Go's {@code time.Time} JSON: RFC 3339 with trimmed nanoseconds; zero time when null. */
  static String time(Instant t) {
    if (t == null) {
      return "0001-01-01T00:00:00Z";
    }
    StringBuilder b = new StringBuilder(SECONDS.format(t));
    if (t.getNano() != 0) {
      b.append('.').append(String.format("%09d", t.getNano()).replaceAll("0+$", ""));
    }
    return b.append('Z').toString();
  }

  static Map<String, Object> alert(RuleGroupSnapshot.Alert a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("labels", new TreeMap<>(a.labels()));
    m.put("annotations", new TreeMap<>(a.annotations()));
    m.put("state", a.state());
    m.put("activeAt", time(a.activeAt()));
    if (a.keepFiringSince() != null) {
      m.put("keepFiringSince", time(a.keepFiringSince()));
    }
    m.put("value", a.valueText());
    return m;
  }

  static Map<String, Object> rule(RuleGroupSnapshot.Rule r, boolean withAlerts) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (r.type().equals("alerting")) {
      m.put("state", r.state());
      m.put("name", r.name());
      m.put("query", r.query());
      m.put("duration", r.durationSeconds());
      m.put("keepFiringFor", r.keepFiringForSeconds());
      m.put("labels", new TreeMap<>(r.labels()));
      m.put("annotations", new TreeMap<>(r.annotations()));
      m.put("alerts", withAlerts ? r.alerts().stream().map(AlertJson::alert).toList()
          : java.util.List.of());
    } else {
      m.put("name", r.name());
      m.put("query", r.query());
      if (!r.labels().isEmpty()) {
        m.put("labels", new TreeMap<>(r.labels()));
      }
    }
    m.put("health", r.health());
    if (!r.lastError().isEmpty()) {
      m.put("lastError", r.lastError());
    }
    m.put("evaluationTime", r.evaluationTimeSeconds());
    m.put("lastEvaluation", time(r.lastEvaluation()));
    m.put("type", r.type());
    return m;
  }

  /**
   * Go's {@code %q} of a string: quoted, with backslash escapes for quotes, backslashes and
   * control characters; other characters as they are.
   */
  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\u0007' -> b.append("\\a");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\u000b' -> b.append("\\v");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format("\\x%02x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  static Map<String, Object> success(Object data) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", "success");
    m.put("data", data);
    return m;
  }

  static Map<String, Object> error(String type, String message) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", "error");
    m.put("errorType", type);
    m.put("error", message);
    return m;
  }
}
