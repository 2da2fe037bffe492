/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.metric.promql.Ast.AggregateExpr;
import io.faultline.metric.promql.Ast.AtKind;
import io.faultline.metric.promql.Ast.BinaryExpr;
import io.faultline.metric.promql.Ast.Call;
import io.faultline.metric.promql.Ast.Expr;
import io.faultline.metric.promql.Ast.MatrixSelector;
import io.faultline.metric.promql.Ast.NumberLiteral;
import io.faultline.metric.promql.Ast.ParenExpr;
import io.faultline.metric.promql.Ast.StepInvariantExpr;
import io.faultline.metric.promql.Ast.StringLiteral;
import io.faultline.metric.promql.Ast.SubqueryExpr;
import io.faultline.metric.promql.Ast.UnaryExpr;
import io.faultline.metric.promql.Ast.VectorSelector;
import java.util.List;
import java.util.Set;

/**
 * Query preparation as Prometheus' PreprocessExpr: resolves {@code @ start()/end()}, wraps
 * step-invariant subtrees so they are evaluated once, and adjusts offsets for {@code @}.
 */
final class Preprocessor {
  private Preprocessor() {}

  /** Functions whose result depends on the evaluation time even for constant arguments. */
  static final Set<String> AT_MODIFIER_UNSAFE =
      Set.of(
          "days_in_month",
          "day_of_month",
          "day_of_week",
          "day_of_year",
          "hour",
          "minute",
          "month",
          "year",
          "predict_linear",
          "time",
          "timestamp");

  static Expr preprocess(Expr e, long start, long end) {
    boolean[] r = helper(e, start, end);
    if (r[1]) {
      return new StepInvariantExpr(e);
    }
    return e;
  }

  /** Returns {isStepInvariant, shouldWrap}. */
  private static boolean[] helper(Expr e, long start, long end) {
    if (e instanceof VectorSelector) {
      VectorSelector n = (VectorSelector) e;
      if (n.atKind == AtKind.START) {
        n.timestamp = start;
      } else if (n.atKind == AtKind.END) {
        n.timestamp = end;
      }
      return new boolean[] {n.timestamp != null, n.timestamp != null};
    }
    if (e instanceof AggregateExpr) {
      AggregateExpr a = (AggregateExpr) e;
      a.expr = Ast.unwrapParens(a.expr);
      if (a.param != null) {
        a.param = Ast.unwrapParens(a.param);
      }
      return helper(a.expr, start, end);
    }
    if (e instanceof BinaryExpr) {
      BinaryExpr b = (BinaryExpr) e;
      boolean[] l = helper(b.lhs, start, end);
      boolean[] r = helper(b.rhs, start, end);
      if (l[0] && r[0]) {
        return new boolean[] {true, true};
      }
      if (l[1]) {
        b.lhs = new StepInvariantExpr(b.lhs);
      }
      if (r[1]) {
        b.rhs = new StepInvariantExpr(b.rhs);
      }
      return new boolean[] {false, false};
    }
    if (e instanceof Call) {
      Call c = (Call) e;
      boolean inv = !AT_MODIFIER_UNSAFE.contains(c.func.name);
      boolean[] wrap = new boolean[c.args.size()];
      List<Expr> args = c.args;
      for (int i = 0; i < args.size(); i++) {
        args.set(i, Ast.unwrapParens(args.get(i)));
        boolean[] r = helper(args.get(i), start, end);
        wrap[i] = r[1];
        inv = inv && r[0];
      }
      if (inv) {
        return new boolean[] {true, true};
      }
      for (int i = 0; i < wrap.length; i++) {
        if (wrap[i]) {
          args.set(i, new StepInvariantExpr(args.get(i)));
        }
      }
      return new boolean[] {false, false};
    }
    if (e instanceof MatrixSelector) {
      boolean[] r = helper(((MatrixSelector) e).vs, start, end);
      return new boolean[] {r[0], false};
    }
    if (e instanceof SubqueryExpr) {
      SubqueryExpr s = (SubqueryExpr) e;
      boolean[] r = helper(s.expr, start, end);
      if (r[0]) {
        s.expr = new StepInvariantExpr(s.expr);
      }
      if (s.atKind == AtKind.START) {
        s.timestamp = start;
      } else if (s.atKind == AtKind.END) {
        s.timestamp = end;
      }
      return new boolean[] {s.timestamp != null, s.timestamp != null};
    }
    if (e instanceof ParenExpr) {
      return helper(((ParenExpr) e).expr, start, end);
    }
    if (e instanceof UnaryExpr) {
      return helper(((UnaryExpr) e).expr, start, end);
    }
    if (e instanceof StringLiteral || e instanceof NumberLiteral) {
      return new boolean[] {true, false};
    }
    if (e instanceof StepInvariantExpr) {
      return new boolean[] {true, false};
    }
    throw new IllegalStateException("unexpected node " + e.getClass().getSimpleName());
  }

  static void setOffsetForAtModifier(long evalTime, Expr expr) {
    Ast.inspect(
        expr,
        (node, path) -> {
          if (node instanceof VectorSelector) {
            VectorSelector n = (VectorSelector) node;
            n.offset = offsetFor(evalTime, n.timestamp, n.originalOffset, path);
          } else if (node instanceof MatrixSelector) {
            VectorSelector n = ((MatrixSelector) node).vs;
            n.offset = offsetFor(evalTime, n.timestamp, n.originalOffset, path);
          } else if (node instanceof SubqueryExpr) {
            SubqueryExpr n = (SubqueryExpr) node;
            n.offset = offsetFor(evalTime, n.timestamp, n.originalOffset, path);
          }
        });
  }

  private static long offsetFor(long evalTime, Long ts, long originalOffset, List<Expr> path) {
    if (ts == null) {
      return originalOffset;
    }
    long subqOffset = 0;
    Long subqTs = null;
    for (Expr p : path) {
      if (p instanceof SubqueryExpr) {
        SubqueryExpr s = (SubqueryExpr) p;
        subqOffset += s.originalOffset;
        if (s.timestamp != null) {
          subqOffset = s.originalOffset;
          subqTs = s.timestamp;
        }
      }
    }
    if (subqTs != null) {
      subqOffset += evalTime - subqTs;
    }
    long offsetForTs = evalTime - ts;
    return originalOffset + (offsetForTs - subqOffset);
  }
}
