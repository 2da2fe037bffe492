/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import io.faultline.core.log.LogQueryException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A LogQL log query: {@code {label="v", label=~"re", ...}} followed by stages: line filters
 * ({@code |= "s"}, {@code != "s"}, {@code |~ "re"}, {@code !~ "re"}), parsers ({@code | json},
 * {@code | logfmt}) and label filters ({@code | name op value} with {@code = != =~ !~ > >= < <=},
 * several joined by {@code and} or {@code ,}). Strings in double quotes (Go escapes) or backticks.
 * Regular expressions use Java's syntax, which agrees with RE2 on everything common; label
 * regexes match whole values, line regexes anywhere in the line, as in Loki.
 */
record LogQl(List<Matcher> selector, List<Stage> stages) {

  enum Op {
    EQ("="),
    NE("!="),
    RE("=~"),
    NRE("!~"),
    GT(">"),
    GE(">="),
    LT("<"),
    LE("<=");

    final String text;

    Op(String text) {
      this.text = text;
    }
  }

  /** {@code name op value}; {@link #pattern} is set for regex operators. */
  record Matcher(String name, Op op, String value, Pattern pattern) {
    boolean matches(String actual) {
      String a = actual == null ? "" : actual;
      return switch (op) {
        case EQ -> a.equals(value);
        case NE -> !a.equals(value);
        case RE -> pattern.matcher(a).matches();
        case NRE -> !pattern.matcher(a).matches();
        default -> compare(a);
      };
    }

    private boolean compare(String a) {
      double x;
      double y;
      try {
        x = Double.parseDouble(a);
        y = Double.parseDouble(value);
      } catch (NumberFormatException e) {
        return false;
      }
      return switch (op) {
        case GT -> x > y;
        case GE -> x >= y;
        case LT -> x < y;
        default -> x <= y;
      };
    }
  }

  sealed interface Stage permits LineFilter, Parser, LabelFilter {}

  record LineFilter(Op op, String text, Pattern pattern) implements Stage {
    boolean keep(String line) {
      return switch (op) {
        case EQ -> line.contains(text);
        case NE -> !line.contains(text);
        case RE -> pattern.matcher(line).find();
        default -> !pattern.matcher(line).find();
      };
    }
  }

  record Parser(String kind) implements Stage {}

  /** Every matcher must hold ({@code and}); a group of alternatives is a nested list ({@code or}). */
  record LabelFilter(List<List<Matcher>> anyOf) implements Stage {
    boolean keep(Map<String, String> labels) {
      for (List<Matcher> all : anyOf) {
        boolean ok = true;
        for (Matcher m : all) {
          if (!m.matches(labels.get(m.name()))) {
            ok = false;
            break;
          }
        }
        if (ok) {
          return true;
        }
      }
      return false;
    }
  }

  static LogQl parse(String text) {
    if (text == null || text.isBlank()) {
      throw new LogQueryException("query is empty; write a stream selector such as {service_name=\"payments\"}");
    }
    return new ParserState(text).query();
  }

  /** A recursive-descent parser over the query text; errors name the column (1-based). */
  private static final class ParserState {
    private final String s;
    private int i;

    ParserState(String s) {
      this.s = s;
    }

    LogQl query() {
      skip();
      if (peekWord() != null && s.startsWith("(", i + peekWord().length())) {
        throw error("metric queries (" + peekWord() + "(...)) are not supported; send a log query");
      }
      expect("{");
      List<Matcher> selector = new ArrayList<>();
      skip();
      if (!peek("}")) {
        do {
          selector.add(matcher(true));
          skip();
        } while (take(","));
      }
      expect("}");
      if (selector.stream().allMatch(m -> m.matches(""))) {
        throw new LogQueryException(
            "parse error: queries require at least one regexp or equality matcher that does not"
                + " have an empty-compatible value. For instance, app=\"foo\" and app=~\".+\" are"
                + " fine, but app=~\".*\", app=\"\" and app!=\"foo\" alone are not",
            0);
      }
      List<Stage> stages = new ArrayList<>();
      while (true) {
        skip();
        if (i >= s.length()) {
          break;
        }
        if (take("|=")) {
          stages.add(new LineFilter(Op.EQ, string(), null));
        } else if (take("!=")) {
          stages.add(new LineFilter(Op.NE, string(), null));
        } else if (take("|~")) {
          int at = i;
          String re = string();
          stages.add(new LineFilter(Op.RE, re, regex(re, at)));
        } else if (take("!~")) {
          int at = i;
          String re = string();
          stages.add(new LineFilter(Op.NRE, re, regex(re, at)));
        } else if (take("|")) {
          skip();
          String word = peekWord();
          if ("json".equals(word) || "logfmt".equals(word)) {
            i += word.length();
            skip();
            if (i < s.length() && Character.isLetter(s.charAt(i))) {
              throw error(word + " with parameters is not supported; use | " + word + " alone");
            }
            stages.add(new Parser(word));
          } else if (word != null && List.of("line_format", "label_format", "unwrap", "drop", "keep",
              "pattern", "regexp", "decolorize", "unpack").contains(word)) {
            throw error("the " + word + " stage is not supported; supported are line filters, json,"
                + " logfmt and label filters");
          } else {
            stages.add(labelFilter());
          }
        } else {
          throw error("expected a pipeline stage (|=, !=, |~, !~ or | ...)");
        }
      }
      return new LogQl(List.copyOf(selector), List.copyOf(stages));
    }

    private LabelFilter labelFilter() {
      List<List<Matcher>> anyOf = new ArrayList<>();
      List<Matcher> all = new ArrayList<>();
      all.add(matcher(false));
      while (true) {
        skip();
        if (take(",") || takeWord("and")) {
          all.add(matcher(false));
        } else if (takeWord("or")) {
          anyOf.add(all);
          all = new ArrayList<>();
          all.add(matcher(false));
        } else {
          break;
        }
      }
      anyOf.add(all);
      return new LabelFilter(anyOf);
    }

    private Matcher matcher(boolean selector) {
      skip();
      String name = peekWord();
      if (name == null) {
        throw error("expected a label name");
      }
      i += name.length();
      skip();
      Op op = null;
      for (Op o : new Op[] {Op.RE, Op.NRE, Op.NE, Op.GE, Op.LE, Op.EQ, Op.GT, Op.LT}) {
        if (s.startsWith(o.text, i)) {
          op = o;
          break;
        }
      }
      if (op == null || (selector && op.ordinal() > Op.NRE.ordinal())) {
        throw error("expected one of = != =~ !~" + (selector ? "" : " > >= < <=") + " after " + name);
      }
      i += op.text.length();
      skip();
      int at = i;
      String value;
      if (!selector && i < s.length() && s.charAt(i) != '"' && s.charAt(i) != '`') {
        int start = i;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || ".-+_".indexOf(s.charAt(i)) >= 0)) {
          i++;
        }
        if (start == i) {
          throw error("expected a value after " + name + op.text);
        }
        value = s.substring(start, i);
      } else {
        value = string();
      }
      if (value.startsWith("\"") || value.isEmpty() && (op == Op.GT || op == Op.LT)) {
        throw error("bad value for " + name);
      }
      Pattern p = op == Op.RE || op == Op.NRE ? regex(value, at) : null;
      return new Matcher(name, op, value, p);
    }

    private Pattern regex(String re, int at) {
      try {
        return Pattern.compile(re);
      } catch (PatternSyntaxException e) {
        throw new LogQueryException(
            "parse error at line 1, col " + (at + 1) + ": invalid regular expression " + re + ": "
                + e.getDescription(),
            at);
      }
    }

    private String string() {
      skip();
      if (i >= s.length()) {
        throw error("expected a string in double quotes or backticks");
      }
      char q = s.charAt(i);
      if (q == '`') {
        int end = s.indexOf('`', i + 1);
        if (end < 0) {
          throw error("unterminated raw string");
        }
        String v = s.substring(i + 1, end);
        i = end + 1;
        return v;
      }
      if (q != '"') {
        throw error("expected a string in double quotes or backticks");
      }
      StringBuilder out = new StringBuilder();
      int j = i + 1;
      while (j < s.length()) {
        char c = s.charAt(j);
        if (c == '"') {
          i = j + 1;
          return out.toString();
        }
        if (c == '\\' && j + 1 < s.length()) {
          char n = s.charAt(++j);
          switch (n) {
            case 'n' -> out.append('\n');
            case 't' -> out.append('\t');
            case 'r' -> out.append('\r');
            case '\\', '"', '\'' -> out.append(n);
            default -> out.append('\\').append(n);
          }
        } else {
          out.append(c);
        }
        j++;
      }
      throw error("unterminated string");
    }

    private String peekWord() {
      int j = i;
      while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_' || (j > i && s.charAt(j) == '.'))) {
        j++;
      }
      return j == i || Character.isDigit(s.charAt(i)) ? null : s.substring(i, j);
    }

    private boolean takeWord(String word) {
      skip();
      if (word.equals(peekWord())) {
        i += word.length();
        return true;
      }
      return false;
    }

    private void skip() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    private boolean peek(String t) {
      skip();
      return s.startsWith(t, i);
    }

    private boolean take(String t) {
      if (peek(t)) {
        i += t.length();
        return true;
      }
      return false;
    }

    private void expect(String t) {
      if (!take(t)) {
        throw error("expected " + t);
      }
    }

    private LogQueryException error(String what) {
      String near = i < s.length() ? " near '" + s.substring(i, Math.min(s.length(), i + 20)) + "'" : " at the end";
      return new LogQueryException("parse error at line 1, col " + (i + 1) + near + ": " + what, i);
    }
  }
}
