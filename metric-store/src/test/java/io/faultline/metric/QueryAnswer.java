/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import com.fasterxml.jackson.databind.JsonNode;
import io.faultline.core.metric.MetricQueryException;
import io.faultline.core.metric.PromqlResult;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.BiPredicate;
import java.util.Map;
import java.util.TreeMap;

/**
 * One engine's answer to one query, in a shape both Prometheus' JSON and Faultline's {@link
 * PromqlResult} reduce to: an error type, or a result type with series (label set rendered as
 * text, timestamps, values). Compares two answers the way the comparison IT needs.
 */
record QueryAnswer(String errorType, String error, String type, List<Row> rows) {
  /** Values closer than this, relative to the larger, are equal (summation order differs). */
  static final double RELATIVE_TOLERANCE = 1e-9;

  record Row(String labels, long[] t, double[] v) {}

  static QueryAnswer failed(String errorType, String message) {
    return new QueryAnswer(errorType, message, null, List.of());
  }

  static QueryAnswer of(PromqlResult r) {
    List<Row> rows = new ArrayList<>();
    switch (r.type()) {
      case SCALAR -> rows.add(new Row("scalar", new long[] {r.timeMs()}, new double[] {r.scalar()}));
      case STRING -> rows.add(new Row("string:" + r.string(), new long[] {r.timeMs()}, new double[1]));
      default -> {
        for (PromqlResult.Series s : r.series()) {
          rows.add(new Row(render(s.labels()), s.timestampsMs(), s.values()));
        }
      }
    }
    return new QueryAnswer(null, null, r.type().apiName(), rows);
  }

  static QueryAnswer of(MetricQueryException e) {
    return failed(e.errorType(), e.getMessage());
  }

  /** Reads Prometheus' {@code /api/v1/query[_range]} response body. */
  static QueryAnswer ofPrometheus(JsonNode body) {
    if (!"success".equals(body.path("status").asText())) {
      return failed(body.path("errorType").asText(), body.path("error").asText());
    }
    JsonNode data = body.path("data");
    String type = data.path("resultType").asText();
    JsonNode result = data.path("result");
    List<Row> rows = new ArrayList<>();
    switch (type) {
      case "scalar" -> rows.add(new Row("scalar", new long[] {millis(result.get(0))},
          new double[] {value(result.get(1))}));
      case "string" -> rows.add(new Row("string:" + result.get(1).asText(),
          new long[] {millis(result.get(0))}, new double[1]));
      default -> {
        for (JsonNode s : result) {
          Map<String, String> labels = new TreeMap<>();
          for (Iterator<Map.Entry<String, JsonNode>> it = s.path("metric").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            labels.put(e.getKey(), e.getValue().asText());
          }
          List<JsonNode> points = new ArrayList<>();
          if (s.has("value")) {
            points.add(s.get("value"));
          } else {
            s.get("values").forEach(points::add);
          }
          long[] t = new long[points.size()];
          double[] v = new double[points.size()];
          for (int i = 0; i < t.length; i++) {
            t[i] = millis(points.get(i).get(0));
            v[i] = value(points.get(i).get(1));
          }
          rows.add(new Row(render(labels), t, v));
        }
      }
    }
    return new QueryAnswer(null, null, type, rows);
  }

  boolean failed() {
    return errorType != null;
  }

  boolean empty() {
    return !failed() && rows.isEmpty();
  }

  /**
   * Why {@code got} differs from this (expected) answer, or null when they are equal: same error
   * type, or same result type, same label sets, same timestamps, values within tolerance, rows
   * compared as sets keyed by their labels; when {@code ordered}, the values must also come in the
   * same order.
   */
  String difference(QueryAnswer got, boolean ordered) {
    return difference(got, ordered, QueryAnswer::close);
  }

  /** As {@link #difference(QueryAnswer, boolean)}, with {@code same} deciding on each value. */
  String difference(QueryAnswer got, boolean ordered, BiPredicate<Double, Double> same) {
    if (failed() || got.failed()) {
      if (failed() && got.failed() && errorType.equals(got.errorType)) {
        return null;
      }
      return "expected " + describe() + " but got " + got.describe();
    }
    if (!type.equals(got.type)) {
      return "expected a " + type + " but got a " + got.type;
    }
    List<Row> want = sorted(rows);
    List<Row> have = sorted(got.rows);
    for (int i = 0; i < Math.max(want.size(), have.size()); i++) {
      Row w = i < want.size() ? want.get(i) : null;
      Row h = i < have.size() ? have.get(i) : null;
      if (w == null || h == null || !w.labels().equals(h.labels())) {
        return "series " + i + " of " + want.size() + "/" + have.size() + ": expected "
            + (w == null ? "none" : w.labels()) + " but got " + (h == null ? "none" : h.labels())
            + missing(want, have);
      }
      if (!Arrays.equals(w.t(), h.t())) {
        return "series " + w.labels() + ": expected " + w.t().length + " samples but got "
            + h.t().length + "; first difference: " + firstDifference(w, h);
      }
      for (int k = 0; k < w.v().length; k++) {
        if (!same.test(w.v()[k], h.v()[k])) {
          return "series " + w.labels() + " at " + PromqlResult.formatTime(w.t()[k])
              + ": expected " + w.v()[k] + " but got " + h.v()[k];
        }
      }
    }
    if (ordered) {
      // sort() and sort_desc() order by value; the order of equal values is not defined
      for (int i = 0; i < rows.size(); i++) {
        double w = rows.get(i).v()[0];
        double h = got.rows.get(i).v()[0];
        if (!same.test(w, h)) {
          return "position " + i + ": expected " + rows.get(i).labels() + " " + w + " but got "
              + got.rows.get(i).labels() + " " + h;
        }
      }
    }
    return null;
  }

  static boolean close(double want, double got) {
    if (Double.isNaN(want) || Double.isNaN(got)) {
      return Double.isNaN(want) && Double.isNaN(got);
    }
    if (want == got) {
      return true;
    }
    return Math.abs(want - got) <= RELATIVE_TOLERANCE * Math.max(Math.abs(want), Math.abs(got));
  }

  private String describe() {
    return failed() ? "error " + errorType + " (" + error + ")" : type + " of " + rows.size();
  }

  private static String missing(List<Row> want, List<Row> have) {
    List<String> a = want.stream().map(Row::labels).toList();
    List<String> b = have.stream().map(Row::labels).toList();
    List<String> onlyWant = a.stream().filter(x -> !b.contains(x)).limit(3).toList();
    List<String> onlyHave = b.stream().filter(x -> !a.contains(x)).limit(3).toList();
    return "; only expected: " + onlyWant + "; only got: " + onlyHave;
  }

  private static List<Row> sorted(List<Row> rows) {
    List<Row> out = new ArrayList<>(rows);
    out.sort((x, y) -> x.labels().compareTo(y.labels()));
    return out;
  }

  private static String firstDifference(Row want, Row got) {
    int i = 0;
    while (i < want.t().length && i < got.t().length && want.t()[i] == got.t()[i]) {
      i++;
    }
    if (i < want.t().length
        && (i == got.t().length || want.t()[i] < got.t()[i])) {
      return "expected a sample at " + PromqlResult.formatTime(want.t()[i]) + " (" + want.v()[i]
          + ") but got " + (i < got.t().length ? "the next at " + PromqlResult.formatTime(got.t()[i])
          : "none");
    }
    return "got an unexpected sample at " + PromqlResult.formatTime(got.t()[i]) + " (" + got.v()[i]
        + ")";
  }

  static String render(Map<String, String> labels) {
    StringBuilder b = new StringBuilder("{");
    for (Map.Entry<String, String> e : new TreeMap<>(labels).entrySet()) {
      if (b.length() > 1) {
        b.append(',');
      }
      b.append(e.getKey()).append("=\"").append(e.getValue()).append('"');
    }
    return b.append('}').toString();
  }

  private static long millis(JsonNode seconds) {
    return new BigDecimal(seconds.asText()).movePointRight(3).longValueExact();
  }

  private static double value(JsonNode v) {
    return switch (v.asText()) {
      case "NaN" -> Double.NaN;
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(v.asText());
    };
  }
}
