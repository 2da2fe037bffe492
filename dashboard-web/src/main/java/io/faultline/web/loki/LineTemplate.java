/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import io.faultline.core.log.LogQueryException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The part of Go's text/template that {@code | line_format} and {@code | label_format} templates
 * use most: text with {@code {{.label}}} (a missing label renders empty, as in Loki) and {@code
 * {{__line__}}} (the line as it is at that stage), passed through Loki's string functions {@code
 * ToUpper}, {@code ToLower} and {@code TrimSpace} (and their sprig names {@code upper}, {@code
 * lower}, {@code trim}) either as {@code {{ToUpper .a}}} or as {@code {{.a | ToUpper}}}, with
 * {@code {{-} and {@code -}}} trimming the white space beside an action. Other functions and
 * control structures are refused with a 400 that names the action.
 */
final class LineTemplate {
  private static final Map<String, java.util.function.UnaryOperator<String>> FUNCTIONS =
      Map.of(
          "ToUpper", s -> s.toUpperCase(java.util.Locale.ROOT),
          "upper", s -> s.toUpperCase(java.util.Locale.ROOT),
          "ToLower", s -> s.toLowerCase(java.util.Locale.ROOT),
          "lower", s -> s.toLowerCase(java.util.Locale.ROOT),
          "TrimSpace", String::strip,
          "trim", String::strip);

  /** One action: a value (a label, or the line when {@code label} is null) and its functions. */
  private record Action(String label, List<java.util.function.UnaryOperator<String>> functions) {}

  private final List<String> texts;
  private final List<Action> actions;

  private LineTemplate(List<String> texts, List<Action> actions) {
    this.texts = texts;
    this.actions = actions;
  }

  /**
   * @param at the template's position in the query, for error messages
   */
  static LineTemplate parse(String template, int at) {
    List<String> texts = new ArrayList<>();
    List<Action> actions = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    int k = 0;
    while (k < template.length()) {
      int open = template.indexOf("{{", k);
      if (open < 0) {
        text.append(template, k, template.length());
        break;
      }
      text.append(template, k, open);
      int close = template.indexOf("}}", open + 2);
      if (close < 0) {
        throw LogQl.parseError(at, "unclosed action in template " + template);
      }
      String action = template.substring(open + 2, close);
      if (action.startsWith("-")) {
        action = action.substring(1);
        trimEnd(text);
      }
      boolean trimAfter = action.endsWith("-");
      if (trimAfter) {
        action = action.substring(0, action.length() - 1);
      }
      texts.add(text.toString());
      actions.add(action(action.strip(), at));
      text.setLength(0);
      k = close + 2;
      if (trimAfter) {
        while (k < template.length() && Character.isWhitespace(template.charAt(k))) {
          k++;
        }
      }
    }
    texts.add(text.toString());
    return new LineTemplate(List.copyOf(texts), List.copyOf(actions));
  }

  /** {@code value}, {@code F value} or {@code value | F | G}; a value is .label or __line__. */
  private static Action action(String action, int at) {
    String[] stages = action.split("\\|", -1);
    List<java.util.function.UnaryOperator<String>> functions = new ArrayList<>();
    String[] first = stages[0].strip().split("\\s+");
    String value = first[first.length - 1];
    if (first.length == 2) {
      functions.add(function(first[0], action, at));
    } else if (first.length != 1) {
      throw unsupported(action, at);
    }
    for (int k = 1; k < stages.length; k++) {
      functions.add(function(stages[k].strip(), action, at));
    }
    if (value.equals("__line__")) {
      return new Action(null, List.copyOf(functions));
    }
    if (value.startsWith(".") && validName(value.substring(1))) {
      return new Action(value.substring(1), List.copyOf(functions));
    }
    throw unsupported(action, at);
  }

  private static java.util.function.UnaryOperator<String> function(
      String name, String action, int at) {
    java.util.function.UnaryOperator<String> f = FUNCTIONS.get(name);
    if (f == null) {
      throw unsupported(action, at);
    }
    return f;
  }

  private static LogQueryException unsupported(String action, int at) {
    return LogQl.parseError(
        at,
        "the template action {{" + action + "}} is not supported; supported are {{.label}} and"
            + " {{__line__}}, alone or through ToUpper, ToLower, TrimSpace (upper, lower, trim)");
  }

  String render(String line, Map<String, String> values) {
    StringBuilder out = new StringBuilder();
    for (int k = 0; k < actions.size(); k++) {
      out.append(texts.get(k));
      Action a = actions.get(k);
      String v = a.label() == null ? line : values.get(a.label());
      if (v == null) {
        v = "";
      }
      for (java.util.function.UnaryOperator<String> f : a.functions()) {
        v = f.apply(v);
      }
      out.append(v);
    }
    return out.append(texts.get(texts.size() - 1)).toString();
  }

  private static void trimEnd(StringBuilder text) {
    int end = text.length();
    while (end > 0 && Character.isWhitespace(text.charAt(end - 1))) {
      end--;
    }
    text.setLength(end);
  }

  static boolean validName(String name) {
    if (name.isEmpty() || name.charAt(0) >= '0' && name.charAt(0) <= '9') {
      return false;
    }
    for (int k = 0; k < name.length(); k++) {
      char c = name.charAt(k);
      if (!(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')) {
        return false;
      }
    }
    return true;
  }
}
