/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.metric.promql.Ast.ValueType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Name, argument types and return type of a PromQL function, as Prometheus' parser lists them. */
final class FunctionSpec {
  final String name;
  final List<ValueType> argTypes;
  /** 0: fixed arity; n > 0: up to n optional trailing args; -1: unlimited repetition. */
  final int variadic;

  final ValueType returnType;

  private FunctionSpec(String name, List<ValueType> argTypes, int variadic, ValueType ret) {
    this.name = name;
    this.argTypes = argTypes;
    this.variadic = variadic;
    this.returnType = ret;
  }

  private static final Map<String, FunctionSpec> ALL = new HashMap<>();

  /** Functions that exist in Prometheus but that this engine does not implement yet. */
  static final java.util.Set<String> UNSUPPORTED =
      java.util.Set.of("info", "integral");

  private static void def(String name, int variadic, ValueType ret, ValueType... args) {
    ALL.put(name, new FunctionSpec(name, List.of(args), variadic, ret));
  }

  static {
    ValueType v = ValueType.VECTOR;
    ValueType m = ValueType.MATRIX;
    ValueType s = ValueType.SCALAR;
    ValueType str = ValueType.STRING;
    for (String f :
        new String[] {
          "abs", "absent", "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "cos", "cosh",
          "deg", "exp", "floor", "histogram_avg", "histogram_count", "histogram_sum",
          "histogram_stddev", "histogram_stdvar", "ln", "log10", "log2", "rad", "sgn", "sin",
          "sinh", "sort", "sort_desc", "sqrt", "tan", "tanh", "timestamp"
        }) {
      def(f, 0, v, v);
    }
    for (String f :
        new String[] {
          "absent_over_time", "avg_over_time", "changes", "count_over_time", "delta", "deriv",
          "first_over_time", "idelta", "increase", "irate", "last_over_time", "mad_over_time",
          "max_over_time", "min_over_time", "ts_of_first_over_time", "ts_of_max_over_time",
          "ts_of_min_over_time", "ts_of_last_over_time", "present_over_time", "rate", "resets",
          "stddev_over_time", "stdvar_over_time", "sum_over_time"
        }) {
      def(f, 0, v, m);
    }
    for (String f :
        new String[] {
          "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute",
          "month", "year"
        }) {
      def(f, 1, v, v);
    }
    def("clamp", 0, v, v, s, s);
    def("clamp_max", 0, v, v, s);
    def("clamp_min", 0, v, v, s);
    def("histogram_fraction", 0, v, s, s, v);
    def("histogram_quantile", 0, v, s, v);
    def("histogram_quantiles", 9, v, v, str, s, s);
    def("double_exponential_smoothing", 0, v, m, s, s);
    def("info", 1, v, v, v);
    def("integral", 1, v, m, s);
    def("label_replace", 0, v, v, str, str, str, str);
    def("label_join", -1, v, v, str, str, str);
    def("pi", 0, s);
    def("min_of", 0, s, s, s);
    def("max_of", 0, s, s, s);
    def("time", 0, s);
    def("start", 0, s);
    def("end", 0, s);
    def("range", 0, s);
    def("step", 0, s);
    def("predict_linear", 0, v, m, s);
    def("quantile_over_time", 0, v, s, m);
    def("round", 1, v, v, s);
    def("scalar", 0, s, v);
    def("sort_by_label", -1, v, v, str);
    def("sort_by_label_desc", -1, v, v, str);
    def("vector", 0, v, s);
  }

  static FunctionSpec get(String name) {
    return ALL.get(name);
  }
}
