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
 * ({@code |= "s"}, {@code != "s"}, {@code |~ "re"}, {@code !~ "re"}, several values joined by
 * {@code or}, and {@code ip("cidr")}), parsers ({@code | json}
 * and {@code | json label="path", ...}, {@code | logfmt [--strict] [--keep-empty] [label="key",
 * ...]}, {@code | unpack}, {@code | regexp "re"} with named groups, {@code | pattern "<a> <_> <b>"}),
 * {@code | line_format}, {@code | label_format} and {@code | decolorize} (templates as {@link
 * LineTemplate} reads them) and label filters ({@code | name op "string"} with {@code = != =~ !~},
 * and {@code | name op value} with {@code = == != > >= < <=} comparing numbers ({@code 200}),
 * durations ({@code 250ms}) or byte sizes ({@code 1KB}), joined by {@code and}, {@code or}, {@code
 * ,} or a space, with parentheses), {@code | drop} and {@code | keep} (names, or {@code
 * name="value"} matchers), and {@code ip("...")} label filters. Strings in double quotes (Go
 * escapes) or backticks.
 * Regular expressions use Java's syntax, which agrees with RE2 on everything common; label
 * regexes match whole values, line regexes anywhere in the line, as in Loki. {@link #parseExpr}
 * also reads metric queries ({@link LogQlExpr}), where a range aggregation's pipeline may end in
 * {@code | unwrap [duration|duration_seconds|bytes](label)} followed by label filters.
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

  /**
   * {@code name op value} with {@code = != =~ !~}; {@link #pattern} is set for regex operators. A
   * missing label matches as the empty string, as in Loki.
   */
  record Matcher(String name, Op op, String value, Pattern pattern) {
    boolean matches(String actual) {
      String a = actual == null ? "" : actual;
      return switch (op) {
        case EQ -> a.equals(value);
        case NE -> !a.equals(value);
        case RE -> pattern.matcher(a).matches();
        default -> !pattern.matcher(a).matches();
      };
    }
  }

  sealed interface Stage
      permits LineFilter,
          Parser,
          LogfmtParser,
          JsonExtractor,
          RegexpParser,
          PatternParser,
          LineFormat,
          LabelFormat,
          Decolorize,
          LabelFilter,
          Drop,
          Keep,
          Unwrap {}

  /** {@code | line_format "template"}: the line becomes the rendered template. */
  record LineFormat(LineTemplate template) implements Stage {}

  /**
   * {@code | label_format dst=src, dst="template"}: renames a label ({@code src} is dropped) or
   * sets one to a rendered template; all renders see the labels as they were before the stage.
   */
  record LabelFormat(List<Rename> renames) implements Stage {
    /** {@code template} null: a rename from {@code source}. */
    record Rename(String target, String source, LineTemplate template) {}

    void apply(String line, Map<String, String> labels) {
      Map<String, String> before = new java.util.HashMap<>(labels);
      for (Rename r : renames) {
        if (r.template() == null) {
          String v = before.get(r.source());
          labels.remove(r.source());
          if (v != null) {
            labels.put(r.target(), v);
          }
        } else {
          labels.put(r.target(), r.template().render(line, before));
        }
      }
    }
  }

  /** {@code | decolorize}: removes ANSI colour and cursor escape sequences from the line. */
  record Decolorize() implements Stage {
    private static final Pattern ANSI =
        Pattern.compile(
            "[\\u001B\\u009B][\\[\\]()#;?]*(?:(?:(?:[a-zA-Z\\d]*(?:;[a-zA-Z\\d]*)*)?\\u0007)"
                + "|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PRZcf-ntqry=><~]))");

    String apply(String line) {
      return ANSI.matcher(line).replaceAll("");
    }
  }

  /**
   * {@code |= "a" or "b"}, {@code != ...}, {@code |~ ...}, {@code !~ ...}, each value also {@code
   * ip("cidr")} for {@code |=} and {@code !=}. As in Loki 3, {@code or} between values means any of
   * them for {@code |=} and {@code |~}, and none of them for {@code !=} and {@code !~} ({@code !=
   * "a" or "b"} is {@code != "a" != "b"}). {@code texts} holds the values as written.
   */
  record LineFilter(Op op, List<String> texts, List<java.util.function.Predicate<String>> alternatives)
      implements Stage {
    boolean keep(String line) {
      boolean any = false;
      for (java.util.function.Predicate<String> p : alternatives) {
        if (p.test(line)) {
          any = true;
          break;
        }
      }
      return op == Op.EQ || op == Op.RE ? any : !any;
    }

    /** The first value. */
    String text() {
      return texts.get(0);
    }
  }

  /**
   * {@code | json} or {@code | unpack} (Promtail's packed lines: every top-level string becomes a
   * label, and {@code _entry} becomes the line).
   */
  record Parser(String kind) implements Stage {}

  /**
   * {@code | logfmt [--strict] [--keep-empty] [label="key", key, ...]}; without extractions every
   * pair becomes a label.
   */
  record LogfmtParser(boolean strict, boolean keepEmpty, List<Extraction> extractions) implements Stage {}

  /** {@code | json label="path", ...}: only the given paths become labels. */
  record JsonExtractor(List<Extraction> extractions) implements Stage {}

  /**
   * {@code label="expression"} (or a bare {@code label}, the expression being the label's name).
   * For json, {@code path} holds the field names (String) and array indexes (Integer) of Loki's
   * path syntax: {@code a.b}, {@code a[0]}, {@code ["key with.dots"]}.
   */
  record Extraction(String label, String expression, List<Object> path) {}

  /**
   * {@code | regexp "re"}: each named group that takes part in a match becomes a label. Loki's
   * expressions are Go's: {@code (?P<name>...)} and {@code (?<name>...)} both name a group, and a
   * label name may hold underscores, which Java's group names may not, so the groups are renamed
   * {@code g0, g1, ...} and {@code labels} keeps their label names in order. A line that does not
   * match adds no label.
   */
  record RegexpParser(Pattern pattern, List<String> labels) implements Stage {
    void extract(String line, java.util.function.BiConsumer<String, String> into) {
      java.util.regex.Matcher m = pattern.matcher(line);
      if (!m.find()) {
        return;
      }
      for (int g = 0; g < labels.size(); g++) {
        String value = m.group("g" + g);
        if (value != null) {
          into.accept(labels.get(g), value);
        }
      }
    }
  }

  /**
   * {@code | pattern "<ip> - <_> [<ts>] \"<method> <path> <_>\""}: literals and captures
   * ({@code <name>}, or {@code <_>} to skip), matched as Loki does: a leading literal must start
   * the line; each capture runs to the first occurrence of the literal after it, or to the end of
   * the line when that literal never comes (which ends the match); text after a trailing literal
   * is ignored. {@code captures} holds the capture names in order ({@code null} for {@code <_>}),
   * {@code literals} the literal after each capture, after the leading one if there is one.
   */
  record PatternParser(List<String> literals, List<String> captures, boolean leadingLiteral)
      implements Stage {
    /** Hands every named capture of the line to {@code into}. */
    void extract(String line, java.util.function.BiConsumer<String, String> into) {
      int at = 0;
      int lit = 0;
      if (leadingLiteral) {
        if (!line.startsWith(literals.get(0))) {
          return;
        }
        at = literals.get(0).length();
        lit = 1;
      }
      for (String name : captures) {
        if (lit >= literals.size()) { // the pattern ends on this capture
          if (name != null) {
            into.accept(name, line.substring(at));
          }
          return;
        }
        String next = literals.get(lit++);
        int end = line.indexOf(next, at);
        if (end < 0) {
          if (name != null) {
            into.accept(name, line.substring(at));
          }
          return;
        }
        if (name != null) {
          into.accept(name, line.substring(at, end));
        }
        at = end + next.length();
      }
    }
  }

  /**
   * {@code | <label filter expression>}: comparisons joined by {@code and} (also written {@code ,}
   * or a space) and {@code or}, with parentheses. As in Loki, {@code and} evaluates both sides (so
   * either may record a conversion error) while {@code or} stops at the first side that holds.
   */
  record LabelFilter(Condition condition) implements Stage {
    boolean keep(Map<String, String> labels) {
      return condition.test(labels);
    }
  }

  /** A node of a label filter expression. */
  sealed interface Condition
      permits StringCondition, NumberCondition, DurationCondition, BytesCondition, IpCondition, And, Or {
    boolean test(Map<String, String> labels);
  }

  record And(Condition left, Condition right) implements Condition {
    @Override
    public boolean test(Map<String, String> labels) {
      boolean l = left.test(labels);
      boolean r = right.test(labels);
      return l && r;
    }
  }

  record Or(Condition left, Condition right) implements Condition {
    @Override
    public boolean test(Map<String, String> labels) {
      return left.test(labels) || right.test(labels);
    }
  }

  /** {@code name = "v"} and the other string operators: the only filter that reads a missing label. */
  record StringCondition(Matcher matcher) implements Condition {
    @Override
    public boolean test(Map<String, String> labels) {
      return matcher.matches(labels.get(matcher.name()));
    }
  }

  /** {@code status >= 500}: compares the label's value as a number (Go's ParseFloat). */
  record NumberCondition(String name, Op op, double value) implements Condition {
    @Override
    public boolean test(Map<String, String> labels) {
      return convertAndCompare(name, op, labels, v -> {
        double x = GoValues.parseFloat(v);
        return Double.isNaN(x) || Double.isNaN(value) ? UNORDERED : Double.compare(x, value);
      });
    }
  }

  /** {@code duration > 1s}: compares the label's value as a Go duration ("250ms", "1m30s"). */
  record DurationCondition(String name, Op op, long nanos) implements Condition {
    @Override
    public boolean test(Map<String, String> labels) {
      return convertAndCompare(name, op, labels, v -> Long.compare(GoValues.parseDuration(v), nanos));
    }
  }

  /** {@code size > 1KB}: compares the label's value as a byte size ("2KB", "1KiB", "42"). */
  record BytesCondition(String name, Op op, long bytes) implements Condition {
    @Override
    public boolean test(Map<String, String> labels) {
      return convertAndCompare(name, op, labels, v -> Long.compare(GoValues.parseBytes(v), bytes));
    }
  }

  /**
   * {@code addr = ip("10.0.0.0/8")} or {@code !=}: whether the label's value holds an address in
   * the pattern. As in Loki, a line without the label is dropped, and a line that already has an
   * error passes (only string filters act on errors).
   */
  record IpCondition(String name, boolean negated, IpPattern ip) implements Condition {
    @Override
    public boolean test(Map<String, String> labels) {
      String error = labels.get("__error__");
      if (error != null && !error.isEmpty()) {
        return true;
      }
      String v = labels.get(name);
      return v != null && ip.foundIn(v) != negated;
    }
  }

  /**
   * Loki's conversion filters: a line without the label is dropped (whatever the operator); a
   * value that does not convert keeps the line and sets {@code __error__="LabelFilterErr"} with
   * the conversion's message in {@code __error_details__}, unless an earlier stage set an error.
   */
  private static final int UNORDERED = Integer.MIN_VALUE;

  private static boolean convertAndCompare(
      String name, Op op, Map<String, String> labels, java.util.function.ToIntFunction<String> compare) {
    String v = labels.get(name);
    if (v == null) {
      return false;
    }
    int c;
    try {
      c = compare.applyAsInt(v);
    } catch (IllegalArgumentException e) {
      String error = labels.get("__error__");
      if (error == null || error.isEmpty()) {
        labels.put("__error__", "LabelFilterErr");
        labels.put("__error_details__", e.getMessage());
      }
      return true;
    }
    if (c == UNORDERED) {
      return op == Op.NE; // NaN is unequal to everything, as in Go
    }
    return switch (op) {
      case EQ -> c == 0;
      case NE -> c != 0;
      case GT -> c > 0;
      case GE -> c >= 0;
      case LT -> c < 0;
      default -> c <= 0;
    };
  }

  /**
   * {@code | drop a, b="v"}: removes the named labels, or a label whose value matches (the
   * matcher's {@code op} is null for a bare name).
   */
  record Drop(List<Matcher> labels) implements Stage {
    void apply(Map<String, String> labels) {
      for (Matcher m : this.labels) {
        String v = labels.get(m.name());
        if (v != null && (m.op() == null || m.matches(v))) {
          labels.remove(m.name());
        }
      }
    }
  }

  /**
   * {@code | keep a, b="v"}: keeps only the named labels (or those whose value matches), and always
   * {@code __error__} and {@code __error_details__}, as Loki does, so errors stay visible.
   */
  record Keep(List<Matcher> labels) implements Stage {
    void apply(Map<String, String> labels) {
      labels.entrySet().removeIf(
          e -> {
            if (e.getKey().equals("__error__") || e.getKey().equals("__error_details__")) {
              return false;
            }
            for (Matcher m : this.labels) {
              if (m.name().equals(e.getKey()) && (m.op() == null || m.matches(e.getValue()))) {
                return false;
              }
            }
            return true;
          });
    }
  }

  /** {@code | unwrap label}, with {@code conversion} "" (a number), duration or bytes. */
  record Unwrap(String label, String conversion) implements Stage {}

  /** A log query; a metric query is a 400 here (see {@link #parseExpr}). */
  static LogQl parse(String text) {
    LogQlExpr e = parseExpr(text);
    if (e instanceof LogQlExpr.Logs logs) {
      return logs.query();
    }
    throw new LogQueryException("a metric query is not allowed here; send a log query such as {service_name=\"x\"}");
  }

  /** A log query or a metric query. */
  /** The deepest nesting of metric expressions accepted. */
  static final int MAX_DEPTH = 200;

  static LogQlExpr parseExpr(String text) {
    if (text == null || text.isBlank()) {
      throw new LogQueryException("query is empty; write a stream selector such as {service_name=\"payments\"}");
    }
    return new ParserState(text).expr();
  }

  /** A recursive-descent parser over the query text; errors name the column (1-based). */
  /** A parse error at {@code at} (0-based) in the query, in Loki's words. */
  static LogQueryException parseError(int at, String what) {
    return new LogQueryException("parse error at line 1, col " + (at + 1) + ": " + what, at);
  }

  private static final class ParserState {
    private final String s;
    private int i;
    private int depth;

    ParserState(String s) {
      this.s = s;
    }

    LogQlExpr expr() {
      skip();
      LogQlExpr e;
      if (peek("{")) {
        List<Matcher> selector = selector();
        List<Stage> stages = new ArrayList<>();
        stages(stages, false);
        e = new LogQlExpr.Logs(new LogQl(selector, List.copyOf(stages)));
      } else {
        e = binary(0);
      }
      skip();
      if (i < s.length()) {
        throw error("unexpected text after the " + (e instanceof LogQlExpr.Logs ? "log query" : "expression"));
      }
      return e;
    }

    private List<Matcher> selector() {
      expect("{");
      List<Matcher> selector = new ArrayList<>();
      skip();
      if (!peek("}")) {
        do {
          selector.add(matcher());
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
      return List.copyOf(selector);
    }

    /**
     * Pipeline stages up to the end of the text, or in a range aggregation ({@code metric}) up to
     * {@code [}, {@code )} or {@code offset}.
     */
    private void stages(List<Stage> stages, boolean metric) {
      while (true) {
        skip();
        if (i >= s.length() || metric && (peek("[") || peek(")") || "offset".equals(peekWord()))) {
          return;
        }
        boolean unwrapped = stages.stream().anyMatch(st -> st instanceof Unwrap);
        if (unwrapped && !(s.startsWith("|", i) && !s.startsWith("|=", i) && !s.startsWith("|~", i))) {
          throw error("after | unwrap only label filters are allowed");
        }
        if (take("|=")) {
          stages.add(lineFilter(Op.EQ));
        } else if (take("!=")) {
          stages.add(lineFilter(Op.NE));
        } else if (take("|~")) {
          stages.add(lineFilter(Op.RE));
        } else if (take("!~")) {
          stages.add(lineFilter(Op.NRE));
        } else if (take("|")) {
          skip();
          String word = peekWord();
          if (unwrapped && word != null && !isLabelFilterAhead(word)) {
            throw error("after | unwrap only label filters are allowed");
          }
          if ("json".equals(word)) {
            i += word.length();
            skip();
            if (peekWord() != null) {
              stages.add(new JsonExtractor(extractions(true)));
            } else {
              stages.add(new Parser(word));
            }
          } else if ("logfmt".equals(word)) {
            i += word.length();
            boolean strict = false;
            boolean keepEmpty = false;
            while (peek("--")) {
              int at = i;
              String flag = peekFlag();
              if (flag.equals("--strict")) {
                strict = true;
              } else if (flag.equals("--keep-empty")) {
                keepEmpty = true;
              } else {
                throw error("unknown logfmt flag " + flag + "; the flags are --strict and --keep-empty");
              }
              i = at + flag.length();
            }
            skip();
            List<Extraction> extractions = peekWord() != null ? extractions(false) : List.of();
            stages.add(new LogfmtParser(strict, keepEmpty && extractions.isEmpty(), extractions));
          } else if ("drop".equals(word) || "keep".equals(word)) {
            i += word.length();
            List<Matcher> names = new ArrayList<>();
            do {
              names.add(nameOrMatcher());
            } while (take(","));
            stages.add("drop".equals(word) ? new Drop(List.copyOf(names)) : new Keep(List.copyOf(names)));
          } else if ("unwrap".equals(word) && isLabelFilterAhead(word)) {
            stages.add(labelFilter());
          } else if ("unwrap".equals(word)) {
            if (!metric) {
              throw error("| unwrap is only allowed in a range aggregation such as"
                  + " sum_over_time({...} | unwrap latency [5m])");
            }
            i += word.length();
            stages.add(unwrap());
          } else if ("regexp".equals(word)) {
            i += word.length();
            skip();
            int at = i;
            stages.add(regexpParser(string(), at));
          } else if ("pattern".equals(word)) {
            i += word.length();
            skip();
            int at = i;
            stages.add(patternParser(string(), at));
          } else if ("line_format".equals(word)) {
            i += word.length();
            skip();
            int at = i;
            stages.add(new LineFormat(LineTemplate.parse(string(), at)));
          } else if ("label_format".equals(word)) {
            i += word.length();
            List<LabelFormat.Rename> renames = new ArrayList<>();
            do {
              skip();
              String target = peekWord();
              if (target == null || !LineTemplate.validName(target)) {
                throw error("expected a label name in label_format");
              }
              i += target.length();
              skip();
              if (!take("=")) {
                throw error("expected = after " + target + " in label_format");
              }
              skip();
              if (i < s.length() && (s.charAt(i) == '"' || s.charAt(i) == '`')) {
                int at = i;
                renames.add(new LabelFormat.Rename(target, null, LineTemplate.parse(string(), at)));
              } else {
                String source = peekWord();
                if (source == null || !LineTemplate.validName(source)) {
                  throw error("expected a label name or a template after " + target + "=");
                }
                i += source.length();
                renames.add(new LabelFormat.Rename(target, source, null));
              }
              skip();
            } while (take(","));
            stages.add(new LabelFormat(List.copyOf(renames)));
          } else if ("decolorize".equals(word)) {
            i += word.length();
            stages.add(new Decolorize());
          } else if ("unpack".equals(word)) {
            i += word.length();
            stages.add(new Parser(word));
          } else {
            stages.add(labelFilter());
          }
        } else {
          throw error("expected a pipeline stage (|=, !=, |~, !~ or | ...)" + (metric ? ", a range [5m] or )" : ""));
        }
      }
    }

    /** The values of a line filter after its operator: {@code "a" or "b" or ip("...")}. */
    private LineFilter lineFilter(Op op) {
      List<String> texts = new ArrayList<>();
      List<java.util.function.Predicate<String>> alternatives = new ArrayList<>();
      do {
        skip();
        int at = i;
        if ("ip".equals(peekWord())) {
          i += 2;
          if (op == Op.RE || op == Op.NRE) {
            throw error("ip(...) filters lines with |= or != only, not " + op.text);
          }
          IpPattern ip = ipArgument();
          texts.add(s.substring(at, i));
          alternatives.add(ip::foundIn);
          continue;
        }
        String text = string();
        texts.add(text);
        if (op == Op.RE || op == Op.NRE) {
          Pattern p = regex(text, at);
          alternatives.add(line -> p.matcher(line).find());
        } else {
          alternatives.add(line -> line.contains(text));
        }
      } while (takeWord("or"));
      return new LineFilter(op, List.copyOf(texts), List.copyOf(alternatives));
    }

    /** {@code ("pattern")} after {@code ip}. */
    private IpPattern ipArgument() {
      expect("(");
      skip();
      int at = i;
      String pattern = string();
      expect(")");
      try {
        return IpPattern.parse(pattern);
      } catch (IllegalArgumentException e) {
        throw parseError(at, e.getMessage() + "; use an address (192.168.1.1), a CIDR range (192.168.0.0/16)"
            + " or an address range (10.0.0.1-10.0.0.255)");
      }
    }

    /** {@code --flag} at the cursor, letters and dashes. */
    private String peekFlag() {
      int j = i + 2;
      while (j < s.length() && (Character.isLetter(s.charAt(j)) || s.charAt(j) == '-')) {
        j++;
      }
      return s.substring(i, j);
    }

    /** {@code label="expression", label, ...} after {@code | json} or {@code | logfmt}. */
    private List<Extraction> extractions(boolean json) {
      List<Extraction> out = new ArrayList<>();
      do {
        skip();
        String label = peekWord();
        if (label == null || !LineTemplate.validName(label)) {
          throw error("expected a label name to extract, such as | " + (json ? "json" : "logfmt")
              + " status or | " + (json ? "json user_id=\"user.id\"" : "logfmt d=\"duration\""));
        }
        i += label.length();
        String expression = label;
        skip();
        if (take("=")) {
          skip();
          int at = i;
          expression = string();
          out.add(new Extraction(label, expression, json ? jsonPath(expression, at) : List.of(expression)));
        } else {
          out.add(new Extraction(label, expression, json ? jsonPath(expression, i) : List.of(expression)));
        }
        skip();
      } while (take(","));
      return List.copyOf(out);
    }

    /**
     * Loki's JSON path: a field, then {@code .field}, {@code [index]} or {@code ["key"]} steps;
     * fields are letters, digits and "_" not starting with a digit.
     */
    private static List<Object> jsonPath(String expression, int at) {
      List<Object> path = new ArrayList<>();
      int k = 0;
      int n = expression.length();
      boolean expectField = true;
      while (k < n) {
        char c = expression.charAt(k);
        if (c == ' ' || c == '\t' || c == '\n') {
          k++;
        } else if (c == '.' && !path.isEmpty() && !expectField) {
          k++;
          expectField = true;
          int from = k;
          while (k < n && (Character.isLetterOrDigit(expression.charAt(k)) || expression.charAt(k) == '_')) {
            k++;
          }
          if (from == k || Character.isDigit(expression.charAt(from))) {
            throw badPath(expression, at, "expected a field name after '.'");
          }
          path.add(expression.substring(from, k));
          expectField = false;
        } else if (c == '[') {
          int close = expression.indexOf(']', k);
          if (close < 0) {
            throw badPath(expression, at, "unclosed [");
          }
          String inner = expression.substring(k + 1, close).strip();
          if (inner.length() >= 2 && inner.startsWith("\"") && inner.endsWith("\"")) {
            path.add(inner.substring(1, inner.length() - 1));
          } else if (inner.matches("[0-9]+")) {
            path.add(Integer.parseInt(inner));
          } else {
            throw badPath(expression, at, "an index is a whole number such as [0], a key is quoted such as [\"a.b\"]");
          }
          k = close + 1;
          expectField = false;
        } else if (path.isEmpty() && (Character.isLetter(c) || c == '_')) {
          int from = k;
          while (k < n && (Character.isLetterOrDigit(expression.charAt(k)) || expression.charAt(k) == '_')) {
            k++;
          }
          path.add(expression.substring(from, k));
          expectField = false;
        } else {
          throw badPath(expression, at, "unexpected char " + c);
        }
      }
      if (path.isEmpty()) {
        throw badPath(expression, at, "the path is empty");
      }
      return List.copyOf(path);
    }

    private static LogQueryException badPath(String expression, int at, String why) {
      return parseError(at, "cannot parse expression [" + expression + "]: " + why + ". A JSON path is"
          + " written like user.id, items[0] or headers[\"User-Agent\"]");
    }

    /** True when {@code word} at the cursor is a label name followed by a comparison. */
    private boolean isLabelFilterAhead(String word) {
      int j = i + word.length();
      while (j < s.length() && Character.isWhitespace(s.charAt(j))) {
        j++;
      }
      return j < s.length() && "=!<>".indexOf(s.charAt(j)) >= 0;
    }

    private Unwrap unwrap() {
      skip();
      String first = peekWord();
      if (first == null) {
        throw error("expected a label name after unwrap");
      }
      i += first.length();
      skip();
      if (take("(")) {
        String conversion = switch (first) {
          case "duration", "duration_seconds" -> "duration";
          case "bytes" -> "bytes";
          default -> throw error("unknown unwrap conversion " + first + "; use duration, duration_seconds or bytes");
        };
        skip();
        String label = peekWord();
        if (label == null) {
          throw error("expected a label name in " + first + "(...)");
        }
        i += label.length();
        expect(")");
        return new Unwrap(label, conversion);
      }
      return new Unwrap(first, "");
    }

    private Matcher nameOrMatcher() {
      skip();
      String name = peekWord();
      if (name == null) {
        throw error("expected a label name");
      }
      int at = i;
      i += name.length();
      skip();
      if (i < s.length() && "=!".indexOf(s.charAt(i)) >= 0) {
        i = at;
        return matcher();
      }
      return new Matcher(name, null, null, null);
    }

    // Precedence as in PromQL and LogQL: or < and, unless < comparisons < + - < * / % < ^.
    private static final List<List<String>> LEVELS =
        List.of(
            List.of("or"),
            List.of("and", "unless"),
            List.of("==", "!=", ">=", "<=", ">", "<"),
            List.of("+", "-"),
            List.of("*", "/", "%"),
            List.of("^"));

    private LogQlExpr binary(int level) {
      if (level == LEVELS.size()) {
        return unary();
      }
      LogQlExpr lhs = binary(level + 1);
      while (true) {
        String op = binaryOp(LEVELS.get(level));
        if (op == null) {
          return lhs;
        }
        i += op.length();
        boolean bool = takeWord("bool");
        if (bool && LEVELS.get(2).indexOf(op) < 0) {
          throw error("bool modifier can only be used on comparison operators");
        }
        LogQlExpr.Matching matching = null;
        if (takeWord("on")) {
          matching = new LogQlExpr.Matching(true, labelList());
        } else if (takeWord("ignoring")) {
          matching = new LogQlExpr.Matching(false, labelList());
        }
        skip();
        if ("group_left".equals(peekWord()) || "group_right".equals(peekWord())) {
          throw error(peekWord() + " (many-to-one matching) is not supported; aggregate both sides to"
              + " the same labels first");
        }
        // ^ is right-associative
        LogQlExpr rhs = op.equals("^") ? binary(level) : binary(level + 1);
        lhs = new LogQlExpr.Binary(op, bool, matching, lhs, rhs);
      }
    }

    private String binaryOp(List<String> ops) {
      skip();
      String word = peekWord();
      for (String op : ops) {
        if (Character.isLetter(op.charAt(0)) ? op.equals(word) : s.startsWith(op, i)) {
          if (op.equals("<") && s.startsWith("<=", i) || op.equals(">") && s.startsWith(">=", i)) {
            continue;
          }
          return op;
        }
      }
      return null;
    }

    /**
     * Every nesting level (parentheses, aggregation arguments, signs) passes here once; a query
     * deeper than {@link #MAX_DEPTH} is refused before it overflows the thread's stack.
     */
    private LogQlExpr unary() {
      if (++depth > MAX_DEPTH) {
        throw error("the query nests more than " + MAX_DEPTH + " levels deep");
      }
      try {
        return signed();
      } finally {
        depth--;
      }
    }

    private LogQlExpr signed() {
      skip();
      if (take("-")) {
        LogQlExpr e = unary();
        return e instanceof LogQlExpr.Number n
            ? new LogQlExpr.Number(-n.value())
            : new LogQlExpr.Binary("*", false, null, new LogQlExpr.Number(-1), e);
      }
      if (take("+")) {
        return unary();
      }
      return primary();
    }

    private LogQlExpr primary() {
      skip();
      if (take("(")) {
        LogQlExpr e = binary(0);
        expect(")");
        return e;
      }
      if (peek("{")) {
        throw error("a log query cannot be used as a metric; wrap it in a range aggregation such as"
            + " count_over_time({...}[5m])");
      }
      if (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        return new LogQlExpr.Number(number());
      }
      String word = peekWord();
      if (word == null) {
        throw error("expected a metric expression: a number, a range aggregation such as"
            + " count_over_time({...}[5m]) or a vector aggregation such as sum(...)");
      }
      if (word.equalsIgnoreCase("inf") || word.equalsIgnoreCase("nan")) {
        return new LogQlExpr.Number(number());
      }
      if (LogQlExpr.VECTOR_OPS.contains(word)) {
        i += word.length();
        return vectorAgg(word);
      }
      if (LogQlExpr.LOG_RANGE_OPS.contains(word) || LogQlExpr.UNWRAP_RANGE_OPS.contains(word)) {
        i += word.length();
        return rangeAgg(word);
      }
      if (word.equals("label_replace")) {
        i += word.length();
        return labelReplace();
      }
      if (word.equals("vector")) {
        i += word.length();
        expect("(");
        skip();
        double v = number();
        expect(")");
        return new LogQlExpr.VectorOf(v);
      }
      throw error("unsupported function " + word + "; supported are the range aggregations "
          + new java.util.TreeSet<>(union(LogQlExpr.LOG_RANGE_OPS, LogQlExpr.UNWRAP_RANGE_OPS))
          + ", the vector aggregations " + new java.util.TreeSet<>(LogQlExpr.VECTOR_OPS) + ", label_replace() and vector()");
    }

    /** {@code (v, "dst", "replacement", "src", "regex")} after {@code label_replace}. */
    private LogQlExpr labelReplace() {
      expect("(");
      LogQlExpr inner = binary(0);
      if (inner instanceof LogQlExpr.Number) {
        throw error("label_replace expects a vector, not a number");
      }
      String[] args = new String[4];
      int regexAt = 0;
      for (int k = 0; k < 4; k++) {
        if (!take(",")) {
          throw error("label_replace takes five arguments: label_replace(v, \"dst\", \"replacement\", \"src\", \"regex\")");
        }
        skip();
        regexAt = i;
        args[k] = string();
      }
      expect(")");
      if (!LineTemplate.validName(args[0])) {
        throw parseError(regexAt, "invalid destination label name in label_replace: '" + args[0] + "'");
      }
      // Go's (?P<name>...) is Java's (?<name>...)
      String java = "^(?:" + args[3].replace("(?P<", "(?<") + ")$";
      Pattern re;
      try {
        re = Pattern.compile(java);
      } catch (PatternSyntaxException e) {
        throw parseError(regexAt, "invalid regex in label_replace: " + e.getDescription());
      }
      return new LogQlExpr.LabelReplace(inner, args[0], args[1], args[2], re);
    }

    private static java.util.Set<String> union(java.util.Set<String> a, java.util.Set<String> b) {
      java.util.Set<String> u = new java.util.HashSet<>(a);
      u.addAll(b);
      return u;
    }

    private LogQlExpr vectorAgg(String op) {
      LogQlExpr.Grouping grouping = grouping();
      expect("(");
      Double param = null;
      if (op.equals("topk") || op.equals("bottomk")) {
        skip();
        int at = i;
        double k = number();
        if (k != Math.rint(k) || k < 1) {
          i = at;
          throw error(op + " needs a whole number of series of at least 1 as its first parameter");
        }
        param = k;
        expect(",");
      }
      LogQlExpr inner = binary(0);
      expect(")");
      LogQlExpr.Grouping after = grouping();
      if (after != null) {
        if (grouping != null) {
          throw error("the grouping of " + op + " is given twice");
        }
        grouping = after;
      }
      if ((op.equals("sort") || op.equals("sort_desc")) && grouping != null) {
        throw error(op + " takes no grouping");
      }
      if (inner instanceof LogQlExpr.Number) {
        throw error(op + " expects a vector, not a number");
      }
      return new LogQlExpr.VectorAgg(op, grouping, param, inner);
    }

    private LogQlExpr rangeAgg(String fn) {
      expect("(");
      Double param = null;
      if (fn.equals("quantile_over_time")) {
        skip();
        param = number();
        expect(",");
      }
      skip();
      if (!peek("{")) {
        throw error(fn + " expects a log range such as {service_name=\"x\"}[5m]");
      }
      List<Matcher> selector = selector();
      List<Stage> stages = new ArrayList<>();
      stages(stages, true);
      if (!take("[")) {
        throw error(fn + " needs a range after the log query, such as [5m]");
      }
      int at = i;
      int close = s.indexOf(']', i);
      if (close < 0) {
        throw error("unterminated range; close it with ]");
      }
      long range = durationAt(s.substring(i, close).trim(), at);
      if (range <= 0) {
        throw error("the range must be positive");
      }
      i = close + 1;
      stages(stages, true);
      long offset = 0;
      if (takeWord("offset")) {
        skip();
        int from = i;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.' || s.charAt(i) == '-'
            || s.charAt(i) == '\u00b5')) {
          i++;
        }
        offset = durationAt(s.substring(from, i), from);
      }
      expect(")");
      LogQlExpr.Grouping grouping = grouping();
      int u = -1;
      for (int k = 0; k < stages.size(); k++) {
        if (stages.get(k) instanceof Unwrap) {
          u = k;
        }
      }
      Unwrap unwrap = u < 0 ? null : (Unwrap) stages.get(u);
      if (unwrap == null && !LogQlExpr.LOG_RANGE_OPS.contains(fn)) {
        throw error("invalid aggregation " + fn + " without unwrap; add | unwrap <label> before the range");
      }
      if (unwrap != null && !LogQlExpr.UNWRAP_RANGE_OPS.contains(fn)) {
        throw error("invalid aggregation " + fn + " with unwrap");
      }
      if (grouping != null && !LogQlExpr.GROUPABLE_RANGE_OPS.contains(fn)) {
        throw error("grouping not allowed for " + fn + " aggregation; group with sum by (...) (" + fn + "(...)) instead");
      }
      List<Stage> pre = u < 0 ? stages : stages.subList(0, u);
      List<Stage> post = u < 0 ? List.of() : stages.subList(u + 1, stages.size());
      return new LogQlExpr.RangeAgg(
          fn, param, new LogQl(selector, List.copyOf(pre)), unwrap, List.copyOf(post), range, offset, grouping);
    }

    private long durationAt(String text, int at) {
      try {
        return io.faultline.web.jaeger.GoDuration.parseLookbackNanos(text);
      } catch (IllegalArgumentException e) {
        i = at;
        throw error("invalid duration '" + text + "': use a duration such as 30s, 5m or 1h");
      }
    }

    private LogQlExpr.Grouping grouping() {
      if (takeWord("by")) {
        return new LogQlExpr.Grouping(false, labelList());
      }
      if (takeWord("without")) {
        return new LogQlExpr.Grouping(true, labelList());
      }
      return null;
    }

    private List<String> labelList() {
      expect("(");
      List<String> names = new ArrayList<>();
      skip();
      if (!peek(")")) {
        do {
          skip();
          String name = peekWord();
          if (name == null) {
            throw error("expected a label name");
          }
          i += name.length();
          names.add(name);
        } while (take(","));
      }
      expect(")");
      return names;
    }

    private double number() {
      skip();
      int start = i;
      while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.'
          || (s.charAt(i) == '+' || s.charAt(i) == '-') && i > start && "eE".indexOf(s.charAt(i - 1)) >= 0)) {
        i++;
      }
      String text = s.substring(start, i);
      switch (text.toLowerCase(java.util.Locale.ROOT)) {
        case "inf", "+inf" -> {
          return Double.POSITIVE_INFINITY;
        }
        case "nan" -> {
          return Double.NaN;
        }
        default -> {
          // fall through to the decimal forms
        }
      }
      try {
        if (text.isEmpty() || !text.matches("[0-9]*\\.?[0-9]+([eE][+-]?[0-9]+)?|[0-9]+\\.")) {
          throw new NumberFormatException(text);
        }
        return Double.parseDouble(text);
      } catch (NumberFormatException e) {
        i = start;
        throw error("expected a number");
      }
    }

    private LabelFilter labelFilter() {
      return new LabelFilter(condition());
    }

    /**
     * A label filter expression with Loki's grammar, which its yacc parser resolves so: {@code or}
     * binds loosest and {@code and} tighter, both left-associative, while a {@code ,} or a space
     * (also {@code and}) takes all that follows it on its right, so {@code a, b or c} is {@code a
     * and (b or c)}.
     */
    private Condition condition() {
      List<Condition> operands = new ArrayList<>();
      List<String> ops = new ArrayList<>();
      operands.add(conditionTerm());
      while (true) {
        skip();
        String op;
        if (take(",")) {
          op = ",";
        } else if (takeWord("and")) {
          op = "and";
        } else if (takeWord("or")) {
          op = "or";
        } else if (peek("(") || peekWord() != null && !"and".equals(peekWord()) && !"or".equals(peekWord())
            && isLabelFilterAhead(peekWord())) {
          op = " ";
        } else {
          break;
        }
        while (!ops.isEmpty() && precedence(ops.get(ops.size() - 1)) >= precedence(op) && precedence(op) > 0) {
          reduce(operands, ops);
        }
        ops.add(op);
        operands.add(conditionTerm());
      }
      while (!ops.isEmpty()) {
        reduce(operands, ops);
      }
      return operands.get(0);
    }

    /** 2 for and, 1 for or; 0 for {@code ,} and a space, which have none in Loki's grammar. */
    private static int precedence(String op) {
      return switch (op) {
        case "and" -> 2;
        case "or" -> 1;
        default -> 0;
      };
    }

    private static void reduce(List<Condition> operands, List<String> ops) {
      String op = ops.remove(ops.size() - 1);
      Condition right = operands.remove(operands.size() - 1);
      Condition left = operands.remove(operands.size() - 1);
      operands.add(op.equals("or") ? new Or(left, right) : new And(left, right));
    }

    /** {@code ( expression )} or one comparison. */
    private Condition conditionTerm() {
      skip();
      if (take("(")) {
        Condition c = condition();
        expect(")");
        return c;
      }
      String name = peekWord();
      if (name == null) {
        throw error("expected a label name");
      }
      i += name.length();
      skip();
      Op op = null;
      boolean doubleEquals = s.startsWith("==", i);
      if (doubleEquals) {
        op = Op.EQ;
        i += 2;
      } else {
        for (Op o : new Op[] {Op.RE, Op.NRE, Op.NE, Op.GE, Op.LE, Op.EQ, Op.GT, Op.LT}) {
          if (s.startsWith(o.text, i)) {
            op = o;
            i += o.text.length();
            break;
          }
        }
      }
      if (op == null) {
        throw error("expected one of = != =~ !~ == > >= < <= after " + name);
      }
      String opText = doubleEquals ? "==" : op.text;
      skip();
      int at = i;
      if (i < s.length() && (s.charAt(i) == '"' || s.charAt(i) == '`')) {
        if (doubleEquals || op.ordinal() > Op.NRE.ordinal()) {
          throw error("a string value only takes = != =~ !~; to compare " + name + " as a number, a duration or"
              + " a byte size write the value without quotes, such as " + name + " " + opText + " 200, "
              + name + " " + opText + " 250ms or " + name + " " + opText + " 1KB");
        }
        String value = string();
        Pattern p = op == Op.RE || op == Op.NRE ? regex(value, at) : null;
        return new StringCondition(new Matcher(name, op, value, p));
      }
      if (op == Op.RE || op == Op.NRE) {
        throw error("expected a string in double quotes or backticks after " + name + op.text);
      }
      if ("ip".equals(peekWord()) && (op == Op.EQ && !doubleEquals || op == Op.NE)) {
        i += 2;
        return new IpCondition(name, op == Op.NE, ipArgument());
      }
      return unitOrNumber(name, op, opText);
    }

    /**
     * The value of a conversion filter, read as Loki's lexer reads it: a number followed at once by
     * duration units ({@code 250ms}, {@code 1m30s}, {@code 2.5s}) is a duration, followed by size
     * units ({@code 1KB}, {@code 20MB}, {@code 1KiB}) a byte size, and otherwise a number.
     */
    private Condition unitOrNumber(String name, Op op, String opText) {
      int start = i;
      if (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
        i++;
      }
      int digits = i;
      while (i < s.length() && Character.isDigit(s.charAt(i))) {
        i++;
      }
      if (i < s.length() && s.charAt(i) == '.') {
        i++;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
          i++;
        }
      }
      if (i == digits || s.substring(digits, i).equals(".")) {
        i = start;
        throw error("expected a string, a number, a duration (250ms) or a byte size (1KB) after " + name + opText);
      }
      if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
        int e = i + 1;
        if (e < s.length() && (s.charAt(e) == '+' || s.charAt(e) == '-')) {
          e++;
        }
        if (e < s.length() && Character.isDigit(s.charAt(e))) {
          i = e;
          while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
          }
        }
      }
      String number = s.substring(start, i);
      String duration = unitTail("0123456789.nuµmshdwy");
      if (!duration.isEmpty()) {
        try {
          long nanos = io.faultline.web.jaeger.GoDuration.parseLookbackNanos(number + duration);
          i += duration.length();
          return new DurationCondition(name, op, nanos);
        } catch (IllegalArgumentException e) {
          // not a duration; perhaps a size
        }
      }
      String size = unitTail("0123456789.BikKMGTP");
      if (!size.isEmpty()) {
        try {
          long bytes = GoValues.parseBytes(number + size);
          i += size.length();
          return new BytesCondition(name, op, bytes);
        } catch (IllegalArgumentException e) {
          // not a size either; the number stands alone
        }
      }
      try {
        return new NumberCondition(name, op, GoValues.parseFloat(number));
      } catch (IllegalArgumentException e) {
        i = start;
        throw error("unable to parse " + number + " as a number after " + name + opText);
      }
    }

    /** The characters from {@code units} right after the cursor, up to white space or the end. */
    private String unitTail(String units) {
      int j = i;
      while (j < s.length() && !Character.isWhitespace(s.charAt(j)) && units.indexOf(s.charAt(j)) >= 0) {
        j++;
      }
      return s.substring(i, j);
    }

    /** {@code name op "value"} with {@code = != =~ !~}, as in a stream selector or drop/keep. */
    private Matcher matcher() {
      skip();
      String name = peekWord();
      if (name == null) {
        throw error("expected a label name");
      }
      i += name.length();
      skip();
      Op op = null;
      for (Op o : new Op[] {Op.RE, Op.NRE, Op.NE, Op.EQ}) {
        if (s.startsWith(o.text, i)) {
          op = o;
          break;
        }
      }
      if (op == null) {
        throw error("expected one of = != =~ !~ after " + name);
      }
      i += op.text.length();
      skip();
      int at = i;
      String value = string();
      Pattern p = op == Op.RE || op == Op.NRE ? regex(value, at) : null;
      return new Matcher(name, op, value, p);
    }

    private RegexpParser regexpParser(String re, int at) {
      // rename the named groups g0, g1, ... (outside character classes and escapes)
      StringBuilder java = new StringBuilder(re.length());
      List<String> labels = new ArrayList<>();
      boolean inClass = false;
      for (int k = 0; k < re.length(); k++) {
        char c = re.charAt(k);
        if (c == '\\' && k + 1 < re.length()) {
          java.append(c).append(re.charAt(++k));
          continue;
        }
        if (inClass) {
          inClass = c != ']';
        } else if (c == '[') {
          inClass = true;
        } else if (c == '(' && (re.startsWith("(?P<", k) || re.startsWith("(?<", k))
            && !re.startsWith("(?<=", k) && !re.startsWith("(?<!", k)) {
          int nameStart = re.indexOf('<', k) + 1;
          int nameEnd = re.indexOf('>', nameStart);
          if (nameEnd < 0) {
            throw parseError(at, "invalid regular expression " + re + ": unclosed group name");
          }
          String name = re.substring(nameStart, nameEnd);
          if (!LineTemplate.validName(name)) {
            throw parseError(at, "invalid extracted label name '" + name + "' in " + re);
          }
          if (labels.contains(name)) {
            throw parseError(at, "duplicate extracted label name '" + name + "' in " + re);
          }
          java.append("(?<g").append(labels.size()).append('>');
          labels.add(name);
          k = nameEnd;
          continue;
        }
        java.append(c);
      }
      if (labels.isEmpty()) {
        throw parseError(at, "at least one named capture must be supplied in " + re);
      }
      return new RegexpParser(regex(java.toString(), at), List.copyOf(labels));
    }

    private PatternParser patternParser(String pattern, int at) {
      List<String> literals = new ArrayList<>();
      List<String> captures = new ArrayList<>();
      StringBuilder literal = new StringBuilder();
      boolean leading = false;
      boolean lastWasCapture = false;
      int k = 0;
      while (k < pattern.length()) {
        char c = pattern.charAt(k);
        int close = c == '<' ? pattern.indexOf('>', k) : -1;
        String name = close > k ? pattern.substring(k + 1, close) : null;
        if (name != null && (name.equals("_") || LineTemplate.validName(name))) {
          if (literal.length() > 0) {
            if (captures.isEmpty()) {
              leading = true;
            }
            literals.add(literal.toString());
            literal.setLength(0);
          } else if (lastWasCapture) {
            throw parseError(at, "consecutive captures are not allowed in pattern " + pattern);
          }
          if (!name.equals("_") && captures.contains(name)) {
            throw parseError(at, "duplicate capture <" + name + "> in pattern " + pattern);
          }
          captures.add(name.equals("_") ? null : name);
          lastWasCapture = true;
          k = close + 1;
        } else {
          literal.append(c);
          lastWasCapture = false;
          k++;
        }
      }
      if (literal.length() > 0) {
        literals.add(literal.toString());
      }
      if (captures.stream().allMatch(java.util.Objects::isNull)) {
        throw parseError(at, "at least one named capture (<name>) is required in pattern " + pattern);
      }
      return new PatternParser(List.copyOf(literals), java.util.Collections.unmodifiableList(new ArrayList<>(captures)), leading);
    }


    private Pattern regex(String re, int at) {
      try {
        return Pattern.compile(re);
      } catch (PatternSyntaxException e) {
        throw parseError(at, "invalid regular expression " + re + ": " + e.getDescription());
      }
    }

    /**
     * A string literal, unquoted as Go's {@code strconv.Unquote} does (Loki's lexer uses it): in
     * double quotes the escapes {@code \a \b \f \n \r \t \v \\ \"}, octal {@code \101},
     * {@code \x41}, {@code \\u00e9} and {@code \U0001F600} decode (octal and {@code \x} give
     * bytes of UTF-8) and any other escape is a parse error, so a regular expression such as {@code
     * \d+} is written {@code "\\d+"} or in backticks, where nothing is an escape.
     */
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
        String v = s.substring(i + 1, end).replace("\r", "");
        i = end + 1;
        return v;
      }
      if (q != '"') {
        throw error("expected a string in double quotes or backticks");
      }
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      int j = i + 1;
      while (j < s.length()) {
        char c = s.charAt(j);
        if (c == '"') {
          i = j + 1;
          return out.toString(java.nio.charset.StandardCharsets.UTF_8);
        }
        if (c == '\n') {
          break;
        }
        if (c != '\\') {
          int cp = s.codePointAt(j);
          out.writeBytes(new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
          j += Character.charCount(cp);
          continue;
        }
        int at = j;
        char n = j + 1 < s.length() ? s.charAt(j + 1) : 0;
        j += 2;
        switch (n) {
          case 'a' -> out.write(7);
          case 'b' -> out.write('\b');
          case 'f' -> out.write('\f');
          case 'n' -> out.write('\n');
          case 'r' -> out.write('\r');
          case 't' -> out.write('\t');
          case 'v' -> out.write(11);
          case '\\', '"' -> out.write(n);
          case 'x' -> out.write(hex(j, 2, at));
          case 'u', 'U' -> {
            int cp = hex(j, n == 'u' ? 4 : 8, at);
            if (cp > Character.MAX_CODE_POINT || cp >= 0xD800 && cp < 0xE000) {
              throw badEscape(at, "is not a valid Unicode code point");
            }
            out.writeBytes(new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
          }
          case '0', '1', '2', '3', '4', '5', '6', '7' -> {
            int v = 0;
            for (int k = j - 1; k < j + 2; k++) {
              char d = k < s.length() ? s.charAt(k) : 0;
              if (d < '0' || d > '7') {
                throw badEscape(at, "needs three octal digits");
              }
              v = v * 8 + (d - '0');
            }
            if (v > 255) {
              throw badEscape(at, "is more than a byte");
            }
            out.write(v);
          }
          default -> throw badEscape(at, "is not an escape");
        }
        j += switch (n) {
          case 'x' -> 2;
          case 'u' -> 4;
          case 'U' -> 8;
          case '0', '1', '2', '3', '4', '5', '6', '7' -> 2;
          default -> 0;
        };
      }
      throw error("unterminated string");
    }

    /** The {@code digits} hex digits at {@code from}, for the escape at {@code at}. */
    private int hex(int from, int digits, int at) {
      if (from + digits > s.length()) {
        throw badEscape(at, "needs " + digits + " hex digits");
      }
      int v = 0;
      for (int k = from; k < from + digits; k++) {
        int d = Character.digit(s.charAt(k), 16);
        if (d < 0) {
          throw badEscape(at, "needs " + digits + " hex digits");
        }
        v = v * 16 + d;
      }
      return v;
    }

    private LogQueryException badEscape(int at, String why) {
      String escape = s.substring(at, Math.min(s.length(), at + 2));
      return parseError(
          at,
          "invalid escape " + escape + " in a double-quoted string: it " + why + ". Strings decode"
              + " Go's escapes (\\n, \\t, \\\\, \\\", \\x41, \\u00e9); write a literal backslash as \\\\,"
              + " or use a backtick string such as `\\d+`, where nothing is an escape");
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
