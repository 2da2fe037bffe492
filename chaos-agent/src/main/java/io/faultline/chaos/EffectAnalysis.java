/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.faultline.chaos.fault.FaultSpec;
import io.faultline.core.metric.MetricQueries;
import io.faultline.core.metric.PromqlResult;
import io.faultline.core.metric.QueryOptions;
import io.faultline.core.trace.TraceQueries;
import io.faultline.core.trace.TraceQuery;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compares the fault window with the equally long window just before it, from span metrics and
 * the service graph: did each fault show in the telemetry (its target's latency or errors rose,
 * its callers saw slower or failing calls, its traffic collapsed, or spans other than the agent's
 * own carry the run's {@code chaos.run} attribute), and which services and operations changed (the
 * report's blast-radius table). A window without data before the faults (a short fault, span
 * metrics not yet flushed) is unknown, never zero: it is no evidence of an effect.
 */
final class EffectAnalysis {
  /** Latency counts as changed when it grows by this factor and by at least {@link #MIN_LATENCY_DELTA}. */
  static final double LATENCY_FACTOR = 1.2;

  static final double MIN_LATENCY_DELTA = 0.005;

  /** Error ratio counts as changed when it grows by this much (absolute). */
  static final double ERROR_DELTA = 0.01;

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Whether one fault showed. */
  record Effect(String fault, String target, boolean observed, String evidence) {
    ObjectNode toJson() {
      ObjectNode o = MAPPER.createObjectNode();
      o.put("fault", fault);
      o.put("target", target);
      o.put("observed", observed);
      o.put("evidence", evidence);
      return o;
    }
  }

  /** One row of the blast-radius table. */
  record Change(String service, String operation, double latencyBefore, double latencyDuring,
      double errorsBefore, double errorsDuring) {
    ObjectNode toJson() {
      ObjectNode o = MAPPER.createObjectNode();
      o.put("service", service);
      o.put("operation", operation);
      put(o, "p95Before", latencyBefore);
      put(o, "p95During", latencyDuring);
      put(o, "errorRatioBefore", errorsBefore);
      put(o, "errorRatioDuring", errorsDuring);
      return o;
    }
  }

  private final MetricQueries metrics;
  private final TraceQueries traces;

  EffectAnalysis(MetricQueries metrics, TraceQueries traces) {
    this.metrics = metrics;
    this.traces = traces;
  }

  Effect effect(FaultSpec fault, String runId, Instant start, Instant end) {
    Duration d = window(start, end);
    String t = ProbeEvaluator.esc(fault.target());
    List<String> evidence = new ArrayList<>();
    boolean observed = false;
    String server = "service=\"" + t + "\",span_kind=\"SPAN_KIND_SERVER\"";
    double[] lat = both("histogram_quantile(0.95, sum by (le) (rate(traces_spanmetrics_latency_bucket{" + server + "}[%s])))", start, end, d);
    double[] err = both(errorRatio(server), start, end, d);
    double[] calls = both("sum(rate(traces_spanmetrics_calls_total{" + server + "}[%s]))", start, end, d);
    String edge = "server=\"" + t + "\"";
    double[] clientLat = both("histogram_quantile(0.95, sum by (le) (rate(traces_service_graph_request_client_seconds_bucket{" + edge + "}[%s])))", start, end, d);
    double[] edgeErr = both("(sum(rate(traces_service_graph_request_failed_total{" + edge + "}[%s])) or vector(0)) / sum(rate(traces_service_graph_request_total{" + edge + "}[%s]))", start, end, d);
    if (latencyUp(lat)) {
      observed = true;
      evidence.add(String.format(Locale.ROOT, "%s p95 latency %s -> %s", fault.target(), sec(lat[0]), sec(lat[1])));
    }
    if (latencyUp(clientLat)) {
      observed = true;
      evidence.add(String.format(Locale.ROOT, "callers' p95 latency to %s %s -> %s", fault.target(), sec(clientLat[0]), sec(clientLat[1])));
    }
    if (errorsUp(err)) {
      observed = true;
      evidence.add(String.format(Locale.ROOT, "%s error ratio %s -> %s", fault.target(), pct(err[0]), pct(err[1])));
    }
    if (errorsUp(edgeErr)) {
      observed = true;
      evidence.add(String.format(Locale.ROOT, "failed calls to %s %s -> %s", fault.target(), pct(edgeErr[0]), pct(edgeErr[1])));
    }
    if (calls[0] > 0 && !(calls[1] > calls[0] * 0.5)) {
      observed = true;
      evidence.add(String.format(Locale.ROOT, "%s request rate %.3g/s -> %.3g/s", fault.target(), calls[0], Double.isNaN(calls[1]) ? 0 : calls[1]));
    }
    if (traces != null) {
      List<TracesData> found = traces.findTraces(new TraceQuery(null, null, Map.of("chaos.run", runId, "chaos.fault", fault.name()),
          start.toEpochMilli() * 1000, end.toEpochMilli() * 1000, null, null, 100));
      long hits = found.stream().filter(td -> touched(td, runId, fault.name())).count();
      if (hits > 0) {
        observed = true;
        evidence.add(hits + (hits == 100 ? "+" : "") + " traces carry chaos.run=" + runId);
      }
    }
    if (!observed) {
      String seen = Double.isNaN(lat[0]) && Double.isNaN(lat[1]) && Double.isNaN(clientLat[1])
          ? "no span metrics for " + fault.target() + " in either window"
          : String.format(Locale.ROOT, "%s p95 %s -> %s, error ratio %s -> %s", fault.target(),
              sec(lat[0]), sec(lat[1]), pct(err[0]), pct(err[1]));
      evidence.add("no observable effect: " + seen);
    }
    return new Effect(fault.name(), fault.target(), observed, String.join("; ", evidence));
  }

  /**
   * Whether a trace holds a span of the fault's own doing (a proxy span, an instrumented service's
   * span) carrying the run and fault: the agent's own {@code faultline-chaos} spans, which every
   * fault has, say only that it was injected, not that it touched anything.
   */
  private static boolean touched(TracesData td, String runId, String fault) {
    for (ResourceSpans rs : td.getResourceSpansList()) {
      if (ChaosTelemetry.SERVICE.equals(ProbeEvaluator.serviceName(rs))) {
        continue;
      }
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span span : ss.getSpansList()) {
          if (runId.equals(attribute(span, "chaos.run")) && fault.equals(attribute(span, "chaos.fault"))) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private static String attribute(Span span, String key) {
    for (KeyValue kv : span.getAttributesList()) {
      if (kv.getKey().equals(key)) {
        return kv.getValue().getStringValue();
      }
    }
    return null;
  }

  /** Services and operations whose p95 latency or error ratio changed in the fault window. */
  List<Change> changes(Instant start, Instant end) {
    Duration d = window(start, end);
    Map<String, double[]> lat = new TreeMap<>();
    Map<String, double[]> err = new TreeMap<>();
    String latExpr = "histogram_quantile(0.95, sum by (service, span_name, le) (rate(traces_spanmetrics_latency_bucket{span_kind=\"SPAN_KIND_SERVER\"}[%s])))";
    String errExpr = "(sum by (service, span_name) (rate(traces_spanmetrics_calls_total{span_kind=\"SPAN_KIND_SERVER\",status_code=\"STATUS_CODE_ERROR\"}[%s]))"
        + " / sum by (service, span_name) (rate(traces_spanmetrics_calls_total{span_kind=\"SPAN_KIND_SERVER\"}[%s])))"
        + " or (0 * sum by (service, span_name) (rate(traces_spanmetrics_calls_total{span_kind=\"SPAN_KIND_SERVER\"}[%s])))";
    collect(lat, latExpr, start, 0, d);
    collect(lat, latExpr, end, 1, d);
    collect(err, errExpr, start, 0, d);
    collect(err, errExpr, end, 1, d);
    List<Change> out = new ArrayList<>();
    java.util.Set<String> keys = new java.util.TreeSet<>(lat.keySet());
    keys.addAll(err.keySet());
    for (String k : keys) {
      double[] l = lat.getOrDefault(k, new double[] {Double.NaN, Double.NaN});
      double[] e = err.getOrDefault(k, new double[] {Double.NaN, Double.NaN});
      if (latencyUp(l) || errorsUp(e) || latencyDown(l)) {
        String[] so = k.split("\u0000", 2);
        out.add(new Change(so[0], so[1], l[0], l[1], e[0], e[1]));
      }
    }
    return out;
  }

  private void collect(Map<String, double[]> into, String expr, Instant at, int slot, Duration d) {
    String w = d.toMillis() + "ms";
    PromqlResult r = metrics.instantQuery(expr.replace("%s", w), at.toEpochMilli(), QueryOptions.DEFAULTS);
    for (PromqlResult.Series s : r.series()) {
      String key = s.labels().getOrDefault("service", "") + "\u0000" + s.labels().getOrDefault("span_name", "");
      into.computeIfAbsent(key, k -> new double[] {Double.NaN, Double.NaN})[slot] =
          s.values().length == 0 ? Double.NaN : s.values()[s.values().length - 1];
    }
  }

  private static String errorRatio(String sel) {
    return "(sum(rate(traces_spanmetrics_calls_total{" + sel + ",status_code=\"STATUS_CODE_ERROR\"}[%s])) or vector(0))"
        + " / sum(rate(traces_spanmetrics_calls_total{" + sel + "}[%s]))";
  }

  /** The value before (ending at start) and during (ending at end) the window. */
  private double[] both(String expr, Instant start, Instant end, Duration d) {
    String e = expr.replace("%s", d.toMillis() + "ms");
    return new double[] {scalar(e, start), scalar(e, end)};
  }

  private double scalar(String expr, Instant at) {
    try {
      double[] v = ProbeEvaluator.values(metrics.instantQuery(expr, at.toEpochMilli(), QueryOptions.DEFAULTS));
      return v.length == 0 ? Double.NaN : v[0];
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }

  private static Duration window(Instant start, Instant end) {
    Duration d = Duration.between(start, end);
    return d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d;
  }

  /** Whether latency rose; without a value before, it is unknown, so no evidence. */
  static boolean latencyUp(double[] v) {
    return Double.isFinite(v[0]) && Double.isFinite(v[1]) && v[1] > v[0] * LATENCY_FACTOR && v[1] - v[0] >= MIN_LATENCY_DELTA;
  }

  static boolean latencyDown(double[] v) {
    return Double.isFinite(v[0]) && Double.isFinite(v[1]) && v[0] > v[1] * LATENCY_FACTOR && v[0] - v[1] >= MIN_LATENCY_DELTA;
  }

  /** Whether the error ratio rose; without a value before, it is unknown (not zero), so no evidence. */
  static boolean errorsUp(double[] v) {
    return Double.isFinite(v[0]) && Double.isFinite(v[1]) && v[1] - v[0] >= ERROR_DELTA;
  }

  private static String sec(double v) {
    return Double.isNaN(v) ? "no data" : String.format(Locale.ROOT, "%.3fs", v);
  }

  private static String pct(double v) {
    return Double.isNaN(v) ? "no data" : String.format(Locale.ROOT, "%.2f%%", v * 100);
  }

  private static void put(ObjectNode o, String k, double v) {
    if (Double.isFinite(v)) {
      o.put(k, v);
    } else {
      o.putNull(k);
    }
  }
}
