/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.storage;

import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One label condition of a selector. Regular expressions are fully anchored and {@code .}
 * matches newlines, as in Prometheus 3. A missing label matches as the empty string.
 */
public final class LabelMatcher {
  /** The four matcher kinds of PromQL. */
  public enum Type {
    EQUAL("="),
    NOT_EQUAL("!="),
    REGEX("=~"),
    NOT_REGEX("!~");

    private final String symbol;

    Type(String symbol) {
      this.symbol = symbol;
    }

    public String symbol() {
      return symbol;
    }
  }

  private final Type type;
  private final String name;
  private final String value;
  private final Pattern pattern;

  private LabelMatcher(Type type, String name, String value) {
    this.type = Objects.requireNonNull(type, "type");
    this.name = Objects.requireNonNull(name, "name");
    this.value = Objects.requireNonNull(value, "value");
    if (type == Type.REGEX || type == Type.NOT_REGEX) {
      this.pattern = compileAnchored(value);
    } else {
      this.pattern = null;
    }
  }

  /**
   * Creates a matcher.
   *
   * @throws IllegalArgumentException when a regular expression does not compile
   */
  public static LabelMatcher of(Type type, String name, String value) {
    return new LabelMatcher(type, name, value);
  }

  public static LabelMatcher equal(String name, String value) {
    return new LabelMatcher(Type.EQUAL, name, value);
  }

  /** Compiles a regex the way Prometheus does: {@code ^(?s:re)$}. */
  public static Pattern compileAnchored(String regex) {
    try {
      return Pattern.compile("^(?s:" + RegexTranslator.toJava(regex) + ")$");
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "error parsing regexp: " + e.getDescription() + ": `" + regex + "`", e);
    }
  }

  public Type type() {
    return type;
  }

  public String name() {
    return name;
  }

  public String value() {
    return value;
  }

  /** Whether the given label value (empty when the label is missing) satisfies this matcher. */
  public boolean matches(String v) {
    switch (type) {
      case EQUAL:
        return value.equals(v);
      case NOT_EQUAL:
        return !value.equals(v);
      case REGEX:
        return pattern.matcher(v).matches();
      default:
        return !pattern.matcher(v).matches();
    }
  }

  /** Whether a series with these labels satisfies this matcher. */
  public boolean matches(Labels labels) {
    return matches(labels.get(name));
  }

  @Override
  public String toString() {
    return name + type.symbol + '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  /** Translates the few RE2 constructs whose Java spelling differs. */
  static final class RegexTranslator {
    private RegexTranslator() {}

    static String toJava(String re) {
      // RE2 named groups (?P<name>...) are spelled (?<name>...) in Java.
      return re.replace("(?P<", "(?<");
    }
  }
}
