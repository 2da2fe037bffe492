/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code detected_level} as Loki's distributor derives it ({@code extractLogLevel} in {@code
 * pkg/distributor/field_detection.go}), in this order:
 *
 * <ol>
 *   <li>a {@code detected_level} already in the metadata (an attribute of that name), normalised;
 *   <li>else the record's {@code level} stream label unless it is {@code unknown}: it plays the part
 *       of a Loki stream's {@code level} label, which Loki consults next, so a record with a
 *       severity keeps its level;
 *   <li>else the first of Loki's default level fields ({@code level LEVEL Level log.level severity
 *       SEVERITY Severity SeverityText lvl LVL Lvl severity_text Severity_Text SEVERITY_TEXT}) in
 *       the structured metadata, normalised (an unknown word is kept as it is);
 *   <li>else {@code severity_number}'s range;
 *   <li>else from the line: a JSON object ({@code {…}}) by its first string field named like those
 *       fields, searched two levels deep; a line with {@code =} as logfmt by its field whose name is
 *       one of those fields ignoring case, the earliest in that list winning; a value that is no
 *       level word, or a line that is neither, by Loki's substring heuristics ({@code info}, {@code
 *       [error]}, {@code warning}, {@code critical:}, {@code debug}, … in that order), else {@code
 *       unknown}.
 * </ol>
 */
final class LevelDetection {
  static final String UNKNOWN = "unknown";
  private static final List<String> LEVEL_FIELDS =
      List.of(
          "level", "LEVEL", "Level", "log.level", "severity", "SEVERITY", "Severity", "SeverityText", "lvl", "LVL",
          "Lvl", "severity_text", "Severity_Text", "SEVERITY_TEXT");
  private static final Set<String> LEVEL_FIELD_SET = Set.copyOf(LEVEL_FIELDS);
  /** Loki's default {@code log_level_from_json_max_depth}. */
  private static final int JSON_MAX_DEPTH = 2;
  private static final JsonFactory JSON = new JsonFactory();
  private static final String[] BY_SEVERITY_RANGE = {"trace", "debug", "info", "warn", "error", "fatal"};

  private LevelDetection() {}

  /**
   * @param level the record's {@code level} stream label
   * @param metadata the record's structured metadata
   */
  static String detectedLevel(String level, Map<String, String> metadata, String line) {
    String existing = metadata.get("detected_level");
    if (existing != null) {
      return normalize(existing);
    }
    if (!level.equals(UNKNOWN)) {
      return level;
    }
    for (String field : LEVEL_FIELDS) {
      String v = metadata.get(field);
      if (v != null) {
        return normalize(v);
      }
    }
    String number = metadata.get("severity_number");
    if (number != null && !number.isEmpty()) {
      return fromSeverityNumber(number);
    }
    return fromLine(line);
  }

  /** Loki's {@code normalizeLogLevel}: the level words in any case, else the value as it is. */
  static String normalize(String v) {
    String level = levelWord(v);
    return level == null ? v : level;
  }

  private static String levelWord(String v) {
    return switch (v.toLowerCase(java.util.Locale.ROOT)) {
      case "trace", "trc" -> "trace";
      case "debug", "dbg" -> "debug";
      case "info", "inf", "information" -> "info";
      case "warn", "wrn", "warning" -> "warn";
      case "error", "err" -> "error";
      case "critical" -> "critical";
      case "fatal" -> "fatal";
      default -> null;
    };
  }

  // Loki's ranges: below 1 (but not 0) is trace too, above 24 unknown
  private static String fromSeverityNumber(String text) {
    int n;
    try {
      n = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      return "info"; // as Loki answers a severity_number it cannot read
    }
    if (n == 0 || n > 24) {
      return UNKNOWN;
    }
    return BY_SEVERITY_RANGE[Math.max(n - 1, 0) / 4];
  }

  private static String fromLine(String line) {
    String v;
    if (isJson(line)) {
      v = jsonLevel(line);
    } else if (line.indexOf('=') >= 0) {
      v = logfmtLevel(line);
    } else {
      return fromText(line);
    }
    String level = v == null ? null : levelWord(v);
    return level == null ? fromText(line) : level;
  }

  private static boolean isJson(String line) {
    String s = line.strip();
    return !s.isEmpty() && s.charAt(0) == '{' && s.charAt(s.length() - 1) == '}';
  }

  // Loki's getLevelUsingJSONParser: the first string field with a level name, in document order,
  // nested objects searched while shallower than the maximum depth; what was read before a syntax
  // error still counts.
  private static String jsonLevel(String line) {
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      return jsonLevel(p, 0);
    } catch (IOException e) {
      return null;
    }
  }

  /** Reads the fields of the object whose start {@code p} has just read. */
  private static String jsonLevel(JsonParser p, int depth) throws IOException {
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      JsonToken t = p.nextToken();
      if (t == JsonToken.VALUE_STRING && LEVEL_FIELD_SET.contains(key)) {
        return p.getText();
      }
      if (t == JsonToken.START_OBJECT && depth + 1 < JSON_MAX_DEPTH) {
        String found = jsonLevel(p, depth + 1);
        if (found != null) {
          return found;
        }
      } else {
        p.skipChildren();
      }
    }
    return null;
  }

  // Loki's getValueUsingLogfmtParser: pairs until the end or the first syntax error; the value of
  // the key matching the earliest level field ignoring case.
  private static String logfmtLevel(String line) {
    LogPipeline.LogfmtDecoder d = new LogPipeline.LogfmtDecoder(line);
    int best = LEVEL_FIELDS.size();
    String value = null;
    while (!d.eol() && d.scanKeyval()) {
      for (int x = 0; x < best; x++) {
        if (LEVEL_FIELDS.get(x).equalsIgnoreCase(d.key)) {
          value = d.value == null ? "" : d.value;
          best = x;
          if (x == 0) {
            return value;
          }
          break;
        }
      }
    }
    return value;
  }

  /** Loki's {@code detectLevelFromLogLine}: case-sensitive substrings, checked in this order. */
  static String fromText(String log) {
    if (containsAny(log, "info:", "INFO:", "[info]", "[INFO]", "info", "INFO")) {
      return "info";
    }
    if (containsAny(log, "err:", "ERR:", "[err]", "[ERR]", "[error]", "[ERROR]")) {
      return "error";
    }
    if (containsAny(log, "warn:", "WARN:", "[warn]", "[WARN]", "[warning]", "[WARNING]", "warning", "WARNING")) {
      return "warn";
    }
    if (containsAny(log, "critical:", "CRITICAL:", "[critical]", "[CRITICAL]")) {
      return "critical";
    }
    if (containsAny(log, "debug:", "DEBUG:", "[debug]", "[DEBUG]", "debug", "DEBUG")) {
      return "debug";
    }
    return UNKNOWN;
  }

  private static boolean containsAny(String s, String... parts) {
    for (String part : parts) {
      if (s.contains(part)) {
        return true;
      }
    }
    return false;
  }
}
