/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.metric.promql.Ast.Call;
import io.faultline.metric.promql.Ast.Expr;
import io.faultline.metric.promql.Ast.StringLiteral;
import io.faultline.metric.storage.LabelMatcher;
import io.faultline.metric.storage.Labels;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Functions over instant vectors and scalars, plus label_replace and label_join. */
final class Functions {
  private Functions() {}

  static String stringArg(Expr e) {
    Expr x = Ast.unwrapParens(Ast.unwrapStepInvariant(e));
    return ((StringLiteral) x).val;
  }

  static List<Sample> call(Evaluator ev, Call e, List<List<Sample>> v, Evaluator.Enh enh) {
    String name = e.func.name;
    switch (name) {
      case "abs":
        return simple(v, Math::abs);
      case "ceil":
        return simple(v, Math::ceil);
      case "floor":
        return simple(v, Math::floor);
      case "exp":
        return simple(v, Math::exp);
      case "sqrt":
        return simple(v, Math::sqrt);
      case "ln":
        return simple(v, StrictMath::log);
      case "log2":
        return simple(v, Functions::log2);
      case "log10":
        return simple(v, Functions::log10);
      case "sin":
        return simple(v, Math::sin);
      case "cos":
        return simple(v, Math::cos);
      case "tan":
        return simple(v, Math::tan);
      case "asin":
        return simple(v, Math::asin);
      case "acos":
        return simple(v, Math::acos);
      case "atan":
        return simple(v, Math::atan);
      case "sinh":
        return simple(v, Math::sinh);
      case "cosh":
        return simple(v, Math::cosh);
      case "tanh":
        return simple(v, Math::tanh);
      case "asinh":
        return simple(v, Functions::asinh);
      case "acosh":
        return simple(v, Functions::acosh);
      case "atanh":
        return simple(v, Functions::atanh);
      case "rad":
        return simple(v, x -> x * Math.PI / 180);
      case "deg":
        return simple(v, x -> x * 180 / Math.PI);
      case "sgn":
        return simple(v, x -> x < 0 ? -1 : x > 0 ? 1 : x);
      case "round":
        {
          double toNearest = e.args.size() >= 2 ? v.get(1).get(0).f : 1;
          double inv = 1.0 / toNearest;
          return simple(v, x -> Math.floor(x * inv + 0.5) / inv);
        }
      case "clamp":
        return clamp(v.get(0), v.get(1).get(0).f, v.get(2).get(0).f);
      case "clamp_max":
        return clamp(v.get(0), Double.NEGATIVE_INFINITY, v.get(1).get(0).f);
      case "clamp_min":
        return clamp(v.get(0), v.get(1).get(0).f, Double.POSITIVE_INFINITY);
      case "timestamp":
        {
          List<Sample> out = new ArrayList<>(v.get(0).size());
          for (Sample s : v.get(0)) {
            out.add(new Sample(s.metric, s.t / 1000.0, enh.ts, true));
          }
          return out;
        }
      case "time":
        return one(enh.ts / 1000.0, enh);
      case "pi":
        return one(Math.PI, enh);
      case "start":
        return one(ev.ctx.queryStart / 1000.0, enh);
      case "end":
        return one(ev.ctx.queryEnd / 1000.0, enh);
      case "step":
        return one(ev.ctx.queryStep / 1000.0, enh);
      case "range":
        return one((ev.ctx.queryEnd - ev.ctx.queryStart) / 1000.0, enh);
      case "min_of":
        return one(goMin(v.get(0).get(0).f, v.get(1).get(0).f), enh);
      case "max_of":
        return one(goMax(v.get(0).get(0).f, v.get(1).get(0).f), enh);
      case "vector":
        return one(v.get(0).get(0).f, enh);
      case "scalar":
        {
          List<Sample> in = v.get(0);
          return one(in.size() == 1 ? in.get(0).f : Double.NaN, enh);
        }
      case "absent":
        {
          List<Sample> out = new ArrayList<>(1);
          if (v.get(0).isEmpty()) {
            out.add(new Sample(Evaluator.labelsForAbsent(e.args.get(0)), 1, enh.ts, false));
          }
          return out;
        }
      case "sort":
        {
          List<Sample> out = new ArrayList<>(v.get(0));
          out.sort((a, b) -> cmpNanLast(a.f, b.f, false));
          return out;
        }
      case "sort_desc":
        {
          List<Sample> out = new ArrayList<>(v.get(0));
          out.sort((a, b) -> cmpNanLast(a.f, b.f, true));
          return out;
        }
      case "sort_by_label":
      case "sort_by_label_desc":
        {
          List<String> labels = new ArrayList<>();
          for (int i = 1; i < e.args.size(); i++) {
            labels.add(stringArg(e.args.get(i)));
          }
          boolean desc = name.endsWith("_desc");
          List<Sample> out = new ArrayList<>(v.get(0));
          out.sort(
              (a, b) -> {
                for (String l : labels) {
                  String x = a.metric.get(l);
                  String y = b.metric.get(l);
                  if (x.equals(y)) {
                    continue;
                  }
                  boolean less = NatSort.less(x, y);
                  return desc ? (less ? 1 : -1) : (less ? -1 : 1);
                }
                int c = a.metric.compareTo(b.metric);
                return desc ? -c : c;
              });
          return out;
        }
      case "histogram_quantile":
        return ClassicHistograms.quantile(ev, e, v, enh);
      case "histogram_quantiles":
        return ClassicHistograms.quantiles(ev, e, v, enh);
      case "histogram_fraction":
        return ClassicHistograms.fraction(ev, e, v, enh);
      case "histogram_count":
      case "histogram_sum":
      case "histogram_avg":
      case "histogram_stddev":
      case "histogram_stdvar":
        // Only native histogram samples have these; float samples are ignored.
        return new ArrayList<>();
      case "days_in_month":
        return date(v, enh, GoTime::daysInMonth);
      case "day_of_month":
        return date(v, enh, GoTime::dayOfMonth);
      case "day_of_week":
        return date(v, enh, GoTime::dayOfWeek);
      case "day_of_year":
        return date(v, enh, GoTime::dayOfYear);
      case "hour":
        return date(v, enh, GoTime::hour);
      case "minute":
        return date(v, enh, GoTime::minute);
      case "month":
        return date(v, enh, GoTime::month);
      case "year":
        return date(v, enh, GoTime::year);
      default:
        throw Evaluator.error("function \"" + name + "\" is not supported");
    }
  }

  /** 1/Ln2 and 1/Ln10 as Go's exact constants round them. */
  private static final double INV_LN2 = 1.4426950408889634;

  private static final double INV_LN10 = 0.4342944819032518;

  /*
   * Go's math functions, where Java's differ from them by an ulp or more. StrictMath.log is fdlibm's
   * e_log.c, the algorithm Go's Log ports; log2, log10 and the inverse hyperbolic functions are
   * Go's own formulas on top of it (Java's Math.log10 is a different algorithm, and the textbook
   * log formulas of asinh and atanh lose every digit near zero).
   */

  /** Go's math.Log2: exact for powers of two. */
  static double log2(double x) {
    if (x == 0 || Double.isNaN(x) || Double.isInfinite(x)) {
      return StrictMath.log(x) * INV_LN2;
    }
    double a = Math.abs(x);
    int exp = Math.getExponent(a);
    if (exp < Double.MIN_EXPONENT) { // subnormal: normalise first, as Go's Frexp does
      a *= 0x1p52;
      exp = Math.getExponent(a) - 52;
      a = Math.scalb(a, -(Math.getExponent(a) + 1));
    } else {
      a = Math.scalb(a, -(exp + 1));
    }
    double frac = Math.copySign(a, x);
    if (frac == 0.5) {
      return exp;
    }
    return StrictMath.log(frac) * INV_LN2 + (exp + 1);
  }

  static double log10(double x) {
    return StrictMath.log(x) * INV_LN10;
  }

  private static final double LN2 = 6.93147180559945286227e-01;
  private static final double NEAR_ZERO = 1.0 / (1 << 28);
  private static final double LARGE = 1 << 28;

  static double asinh(double x) {
    if (Double.isNaN(x) || Double.isInfinite(x)) {
      return x;
    }
    boolean sign = x < 0;
    double a = Math.abs(x);
    double r;
    if (a > LARGE) {
      r = StrictMath.log(a) + LN2;
    } else if (a > 2) {
      r = StrictMath.log(2 * a + 1 / (Math.sqrt(a * a + 1) + a));
    } else if (a < NEAR_ZERO) {
      r = a;
    } else {
      r = StrictMath.log1p(a + a * a / (1 + Math.sqrt(1 + a * a)));
    }
    return sign ? -r : r;
  }

  static double acosh(double x) {
    if (x < 1 || Double.isNaN(x)) {
      return Double.NaN;
    }
    if (x == 1) {
      return 0;
    }
    if (x >= LARGE) {
      return StrictMath.log(x) + LN2;
    }
    if (x > 2) {
      return StrictMath.log(2 * x - 1 / (x + Math.sqrt(x * x - 1)));
    }
    double t = x - 1;
    return StrictMath.log1p(t + Math.sqrt(2 * t + t * t));
  }

  static double atanh(double x) {
    if (x < -1 || x > 1 || Double.isNaN(x)) {
      return Double.NaN;
    }
    if (x == 1) {
      return Double.POSITIVE_INFINITY;
    }
    if (x == -1) {
      return Double.NEGATIVE_INFINITY;
    }
    boolean sign = x < 0;
    double a = Math.abs(x);
    double r;
    if (a < NEAR_ZERO) {
      r = a;
    } else if (a < 0.5) {
      r = a + a;
      r = 0.5 * StrictMath.log1p(r + r * a / (1 - a));
    } else {
      r = 0.5 * StrictMath.log1p((a + a) / (1 - a));
    }
    return sign ? -r : r;
  }

  static double goMax(double x, double y) {
    if (x == Double.POSITIVE_INFINITY || y == Double.POSITIVE_INFINITY) {
      return Double.POSITIVE_INFINITY;
    }
    if (Double.isNaN(x) || Double.isNaN(y)) {
      return Double.NaN;
    }
    return Math.max(x, y);
  }

  static double goMin(double x, double y) {
    if (x == Double.NEGATIVE_INFINITY || y == Double.NEGATIVE_INFINITY) {
      return Double.NEGATIVE_INFINITY;
    }
    if (Double.isNaN(x) || Double.isNaN(y)) {
      return Double.NaN;
    }
    return Math.min(x, y);
  }

  static int cmpNanLast(double a, double b, boolean desc) {
    boolean an = Double.isNaN(a);
    boolean bn = Double.isNaN(b);
    if (an || bn) {
      return an == bn ? 0 : an ? 1 : -1;
    }
    int c = a < b ? -1 : a > b ? 1 : 0;
    return desc ? -c : c;
  }

  private static List<Sample> one(double f, Evaluator.Enh enh) {
    List<Sample> out = new ArrayList<>(1);
    out.add(new Sample(Labels.empty(), f, enh.ts, false));
    return out;
  }

  private static List<Sample> simple(List<List<Sample>> v, DoubleUnaryOperator f) {
    List<Sample> in = v.get(0);
    List<Sample> out = new ArrayList<>(in.size());
    for (Sample s : in) {
      out.add(new Sample(s.metric, f.applyAsDouble(s.f), s.t, true));
    }
    return out;
  }

  private static List<Sample> clamp(List<Sample> in, double min, double max) {
    List<Sample> out = new ArrayList<>(in.size());
    if (max < min) {
      return out;
    }
    for (Sample s : in) {
      double x = goMax(min, goMin(max, s.f));
      out.add(new Sample(s.metric, x, s.t, true));
    }
    return out;
  }

  interface DateField {
    double get(GoTime t);
  }

  private static List<Sample> date(List<List<Sample>> v, Evaluator.Enh enh, DateField f) {
    if (v.isEmpty()) {
      return one(f.get(GoTime.ofUnixSeconds(enh.ts / 1000)), enh);
    }
    List<Sample> in = v.get(0);
    List<Sample> out = new ArrayList<>(in.size());
    for (Sample s : in) {
      out.add(new Sample(s.metric, f.get(GoTime.ofValue(s.f)), s.t, true));
    }
    return out;
  }

  static List<EvSeries> labelReplace(Evaluator ev, Call e) {
    String dst = stringArg(e.args.get(1));
    String repl = stringArg(e.args.get(2));
    String src = stringArg(e.args.get(3));
    String regex = stringArg(e.args.get(4));
    Pattern p;
    try {
      p = LabelMatcher.compileAnchored(regex);
    } catch (IllegalArgumentException ex) {
      throw Evaluator.error("invalid regular expression in label_replace(): " + regex);
    }
    if (!GoStrings.isValidLabelName(dst)) {
      throw Evaluator.error("invalid destination label name in label_replace(): " + dst);
    }
    List<EvSeries> mat = ev.eval(e.args.get(0));
    for (EvSeries s : mat) {
      String srcVal = s.metric.get(src);
      Matcher m = p.matcher(srcVal);
      if (m.matches()) {
        String res = expand(repl, m);
        s.metric = Labels.builder(s.metric).set(dst, res).build();
        if (dst.equals(Labels.METRIC_NAME)) {
          s.dropName = false;
        }
      }
    }
    return Evaluator.mergeSameLabelset(mat);
  }

  /** Go's regexp.Expand template syntax: $1, ${1}, $name, ${name}, $$. */
  static String expand(String template, Matcher m) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    while (i < template.length()) {
      char c = template.charAt(i);
      if (c != '$' || i + 1 >= template.length()) {
        sb.append(c);
        i++;
        continue;
      }
      char n = template.charAt(i + 1);
      if (n == '$') {
        sb.append('$');
        i += 2;
        continue;
      }
      String name;
      int next;
      if (n == '{') {
        int close = template.indexOf('}', i + 2);
        if (close < 0) {
          sb.append(c);
          i++;
          continue;
        }
        name = template.substring(i + 2, close);
        next = close + 1;
      } else {
        int j = i + 1;
        while (j < template.length()
            && (Character.isLetterOrDigit(template.charAt(j)) || template.charAt(j) == '_')) {
          j++;
        }
        name = template.substring(i + 1, j);
        next = j;
      }
      if (name.isEmpty()) {
        sb.append(c);
        i++;
        continue;
      }
      String g = null;
      boolean numeric = name.chars().allMatch(Character::isDigit);
      try {
        if (numeric) {
          int idx = Integer.parseInt(name);
          if (idx <= m.groupCount()) {
            g = m.group(idx);
          }
        } else {
          g = m.group(name);
        }
      } catch (IllegalArgumentException | IndexOutOfBoundsException ex) {
        g = null;
      }
      if (g != null) {
        sb.append(g);
      }
      i = next;
    }
    return sb.toString();
  }

  static List<EvSeries> labelJoin(Evaluator ev, Call e) {
    String dst = stringArg(e.args.get(1));
    String sep = stringArg(e.args.get(2));
    List<String> srcs = new ArrayList<>();
    for (int i = 3; i < e.args.size(); i++) {
      String src = stringArg(e.args.get(i));
      if (!GoStrings.isValidLabelName(src)) {
        throw Evaluator.error("invalid source label name in label_join(): " + src);
      }
      srcs.add(src);
    }
    if (!GoStrings.isValidLabelName(dst)) {
      throw Evaluator.error("invalid destination label name in label_join(): " + dst);
    }
    List<EvSeries> mat = ev.eval(e.args.get(0));
    for (EvSeries s : mat) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < srcs.size(); i++) {
        if (i > 0) {
          sb.append(sep);
        }
        sb.append(s.metric.get(srcs.get(i)));
      }
      s.metric = Labels.builder(s.metric).set(dst, sb.toString()).build();
      if (dst.equals(Labels.METRIC_NAME)) {
        s.dropName = false;
      }
    }
    return Evaluator.mergeSameLabelset(mat);
  }

  /** Natural ordering as github.com/facette/natsort compares strings. */
  static final class NatSort {
    private static final Pattern CHUNK = Pattern.compile("(\\d+|\\D+)");

    private NatSort() {}

    static List<String> chunks(String s) {
      List<String> out = new ArrayList<>();
      Matcher m = CHUNK.matcher(s);
      while (m.find()) {
        out.add(m.group());
      }
      return out;
    }

    static boolean less(String a, String b) {
      List<String> ca = chunks(a);
      List<String> cb = chunks(b);
      for (int i = 0; i < ca.size(); i++) {
        if (i >= cb.size()) {
          return false;
        }
        Long ai = parse(ca.get(i));
        Long bi = parse(cb.get(i));
        if (ai != null && bi != null) {
          if (ai.longValue() == bi.longValue()) {
            if (i == ca.size() - 1) {
              return true;
            } else if (i == cb.size() - 1) {
              return false;
            }
            continue;
          }
          return ai < bi;
        }
        if (ca.get(i).equals(cb.get(i))) {
          if (i == ca.size() - 1) {
            return true;
          } else if (i == cb.size() - 1) {
            return false;
          }
          continue;
        }
        return ca.get(i).compareTo(cb.get(i)) < 0;
      }
      return false;
    }

    private static Long parse(String s) {
      if (s.isEmpty() || !Character.isDigit(s.charAt(0)) || s.length() > 18) {
        return null;
      }
      return Long.parseLong(s);
    }
  }
}
