/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.metric.storage.LabelMatcher;
import io.faultline.metric.storage.Series;
import java.util.ArrayList;
import java.util.List;

/** The PromQL syntax tree. Offsets are mutable because @ handling adjusts them, as in Prometheus. */
final class Ast {
  private Ast() {}

  enum ValueType {
    NONE("none"),
    SCALAR("scalar"),
    VECTOR("instant vector"),
    MATRIX("range vector"),
    STRING("string");

    final String documented;

    ValueType(String documented) {
      this.documented = documented;
    }
  }

  enum Card {
    ONE_TO_ONE,
    MANY_TO_ONE,
    ONE_TO_MANY,
    MANY_TO_MANY
  }

  /** Which preprocessor an @ modifier used. */
  enum AtKind {
    NONE,
    START,
    END
  }

  abstract static class Expr {
    int start;
    int end;

    abstract ValueType type();
  }

  static final class NumberLiteral extends Expr {
    double val;

    NumberLiteral(double val) {
      this.val = val;
    }

    @Override
    ValueType type() {
      return ValueType.SCALAR;
    }
  }

  static final class StringLiteral extends Expr {
    final String val;

    StringLiteral(String val) {
      this.val = val;
    }

    @Override
    ValueType type() {
      return ValueType.STRING;
    }
  }

  static final class VectorSelector extends Expr {
    String name;
    final List<LabelMatcher> matchers = new ArrayList<>();
    long originalOffset;
    long offset;
    Long timestamp;
    AtKind atKind = AtKind.NONE;
    /** Series provided by an evaluated subquery instead of storage. */
    List<Series> preset;

    @Override
    ValueType type() {
      return ValueType.VECTOR;
    }
  }

  static final class MatrixSelector extends Expr {
    final VectorSelector vs;
    long range;

    MatrixSelector(VectorSelector vs, long range) {
      this.vs = vs;
      this.range = range;
    }

    @Override
    ValueType type() {
      return ValueType.MATRIX;
    }
  }

  static final class SubqueryExpr extends Expr {
    Expr expr;
    long range;
    long step;
    long originalOffset;
    long offset;
    Long timestamp;
    AtKind atKind = AtKind.NONE;

    @Override
    ValueType type() {
      return ValueType.MATRIX;
    }
  }

  static final class ParenExpr extends Expr {
    Expr expr;

    ParenExpr(Expr expr) {
      this.expr = expr;
    }

    @Override
    ValueType type() {
      return expr.type();
    }
  }

  static final class UnaryExpr extends Expr {
    final Lexer.T op;
    Expr expr;

    UnaryExpr(Lexer.T op, Expr expr) {
      this.op = op;
      this.expr = expr;
    }

    @Override
    ValueType type() {
      return expr.type();
    }
  }

  static final class VectorMatching {
    Card card = Card.ONE_TO_ONE;
    List<String> matchingLabels = new ArrayList<>();
    boolean on;
    List<String> include = new ArrayList<>();
  }

  static final class BinaryExpr extends Expr {
    final Lexer.T op;
    Expr lhs;
    Expr rhs;
    VectorMatching matching;
    boolean returnBool;

    BinaryExpr(Lexer.T op, Expr lhs, Expr rhs) {
      this.op = op;
      this.lhs = lhs;
      this.rhs = rhs;
    }

    @Override
    ValueType type() {
      return lhs.type() == ValueType.SCALAR && rhs.type() == ValueType.SCALAR
          ? ValueType.SCALAR
          : ValueType.VECTOR;
    }
  }

  static final class AggregateExpr extends Expr {
    final String op;
    Expr expr;
    Expr param;
    List<String> grouping = new ArrayList<>();
    boolean without;

    AggregateExpr(String op) {
      this.op = op;
    }

    @Override
    ValueType type() {
      return ValueType.VECTOR;
    }
  }

  static final class Call extends Expr {
    final FunctionSpec func;
    final List<Expr> args;

    Call(FunctionSpec func, List<Expr> args) {
      this.func = func;
      this.args = args;
    }

    @Override
    ValueType type() {
      return func.returnType;
    }
  }

  static final class StepInvariantExpr extends Expr {
    final Expr expr;

    StepInvariantExpr(Expr expr) {
      this.expr = expr;
      this.start = expr.start;
      this.end = expr.end;
    }

    @Override
    ValueType type() {
      return expr.type();
    }
  }

  static Expr unwrapParens(Expr e) {
    while (e instanceof ParenExpr) {
      e = ((ParenExpr) e).expr;
    }
    return e;
  }

  static Expr unwrapStepInvariant(Expr e) {
    return e instanceof StepInvariantExpr ? ((StepInvariantExpr) e).expr : e;
  }

  /** Visits every node depth-first with the path of ancestors. */
  interface Visitor {
    void visit(Expr node, List<Expr> path);
  }

  static void inspect(Expr e, Visitor v) {
    inspect(e, v, new ArrayList<>());
  }

  private static void inspect(Expr e, Visitor v, List<Expr> path) {
    if (e == null) {
      return;
    }
    v.visit(e, path);
    path.add(e);
    if (e instanceof MatrixSelector) {
      inspect(((MatrixSelector) e).vs, v, path);
    } else if (e instanceof SubqueryExpr) {
      inspect(((SubqueryExpr) e).expr, v, path);
    } else if (e instanceof ParenExpr) {
      inspect(((ParenExpr) e).expr, v, path);
    } else if (e instanceof UnaryExpr) {
      inspect(((UnaryExpr) e).expr, v, path);
    } else if (e instanceof BinaryExpr) {
      inspect(((BinaryExpr) e).lhs, v, path);
      inspect(((BinaryExpr) e).rhs, v, path);
    } else if (e instanceof AggregateExpr) {
      inspect(((AggregateExpr) e).param, v, path);
      inspect(((AggregateExpr) e).expr, v, path);
    } else if (e instanceof Call) {
      for (Expr a : ((Call) e).args) {
        inspect(a, v, path);
      }
    } else if (e instanceof StepInvariantExpr) {
      inspect(((StepInvariantExpr) e).expr, v, path);
    }
    path.remove(path.size() - 1);
  }
}
