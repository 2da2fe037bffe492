/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Parses what a {@code /metrics} endpoint answers: the Prometheus text format 0.0.4 or
 * OpenMetrics 1.0 text. Like Prometheus' own scraper, one malformed line fails the whole
 * exposition (the scrape then counts as failed, {@code up} 0) with a message naming the line.
 *
 * <p>Both: {@code name{label="value",...} value [timestamp]}, label values with {@code \\}, {@code
 * \"} and {@code \n} escapes, a trailing comma allowed, values as Go's {@code ParseFloat} reads
 * them ({@code NaN}, {@code +Inf}, exponents), quoted UTF-8 metric and label names inside the
 * braces ({@code {"my.metric","my.label"="x"}}) as Prometheus 3 reads them. A label with an empty
 * value is absent. Text 0.0.4: {@code # HELP} and {@code # TYPE} lines, other comments ignored,
 * timestamps in integer milliseconds. OpenMetrics: {@code # HELP}, {@code # TYPE}, {@code # UNIT},
 * timestamps in (fractional) seconds, exemplars after {@code #} skipped, and the body must end with
 * {@code # EOF}. A repeated {@code # TYPE} line is accepted (the last wins), and under a histogram's
 * or summary's TYPE the {@code le} / {@code quantile} values are rewritten as OpenMetrics floats
 * ({@code 1} → {@code 1.0}), both as Prometheus 3 does. An error carries the number of samples
 * read before it, which the scrape reports as {@code scrape_samples_scraped}.
 *
 * <p>Stateless and thread-safe.
 */
final class ExpositionParser {

  /** Which grammar to apply, from the response's {@code Content-Type}. */
  enum Format {
    TEXT,
    OPENMETRICS;

    /** OpenMetrics for {@code application/openmetrics-text}, else the text format. */
    static Format ofContentType(String contentType) {
      if (contentType != null
          && contentType
              .toLowerCase(Locale.ROOT)
              .trim()
              .startsWith("application/openmetrics-text")) {
        return OPENMETRICS;
      }
      return TEXT;
    }
  }

  /** The timestamp of a sample that carries none. */
  static final long NO_TIMESTAMP = Long.MIN_VALUE;

  /**
   * One sample line.
   *
   * @param name the metric name
   * @param labels name/value pairs in the order written (empty values removed)
   * @param timestampMs {@link #NO_TIMESTAMP} when the line has none
   */
  record Sample(String name, String[] labels, double value, long timestampMs) {
    boolean hasTimestamp() {
      return timestampMs != NO_TIMESTAMP;
    }

    @Override
    public String toString() {
      return name + Arrays.toString(labels) + " " + value + (hasTimestamp() ? " @" + timestampMs : "");
    }
  }

  /** {@code # TYPE}, {@code # HELP}, {@code # UNIT} of one family; empty strings when absent. */
  record Family(String type, String help, String unit) {}

  /** Samples in exposition order and families by name. */
  record Exposition(List<Sample> samples, Map<String, Family> families) {}

  private static final Set<String> TEXT_TYPES =
      Set.of("counter", "gauge", "histogram", "summary", "untyped");

  private static final Set<String> OPENMETRICS_TYPES =
      Set.of(
          "counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset",
          "unknown");

  private ExpositionParser() {}

  /**
   * @throws ExpositionException naming the line and the problem
   */
  static Exposition parse(String body, Format format) {
    return new Run(body, format).parse();
  }

  /** One parse: a cursor over the body. */
  private static final class Run {
    private final String s;
    private final boolean om;
    private final List<Sample> samples = new ArrayList<>();
    private final Map<String, String[]> families = new LinkedHashMap<>();
    /** The type of the last {@code # TYPE} line, which Prometheus' parsers apply to what follows. */
    private String lastType = "";
    private int pos;
    private int line;
    private int lineStart;
    private boolean eof;

    Run(String body, Format format) {
      this.s = body;
      this.om = format == Format.OPENMETRICS;
    }

    Exposition parse() {
      try {
        return parseAll();
      } catch (ExpositionException e) {
        // Prometheus still reports the samples it read before the error as scraped
        throw new ExpositionException(e.getMessage(), samples.size());
      }
    }

    private Exposition parseAll() {
      while (pos < s.length()) {
        line++;
        lineStart = pos;
        int end = s.indexOf('\n', pos);
        int lineEnd = end < 0 ? s.length() : end;
        if (lineEnd > pos && s.charAt(lineEnd - 1) == '\r') {
          lineEnd--;
        }
        if (eof) {
          throw error("content after '# EOF'");
        }
        parseLine(lineEnd);
        pos = end < 0 ? s.length() : end + 1;
      }
      if (om && !eof) {
        throw new ExpositionException("the OpenMetrics exposition does not end with '# EOF'");
      }
      Map<String, Family> out = new LinkedHashMap<>();
      for (Map.Entry<String, String[]> e : families.entrySet()) {
        String[] f = e.getValue();
        out.put(e.getKey(), new Family(f[0], f[1], f[2]));
      }
      return new Exposition(samples, out);
    }

    private void parseLine(int end) {
      skipBlanks(end);
      if (pos == end) {
        return; // blank line
      }
      if (s.charAt(pos) == '#') {
        comment(end);
        return;
      }
      sample(end);
    }

    private void comment(int end) {
      pos++;
      if (om && s.startsWith(" EOF", pos) && pos + 4 == end) {
        eof = true;
        pos = end;
        return;
      }
      if (pos == end || (s.charAt(pos) != ' ' && s.charAt(pos) != '\t')) {
        pos = end;
        return; // a comment
      }
      skipBlanks(end);
      int wordStart = pos;
      while (pos < end && s.charAt(pos) != ' ' && s.charAt(pos) != '\t') {
        pos++;
      }
      String keyword = s.substring(wordStart, pos);
      if (!keyword.equals("HELP") && !keyword.equals("TYPE") && !(om && keyword.equals("UNIT"))) {
        pos = end;
        return; // a comment
      }
      skipBlanks(end);
      String name;
      if (pos < end && s.charAt(pos) == '"') {
        name = quoted(end, "metric name");
      } else {
        name = metricName(end);
      }
      if (pos < end && s.charAt(pos) != ' ' && s.charAt(pos) != '\t') {
        throw error("unexpected character after the metric name in # " + keyword);
      }
      if (pos < end) {
        pos++; // one separator; HELP text keeps any further blanks
      }
      String rest = s.substring(pos, end);
      String[] family = families.computeIfAbsent(name, k -> new String[] {"", "", ""});
      switch (keyword) {
        case "TYPE":
          String type = rest.trim();
          if (!(om ? OPENMETRICS_TYPES : TEXT_TYPES).contains(type)) {
            throw error("invalid metric type '" + abbreviate(type) + "'");
          }
          family[0] = type; // a repeated TYPE line is accepted, as Prometheus does; the last wins
          lastType = type;
          break;
        case "HELP":
          family[1] = unescape(rest, om);
          break;
        default:
          family[2] = rest.trim();
          break;
      }
      pos = end;
    }

    private void sample(int end) {
      String name = null;
      if (s.charAt(pos) != '{') {
        name = metricName(end);
        skipBlanks(end);
      }
      List<String> labels = new ArrayList<>(8);
      if (pos < end && s.charAt(pos) == '{') {
        pos++;
        name = labels(end, name, labels);
        skipBlanks(end);
      }
      if (name == null) {
        throw error("a sample without a metric name");
      }
      if (pos >= end) {
        throw error("expected a value after '" + abbreviate(name) + "'");
      }
      double value = parseFloat(token(end), "value");
      long ts = NO_TIMESTAMP;
      skipBlanks(end);
      if (pos < end && s.charAt(pos) != '#') {
        String t = token(end);
        ts = om ? openMetricsTimestamp(t) : textTimestamp(t);
        skipBlanks(end);
      }
      if (pos < end) {
        if (om && s.charAt(pos) == '#') {
          pos = end; // an exemplar: not stored
        } else {
          throw error("unexpected '" + abbreviate(s.substring(pos, end)) + "' after the sample");
        }
      }
      normalizeFloatLabels(labels);
      samples.add(new Sample(name, labels.toArray(new String[0]), value, ts));
    }

    /**
     * Prometheus 3's {@code normalizeFloatsInLabelValues}: under a histogram's TYPE the {@code le}
     * values, under a summary's the {@code quantile} values, are written as OpenMetrics writes
     * floats ({@code le="1"} becomes {@code 1.0}, {@code 0.50} becomes {@code 0.5}), so that every
     * exposition of the same bucket gives the same series.
     */
    private void normalizeFloatLabels(List<String> labels) {
      String label =
          lastType.equals("histogram") ? "le" : lastType.equals("summary") ? "quantile" : null;
      if (label == null) {
        return;
      }
      for (int i = 0; i < labels.size(); i += 2) {
        if (labels.get(i).equals(label)) {
          try {
            labels.set(i + 1, GoFloat.formatOpenMetrics(GoFloat.parse(labels.get(i + 1))));
          } catch (NumberFormatException e) {
            // not a number: kept as it is, as Prometheus does
          }
        }
      }
    }

    /** Reads the label pairs after '{' up to and including '}'; returns the metric name. */
    private String labels(int end, String name, List<String> out) {
      boolean first = true;
      while (true) {
        skipBlanks(end);
        if (pos >= end) {
          throw error("unterminated label set");
        }
        if (s.charAt(pos) == '}') {
          pos++;
          return name;
        }
        if (!first) {
          if (s.charAt(pos) != ',') {
            throw error("expected ',' or '}' in the label set");
          }
          pos++;
          skipBlanks(end);
          if (pos < end && s.charAt(pos) == '}') {
            pos++;
            return name;
          }
        }
        first = false;
        String label;
        if (pos < end && s.charAt(pos) == '"') {
          String q = quoted(end, "label name");
          skipBlanks(end);
          if (pos < end && (s.charAt(pos) == ',' || s.charAt(pos) == '}')) {
            if (name != null) {
              throw error("two metric names ('" + abbreviate(name) + "' and '" + abbreviate(q) + "')");
            }
            name = q;
            continue;
          }
          label = q;
        } else {
          label = labelName(end);
        }
        skipBlanks(end);
        if (pos >= end || s.charAt(pos) != '=') {
          throw error("expected '=' after label name '" + abbreviate(label) + "'");
        }
        pos++;
        skipBlanks(end);
        if (pos >= end || s.charAt(pos) != '"') {
          throw error("expected a quoted value for label '" + abbreviate(label) + "'");
        }
        String value = quoted(end, "label value");
        for (int i = 0; i < out.size(); i += 2) {
          if (out.get(i).equals(label)) {
            throw error("label name '" + abbreviate(label) + "' is not unique");
          }
        }
        if (!value.isEmpty()) {
          out.add(label);
          out.add(value);
        }
      }
    }

    private String metricName(int end) {
      int start = pos;
      while (pos < end && isMetricNameChar(s.charAt(pos), pos == start)) {
        pos++;
      }
      if (pos == start) {
        throw error("invalid metric name");
      }
      return s.substring(start, pos);
    }

    private String labelName(int end) {
      int start = pos;
      while (pos < end && isLabelNameChar(s.charAt(pos), pos == start)) {
        pos++;
      }
      if (pos == start) {
        throw error("invalid label name");
      }
      return s.substring(start, pos);
    }

    /** A double-quoted string starting at pos, unescaped. */
    private String quoted(int end, String what) {
      pos++;
      StringBuilder sb = null;
      int start = pos;
      while (pos < end) {
        char c = s.charAt(pos);
        if (c == '"') {
          String v = sb == null ? s.substring(start, pos) : sb.toString();
          pos++;
          return v;
        }
        if (c == '\\') {
          if (sb == null) {
            sb = new StringBuilder(s.substring(start, pos));
          }
          if (pos + 1 >= end) {
            break;
          }
          char n = s.charAt(pos + 1);
          switch (n) {
            case '\\':
              sb.append('\\');
              break;
            case '"':
              sb.append('"');
              break;
            case 'n':
              sb.append('\n');
              break;
            default:
              sb.append('\\').append(n);
              break;
          }
          pos += 2;
          continue;
        }
        if (sb != null) {
          sb.append(c);
        }
        pos++;
      }
      throw error("unterminated quoted " + what);
    }

    private String token(int end) {
      int start = pos;
      while (pos < end && s.charAt(pos) != ' ' && s.charAt(pos) != '\t') {
        pos++;
      }
      return s.substring(start, pos);
    }

    private long textTimestamp(String t) {
      try {
        return Long.parseLong(t);
      } catch (NumberFormatException e) {
        throw error("invalid timestamp '" + abbreviate(t) + "' (integer milliseconds expected)");
      }
    }

    private long openMetricsTimestamp(String t) {
      double seconds = parseFloat(t, "timestamp");
      if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
        throw error("invalid timestamp '" + abbreviate(t) + "'");
      }
      return (long) (seconds * 1000);
    }

    private double parseFloat(String t, String what) {
      try {
        return GoFloat.parse(t);
      } catch (NumberFormatException e) {
        throw error("invalid " + what + " '" + abbreviate(t) + "'");
      }
    }

    private void skipBlanks(int end) {
      while (pos < end && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
        pos++;
      }
    }

    private ExpositionException error(String what) {
      int end = s.indexOf('\n', lineStart);
      String text = s.substring(lineStart, end < 0 ? s.length() : end);
      return new ExpositionException(
          "line " + line + ": " + what + " in '" + abbreviate(text) + "'");
    }
  }

  private static String unescape(String help, boolean om) {
    if (help.indexOf('\\') < 0) {
      return help;
    }
    StringBuilder sb = new StringBuilder(help.length());
    for (int i = 0; i < help.length(); i++) {
      char c = help.charAt(i);
      if (c == '\\' && i + 1 < help.length()) {
        char n = help.charAt(i + 1);
        if (n == '\\' || n == 'n' || (om && n == '"')) {
          sb.append(n == 'n' ? '\n' : n);
          i++;
          continue;
        }
      }
      sb.append(c);
    }
    return sb.toString();
  }

  static boolean isMetricNameChar(char c, boolean first) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || c == '_'
        || c == ':'
        || (!first && c >= '0' && c <= '9');
  }

  static boolean isLabelNameChar(char c, boolean first) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || c == '_'
        || (!first && c >= '0' && c <= '9');
  }

  static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "…" : s;
  }
}
