/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Turns a PromQL string into tokens, following Prometheus' lexer. */
final class Lexer {
  enum T {
    EOF,
    IDENTIFIER,
    METRIC_IDENTIFIER,
    NUMBER,
    DURATION,
    STRING,
    LEFT_PAREN,
    RIGHT_PAREN,
    LEFT_BRACE,
    RIGHT_BRACE,
    LEFT_BRACKET,
    RIGHT_BRACKET,
    COMMA,
    COLON,
    AT,
    EQL,
    EQL_REGEX,
    NEQ_REGEX,
    ADD,
    SUB,
    MUL,
    DIV,
    MOD,
    POW,
    EQLC,
    NEQ,
    LSS,
    LTE,
    GTR,
    GTE,
    LAND,
    LOR,
    LUNLESS,
    ATAN2,
    BY,
    WITHOUT,
    ON,
    IGNORING,
    GROUP_LEFT,
    GROUP_RIGHT,
    OFFSET,
    BOOL,
    START,
    END,
    AGGREGATOR
  }

  static final class Token {
    final T type;
    final String text;
    final int pos;
    final int end;
    double number;
    String string;

    Token(T type, String text, int pos, int end) {
      this.type = type;
      this.text = text;
      this.pos = pos;
      this.end = end;
    }

    @Override
    public String toString() {
      return type + "(" + text + ")@" + pos;
    }
  }

  private static final Map<String, T> KEYWORDS = new HashMap<>();
  static final java.util.Set<String> AGGREGATORS =
      java.util.Set.of(
          "sum",
          "avg",
          "count",
          "min",
          "max",
          "group",
          "stddev",
          "stdvar",
          "topk",
          "bottomk",
          "count_values",
          "quantile",
          "limitk",
          "limit_ratio");

  static {
    KEYWORDS.put("and", T.LAND);
    KEYWORDS.put("or", T.LOR);
    KEYWORDS.put("unless", T.LUNLESS);
    KEYWORDS.put("atan2", T.ATAN2);
    KEYWORDS.put("by", T.BY);
    KEYWORDS.put("without", T.WITHOUT);
    KEYWORDS.put("on", T.ON);
    KEYWORDS.put("ignoring", T.IGNORING);
    KEYWORDS.put("group_left", T.GROUP_LEFT);
    KEYWORDS.put("group_right", T.GROUP_RIGHT);
    KEYWORDS.put("offset", T.OFFSET);
    KEYWORDS.put("bool", T.BOOL);
    KEYWORDS.put("start", T.START);
    KEYWORDS.put("end", T.END);
  }

  private final String in;
  private int p;
  private int braceDepth;
  private int bracketDepth;

  Lexer(String in) {
    this.in = in;
  }

  static List<Token> lex(String in) {
    Lexer l = new Lexer(in);
    List<Token> out = new ArrayList<>();
    while (true) {
      Token t = l.next();
      out.add(t);
      if (t.type == T.EOF) {
        return out;
      }
    }
  }

  private ParseException err(int pos, String msg) {
    return new ParseException(in, pos, msg);
  }

  private Token next() {
    while (p < in.length()) {
      char c = in.charAt(p);
      if (c == '#') {
        while (p < in.length() && in.charAt(p) != '\n') {
          p++;
        }
        continue;
      }
      if (Character.isWhitespace(c)) {
        p++;
        continue;
      }
      break;
    }
    if (p >= in.length()) {
      if (braceDepth > 0) {
        throw err(p, "unexpected end of input inside braces");
      }
      if (bracketDepth > 0) {
        throw err(p, "unexpected end of input inside brackets");
      }
      return new Token(T.EOF, "", p, p);
    }
    int start = p;
    char c = in.charAt(p);
    char n = p + 1 < in.length() ? in.charAt(p + 1) : 0;
    switch (c) {
      case '(':
        p++;
        return tok(T.LEFT_PAREN, start);
      case ')':
        p++;
        return tok(T.RIGHT_PAREN, start);
      case '{':
        if (braceDepth > 0) {
          throw err(p, "unexpected left brace '{' inside braces");
        }
        braceDepth++;
        p++;
        return tok(T.LEFT_BRACE, start);
      case '}':
        if (braceDepth == 0) {
          throw err(p, "unexpected right brace '}'");
        }
        braceDepth--;
        p++;
        return tok(T.RIGHT_BRACE, start);
      case '[':
        if (bracketDepth > 0) {
          throw err(p, "unexpected left bracket '[' inside brackets");
        }
        bracketDepth++;
        p++;
        return tok(T.LEFT_BRACKET, start);
      case ']':
        if (bracketDepth == 0) {
          throw err(p, "unexpected right bracket ']'");
        }
        bracketDepth--;
        p++;
        return tok(T.RIGHT_BRACKET, start);
      case ',':
        p++;
        return tok(T.COMMA, start);
      case ':':
        p++;
        return tok(T.COLON, start);
      case '@':
        p++;
        return tok(T.AT, start);
      case '+':
        p++;
        return tok(T.ADD, start);
      case '-':
        p++;
        return tok(T.SUB, start);
      case '*':
        p++;
        return tok(T.MUL, start);
      case '/':
        p++;
        return tok(T.DIV, start);
      case '%':
        p++;
        return tok(T.MOD, start);
      case '^':
        p++;
        return tok(T.POW, start);
      case '=':
        if (n == '=') {
          p += 2;
          return tok(T.EQLC, start);
        }
        if (n == '~') {
          p += 2;
          return tok(T.EQL_REGEX, start);
        }
        p++;
        return tok(T.EQL, start);
      case '!':
        if (n == '=') {
          p += 2;
          return tok(T.NEQ, start);
        }
        if (n == '~') {
          p += 2;
          return tok(T.NEQ_REGEX, start);
        }
        throw err(p, "unexpected character after '!': " + quoteChar(n));
      case '<':
        if (n == '=') {
          p += 2;
          return tok(T.LTE, start);
        }
        p++;
        return tok(T.LSS, start);
      case '>':
        if (n == '=') {
          p += 2;
          return tok(T.GTE, start);
        }
        p++;
        return tok(T.GTR, start);
      case '"':
      case '\'':
      case '`':
        return lexString(c);
      default:
        break;
    }
    if (isDigit(c) || (c == '.' && isDigit(n))) {
      return lexNumberOrDuration();
    }
    if (isAlpha(c)) {
      while (p < in.length() && (isAlnum(in.charAt(p)) || in.charAt(p) == ':')) {
        p++;
      }
      String word = in.substring(start, p);
      String lower = word.toLowerCase(Locale.ROOT);
      if (lower.equals("inf") || lower.equals("nan")) {
        Token t = new Token(T.NUMBER, word, start, p);
        t.number = lower.equals("inf") ? Double.POSITIVE_INFINITY : Double.NaN;
        return t;
      }
      if (braceDepth == 0) {
        T kw = KEYWORDS.get(lower);
        if (kw != null) {
          return new Token(kw, word, start, p);
        }
        if (AGGREGATORS.contains(lower)) {
          return new Token(T.AGGREGATOR, word, start, p);
        }
      }
      return new Token(word.indexOf(':') >= 0 ? T.METRIC_IDENTIFIER : T.IDENTIFIER, word, start, p);
    }
    throw err(p, "unexpected character: " + quoteChar(c));
  }

  private static String quoteChar(char c) {
    return "'" + c + "'";
  }

  private Token tok(T type, int start) {
    return new Token(type, in.substring(start, p), start, p);
  }

  private Token lexNumberOrDuration() {
    int start = p;
    if (in.startsWith("0x", p) || in.startsWith("0X", p)) {
      p += 2;
      while (p < in.length() && Character.digit(in.charAt(p), 16) >= 0) {
        p++;
      }
      String text = in.substring(start, p);
      Token t = new Token(T.NUMBER, text, start, p);
      t.number = (double) Long.parseLong(text.substring(2), 16);
      checkNumberEnd(start);
      return t;
    }
    // A duration like 1h30m: digits followed by a unit, possibly repeated.
    int q = p;
    while (q < in.length() && isDigit(in.charAt(q))) {
      q++;
    }
    if (q < in.length() && q > p && unitLength(q) > 0) {
      int e = q;
      while (true) {
        int u = unitLength(e);
        if (u == 0) {
          break;
        }
        e += u;
        int d = e;
        while (d < in.length() && isDigit(in.charAt(d))) {
          d++;
        }
        if (d == e || unitLength(d) == 0) {
          break;
        }
        e = d;
      }
      if (e >= in.length() || !isAlnum(in.charAt(e))) {
        p = e;
        String text = in.substring(start, p);
        Token t = new Token(T.DURATION, text, start, p);
        t.number = Durations.parse(text, in, start);
        return t;
      }
    }
    while (p < in.length() && (isDigit(in.charAt(p)) || in.charAt(p) == '_')) {
      p++;
    }
    if (p < in.length() && in.charAt(p) == '.') {
      p++;
      while (p < in.length() && isDigit(in.charAt(p))) {
        p++;
      }
    }
    if (p < in.length() && (in.charAt(p) == 'e' || in.charAt(p) == 'E')) {
      int save = p;
      p++;
      if (p < in.length() && (in.charAt(p) == '+' || in.charAt(p) == '-')) {
        p++;
      }
      if (p < in.length() && isDigit(in.charAt(p))) {
        while (p < in.length() && isDigit(in.charAt(p))) {
          p++;
        }
      } else {
        p = save;
      }
    }
    String text = in.substring(start, p);
    checkNumberEnd(start);
    Token t = new Token(T.NUMBER, text, start, p);
    try {
      t.number = Double.parseDouble(text.replace("_", ""));
    } catch (NumberFormatException e) {
      throw err(start, "bad number or duration syntax: \"" + text + "\"");
    }
    return t;
  }

  private void checkNumberEnd(int start) {
    if (p < in.length() && (isAlnum(in.charAt(p)) || in.charAt(p) == '.')) {
      int e = p;
      while (e < in.length() && (isAlnum(in.charAt(e)) || in.charAt(e) == '.')) {
        e++;
      }
      throw err(start, "bad number or duration syntax: \"" + in.substring(start, e) + "\"");
    }
  }

  private int unitLength(int q) {
    if (q >= in.length()) {
      return 0;
    }
    char c = in.charAt(q);
    if (c == 'm' && q + 1 < in.length() && in.charAt(q + 1) == 's') {
      return 2;
    }
    switch (c) {
      case 's':
      case 'm':
      case 'h':
      case 'd':
      case 'w':
      case 'y':
        return 1;
      default:
        return 0;
    }
  }

  private Token lexString(char quote) {
    int start = p;
    p++;
    if (quote == '`') {
      int e = in.indexOf('`', p);
      if (e < 0) {
        throw err(start, "unterminated raw string");
      }
      Token t = new Token(T.STRING, in.substring(start, e + 1), start, e + 1);
      t.string = in.substring(p, e);
      p = e + 1;
      return t;
    }
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    StringBuilder pending = new StringBuilder();
    while (true) {
      if (p >= in.length()) {
        throw err(start, "unterminated quoted string");
      }
      char c = in.charAt(p);
      if (c == '\n') {
        throw err(start, "unterminated quoted string");
      }
      if (c == quote) {
        p++;
        break;
      }
      if (c != '\\') {
        pending.append(c);
        p++;
        continue;
      }
      flush(pending, buf);
      p++;
      if (p >= in.length()) {
        throw err(start, "unterminated quoted string");
      }
      char e = in.charAt(p++);
      switch (e) {
        case 'a':
          buf.write(7);
          break;
        case 'b':
          buf.write(8);
          break;
        case 'f':
          buf.write(12);
          break;
        case 'n':
          buf.write('\n');
          break;
        case 'r':
          buf.write('\r');
          break;
        case 't':
          buf.write('\t');
          break;
        case 'v':
          buf.write(11);
          break;
        case '\\':
          buf.write('\\');
          break;
        case '\'':
        case '"':
          if (e != quote) {
            throw err(p - 2, "unknown escape sequence " + quoteChar(e));
          }
          buf.write(e);
          break;
        case 'x':
          buf.write(hex(2));
          break;
        case 'u':
          pending.appendCodePoint(hex(4));
          flush(pending, buf);
          break;
        case 'U':
          pending.appendCodePoint(hex(8));
          flush(pending, buf);
          break;
        default:
          if (e >= '0' && e <= '7') {
            if (p + 2 > in.length()) {
              throw err(p, "unterminated quoted string");
            }
            int v = Integer.parseInt(in.substring(p - 1, p + 2), 8);
            p += 2;
            buf.write(v);
            break;
          }
          throw err(p - 2, "unknown escape sequence " + quoteChar(e));
      }
    }
    flush(pending, buf);
    Token t = new Token(T.STRING, in.substring(start, p), start, p);
    t.string = GoStrings.decodeUtf8(buf.toByteArray());
    return t;
  }

  private int hex(int digits) {
    if (p + digits > in.length()) {
      throw err(p, "unterminated quoted string");
    }
    try {
      int v = Integer.parseInt(in.substring(p, p + digits), 16);
      p += digits;
      return v;
    } catch (NumberFormatException e) {
      throw err(p, "invalid escape sequence");
    }
  }

  private static void flush(StringBuilder pending, ByteArrayOutputStream buf) {
    if (pending.length() > 0) {
      byte[] b = pending.toString().getBytes(StandardCharsets.UTF_8);
      buf.write(b, 0, b.length);
      pending.setLength(0);
    }
  }

  static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  static boolean isAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }

  static boolean isAlnum(char c) {
    return isAlpha(c) || isDigit(c);
  }
}
