/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Runs a LogQL pipeline ({@link LogQl.Stage}s) over one line and its labels, for log queries and
 * for the range aggregations of {@link MetricEngine} alike. The parsers add labels as Loki's do:
 * names sanitised, a clash with a stream label suffixed {@code _extracted}, and {@code __error__}
 * set on a line they cannot read.
 */
final class LogPipeline {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private LogPipeline() {}

  /**
   * Applies the stages in order, adding extracted labels: the line as the stages leave it, or null
   * when a filter drops it.
   */
  static String apply(List<LogQl.Stage> stages, String line, Map<String, String> labels) {
    for (LogQl.Stage stage : stages) {
      if (stage instanceof LogQl.LineFilter f) {
        if (!f.keep(line)) {
          return null;
        }
      } else if (stage instanceof LogQl.Parser p) {
        switch (p.kind()) {
          case "json" -> json(line, labels);
          case "unpack" -> line = unpack(line, labels);
          default -> logfmt(line, labels);
        }
      } else if (stage instanceof LogQl.RegexpParser r) {
        r.extract(line, (k, v) -> put(labels, k, v));
      } else if (stage instanceof LogQl.PatternParser p) {
        p.extract(line, (k, v) -> put(labels, k, v));
      } else if (stage instanceof LogQl.LineFormat f) {
        line = f.template().render(line, labels);
      } else if (stage instanceof LogQl.LabelFormat f) {
        f.apply(line, labels);
      } else if (stage instanceof LogQl.Decolorize d) {
        line = d.apply(line);
      } else if (stage instanceof LogQl.LabelFilter f) {
        if (!f.keep(labels)) {
          return null;
        }
      } else if (stage instanceof LogQl.Drop d) {
        d.apply(labels);
      } else if (stage instanceof LogQl.Keep k) {
        k.apply(labels);
      }
    }
    return line;
  }

  // Loki's json parser: nested keys joined with "_", names sanitised, arrays skipped.
  private static void json(String line, Map<String, String> labels) {
    JsonNode root = jsonObject(line, labels);
    if (root != null) {
      flatten("", root, labels);
    }
  }

  /** The line as a JSON object, or null with {@code __error__} set, as Loki's parsers do. */
  private static JsonNode jsonObject(String line, Map<String, String> labels) {
    JsonNode root;
    try {
      root = MAPPER.readTree(line);
    } catch (Exception e) {
      root = null;
    }
    if (root == null || !root.isObject()) {
      labels.put("__error__", "JSONParserErr");
      return null;
    }
    return root;
  }

  // Loki's unpack parser: top-level strings become labels, "_entry" the line; others are skipped.
  private static String unpack(String line, Map<String, String> labels) {
    JsonNode root = jsonObject(line, labels);
    if (root == null) {
      return line;
    }
    String entry = line;
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (!f.getValue().isTextual()) {
        continue;
      }
      if (f.getKey().equals("_entry")) {
        entry = f.getValue().asText();
      } else {
        put(labels, sanitize(f.getKey()), f.getValue().asText());
      }
    }
    return entry;
  }

  private static void flatten(String prefix, JsonNode node, Map<String, String> labels) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      String key = prefix + sanitize(f.getKey());
      JsonNode v = f.getValue();
      if (v.isObject()) {
        flatten(key + "_", v, labels);
      } else if (!v.isArray() && !v.isNull()) {
        put(labels, key, v.asText());
      }
    }
  }

  private static void logfmt(String line, Map<String, String> labels) {
    int i = 0;
    int n = line.length();
    boolean bad = false;
    while (i < n) {
      while (i < n && line.charAt(i) == ' ') {
        i++;
      }
      int keyStart = i;
      while (i < n && line.charAt(i) != '=' && line.charAt(i) != ' ') {
        i++;
      }
      String key = line.substring(keyStart, i);
      String value = "";
      if (i < n && line.charAt(i) == '=') {
        i++;
        if (i < n && line.charAt(i) == '"') {
          StringBuilder v = new StringBuilder();
          i++;
          boolean closed = false;
          while (i < n) {
            char c = line.charAt(i++);
            if (c == '\\' && i < n) {
              v.append(line.charAt(i++));
            } else if (c == '"') {
              closed = true;
              break;
            } else {
              v.append(c);
            }
          }
          bad |= !closed;
          value = v.toString();
        } else {
          int vs = i;
          while (i < n && line.charAt(i) != ' ') {
            i++;
          }
          value = line.substring(vs, i);
        }
      }
      if (!key.isEmpty()) {
        put(labels, sanitize(key), value);
      }
    }
    if (bad) {
      labels.put("__error__", "LogfmtParserErr");
    }
  }

  // An extracted label that clashes with a stream label gets the suffix "_extracted", as in Loki.
  private static void put(Map<String, String> labels, String key, String value) {
    if (key.isEmpty()) {
      return;
    }
    if (labels.containsKey(key) && LokiResource.LABEL_FIELDS.containsKey(key)) {
      key = key + "_extracted";
    }
    labels.put(key, value);
  }

  private static String sanitize(String key) {
    StringBuilder b = new StringBuilder(key.length());
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
      b.append(ok ? c : '_');
    }
    return b.toString();
  }
}
