/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The subset of Go's {@code text/template} that alert labels and annotations use in practice, with
 * Prometheus' alert data and functions:
 *
 * <ul>
 *   <li>values: {@code $labels.name}, {@code .Labels.name}, {@code $labels}, {@code $value},
 *       {@code .Value}, {@code $externalLabels.name}, {@code $externalURL}, string literals
 *       ({@code "..."} or {@code `...`}) and numbers; a missing label is the empty string;
 *   <li>pipelines {@code {{ $value | humanize }}} and calls {@code {{ printf "%.2f" $value }}};
 *   <li>functions {@code humanize}, {@code humanize1024}, {@code humanizeDuration}, {@code
 *       humanizePercentage}, {@code humanizeTimestamp}, {@code printf}, {@code toUpper}, {@code
 *       toLower}, {@code title}, {@code reReplaceAll}, {@code stripPort};
 *   <li>trim markers {@code {{-}} / {@code -}}} and comments {@code {{/* ... *}/}}}.
 * </ul>
 *
 * Control structures ({@code if}, {@code range}, {@code with}, {@code define}) and {@code query}
 * are rejected when the rule file loads. Immutable and thread-safe once parsed.
 */
final class Template {
  private static final List<String> UNSUPPORTED =
      List.of("if", "else", "end", "range", "with", "define", "template", "block", "break",
          "continue", "query", "first", "label", "value", "sortByLabel");

  /** A parse error; the message says what is wrong and where in the template. */
  static final class TemplateException extends Exception {
    private static final long serialVersionUID = 1L;

    TemplateException(String message) {
      super(message);
    }
  }

  /** What templates see: the alert's labels and value, and the server's external labels/URL. */
  record Data(
      Map<String, String> labels,
      double value,
      Map<String, String> externalLabels,
      String externalUrl) {}

  private sealed interface Node permits Text, Action {}

  private record Text(String text) implements Node {}

  private record Action(List<List<String>> pipeline) implements Node {}

  private final String source;
  private final List<Node> nodes;

  private Template(String source, List<Node> nodes) {
    this.source = source;
    this.nodes = nodes;
  }

  String source() {
    return source;
  }

  static Template parse(String name, String src) throws TemplateException {
    List<Node> nodes = new ArrayList<>();
    int i = 0;
    StringBuilder text = new StringBuilder();
    while (i < src.length()) {
      int open = src.indexOf("{{", i);
      if (open < 0) {
        text.append(src, i, src.length());
        break;
      }
      text.append(src, i, open);
      int close = src.indexOf("}}", open + 2);
      if (close < 0) {
        throw new TemplateException(
            "template: " + name + ":" + line(src, open) + ": unclosed action");
      }
      String inner = src.substring(open + 2, close);
      if (inner.startsWith("- ") || inner.equals("-")) {
        trimRight(text);
        inner = inner.substring(1);
      }
      boolean trimAfter = false;
      if (inner.endsWith(" -") || inner.equals("-")) {
        trimAfter = true;
        inner = inner.substring(0, inner.length() - 1);
      }
      if (!text.isEmpty()) {
        nodes.add(new Text(text.toString()));
        text.setLength(0);
      }
      String body = inner.strip();
      if (!(body.startsWith("/*") && body.endsWith("*/"))) {
        nodes.add(new Action(pipeline(name, src, open, body)));
      }
      i = close + 2;
      if (trimAfter) {
        while (i < src.length() && Character.isWhitespace(src.charAt(i))) {
          i++;
        }
      }
    }
    if (!text.isEmpty()) {
      nodes.add(new Text(text.toString()));
    }
    return new Template(src, List.copyOf(nodes));
  }

  private static void trimRight(StringBuilder b) {
    int n = b.length();
    while (n > 0 && Character.isWhitespace(b.charAt(n - 1))) {
      n--;
    }
    b.setLength(n);
  }

  private static int line(String src, int pos) {
    int line = 1;
    for (int k = 0; k < pos; k++) {
      if (src.charAt(k) == '\n') {
        line++;
      }
    }
    return line;
  }

  private static List<List<String>> pipeline(String name, String src, int pos, String body)
      throws TemplateException {
    String where = "template: " + name + ":" + line(src, pos) + ": ";
    if (body.isEmpty()) {
      throw new TemplateException(where + "missing value for command");
    }
    List<List<String>> cmds = new ArrayList<>();
    List<String> cmd = new ArrayList<>();
    int i = 0;
    while (i < body.length()) {
      char c = body.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '|') {
        if (cmd.isEmpty()) {
          throw new TemplateException(where + "missing command before '|'");
        }
        cmds.add(cmd);
        cmd = new ArrayList<>();
        i++;
      } else if (c == '"' || c == '`') {
        int j = i + 1;
        StringBuilder lit = new StringBuilder();
        while (j < body.length() && body.charAt(j) != c) {
          if (c == '"' && body.charAt(j) == '\\' && j + 1 < body.length()) {
            char n = body.charAt(++j);
            lit.append(switch (n) {
              case 'n' -> '\n';
              case 't' -> '\t';
              default -> n;
            });
          } else {
            lit.append(body.charAt(j));
          }
          j++;
        }
        if (j >= body.length()) {
          throw new TemplateException(where + "unterminated quoted string");
        }
        cmd.add("\"" + lit);
        i = j + 1;
      } else {
        int j = i;
        while (j < body.length()
            && !Character.isWhitespace(body.charAt(j))
            && body.charAt(j) != '|') {
          j++;
        }
        String word = body.substring(i, j);
        if (cmd.isEmpty() && UNSUPPORTED.contains(word)) {
          throw new TemplateException(
              where + "\"" + word + "\" is not supported by Faultline's templates (supported:"
                  + " values, pipelines and the humanize/printf/string functions)");
        }
        if (!word.startsWith("$") && !word.startsWith(".") && !isNumber(word)
            && !FUNCTIONS.contains(word)) {
          throw new TemplateException(where + "function \"" + word + "\" not defined");
        }
        if (word.startsWith("$") && !VARIABLE.matcher(word).matches()) {
          throw new TemplateException(where + "undefined variable \"" + word + "\"");
        }
        cmd.add(word);
        i = j;
      }
    }
    if (cmd.isEmpty()) {
      throw new TemplateException(where + "missing command after '|'");
    }
    cmds.add(cmd);
    return List.copyOf(cmds);
  }

  private static final Pattern VARIABLE =
      Pattern.compile("\\$(labels|externalLabels)?(\\.[a-zA-Z_][a-zA-Z0-9_]*)?|\\$value|\\$externalURL");

  private static final List<String> FUNCTIONS =
      List.of("humanize", "humanize1024", "humanizeDuration", "humanizePercentage",
          "humanizeTimestamp", "printf", "toUpper", "toLower", "title", "reReplaceAll",
          "stripPort");

  private static boolean isNumber(String w) {
    try {
      Double.parseDouble(w);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /**
   * Expands the template. An error while executing (e.g. a bad regex) yields Prometheus' text
   * {@code <error expanding template: ...>} instead of failing the evaluation.
   */
  String expand(Data data) {
    StringBuilder out = new StringBuilder();
    try {
      for (Node n : nodes) {
        if (n instanceof Text t) {
          out.append(t.text);
        } else {
          out.append(print(run(((Action) n).pipeline, data)));
        }
      }
      return out.toString();
    } catch (RuntimeException e) {
      return "<error expanding template: " + e.getMessage() + ">";
    }
  }

  private static Object run(List<List<String>> pipeline, Data data) {
    Object prev = null;
    boolean first = true;
    for (List<String> cmd : pipeline) {
      List<Object> args = new ArrayList<>();
      String head = cmd.get(0);
      boolean call = FUNCTIONS.contains(head);
      for (int k = call ? 1 : 0; k < cmd.size(); k++) {
        args.add(operand(cmd.get(k), data));
      }
      if (!first) {
        args.add(prev);
      }
      if (call) {
        prev = call(head, args);
      } else {
        if (args.size() != 1) {
          throw new IllegalArgumentException("can't give argument to non-function " + head);
        }
        prev = args.get(0);
      }
      first = false;
    }
    return prev;
  }

  private static Object operand(String w, Data d) {
    if (w.startsWith("\"")) {
      return w.substring(1);
    }
    if (w.equals("$value") || w.equals(".Value")) {
      return d.value();
    }
    if (w.equals("$externalURL")) {
      return d.externalUrl();
    }
    if (w.equals("$labels") || w.equals(".Labels")) {
      return d.labels();
    }
    if (w.equals("$externalLabels") || w.equals(".ExternalLabels")) {
      return d.externalLabels();
    }
    if (w.startsWith("$labels.") || w.startsWith(".Labels.")) {
      return d.labels().getOrDefault(w.substring(w.indexOf('.', 1) + 1), "");
    }
    if (w.startsWith("$externalLabels.") || w.startsWith(".ExternalLabels.")) {
      return d.externalLabels().getOrDefault(w.substring(w.indexOf('.', 1) + 1), "");
    }
    if (isNumber(w)) {
      return w.contains(".") || w.contains("e") ? (Object) Double.parseDouble(w)
          : (Object) Long.parseLong(w);
    }
    if (w.equals("$")) {
      return d.labels();
    }
    throw new IllegalArgumentException("undefined variable " + w);
  }

  private static double number(Object o) {
    if (o instanceof Number n) {
      return n.doubleValue();
    }
    if (o instanceof String s) {
      try {
        return Double.parseDouble(s.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("strconv.ParseFloat: parsing \"" + s + "\": invalid syntax");
      }
    }
    throw new IllegalArgumentException("can't convert " + print(o) + " to a number");
  }

  private static Object call(String fn, List<Object> args) {
    switch (fn) {
      case "printf":
        if (args.isEmpty()) {
          throw new IllegalArgumentException("printf: missing format");
        }
        return printf(print(args.get(0)), args.subList(1, args.size()));
      case "reReplaceAll":
        need(fn, args, 3);
        try {
          return Pattern.compile(print(args.get(0)))
              .matcher(print(args.get(2)))
              .replaceAll(print(args.get(1)).replaceAll("\\$\\{(\\d+)}", "\\$$1"));
        } catch (PatternSyntaxException e) {
          throw new IllegalArgumentException("reReplaceAll: " + e.getDescription());
        }
      default:
        break;
    }
    need(fn, args, 1);
    Object a = args.get(0);
    return switch (fn) {
      case "humanize" -> GoFormat.humanize(number(a));
      case "humanize1024" -> GoFormat.humanize1024(number(a));
      case "humanizeDuration" -> GoFormat.humanizeDuration(number(a));
      case "humanizePercentage" -> GoFormat.humanizePercentage(number(a));
      case "humanizeTimestamp" -> GoFormat.humanizeTimestamp(number(a));
      case "toUpper" -> print(a).toUpperCase(Locale.ROOT);
      case "toLower" -> print(a).toLowerCase(Locale.ROOT);
      case "title" -> title(print(a));
      case "stripPort" -> stripPort(print(a));
      default -> throw new IllegalArgumentException("function \"" + fn + "\" not defined");
    };
  }

  private static void need(String fn, List<Object> args, int n) {
    if (args.size() != n) {
      throw new IllegalArgumentException(
          "wrong number of args for " + fn + ": want " + n + " got " + args.size());
    }
  }

  private static String title(String s) {
    StringBuilder b = new StringBuilder();
    boolean start = true;
    for (char c : s.toCharArray()) {
      b.append(start ? Character.toUpperCase(c) : c);
      start = !Character.isLetterOrDigit(c) && c != '_' && c != '\'';
    }
    return b.toString();
  }

  private static String stripPort(String hostPort) {
    if (hostPort.startsWith("[")) {
      int end = hostPort.indexOf(']');
      return end > 0 ? hostPort.substring(1, end) : hostPort;
    }
    int colon = hostPort.lastIndexOf(':');
    return colon >= 0 && hostPort.indexOf(':') == colon ? hostPort.substring(0, colon) : hostPort;
  }

  /** Go's {@code fmt.Sprint} of a template value. */
  static String print(Object o) {
    if (o == null) {
      return "<no value>";
    }
    if (o instanceof Double d) {
      return GoFormat.v(d);
    }
    if (o instanceof Map<?, ?> m) {
      StringBuilder b = new StringBuilder("map[");
      boolean first = true;
      for (Map.Entry<?, ?> e : new TreeMap<>(m).entrySet()) {
        b.append(first ? "" : " ").append(e.getKey()).append(':').append(e.getValue());
        first = false;
      }
      return b.append(']').toString();
    }
    return o.toString();
  }

  private static final Pattern VERB = Pattern.compile("%([-+# 0]*)(\\d+)?(?:\\.(\\d+))?([a-zA-Z%])");

  private static String printf(String format, List<Object> args) {
    StringBuilder out = new StringBuilder();
    var m = VERB.matcher(format);
    int last = 0;
    int argi = 0;
    while (m.find()) {
      out.append(format, last, m.start());
      last = m.end();
      char verb = m.group(4).charAt(0);
      if (verb == '%') {
        out.append('%');
        continue;
      }
      if (argi >= args.size()) {
        out.append("%!").append(verb).append("(MISSING)");
        continue;
      }
      Object a = args.get(argi++);
      Integer prec = m.group(3) == null ? null : Integer.valueOf(m.group(3));
      String s = switch (verb) {
        case 'f', 'F' -> GoFormat.f(number(a), prec == null ? 6 : prec);
        case 'g' -> prec == null ? GoFormat.v(number(a)) : GoFormat.g(number(a), prec);
        case 'e' -> prec == null ? GoFormat.e(number(a))
            : String.format(Locale.ROOT, "%." + prec + "e", number(a));
        case 'd' -> Long.toString((long) number(a));
        case 'q' -> "\"" + print(a).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        default -> print(a);
      };
      String width = m.group(2);
      if (width != null && s.length() < Integer.parseInt(width)) {
        String pad = " ".repeat(Integer.parseInt(width) - s.length());
        s = m.group(1).contains("-") ? s + pad : pad + s;
      }
      out.append(s);
    }
    out.append(format.substring(last));
    return out.toString();
  }
}
