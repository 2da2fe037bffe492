/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
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
  private static final JsonFactory JSON = MAPPER.getFactory();

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
        if (p.kind().equals("json")) {
          json(line, labels);
        } else {
          line = unpack(line, labels);
        }
      } else if (stage instanceof LogQl.LogfmtParser p) {
        logfmt(p, line, labels);
      } else if (stage instanceof LogQl.JsonExtractor x) {
        jsonPaths(x, line, labels);
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

  // Loki's json parser: nested keys joined with "_", names sanitised, arrays and nulls skipped;
  // numbers keep their text as written. Labels read before a syntax error stay, as in Loki.
  private static void json(String line, Map<String, String> labels) {
    if (!line.strip().startsWith("{")) {
      jsonError(labels, MALFORMED_OBJECT);
      return;
    }
    try (JsonParser p = JSON.createParser(line)) {
      p.nextToken();
      flatten(p, "", labels);
    } catch (IOException e) {
      jsonError(labels, details(e));
    }
  }

  /** Reads the fields of the object whose start {@code p} has just read. */
  private static void flatten(JsonParser p, String prefix, Map<String, String> labels) throws IOException {
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = prefix.isEmpty() ? sanitize(p.currentName()) : prefix + "_" + sanitizeRest(p.currentName());
      JsonToken t = p.nextToken();
      if (t == JsonToken.START_OBJECT) {
        flatten(p, key.isEmpty() ? prefix : key, labels);
      } else if (t == JsonToken.START_ARRAY) {
        p.skipChildren();
      } else if (t != JsonToken.VALUE_NULL) {
        put(labels, key, scalar(p, t));
      }
    }
  }

  private static String scalar(JsonParser p, JsonToken t) throws IOException {
    return switch (t) {
      case VALUE_TRUE -> "true";
      case VALUE_FALSE -> "false";
      case VALUE_NULL -> "";
      default -> p.getText(); // strings unescaped, numbers as written
    };
  }

  /**
   * {@code | json a="x.y[0]"}: each label takes the value at its path (a string unescaped, a number
   * as written, an object or array as JSON text, null as ""); a path not in the line gives "".
   * A line that does not start as JSON does gets {@code __error__}, as in Loki.
   */
  private static void jsonPaths(LogQl.JsonExtractor x, String line, Map<String, String> labels) {
    if (line.isEmpty()) {
      return;
    }
    char first = line.charAt(0);
    if (first != '{' && first != '[' && first != '"') {
      labels.put("__error__", "JSONParserErr");
      return;
    }
    for (LogQl.Extraction e : x.extractions()) {
      String value = "";
      try {
        value = valueAt(line, e.path());
      } catch (IOException ex) {
        jsonError(labels, details(ex));
      }
      put(labels, e.label(), value);
    }
  }

  private static String valueAt(String line, List<Object> path) throws IOException {
    try (JsonParser p = JSON.createParser(line)) {
      JsonToken t = p.nextToken();
      for (Object step : path) {
        if (step instanceof String field) {
          if (t != JsonToken.START_OBJECT) {
            return "";
          }
          while ((t = p.nextToken()) == JsonToken.FIELD_NAME && !p.currentName().equals(field)) {
            p.nextToken();
            p.skipChildren();
          }
          if (t != JsonToken.FIELD_NAME) {
            return "";
          }
        } else {
          if (t != JsonToken.START_ARRAY) {
            return "";
          }
          for (int k = 0; k < (Integer) step; k++) {
            if (p.nextToken() == JsonToken.END_ARRAY) {
              return "";
            }
            p.skipChildren();
          }
        }
        t = p.nextToken();
        if (t == null || t == JsonToken.END_ARRAY || t == JsonToken.END_OBJECT) {
          return "";
        }
      }
      if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
        int from = (int) p.currentTokenLocation().getCharOffset();
        p.skipChildren();
        return line.substring(from, (int) p.currentLocation().getCharOffset());
      }
      return t == null ? "" : scalar(p, t);
    }
  }

  private static void jsonError(Map<String, String> labels, String details) {
    labels.put("__error__", "JSONParserErr");
    labels.put("__error_details__", details);
  }

  // the words of the Go JSON parser Loki uses, for a line that is not an object
  private static final String MALFORMED_OBJECT = "Value looks like object, but can't find closing '}' symbol";

  private static String details(IOException e) {
    String m = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    return m == null ? "Malformed JSON error" : m.lines().findFirst().orElse(m);
  }

  // Loki's unpack parser: top-level strings become labels, "_entry" the line; others are skipped.
  private static String unpack(String line, Map<String, String> labels) {
    JsonNode root;
    try {
      root = MAPPER.readTree(line);
    } catch (IOException e) {
      jsonError(labels, line.startsWith("{") ? details(e) : "expecting json object(6), but it is not");
      return line;
    }
    if (root == null || !root.isObject()) {
      jsonError(labels, "expecting json object(6), but it is not");
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

  /**
   * Loki 3's logfmt parser: {@code key=value} pairs, values maybe quoted; a key without a value
   * (a bare word) or with an empty one adds no label unless {@code --keep-empty}. Malformed pairs
   * are skipped, and only {@code --strict} stops at the first and sets {@code
   * __error__="LogfmtParserErr"} with the decoder's message in {@code __error_details__}. With
   * extractions ({@code | logfmt msg, d="duration"}) only those labels are set, "" when absent.
   */
  private static void logfmt(LogQl.LogfmtParser x, String line, Map<String, String> labels) {
    Map<String, String> byKey = new java.util.HashMap<>();
    for (LogQl.Extraction e : x.extractions()) {
      byKey.putIfAbsent(e.expression(), e.label());
      if (!labels.containsKey(e.label()) || !streamLabel(labels, e.label())) {
        labels.put(e.label(), "");
      }
    }
    LogfmtDecoder dec = new LogfmtDecoder(line);
    while (!dec.eol()) {
      if (!dec.scanKeyval()) {
        if (x.strict()) {
          break;
        }
        continue;
      }
      String key = sanitize(dec.key);
      if (key.isEmpty()) {
        continue;
      }
      String value = dec.value == null ? "" : dec.value;
      if (x.extractions().isEmpty()) {
        if (x.keepEmpty() || !value.isEmpty()) {
          put(labels, key, value);
        }
        continue;
      }
      String label = byKey.getOrDefault(key, key);
      if (x.extractions().stream().anyMatch(e -> e.label().equals(label))) {
        put(labels, label, value);
      }
    }
    if (x.strict() && dec.error != null) {
      labels.put("__error__", "LogfmtParserErr");
      labels.put("__error_details__", dec.error);
    }
  }

  /** Loki's logfmt decoder (after go-logfmt), on the line's characters. */
  static final class LogfmtDecoder {
    private final String line;
    private int pos;
    String key;
    String value;
    String error;

    LogfmtDecoder(String line) {
      this.line = line;
    }

    boolean eol() {
      return pos >= line.length();
    }

    /** The next pair into {@link #key} and {@link #value}; false at the end or on a syntax error. */
    boolean scanKeyval() {
      key = null;
      value = null;
      int n = line.length();
      while (pos < n && line.charAt(pos) <= ' ') {
        pos++;
      }
      if (pos >= n) {
        return false;
      }
      int start = pos;
      while (pos < n) {
        char c = line.charAt(pos);
        if (c == '=') {
          if (pos == start) {
            unexpected(c);
            return skipValue();
          }
          key = line.substring(start, pos);
          return afterEquals();
        }
        if (c == '"') {
          unexpected(c);
          return skipValue();
        }
        if (c <= ' ') {
          key = line.substring(start, pos);
          return true;
        }
        pos++;
      }
      key = line.substring(start, pos);
      return true;
    }

    private boolean afterEquals() {
      int n = line.length();
      pos++;
      if (pos >= n || line.charAt(pos) <= ' ') {
        return true;
      }
      if (line.charAt(pos) == '"') {
        return quotedValue();
      }
      int start = pos;
      while (pos < n) {
        char c = line.charAt(pos);
        if (c == '=' || c == '"') {
          unexpected(c);
          return skipValue();
        }
        if (c <= ' ') {
          break;
        }
        pos++;
      }
      value = line.substring(start, pos);
      return true;
    }

    private boolean quotedValue() {
      int n = line.length();
      StringBuilder v = new StringBuilder();
      for (int k = pos + 1; k < n; k++) {
        char c = line.charAt(k);
        if (c == '"') {
          pos = k + 1;
          value = v.toString();
          return true;
        }
        if (c != '\\') {
          v.append(c);
          continue;
        }
        char e = k + 1 < n ? line.charAt(++k) : 0;
        switch (e) {
          case '"', '\\', '/', '\'' -> v.append(e);
          case 'b' -> v.append('\b');
          case 'f' -> v.append('\f');
          case 'n' -> v.append('\n');
          case 'r' -> v.append('\r');
          case 't' -> v.append('\t');
          case 'u' -> {
            int cp = k + 4 < n ? hex(line.substring(k + 1, k + 5)) : -1;
            if (cp < 0) {
              return invalidQuote(n);
            }
            v.append((char) cp);
            k += 4;
          }
          default -> {
            return invalidQuote(n);
          }
        }
      }
      pos = n;
      error = "logfmt syntax error at pos " + (pos + 1) + " : unterminated quoted value";
      return false;
    }

    private boolean invalidQuote(int n) {
      // Go reports it at the closing quote; find it as Go's scan does
      int k = pos + 1;
      boolean escaped = false;
      while (k < n && (escaped || line.charAt(k) != '"')) {
        escaped = !escaped && line.charAt(k) == '\\';
        k++;
      }
      pos = Math.min(n, k + 1);
      error = "logfmt syntax error at pos " + (pos + 1) + " : invalid quoted value";
      return false;
    }

    private static int hex(String h) {
      try {
        return Integer.parseInt(h, 16);
      } catch (NumberFormatException e) {
        return -1;
      }
    }

    private void unexpected(char c) {
      error = "logfmt syntax error at pos " + (pos + 1) + " : unexpected '" + c + "'";
    }

    private boolean skipValue() {
      while (pos < line.length() && line.charAt(pos) > ' ') {
        pos++;
      }
      return false;
    }
  }

  // An extracted label that clashes with a stream label gets the suffix "_extracted", as in Loki.
  private static void put(Map<String, String> labels, String key, String value) {
    if (key.isEmpty()) {
      return;
    }
    if (labels.containsKey(key) && streamLabel(labels, key)) {
      key = key + "_extracted";
    }
    labels.put(key, value);
  }

  /** Whether {@code key} is one of the line's stream labels (pushed labels included). */
  private static boolean streamLabel(Map<String, String> labels, String key) {
    return labels instanceof LineLabels l
        ? l.isStreamLabel(key)
        : LokiResource.LABEL_FIELDS.containsKey(key);
  }

  /**
   * Loki's sanitizeLabelKey: white space trimmed, a leading digit prefixed with "_" ({@code 2xx}
   * becomes {@code _2xx}), and every character other than ASCII letters, digits and "_" becomes
   * "_" (one per character, as Go counts runes).
   */
  static String sanitize(String key) {
    String k = key.strip();
    return !k.isEmpty() && k.charAt(0) >= '0' && k.charAt(0) <= '9' ? "_" + sanitizeRest(k) : sanitizeRest(k);
  }

  /** {@link #sanitize} without the "_" before a leading digit, for the inner parts of a JSON key. */
  private static String sanitizeRest(String key) {
    String k = key.strip();
    StringBuilder b = new StringBuilder(k.length());
    k.codePoints()
        .forEach(c -> b.append(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' ? (char) c : '_'));
    return b.toString();
  }
}
