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
 * {{__line__}}} (the line as it is at that stage), with {@code {{-} and {@code -}}} trimming the
 * white space beside an action. Functions, pipelines and control structures are refused with a
 * 400 that says so.
 */
final class LineTemplate {
  private final List<String> texts;
  private final List<String> labels; // null for __line__

  private LineTemplate(List<String> texts, List<String> labels) {
    this.texts = texts;
    this.labels = labels;
  }

  /**
   * @param at the template's position in the query, for error messages
   */
  static LineTemplate parse(String template, int at) {
    List<String> texts = new ArrayList<>();
    List<String> labels = new ArrayList<>();
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
        throw error(at, "unclosed action in template " + template);
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
      action = action.strip();
      String label;
      if (action.equals("__line__")) {
        label = null;
      } else if (action.startsWith(".") && validName(action.substring(1))) {
        label = action.substring(1);
      } else {
        throw error(
            at,
            "the template action {{" + action + "}} is not supported; supported are {{.label}} and"
                + " {{__line__}}");
      }
      texts.add(text.toString());
      labels.add(label);
      text.setLength(0);
      k = close + 2;
      if (trimAfter) {
        while (k < template.length() && Character.isWhitespace(template.charAt(k))) {
          k++;
        }
      }
    }
    texts.add(text.toString());
    return new LineTemplate(List.copyOf(texts), java.util.Collections.unmodifiableList(labels));
  }

  String render(String line, Map<String, String> values) {
    StringBuilder out = new StringBuilder();
    for (int k = 0; k < labels.size(); k++) {
      out.append(texts.get(k));
      String label = labels.get(k);
      String v = label == null ? line : values.get(label);
      if (v != null) {
        out.append(v);
      }
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

  private static LogQueryException error(int at, String what) {
    return new LogQueryException("parse error at line 1, col " + (at + 1) + ": " + what, at);
  }
}
