/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.loki;

import java.util.Map;
import java.util.TreeMap;

/**
 * A push stream's labels in Prometheus selector syntax, {@code {app="shop", env="prod"}}, parsed
 * strictly as Loki's {@code syntax.ParseLabels} takes them: braces around comma-separated {@code
 * name="value"} pairs, white space between tokens, names of ASCII letters, digits and "_" not
 * starting with a digit, values as Go string literals (double-quoted with Go's escapes, or
 * back-quoted and raw), only {@code =} (a stream has labels, not matchers), no name twice. A label
 * with an empty value is absent, as in Prometheus; a stream needs at least one label.
 */
final class LokiLabels {
  private final String text;
  private int pos;

  private LokiLabels(String text) {
    this.text = text;
  }

  /** Thrown with Loki's wording for a label string that is not a stream's labels. */
  static final class InvalidLabelsException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidLabelsException(String message) {
      super(message, null, false, false);
    }
  }

  /** The labels, sorted by name, without empty values. */
  static Map<String, String> parse(String text) throws InvalidLabelsException {
    LokiLabels p = new LokiLabels(text);
    try {
      return validate(p.labels());
    } catch (IllegalArgumentException e) {
      throw new InvalidLabelsException(
          "error parsing labels '" + LokiPush.abbreviate(text) + "': " + e.getMessage());
    }
  }

  /**
   * {@code labels} (a JSON stream's {@code stream} object) checked as {@link #parse} checks a
   * label string: valid names, at least one non-empty value; sorted, empty values left out.
   */
  static Map<String, String> of(Map<String, String> labels) throws InvalidLabelsException {
    for (String name : labels.keySet()) {
      if (!validName(name)) {
        throw new InvalidLabelsException(
            "error parsing labels '"
                + LokiPush.abbreviate(LokiPush.describe(labels))
                + "': invalid label name '"
                + LokiPush.abbreviate(name)
                + "'; a label name is ASCII letters, digits and '_', not starting with a digit");
      }
    }
    return validate(labels);
  }

  private static Map<String, String> validate(Map<String, String> labels)
      throws InvalidLabelsException {
    Map<String, String> out = new TreeMap<>();
    labels.forEach(
        (k, v) -> {
          if (!v.isEmpty()) {
            out.put(k, v);
          }
        });
    if (out.isEmpty()) {
      // Loki's MissingLabelsErrorMsg
      throw new InvalidLabelsException("error at least one label pair is required per stream");
    }
    return out;
  }

  /** {@code [a-zA-Z_][a-zA-Z0-9_]*}, Prometheus' legacy label name, which LogQL requires. */
  static boolean validName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private Map<String, String> labels() {
    Map<String, String> labels = new TreeMap<>();
    skipSpace();
    expect('{');
    skipSpace();
    if (peek() == '}') {
      pos++;
      end();
      return labels;
    }
    while (true) {
      skipSpace();
      String name = name();
      skipSpace();
      if (peek() == '!' || peek() == '=' && pos + 1 < text.length() && text.charAt(pos + 1) == '~') {
        throw new IllegalArgumentException(
            "label '" + name + "' has a matcher other than '='; a stream has labels name=\"value\"");
      }
      expect('=');
      skipSpace();
      String value = value();
      if (labels.put(name, value) != null) {
        // Loki's DuplicateLabelNamesErrorMsg
        throw new IllegalArgumentException("duplicate label name: '" + name + "'");
      }
      skipSpace();
      char c = peek();
      if (c == ',') {
        pos++;
        continue;
      }
      if (c == '}') {
        pos++;
        end();
        return labels;
      }
      throw unexpected("',' or '}'");
    }
  }

  private String name() {
    int start = pos;
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c == '_'
          || pos > start && c >= '0' && c <= '9') {
        pos++;
      } else {
        break;
      }
    }
    if (pos == start) {
      throw unexpected("a label name");
    }
    return text.substring(start, pos);
  }

  private String value() {
    char quote = peek();
    if (quote == '`') {
      int end = text.indexOf('`', pos + 1);
      if (end < 0) {
        throw new IllegalArgumentException("unterminated raw string at position " + pos);
      }
      String v = text.substring(pos + 1, end);
      pos = end + 1;
      return v;
    }
    if (quote != '"') {
      throw unexpected("a quoted label value");
    }
    int start = pos;
    pos++;
    StringBuilder b = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw new IllegalArgumentException("unterminated string starting at position " + start);
      }
      char c = text.charAt(pos++);
      if (c == '"') {
        return b.toString();
      }
      if (c == '\n') {
        throw new IllegalArgumentException("newline in string starting at position " + start);
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (pos >= text.length()) {
        throw new IllegalArgumentException("unterminated string starting at position " + start);
      }
      char e = text.charAt(pos++);
      switch (e) {
        case 'a' -> b.append('\u0007');
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'v' -> b.append('\u000b');
        case '\\' -> b.append('\\');
        case '"' -> b.append('"');
        case 'x' -> appendUtf8Byte(b, hex(2));
        case 'u' -> b.appendCodePoint(codePoint(hex(4)));
        case 'U' -> b.appendCodePoint(codePoint(hex(8)));
        default -> {
          if (e >= '0' && e <= '7') {
            pos--;
            int v = 0;
            for (int i = 0; i < 3; i++) {
              char d = pos < text.length() ? text.charAt(pos) : 0;
              if (d < '0' || d > '7') {
                throw new IllegalArgumentException("invalid octal escape at position " + pos);
              }
              v = v * 8 + (d - '0');
              pos++;
            }
            if (v > 255) {
              throw new IllegalArgumentException("octal escape value > 255 at position " + pos);
            }
            appendUtf8Byte(b, v);
          } else {
            throw new IllegalArgumentException(
                "unknown escape sequence '\\" + e + "' at position " + (pos - 2));
          }
        }
      }
    }
  }

  /**
   * A byte escape (Go's {@code \xNN}, {@code \NNN}): ASCII as the character; other bytes only
   * as part of valid UTF-8 (checked when the value is complete would need a byte buffer), so they
   * are refused: Loki label values are UTF-8 text.
   */
  private void appendUtf8Byte(StringBuilder b, int v) {
    if (v >= 0x80) {
      throw new IllegalArgumentException(
          "byte escape of a non-ASCII byte at position "
              + pos
              + "; write the character itself or \\u escapes");
    }
    b.append((char) v);
  }

  private int hex(int digits) {
    if (pos + digits > text.length()) {
      throw new IllegalArgumentException("invalid escape at position " + pos);
    }
    int v = 0;
    for (int i = 0; i < digits; i++) {
      int d = Character.digit(text.charAt(pos + i), 16);
      if (d < 0) {
        throw new IllegalArgumentException("invalid escape at position " + (pos + i));
      }
      v = v * 16 + d;
    }
    pos += digits;
    return v;
  }

  private static int codePoint(int v) {
    if (v > Character.MAX_CODE_POINT || v >= 0xD800 && v <= 0xDFFF) {
      throw new IllegalArgumentException("escape of an invalid Unicode code point");
    }
    return v;
  }

  private void end() {
    skipSpace();
    if (pos < text.length()) {
      throw unexpected("the end after '}'");
    }
  }

  private void expect(char c) {
    if (peek() != c) {
      throw unexpected("'" + c + "'");
    }
    pos++;
  }

  private char peek() {
    return pos < text.length() ? text.charAt(pos) : 0;
  }

  private void skipSpace() {
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
  }

  private IllegalArgumentException unexpected(String expected) {
    return new IllegalArgumentException(
        pos >= text.length()
            ? "unexpected end of input, expected " + expected
            : "unexpected '" + text.charAt(pos) + "' at position " + pos + ", expected " + expected);
  }
}
