/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.metric.promql.Ast.AggregateExpr;
import io.faultline.metric.promql.Ast.BinaryExpr;
import io.faultline.metric.promql.Ast.Call;
import io.faultline.metric.promql.Ast.Card;
import io.faultline.metric.promql.Ast.Expr;
import io.faultline.metric.promql.Ast.MatrixSelector;
import io.faultline.metric.promql.Ast.NumberLiteral;
import io.faultline.metric.promql.Ast.ParenExpr;
import io.faultline.metric.promql.Ast.StepInvariantExpr;
import io.faultline.metric.promql.Ast.StringLiteral;
import io.faultline.metric.promql.Ast.SubqueryExpr;
import io.faultline.metric.promql.Ast.UnaryExpr;
import io.faultline.metric.promql.Ast.ValueType;
import io.faultline.metric.promql.Ast.VectorMatching;
import io.faultline.metric.promql.Ast.VectorSelector;
import io.faultline.metric.promql.Lexer.T;
import io.faultline.metric.storage.LabelMatcher;
import io.faultline.metric.storage.Labels;
import io.faultline.metric.storage.Series;
import io.faultline.metric.storage.SeriesSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Evaluates an expression over fixed steps, as Prometheus' evaluator does: every node yields a
 * matrix with one point per step where it has a value; an instant query is a range of one step.
 */
final class Evaluator {
  /** State shared by an evaluator and the child evaluators of subqueries. */
  static final class Context {
    final SeriesSource source;
    final long deadlineNanos;
    final Annotations annos;
    final long noStepSubqueryIntervalMs;
    final int maxSamples;
    int currentSamples;
    /** The query's own start, end and step, for start(), end(), range() and step(). */
    long queryStart;

    long queryEnd;
    long queryStep;

    Context(
        SeriesSource source,
        long deadlineNanos,
        Annotations annos,
        long noStepSubqueryIntervalMs,
        int maxSamples) {
      this.source = source;
      this.deadlineNanos = deadlineNanos;
      this.annos = annos;
      this.noStepSubqueryIntervalMs = noStepSubqueryIntervalMs;
      this.maxSamples = maxSamples;
    }
  }

  /** Per-node helper handed to functions. */
  static final class Enh {
    long ts;
  }

  interface VectorFn {
    List<Sample> apply(List<List<Sample>> vecs, int[][] sigs, Enh enh);
  }

  final Context ctx;
  final long start;
  final long end;
  final long interval;
  final long lookback;

  Evaluator(Context ctx, long start, long end, long interval, long lookback) {
    this.ctx = ctx;
    this.start = start;
    this.end = end;
    this.interval = interval;
    this.lookback = lookback;
  }

  int numSteps() {
    return (int) ((end - start) / interval) + 1;
  }

  void checkDeadline() {
    if (System.nanoTime() - ctx.deadlineNanos > 0) {
      throw new QueryTimeoutException("expression evaluation");
    }
  }

  void addSamples(int n) {
    ctx.currentSamples += n;
    if (ctx.currentSamples > ctx.maxSamples) {
      throw new TooManySamplesException();
    }
  }

  static QueryExecutionException error(String msg) {
    return new QueryExecutionException(msg);
  }

  /** Evaluates a node whose value is a string or a matrix of steps. */
  Object evalAny(Expr e) {
    if (e instanceof StringLiteral) {
      return ((StringLiteral) e).val;
    }
    if (e instanceof ParenExpr) {
      return evalAny(((ParenExpr) e).expr);
    }
    if (e instanceof StepInvariantExpr && ((StepInvariantExpr) e).expr.type() == ValueType.STRING) {
      return evalAny(((StepInvariantExpr) e).expr);
    }
    return eval(e);
  }

  List<EvSeries> eval(Expr e) {
    checkDeadline();
    if (end < start) {
      return new ArrayList<>();
    }
    if (e instanceof AggregateExpr) {
      return evalAggregate((AggregateExpr) e);
    }
    if (e instanceof Call) {
      return evalCall((Call) e);
    }
    if (e instanceof ParenExpr) {
      return eval(((ParenExpr) e).expr);
    }
    if (e instanceof UnaryExpr) {
      UnaryExpr u = (UnaryExpr) e;
      List<EvSeries> m = eval(u.expr);
      if (u.op == T.SUB) {
        for (EvSeries s : m) {
          s.dropName = true;
          for (int k = 0; k < s.n; k++) {
            s.fs[k] = -s.fs[k];
          }
        }
      }
      return m;
    }
    if (e instanceof BinaryExpr) {
      return evalBinary((BinaryExpr) e);
    }
    if (e instanceof NumberLiteral) {
      double v = ((NumberLiteral) e).val;
      return rangeEval(
          null,
          (vecs, sigs, enh) -> {
            List<Sample> out = new ArrayList<>(1);
            out.add(new Sample(Labels.empty(), v, enh.ts, false));
            return out;
          });
    }
    if (e instanceof StringLiteral) {
      throw error("unexpected string literal in a numeric context");
    }
    if (e instanceof VectorSelector) {
      VectorSelector vs = (VectorSelector) e;
      return evalSeries(select(vs, 0), vs.offset);
    }
    if (e instanceof MatrixSelector) {
      if (start != end) {
        throw error("cannot do range evaluation of matrix selector");
      }
      return matrixSelector((MatrixSelector) e);
    }
    if (e instanceof SubqueryExpr) {
      return evalSubquery((SubqueryExpr) e);
    }
    if (e instanceof StepInvariantExpr) {
      return evalStepInvariant((StepInvariantExpr) e);
    }
    throw error("unhandled expression of type " + e.getClass().getSimpleName());
  }

  // ---------------------------------------------------------------- selectors

  List<Series> select(VectorSelector vs, long range) {
    if (vs.preset != null) {
      return vs.preset;
    }
    long mint = start - vs.offset - range - lookback;
    long maxt = end - vs.offset;
    if (vs.timestamp != null) {
      long ref = vs.timestamp - vs.originalOffset;
      mint = Math.min(mint, ref - range - lookback);
      maxt = Math.max(maxt, ref);
    }
    return ctx.source.select(vs.matchers, mint, maxt);
  }

  List<EvSeries> evalSeries(List<Series> series, long offset) {
    int steps = numSteps();
    List<EvSeries> out = new ArrayList<>(series.size());
    for (Series s : series) {
      checkDeadline();
      long[] st = s.timestamps();
      double[] sv = s.values();
      EvSeries es = null;
      int idx = -1;
      for (long ts = start; ts <= end; ts += interval) {
        long ref = ts - offset;
        while (idx + 1 < st.length && st[idx + 1] <= ref) {
          idx++;
        }
        if (idx < 0 || st[idx] <= ref - lookback || Series.isStaleMarker(sv[idx])) {
          continue;
        }
        if (es == null) {
          es = new EvSeries(s.labels(), false, steps);
        }
        es.add(ts, sv[idx]);
        addSamples(1);
      }
      if (es != null) {
        out.add(es);
      }
    }
    return out;
  }

  private List<EvSeries> matrixSelector(MatrixSelector ms) {
    VectorSelector vs = ms.vs;
    long maxt = start - vs.offset;
    long mint = maxt - ms.range;
    List<EvSeries> out = new ArrayList<>();
    for (Series s : select(vs, ms.range)) {
      checkDeadline();
      long[] st = s.timestamps();
      double[] sv = s.values();
      EvSeries es = new EvSeries(s.labels(), false, 16);
      for (int k = upperBound(st, mint); k < st.length && st[k] <= maxt; k++) {
        if (!Series.isStaleMarker(sv[k])) {
          es.add(st[k], sv[k]);
        }
      }
      if (es.n > 0) {
        addSamples(es.n);
        out.add(es);
      }
    }
    return out;
  }

  /** First index with value greater than t. */
  static int upperBound(long[] a, long t) {
    return upperBound(a, 0, a.length, t);
  }

  static int upperBound(long[] a, int from, int to, long t) {
    int lo = from;
    int hi = to;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] <= t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  // ---------------------------------------------------------------- subqueries and @

  private List<EvSeries> evalSubquery(SubqueryExpr e) {
    long offsetMs = e.offset;
    long rangeMs = e.range;
    long newInterval = e.step != 0 ? e.step : ctx.noStepSubqueryIntervalMs;
    long newEnd = end - offsetMs;
    long newStart = newInterval * ((start - offsetMs - rangeMs) / newInterval);
    if (newStart <= start - offsetMs - rangeMs) {
      newStart += newInterval;
    }
    if (newStart != start) {
      Preprocessor.setOffsetForAtModifier(newStart, e.expr);
    }
    Evaluator child = new Evaluator(ctx, newStart, newEnd, newInterval, lookback);
    return child.eval(e.expr);
  }

  private List<EvSeries> evalStepInvariant(StepInvariantExpr e) {
    Evaluator child = new Evaluator(ctx, start, start, interval, lookback);
    List<EvSeries> res = child.eval(e.expr);
    if (e.expr instanceof MatrixSelector || e.expr instanceof SubqueryExpr) {
      return res;
    }
    for (EvSeries s : res) {
      if (s.n != 1) {
        throw error("unexpected number of samples");
      }
      for (long ts = start + interval; ts <= end; ts += interval) {
        s.add(ts, s.fs[0]);
        addSamples(1);
      }
    }
    return res;
  }

  // ---------------------------------------------------------------- rangeEval

  List<EvSeries> rangeEval(VectorMatching matching, VectorFn fn, Expr... exprs) {
    int steps = numSteps();
    List<List<EvSeries>> mats = new ArrayList<>(exprs.length);
    for (Expr x : exprs) {
      if (x != null && x.type() != ValueType.STRING) {
        mats.add(eval(x));
      } else {
        mats.add(null);
      }
    }
    int[][] seriesSigs = null;
    if (matching != null) {
      seriesSigs = new int[exprs.length][];
      Map<Labels, Integer> ordinals = new HashMap<>();
      List<String> names = new ArrayList<>(matching.matchingLabels);
      Set<String> nameSet = new HashSet<>(names);
      if (!matching.on) {
        nameSet.add(Labels.METRIC_NAME);
      }
      for (int i = 0; i < exprs.length; i++) {
        List<EvSeries> m = mats.get(i);
        seriesSigs[i] = new int[m.size()];
        for (int k = 0; k < m.size(); k++) {
          Labels l = m.get(k).metric;
          Labels sig = matching.on ? l.keep(nameSet) : l.without(nameSet);
          Integer ord = ordinals.get(sig);
          if (ord == null) {
            ord = ordinals.size();
            ordinals.put(sig, ord);
          }
          seriesSigs[i][k] = ord;
        }
      }
    }
    Enh enh = new Enh();
    Map<Labels, EvSeries> out = new LinkedHashMap<>();
    Map<Labels, Long> lastTs = new HashMap<>();
    List<List<Sample>> vecs = new ArrayList<>(exprs.length);
    int[][] vecSigs = matching != null ? new int[exprs.length][] : null;
    for (int i = 0; i < exprs.length; i++) {
      vecs.add(new ArrayList<>());
    }
    for (long ts = start; ts <= end; ts += interval) {
      checkDeadline();
      for (int i = 0; i < exprs.length; i++) {
        List<EvSeries> m = mats.get(i);
        List<Sample> v = vecs.get(i);
        v.clear();
        if (m == null) {
          continue;
        }
        int[] sigs = matching != null ? new int[m.size()] : null;
        int c = 0;
        for (int k = 0; k < m.size(); k++) {
          EvSeries s = m.get(k);
          if (s.cur < s.n && s.ts[s.cur] == ts) {
            v.add(new Sample(s.metric, s.fs[s.cur], ts, s.dropName));
            s.cur++;
            if (sigs != null) {
              sigs[c] = seriesSigs[i][k];
            }
            c++;
          }
        }
        if (vecSigs != null) {
          vecSigs[i] = sigs;
        }
      }
      enh.ts = ts;
      List<Sample> result = fn.apply(vecs, vecSigs, enh);
      if (start == end) {
        List<EvSeries> mat = new ArrayList<>(result.size());
        for (Sample s : result) {
          EvSeries es = new EvSeries(s.metric, s.dropName, 1);
          es.add(ts, s.f);
          mat.add(es);
        }
        addSamples(result.size());
        return mat;
      }
      for (Sample s : result) {
        EvSeries es = out.get(s.metric);
        if (es != null) {
          Long last = lastTs.get(s.metric);
          if (last != null && last == ts) {
            throw error("vector cannot contain metrics with the same labelset");
          }
        } else {
          es = new EvSeries(s.metric, s.dropName, steps);
          out.put(s.metric, es);
        }
        lastTs.put(s.metric, ts);
        es.add(ts, s.f);
      }
      addSamples(result.size());
    }
    return new ArrayList<>(out.values());
  }

  // ---------------------------------------------------------------- binary operators

  private List<EvSeries> evalBinary(BinaryExpr e) {
    ValueType lt = e.lhs.type();
    ValueType rt = e.rhs.type();
    if (lt == ValueType.SCALAR && rt == ValueType.SCALAR) {
      return rangeEval(
          null,
          (v, sigs, enh) -> {
            List<Sample> out = new ArrayList<>(1);
            out.add(
                new Sample(
                    Labels.empty(),
                    scalarBinop(e.op, v.get(0).get(0).f, v.get(1).get(0).f),
                    enh.ts,
                    false));
            return out;
          },
          e.lhs,
          e.rhs);
    }
    if (lt == ValueType.VECTOR && rt == ValueType.VECTOR) {
      switch (e.op) {
        case LAND:
          return rangeEval(
              e.matching,
              (v, sigs, enh) -> vectorAnd(v.get(0), v.get(1), sigs[0], sigs[1]),
              e.lhs,
              e.rhs);
        case LOR:
          return rangeEval(
              e.matching,
              (v, sigs, enh) -> vectorOr(v.get(0), v.get(1), sigs[0], sigs[1]),
              e.lhs,
              e.rhs);
        case LUNLESS:
          return rangeEval(
              e.matching,
              (v, sigs, enh) -> vectorUnless(v.get(0), v.get(1), sigs[0], sigs[1]),
              e.lhs,
              e.rhs);
        default:
          return rangeEval(
              e.matching,
              (v, sigs, enh) ->
                  vectorBinop(
                      e.op, v.get(0), v.get(1), e.matching, e.returnBool, sigs[0], sigs[1], enh),
              e.lhs,
              e.rhs);
      }
    }
    boolean swap = lt == ValueType.SCALAR;
    return rangeEval(
        null,
        (v, sigs, enh) -> {
          List<Sample> vec = swap ? v.get(1) : v.get(0);
          double scalar = swap ? v.get(0).get(0).f : v.get(1).get(0).f;
          return vectorScalarBinop(e.op, vec, scalar, swap, e.returnBool, enh);
        },
        e.lhs,
        e.rhs);
  }

  static double scalarBinop(T op, double l, double r) {
    switch (op) {
      case ADD:
        return l + r;
      case SUB:
        return l - r;
      case MUL:
        return l * r;
      case DIV:
        return l / r;
      case POW:
        return Math.pow(l, r);
      case MOD:
        return goMod(l, r);
      case EQLC:
        return l == r ? 1 : 0;
      case NEQ:
        return l != r ? 1 : 0;
      case GTR:
        return l > r ? 1 : 0;
      case LSS:
        return l < r ? 1 : 0;
      case GTE:
        return l >= r ? 1 : 0;
      case LTE:
        return l <= r ? 1 : 0;
      case ATAN2:
        return Math.atan2(l, r);
      default:
        throw error("operator " + op + " not allowed for scalar operations");
    }
  }

  /** Go's math.Mod: result has the sign of x; Java's % agrees for doubles. */
  static double goMod(double x, double y) {
    return x % y;
  }

  /** Returns NaN-boxed "dropped" via the keep flag in out[1] (1 keep, 0 drop). */
  private static double elemBinop(T op, double l, double r, boolean[] keep) {
    keep[0] = true;
    switch (op) {
      case ADD:
        return l + r;
      case SUB:
        return l - r;
      case MUL:
        return l * r;
      case DIV:
        return l / r;
      case POW:
        return Math.pow(l, r);
      case MOD:
        return goMod(l, r);
      case ATAN2:
        return Math.atan2(l, r);
      case EQLC:
        keep[0] = l == r;
        return l;
      case NEQ:
        keep[0] = l != r;
        return l;
      case GTR:
        keep[0] = l > r;
        return l;
      case LSS:
        keep[0] = l < r;
        return l;
      case GTE:
        keep[0] = l >= r;
        return l;
      case LTE:
        keep[0] = l <= r;
        return l;
      default:
        throw error("operator " + op + " not allowed for operations between vectors");
    }
  }

  static boolean changesMetricSchema(T op) {
    switch (op) {
      case ADD:
      case SUB:
      case MUL:
      case DIV:
      case POW:
      case MOD:
      case ATAN2:
        return true;
      default:
        return false;
    }
  }

  private List<Sample> vectorAnd(List<Sample> lhs, List<Sample> rhs, int[] ls, int[] rs) {
    List<Sample> out = new ArrayList<>();
    if (lhs.isEmpty() || rhs.isEmpty()) {
      return out;
    }
    Set<Integer> right = new HashSet<>();
    for (int k = 0; k < rhs.size(); k++) {
      right.add(rs[k]);
    }
    for (int k = 0; k < lhs.size(); k++) {
      if (right.contains(ls[k])) {
        out.add(lhs.get(k));
      }
    }
    return out;
  }

  private List<Sample> vectorOr(List<Sample> lhs, List<Sample> rhs, int[] ls, int[] rs) {
    List<Sample> out = new ArrayList<>(lhs.size() + rhs.size());
    if (lhs.isEmpty()) {
      out.addAll(rhs);
      return out;
    }
    if (rhs.isEmpty()) {
      out.addAll(lhs);
      return out;
    }
    Set<Integer> left = new HashSet<>();
    for (int k = 0; k < lhs.size(); k++) {
      left.add(ls[k]);
      out.add(lhs.get(k));
    }
    for (int k = 0; k < rhs.size(); k++) {
      if (!left.contains(rs[k])) {
        out.add(rhs.get(k));
      }
    }
    return out;
  }

  private List<Sample> vectorUnless(List<Sample> lhs, List<Sample> rhs, int[] ls, int[] rs) {
    List<Sample> out = new ArrayList<>();
    if (lhs.isEmpty() || rhs.isEmpty()) {
      out.addAll(lhs);
      return out;
    }
    Set<Integer> right = new HashSet<>();
    for (int k = 0; k < rhs.size(); k++) {
      right.add(rs[k]);
    }
    for (int k = 0; k < lhs.size(); k++) {
      if (!right.contains(ls[k])) {
        out.add(lhs.get(k));
      }
    }
    return out;
  }

  private static Labels matchLabels(Labels l, boolean on, List<String> names) {
    Set<String> set = new HashSet<>(names);
    if (on) {
      return l.keep(set);
    }
    set.add(Labels.METRIC_NAME);
    return l.without(set);
  }

  private List<Sample> vectorBinop(
      T op,
      List<Sample> lhs,
      List<Sample> rhs,
      VectorMatching m,
      boolean returnBool,
      int[] lsigs,
      int[] rsigs,
      Enh enh) {
    List<Sample> out = new ArrayList<>();
    if (lhs.isEmpty() || rhs.isEmpty()) {
      return out;
    }
    if (m.card == Card.ONE_TO_MANY) {
      List<Sample> t = lhs;
      lhs = rhs;
      rhs = t;
      int[] ts = lsigs;
      lsigs = rsigs;
      rsigs = ts;
    }
    Map<Integer, Sample> rightSigs = new HashMap<>();
    for (int k = 0; k < rhs.size(); k++) {
      Sample rs = rhs.get(k);
      Sample dup = rightSigs.get(rsigs[k]);
      if (dup != null) {
        String oneSide = m.card == Card.ONE_TO_MANY ? "left" : "right";
        Labels first = rs.metric.compareTo(dup.metric) <= 0 ? rs.metric : dup.metric;
        Labels second = first == rs.metric ? dup.metric : rs.metric;
        throw error(
            "found duplicate series for the match group "
                + matchLabels(rs.metric, m.on, m.matchingLabels)
                + " on the " + oneSide + " hand-side of the operation: ["
                + first + ", " + second
                + "];many-to-many matching not allowed: matching labels must be unique on one side");
      }
      rightSigs.put(rsigs[k], rs);
    }
    Map<Integer, Set<Labels>> matched = new HashMap<>();
    Map<Labels, Map<Labels, Labels>> cache = new HashMap<>();
    boolean[] keep = new boolean[1];
    for (int k = 0; k < lhs.size(); k++) {
      Sample ls = lhs.get(k);
      int sig = lsigs[k];
      Sample rs = rightSigs.get(sig);
      if (rs == null) {
        continue;
      }
      double fl = ls.f;
      double fr = rs.f;
      if (m.card == Card.ONE_TO_MANY) {
        double t = fl;
        fl = fr;
        fr = t;
      }
      double v = elemBinop(op, fl, fr, keep);
      if (returnBool) {
        v = keep[0] ? 1 : 0;
      }
      Labels metric =
          cache
              .computeIfAbsent(ls.metric, x -> new HashMap<>())
              .computeIfAbsent(rs.metric, x -> resultMetric(ls.metric, rs.metric, op, m));
      if (m.card == Card.ONE_TO_ONE) {
        if (matched.containsKey(sig)) {
          throw error(
              "multiple matches for labels: many-to-one matching must be explicit"
                  + " (group_left/group_right)");
        }
        matched.put(sig, null);
      } else {
        Set<Labels> inserted = matched.computeIfAbsent(sig, x -> new HashSet<>());
        if (!inserted.add(metric)) {
          throw error("multiple matches for labels: grouping labels must ensure unique matches");
        }
      }
      if (!keep[0] && !returnBool) {
        continue;
      }
      out.add(new Sample(metric, v, enh.ts, returnBool));
    }
    return out;
  }

  private static Labels resultMetric(Labels lhs, Labels rhs, T op, VectorMatching m) {
    Labels.Builder b = Labels.builder(lhs);
    if (changesMetricSchema(op)) {
      b.remove(Labels.METRIC_NAME);
      b.remove("__type__");
      b.remove("__unit__");
    }
    if (m.card == Card.ONE_TO_ONE) {
      if (m.on) {
        Labels cur = b.build();
        Labels.Builder kept = Labels.builder();
        for (int k = 0; k < cur.size(); k++) {
          if (m.matchingLabels.contains(cur.name(k))) {
            kept.set(cur.name(k), cur.value(k));
          }
        }
        b = Labels.builder(kept.build());
      } else {
        for (String l : m.matchingLabels) {
          b.remove(l);
        }
      }
    }
    for (String ln : m.include) {
      b.set(ln, rhs.get(ln));
    }
    return b.build();
  }

  private List<Sample> vectorScalarBinop(
      T op, List<Sample> lhs, double scalar, boolean swap, boolean returnBool, Enh enh) {
    List<Sample> out = new ArrayList<>(lhs.size());
    boolean[] keep = new boolean[1];
    boolean comparison = Parser.isComparison(op);
    for (Sample s : lhs) {
      double lf = s.f;
      double rf = scalar;
      if (swap) {
        lf = scalar;
        rf = s.f;
      }
      double v = elemBinop(op, lf, rf, keep);
      if (comparison && swap) {
        v = rf;
      }
      boolean k = keep[0];
      if (returnBool) {
        v = k ? 1 : 0;
        k = true;
      }
      if (k) {
        boolean drop = s.dropName || changesMetricSchema(op) || returnBool;
        out.add(new Sample(s.metric, v, enh.ts, drop));
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- aggregation

  private List<EvSeries> evalAggregate(AggregateExpr e) {
    List<String> grouping = new ArrayList<>(new TreeSet<>(e.grouping));
    if (e.op.equals("count_values")) {
      String valueLabel = ((StringLiteral) Ast.unwrapParens(e.param)).val;
      if (!GoStrings.isValidLabelName(valueLabel)) {
        throw error("invalid label name " + GoStrings.quote(valueLabel));
      }
      List<String> g = new ArrayList<>(grouping);
      if (!e.without) {
        g.add(valueLabel);
      }
      return rangeEval(
          null,
          (v, sigs, enh) -> Aggregations.countValues(e, g, valueLabel, v.get(0), enh),
          e.expr);
    }
    double[] params = null;
    if (e.param != null) {
      params = evalScalarParam(e.param);
    }
    List<EvSeries> input = eval(e.expr);
    return new Aggregations(this, e, grouping, params).run(input);
  }

  /** Evaluates a scalar expression to one value per step (NaN where absent). */
  double[] evalScalarParam(Expr p) {
    double[] out = new double[numSteps()];
    Arrays.fill(out, Double.NaN);
    List<EvSeries> m = eval(p);
    if (!m.isEmpty()) {
      EvSeries s = m.get(0);
      for (int k = 0; k < s.n; k++) {
        out[(int) ((s.ts[k] - start) / interval)] = s.fs[k];
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- functions

  private List<EvSeries> evalCall(Call e) {
    String name = e.func.name;
    if (FunctionSpec.UNSUPPORTED.contains(name)) {
      throw error("function \"" + name + "\" is not supported by this engine");
    }
    if (name.equals("timestamp")) {
      Expr arg = Ast.unwrapParens(Ast.unwrapStepInvariant(e.args.get(0)));
      if (arg instanceof VectorSelector) {
        return evalTimestampOverSelector((VectorSelector) arg, e);
      }
    }
    int matrixIdx = -1;
    RangeFunctions.Input input = null;
    for (int k = 0; k < e.args.size(); k++) {
      Expr a = Ast.unwrapParens(Ast.unwrapStepInvariant(e.args.get(k)));
      if (a instanceof MatrixSelector) {
        MatrixSelector ms = (MatrixSelector) a;
        matrixIdx = k;
        input =
            new RangeFunctions.Input(
                select(ms.vs, ms.range), ms.range, ms.vs.offset, ms.vs.timestamp, ms.vs, a);
        break;
      }
      if (a instanceof SubqueryExpr) {
        SubqueryExpr sq = (SubqueryExpr) a;
        matrixIdx = k;
        List<EvSeries> mat = eval(sq);
        List<Series> series = new ArrayList<>(mat.size());
        for (EvSeries s : mat) {
          Labels l = s.dropName ? s.metric.withoutMetricName() : s.metric;
          series.add(new Series(l, Arrays.copyOf(s.ts, s.n), Arrays.copyOf(s.fs, s.n)));
        }
        long off = sq.timestamp != null ? sq.originalOffset + (start - sq.timestamp) : sq.offset;
        input = new RangeFunctions.Input(series, sq.range, off, sq.timestamp, null, a);
        break;
      }
    }
    if (name.equals("label_replace")) {
      return Functions.labelReplace(this, e);
    }
    if (name.equals("label_join")) {
      return Functions.labelJoin(this, e);
    }
    if (matrixIdx < 0) {
      return rangeEval(
          null,
          (v, sigs, enh) -> Functions.call(this, e, v, enh),
          e.args.toArray(new Expr[0]));
    }
    double[][] scalarArgs = new double[e.args.size()][];
    for (int k = 0; k < e.args.size(); k++) {
      if (k != matrixIdx) {
        scalarArgs[k] = evalScalarParam(e.args.get(k));
      }
    }
    return new RangeFunctions(this, e, matrixIdx, scalarArgs).run(input);
  }

  private List<EvSeries> evalTimestampOverSelector(VectorSelector vs, Call e) {
    List<Series> series = select(vs, 0);
    int steps = numSteps();
    List<EvSeries> out = new ArrayList<>();
    Map<Labels, EvSeries> byLabels = new LinkedHashMap<>();
    for (long ts = start; ts <= end; ts += interval) {
      checkDeadline();
      long offset = vs.timestamp != null ? ts - vs.timestamp : vs.offset;
      long ref = ts - offset;
      for (Series s : series) {
        long[] st = s.timestamps();
        int idx = upperBound(st, ref) - 1;
        if (idx < 0 || st[idx] <= ref - lookback || Series.isStaleMarker(s.values()[idx])) {
          continue;
        }
        EvSeries es = byLabels.get(s.labels());
        if (es == null) {
          es = new EvSeries(s.labels(), true, steps);
          byLabels.put(s.labels(), es);
          out.add(es);
        }
        es.add(ts, st[idx] / 1000.0);
        addSamples(1);
      }
    }
    return out;
  }

  /** Labels that absent() and absent_over_time() give their output. */
  static Labels labelsForAbsent(Expr arg) {
    Expr a = Ast.unwrapParens(arg);
    List<LabelMatcher> lm;
    if (a instanceof VectorSelector) {
      lm = ((VectorSelector) a).matchers;
    } else if (a instanceof MatrixSelector) {
      lm = ((MatrixSelector) a).vs.matchers;
    } else {
      return Labels.empty();
    }
    Labels.Builder b = Labels.builder();
    Set<String> has = new HashSet<>();
    for (LabelMatcher m : lm) {
      if (m.name().equals(Labels.METRIC_NAME)) {
        continue;
      }
      if (m.type() == LabelMatcher.Type.EQUAL && !has.contains(m.name())) {
        b.set(m.name(), m.value());
        has.add(m.name());
      } else {
        b.remove(m.name());
      }
    }
    return b.build();
  }

  /** Merges series that became identical after name removal; overlapping points are an error. */
  static List<EvSeries> mergeSameLabelset(List<EvSeries> mat) {
    if (mat.size() <= 1) {
      return mat;
    }
    Map<Labels, List<EvSeries>> by = new LinkedHashMap<>();
    boolean dup = false;
    for (EvSeries s : mat) {
      List<EvSeries> l = by.computeIfAbsent(s.metric, x -> new ArrayList<>());
      l.add(s);
      if (l.size() > 1) {
        dup = true;
      }
    }
    if (!dup) {
      return mat;
    }
    List<EvSeries> out = new ArrayList<>(by.size());
    for (List<EvSeries> group : by.values()) {
      if (group.size() == 1) {
        out.add(group.get(0));
        continue;
      }
      int total = 0;
      for (EvSeries s : group) {
        total += s.n;
      }
      long[][] pts = new long[total][];
      double[] vals = new double[total];
      int k = 0;
      for (EvSeries s : group) {
        for (int j = 0; j < s.n; j++) {
          pts[k] = new long[] {s.ts[j], k};
          vals[k] = s.fs[j];
          k++;
        }
      }
      Arrays.sort(pts, (a, b) -> Long.compare(a[0], b[0]));
      EvSeries base = group.get(0);
      EvSeries merged = new EvSeries(base.metric, base.dropName, total);
      for (int j = 0; j < total; j++) {
        if (j > 0 && pts[j][0] == pts[j - 1][0]) {
          throw error("vector cannot contain metrics with the same labelset");
        }
        merged.add(pts[j][0], vals[(int) pts[j][1]]);
      }
      out.add(merged);
    }
    return out;
  }

  static List<EvSeries> sortedByLabels(List<EvSeries> mat) {
    List<EvSeries> out = new ArrayList<>(mat);
    Collections.sort(out, (a, b) -> a.metric.compareTo(b.metric));
    return out;
  }
}
