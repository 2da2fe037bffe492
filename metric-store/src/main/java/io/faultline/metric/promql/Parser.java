/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.metric.promql.Ast.AggregateExpr;
import io.faultline.metric.promql.Ast.AtKind;
import io.faultline.metric.promql.Ast.BinaryExpr;
import io.faultline.metric.promql.Ast.Call;
import io.faultline.metric.promql.Ast.Card;
import io.faultline.metric.promql.Ast.Expr;
import io.faultline.metric.promql.Ast.MatrixSelector;
import io.faultline.metric.promql.Ast.NumberLiteral;
import io.faultline.metric.promql.Ast.ParenExpr;
import io.faultline.metric.promql.Ast.StringLiteral;
import io.faultline.metric.promql.Ast.SubqueryExpr;
import io.faultline.metric.promql.Ast.UnaryExpr;
import io.faultline.metric.promql.Ast.ValueType;
import io.faultline.metric.promql.Ast.VectorMatching;
import io.faultline.metric.promql.Ast.VectorSelector;
import io.faultline.metric.promql.Lexer.T;
import io.faultline.metric.promql.Lexer.Token;
import io.faultline.metric.storage.LabelMatcher;
import io.faultline.metric.storage.Labels;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Recursive-descent PromQL parser with Prometheus' precedence: {@code or} &lt; {@code and
 * unless} &lt; comparisons &lt; {@code + -} &lt; {@code * / % atan2} &lt; {@code ^} (right
 * associative); unary minus binds like {@code *}.
 */
final class Parser {
  /** The deepest nesting of expressions accepted. */
  static final int MAX_DEPTH = 500;

  private final String in;
  private final List<Token> toks;
  private int i;
  private int depth;

  private Parser(String in) {
    this.in = in;
    this.toks = Lexer.lex(in);
  }

  /** Parses and type-checks an expression. */
  static Expr parse(String query) {
    Parser p = new Parser(query);
    if (p.peek().type == T.EOF) {
      throw new ParseException(query, 0, "no expression found in input");
    }
    Expr e = p.parseExpr(0);
    if (p.peek().type != T.EOF) {
      throw p.unexpected(p.peek(), "");
    }
    return e;
  }

  private Token peek() {
    return toks.get(i);
  }

  private Token peek(int ahead) {
    return toks.get(Math.min(i + ahead, toks.size() - 1));
  }

  private Token next() {
    return toks.get(i++);
  }

  private ParseException err(int pos, String msg) {
    return new ParseException(in, pos, msg);
  }

  private ParseException unexpected(Token t, String context) {
    String what;
    switch (t.type) {
      case EOF:
        what = "end of input";
        break;
      case IDENTIFIER:
      case METRIC_IDENTIFIER:
        what = "identifier \"" + t.text + "\"";
        break;
      case NUMBER:
        what = "number \"" + t.text + "\"";
        break;
      case DURATION:
        what = "duration \"" + t.text + "\"";
        break;
      case STRING:
        what = "string " + t.text;
        break;
      default:
        what = "\"" + t.text + "\"";
    }
    return err(t.pos, "unexpected " + what + (context.isEmpty() ? "" : " " + context));
  }

  private Token expect(T type, String context) {
    Token t = peek();
    if (t.type != type) {
      throw unexpected(t, context);
    }
    return next();
  }

  private static int precedence(T t) {
    switch (t) {
      case LOR:
        return 1;
      case LAND:
      case LUNLESS:
        return 2;
      case EQLC:
      case NEQ:
      case LTE:
      case LSS:
      case GTE:
      case GTR:
        return 3;
      case ADD:
      case SUB:
        return 4;
      case MUL:
      case DIV:
      case MOD:
      case ATAN2:
        return 5;
      case POW:
        return 6;
      default:
        return -1;
    }
  }

  static boolean isComparison(T t) {
    return precedence(t) == 3;
  }

  static boolean isSetOperator(T t) {
    return t == T.LAND || t == T.LOR || t == T.LUNLESS;
  }

  /**
   * Every nesting level (parentheses, arguments, unary signs, the right side of {@code ^}) is one
   * more {@link #parseExpr} on the stack; Prometheus (Go's growing stacks) sets no limit, here a
   * deeper expression is refused before it overflows the thread's stack.
   */
  private Expr parseExpr(int minPrec) {
    if (++depth > MAX_DEPTH) {
      throw err(peek().pos, "the expression nests more than " + MAX_DEPTH + " levels deep");
    }
    try {
      return parseBinary(minPrec);
    } finally {
      depth--;
    }
  }

  private Expr parseBinary(int minPrec) {
    Expr lhs = parseUnary();
    while (true) {
      Token op = peek();
      int prec = precedence(op.type);
      if (prec < 0 || prec < minPrec) {
        return lhs;
      }
      next();
      boolean returnBool = false;
      if (peek().type == T.BOOL) {
        next();
        returnBool = true;
      }
      VectorMatching vm = null;
      if (peek().type == T.ON || peek().type == T.IGNORING) {
        vm = new VectorMatching();
        vm.on = next().type == T.ON;
        vm.matchingLabels = parseLabelList();
        if (peek().type == T.GROUP_LEFT || peek().type == T.GROUP_RIGHT) {
          vm.card = next().type == T.GROUP_LEFT ? Card.MANY_TO_ONE : Card.ONE_TO_MANY;
          if (peek().type == T.LEFT_PAREN) {
            vm.include = parseLabelList();
          }
        }
      }
      int nextMin = op.type == T.POW ? prec : prec + 1;
      Expr rhs = parseExpr(nextMin);
      lhs = makeBinary(op, lhs, rhs, vm, returnBool);
    }
  }

  private Expr makeBinary(Token op, Expr lhs, Expr rhs, VectorMatching vm, boolean returnBool) {
    BinaryExpr b = new BinaryExpr(op.type, lhs, rhs);
    b.start = lhs.start;
    b.end = rhs.end;
    b.returnBool = returnBool;
    ValueType lt = lhs.type();
    ValueType rt = rhs.type();
    boolean explicitMatching = vm != null;
    if (vm == null) {
      vm = new VectorMatching();
    }
    if (returnBool && !isComparison(op.type)) {
      throw err(op.pos, "bool modifier can only be used on comparison operators");
    }
    if (isComparison(op.type)
        && !returnBool
        && lt == ValueType.SCALAR
        && rt == ValueType.SCALAR) {
      throw err(op.pos, "comparisons between scalars must use BOOL modifier");
    }
    if ((lt != ValueType.SCALAR && lt != ValueType.VECTOR)
        || (rt != ValueType.SCALAR && rt != ValueType.VECTOR)) {
      throw err(b.start, "binary expression must contain only scalar and instant vector types");
    }
    if (isSetOperator(op.type)) {
      if (lt == ValueType.SCALAR || rt == ValueType.SCALAR) {
        throw err(
            b.start,
            "set operator \"" + op.text.toLowerCase(Locale.ROOT)
                + "\" not allowed in binary scalar expression");
      }
      if (vm.card == Card.MANY_TO_ONE || vm.card == Card.ONE_TO_MANY) {
        throw err(
            op.pos, "no grouping allowed for \"" + op.text.toLowerCase(Locale.ROOT) + "\" operation");
      }
      vm.card = Card.MANY_TO_MANY;
    }
    if (explicitMatching
        && (lt != ValueType.VECTOR || rt != ValueType.VECTOR)
        && !vm.matchingLabels.isEmpty()) {
      // an empty on() or ignoring() beside a scalar matches nothing away: Prometheus drops it
      throw err(b.start, "vector matching only allowed between instant vectors");
    }
    if (vm.on) {
      for (String l : vm.matchingLabels) {
        if (vm.include.contains(l)) {
          throw err(op.pos, "label \"" + l + "\" must not occur in ON and GROUP clause at once");
        }
      }
    }
    if (lt == ValueType.VECTOR && rt == ValueType.VECTOR) {
      b.matching = vm;
    }
    return b;
  }

  private Expr parseUnary() {
    Token t = peek();
    if (t.type == T.ADD || t.type == T.SUB) {
      next();
      Expr operand = parseExpr(precedence(T.POW));
      if (operand instanceof NumberLiteral) {
        NumberLiteral nl = (NumberLiteral) operand;
        if (t.type == T.SUB) {
          nl.val = -nl.val;
        }
        nl.start = t.pos;
        return nl;
      }
      ValueType vt = operand.type();
      if (vt != ValueType.SCALAR && vt != ValueType.VECTOR) {
        throw err(
            t.pos,
            "unary expression only allowed on expressions of type scalar or instant vector, got \""
                + vt.documented + "\"");
      }
      UnaryExpr u = new UnaryExpr(t.type, operand);
      u.start = t.pos;
      u.end = operand.end;
      return u;
    }
    return parsePostfix(parsePrimary());
  }

  private Expr parsePostfix(Expr e) {
    while (true) {
      Token t = peek();
      if (t.type == T.LEFT_BRACKET) {
        e = parseRangeOrSubquery(e);
      } else if (t.type == T.OFFSET) {
        next();
        boolean neg = false;
        if (peek().type == T.SUB || peek().type == T.ADD) {
          neg = next().type == T.SUB;
        }
        long off = parseDuration("offset");
        if (neg) {
          off = -off;
        }
        setOffset(e, off, t);
        e.end = toks.get(i - 1).end;
      } else if (t.type == T.AT) {
        next();
        parseAt(e, t);
        e.end = toks.get(i - 1).end;
      } else {
        return e;
      }
    }
  }

  private void setOffset(Expr e, long off, Token t) {
    if (e instanceof VectorSelector) {
      VectorSelector vs = (VectorSelector) e;
      if (vs.originalOffset != 0) {
        throw err(t.pos, "offset may not be set multiple times");
      }
      vs.originalOffset = off;
    } else if (e instanceof MatrixSelector) {
      VectorSelector vs = ((MatrixSelector) e).vs;
      if (vs.originalOffset != 0) {
        throw err(t.pos, "offset may not be set multiple times");
      }
      vs.originalOffset = off;
    } else if (e instanceof SubqueryExpr) {
      SubqueryExpr sq = (SubqueryExpr) e;
      if (sq.originalOffset != 0) {
        throw err(t.pos, "offset may not be set multiple times");
      }
      sq.originalOffset = off;
    } else {
      throw err(
          t.pos,
          "offset modifier must be preceded by an instant vector selector or range vector selector"
              + " or a subquery");
    }
  }

  private void parseAt(Expr e, Token at) {
    Long ts = null;
    AtKind kind = AtKind.NONE;
    Token t = peek();
    if ((t.type == T.START || t.type == T.END) && peek(1).type == T.LEFT_PAREN) {
      next();
      next();
      expect(T.RIGHT_PAREN, "in @ modifier");
      kind = t.type == T.START ? AtKind.START : AtKind.END;
    } else {
      boolean neg = false;
      if (peek().type == T.SUB || peek().type == T.ADD) {
        neg = next().type == T.SUB;
      }
      Token n = next();
      if (n.type != T.NUMBER && n.type != T.DURATION) {
        throw unexpected(n, "in @, expected timestamp");
      }
      double num = n.type == T.DURATION ? n.number / 1000.0 : n.number;
      double v = neg ? -num : num;
      if (Double.isNaN(v) || Double.isInfinite(v) || Math.abs(v * 1000) > 9.2e18) {
        throw err(n.pos, "timestamp out of bounds for @ modifier: " + v);
      }
      ts = Math.round(v * 1000);
    }
    VectorSelector vs = null;
    SubqueryExpr sq = null;
    if (e instanceof VectorSelector) {
      vs = (VectorSelector) e;
    } else if (e instanceof MatrixSelector) {
      vs = ((MatrixSelector) e).vs;
    } else if (e instanceof SubqueryExpr) {
      sq = (SubqueryExpr) e;
    } else {
      throw err(
          at.pos,
          "@ modifier must be preceded by an instant vector selector or range vector selector or"
              + " a subquery");
    }
    if (vs != null) {
      if (vs.timestamp != null || vs.atKind != AtKind.NONE) {
        throw err(at.pos, "@ <timestamp> may not be set multiple times");
      }
      vs.timestamp = ts;
      vs.atKind = kind;
    } else {
      if (sq.timestamp != null || sq.atKind != AtKind.NONE) {
        throw err(at.pos, "@ <timestamp> may not be set multiple times");
      }
      sq.timestamp = ts;
      sq.atKind = kind;
    }
  }

  /** A duration or a plain number of seconds, in milliseconds. */
  private long parseDuration(String context) {
    Token t = next();
    if (t.type == T.DURATION) {
      return (long) t.number;
    }
    if (t.type == T.NUMBER) {
      double ms = t.number * 1000;
      if (Double.isNaN(ms) || Double.isInfinite(ms) || Math.abs(ms) > Durations.MAX_MILLIS) {
        throw err(t.pos, "duration out of range: " + t.text);
      }
      return Math.round(ms);
    }
    throw unexpected(t, "in " + context + ", expected duration");
  }

  private Expr parseRangeOrSubquery(Expr e) {
    Token lb = next();
    long range = parseDuration("range");
    if (peek().type == T.COLON) {
      next();
      long step = 0;
      if (peek().type != T.RIGHT_BRACKET) {
        step = parseDuration("subquery step");
      }
      Token rb = expect(T.RIGHT_BRACKET, "in subquery selector");
      if (e.type() != ValueType.VECTOR) {
        throw err(
            e.start,
            "subquery is only allowed on instant vector, got " + e.type().documented
                + " instead");
      }
      if (range <= 0) {
        throw err(lb.pos, "duration must be greater than 0");
      }
      if (step < 0) {
        throw err(lb.pos, "step must be greater than 0");
      }
      SubqueryExpr sq = new SubqueryExpr();
      sq.expr = e;
      sq.range = range;
      sq.step = step;
      sq.start = e.start;
      sq.end = rb.end;
      return sq;
    }
    Token rb = expect(T.RIGHT_BRACKET, "in range selector");
    if (!(e instanceof VectorSelector)) {
      throw err(lb.pos, "ranges only allowed for vector selectors");
    }
    VectorSelector vs = (VectorSelector) e;
    if (vs.originalOffset != 0 || vs.timestamp != null || vs.atKind != AtKind.NONE) {
      throw err(lb.pos, "no offset modifiers allowed before range");
    }
    if (range <= 0) {
      throw err(lb.pos, "duration must be greater than 0");
    }
    MatrixSelector ms = new MatrixSelector(vs, range);
    ms.start = vs.start;
    ms.end = rb.end;
    return ms;
  }

  private Expr parsePrimary() {
    Token t = peek();
    switch (t.type) {
      case NUMBER:
      case DURATION:
        {
          next();
          NumberLiteral n =
              new NumberLiteral(t.type == T.DURATION ? t.number / 1000.0 : t.number);
          n.start = t.pos;
          n.end = t.end;
          return n;
        }
      case STRING:
        {
          next();
          StringLiteral s = new StringLiteral(t.string);
          s.start = t.pos;
          s.end = t.end;
          return s;
        }
      case LEFT_PAREN:
        {
          next();
          Expr inner = parseExpr(0);
          Token rp = expect(T.RIGHT_PAREN, "in parenthesized expression");
          ParenExpr pe = new ParenExpr(inner);
          pe.start = t.pos;
          pe.end = rp.end;
          return pe;
        }
      case LEFT_BRACE:
        return parseSelector(null, t.pos);
      case AGGREGATOR:
        if (peek(1).type == T.LEFT_PAREN || peek(1).type == T.BY || peek(1).type == T.WITHOUT) {
          return parseAggregate();
        }
        next();
        return parseSelector(t.text, t.pos);
      case IDENTIFIER:
      case METRIC_IDENTIFIER:
      case START:
      case END:
      case BOOL:
      case OFFSET:
      case BY:
      case WITHOUT:
      case ON:
      case IGNORING:
      case GROUP_LEFT:
      case GROUP_RIGHT:
        if (peek(1).type == T.LEFT_PAREN && t.type != T.METRIC_IDENTIFIER) {
          return parseCall();
        }
        if (t.type != T.IDENTIFIER && t.type != T.METRIC_IDENTIFIER) {
          throw unexpected(t, "");
        }
        next();
        return parseSelector(t.text, t.pos);
      default:
        throw unexpected(t, "");
    }
  }

  private Expr parseCall() {
    Token name = next();
    FunctionSpec f = FunctionSpec.get(name.text);
    if (f == null) {
      throw err(name.pos, "unknown function with name \"" + name.text + "\"");
    }
    expect(T.LEFT_PAREN, "in call");
    List<Expr> args = new ArrayList<>();
    if (peek().type != T.RIGHT_PAREN) {
      while (true) {
        args.add(Ast.unwrapParens(parseExpr(0)));
        if (peek().type == T.COMMA) {
          next();
          if (peek().type == T.RIGHT_PAREN) {
            break;
          }
          continue;
        }
        break;
      }
    }
    Token rp = expect(T.RIGHT_PAREN, "in call to " + name.text);
    Call c = new Call(f, args);
    c.start = name.pos;
    c.end = rp.end;
    checkCall(c);
    return c;
  }

  private void checkCall(Call c) {
    FunctionSpec f = c.func;
    int nargs = f.argTypes.size();
    int got = c.args.size();
    if (f.variadic == 0) {
      if (nargs != got) {
        throw err(
            c.start,
            "expected " + nargs + " argument(s) in call to \"" + f.name + "\", got " + got);
      }
    } else {
      int na = nargs - 1;
      if (na > got) {
        throw err(
            c.start,
            "expected at least " + na + " argument(s) in call to \"" + f.name + "\", got " + got);
      } else if (f.variadic > 0 && na + f.variadic < got) {
        throw err(
            c.start,
            "expected at most " + (na + f.variadic) + " argument(s) in call to \"" + f.name
                + "\", got " + got);
      }
    }
    for (int k = 0; k < got; k++) {
      int idx = k;
      if (idx >= nargs) {
        if (f.variadic == 0) {
          break;
        }
        idx = nargs - 1;
      }
      expectType(c.args.get(k), f.argTypes.get(idx), "call to function \"" + f.name + "\"");
    }
  }

  private void expectType(Expr e, ValueType want, String context) {
    ValueType got = e.type();
    if (got != want) {
      throw err(
          e.start,
          "expected type " + want.documented + " in " + context + ", got " + got.documented);
    }
  }

  private Expr parseAggregate() {
    Token op = next();
    AggregateExpr a = new AggregateExpr(op.text.toLowerCase(Locale.ROOT));
    a.start = op.pos;
    boolean grouped = false;
    if (peek().type == T.BY || peek().type == T.WITHOUT) {
      a.without = next().type == T.WITHOUT;
      a.grouping = parseLabelList();
      grouped = true;
    }
    Token lp = expect(T.LEFT_PAREN, "in aggregation");
    List<Expr> args = new ArrayList<>();
    if (peek().type != T.RIGHT_PAREN) {
      while (true) {
        args.add(Ast.unwrapParens(parseExpr(0)));
        if (peek().type == T.COMMA) {
          next();
          if (peek().type == T.RIGHT_PAREN) {
            break;
          }
          continue;
        }
        break;
      }
    }
    Token rp = expect(T.RIGHT_PAREN, "in aggregation");
    a.end = rp.end;
    if (peek().type == T.BY || peek().type == T.WITHOUT) {
      if (grouped) {
        throw unexpected(peek(), "in aggregation: grouping may only be given once");
      }
      a.without = next().type == T.WITHOUT;
      a.grouping = parseLabelList();
      a.end = toks.get(i - 1).end;
    }
    boolean hasParam =
        Set.of("topk", "bottomk", "count_values", "quantile", "limitk", "limit_ratio")
            .contains(a.op);
    int want = hasParam ? 2 : 1;
    if (args.size() != want) {
      if (args.isEmpty()) {
        throw err(lp.pos, "no arguments for aggregate expression provided");
      }
      throw err(
          lp.pos,
          "wrong number of arguments for aggregate expression provided, expected " + want
              + ", got " + args.size());
    }
    if (hasParam) {
      a.param = args.get(0);
      a.expr = args.get(1);
      expectType(
          a.param,
          a.op.equals("count_values") ? ValueType.STRING : ValueType.SCALAR,
          "aggregation parameter");
    } else {
      a.expr = args.get(0);
    }
    if (a.expr.type() != ValueType.VECTOR) {
      throw err(
          a.expr.start,
          "expected type instant vector in aggregation expression, got "
              + a.expr.type().documented);
    }
    return a;
  }

  private List<String> parseLabelList() {
    expect(T.LEFT_PAREN, "in grouping opts");
    List<String> out = new ArrayList<>();
    while (peek().type != T.RIGHT_PAREN) {
      Token t = next();
      String name;
      if (t.type == T.STRING) {
        name = t.string;
      } else if (isLabelNameToken(t)) {
        name = t.text;
      } else {
        throw unexpected(t, "in grouping opts, expected label");
      }
      out.add(name);
      if (peek().type == T.COMMA) {
        next();
      } else if (peek().type != T.RIGHT_PAREN) {
        throw unexpected(peek(), "in grouping opts, expected \",\" or \")\"");
      }
    }
    next();
    return out;
  }

  private static boolean isLabelNameToken(Token t) {
    if (t.text.isEmpty() || !Lexer.isAlpha(t.text.charAt(0))) {
      return false;
    }
    for (int k = 0; k < t.text.length(); k++) {
      if (!Lexer.isAlnum(t.text.charAt(k))) {
        return false;
      }
    }
    return t.type != T.NUMBER && t.type != T.METRIC_IDENTIFIER;
  }

  private Expr parseSelector(String name, int startPos) {
    VectorSelector vs = new VectorSelector();
    vs.start = startPos;
    vs.end = i > 0 ? toks.get(i - 1).end : startPos;
    if (name != null) {
      vs.name = name;
    }
    List<LabelMatcher> ms = new ArrayList<>();
    if (peek().type == T.LEFT_BRACE) {
      next();
      while (peek().type != T.RIGHT_BRACE) {
        Token ln = next();
        String label;
        if (ln.type == T.STRING) {
          label = ln.string;
          if (peek().type == T.COMMA || peek().type == T.RIGHT_BRACE) {
            if (vs.name != null) {
              throw err(ln.pos, "metric name must not be set twice: \"" + vs.name + "\" or \""
                  + label + "\"");
            }
            vs.name = label;
            if (peek().type == T.COMMA) {
              next();
            }
            continue;
          }
        } else if (isLabelNameToken(ln) || ln.type == T.IDENTIFIER) {
          label = ln.text;
        } else {
          throw unexpected(ln, "in label matching, expected label");
        }
        Token op = next();
        LabelMatcher.Type mt;
        switch (op.type) {
          case EQL:
            mt = LabelMatcher.Type.EQUAL;
            break;
          case NEQ:
            mt = LabelMatcher.Type.NOT_EQUAL;
            break;
          case EQL_REGEX:
            mt = LabelMatcher.Type.REGEX;
            break;
          case NEQ_REGEX:
            mt = LabelMatcher.Type.NOT_REGEX;
            break;
          default:
            throw unexpected(op, "in label matching, expected label matching operator");
        }
        Token val = next();
        if (val.type != T.STRING) {
          throw unexpected(val, "in label matching, expected string");
        }
        try {
          ms.add(LabelMatcher.of(mt, label, val.string));
        } catch (IllegalArgumentException e) {
          throw err(val.pos, e.getMessage());
        }
        if (peek().type == T.COMMA) {
          next();
        } else if (peek().type != T.RIGHT_BRACE) {
          throw unexpected(peek(), "in label matching, expected \",\" or \"}\"");
        }
      }
      Token rb = next();
      vs.end = rb.end;
    }
    if (vs.name != null) {
      for (LabelMatcher m : ms) {
        if (m.name().equals(Labels.METRIC_NAME)) {
          throw err(
              vs.start,
              "metric name must not be set twice: \"" + vs.name + "\" or \"" + m.value() + "\"");
        }
      }
      vs.matchers.add(LabelMatcher.equal(Labels.METRIC_NAME, vs.name));
    }
    vs.matchers.addAll(ms);
    boolean nonEmpty = false;
    for (LabelMatcher m : vs.matchers) {
      if (!m.matches("")) {
        nonEmpty = true;
        break;
      }
    }
    if (!nonEmpty) {
      throw err(vs.start, "vector selector must contain at least one non-empty matcher");
    }
    return vs;
  }
}
