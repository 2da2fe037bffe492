/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import io.faultline.chaos.experiment.Probe;
import io.faultline.chaos.experiment.Durations;
import io.faultline.chaos.experiment.Tolerance;
import io.faultline.core.alert.AlertStatus;
import io.faultline.core.metric.MetricQueries;
import io.faultline.core.metric.MetricQueryException;
import io.faultline.core.metric.PromqlResult;
import io.faultline.core.metric.QueryOptions;
import io.faultline.core.trace.TraceQueries;
import io.faultline.core.trace.TraceQuery;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * Evaluates probes against Faultline's own telemetry: PromQL through {@link MetricQueries}, trace
 * checks from span metrics (falling back to trace search), HTTP checks with the JDK client, alert
 * and SLO burn-rate conditions through {@link AlertStatus}. Never
 * throws for a bad query or an unreachable URL: the result is not ok and says why.
 */
final class ProbeEvaluator {
  static final int TRACE_SEARCH_LIMIT = 2_000;

  static final String ALERTING_NOT_CONFIGURED = "alerting not configured";

  private final MetricQueries metrics;
  private final TraceQueries traces;
  private final HttpClient http;
  private final AlertStatus alerts;
  private final boolean alertsConfigured;

  ProbeEvaluator(MetricQueries metrics, TraceQueries traces, HttpClient http) {
    this(metrics, traces, http, AlertStatus.none(), false);
  }

  /**
   * @param alertsConfigured false when {@code alerts} is only {@link AlertStatus#none()}, so alert
   *     and burn-rate conditions say why they can never halt
   */
  ProbeEvaluator(MetricQueries metrics, TraceQueries traces, HttpClient http, AlertStatus alerts,
      boolean alertsConfigured) {
    this.metrics = metrics;
    this.traces = traces;
    this.http = http;
    this.alerts = alerts;
    this.alertsConfigured = alertsConfigured;
  }

  boolean alertsConfigured() {
    return alertsConfigured;
  }

  AlertStatus alerts() {
    return alerts;
  }

  /**
   * @param halt whether the probe is a halt condition: a PromQL halt condition without tolerance
   *     is breached when its query returns anything, and a condition with no data is not breached
   */
  ProbeResult evaluate(Probe probe, Instant at, boolean halt) {
    try {
      return switch (probe.kind()) {
        case PROMQL -> promql(probe, at, halt);
        case TRACE -> trace(probe, at, halt);
        case HTTP -> http(probe, at);
        case ALERT -> alert(probe, at);
        case SLO_BURN_RATE -> burnRate(probe, at);
      };
    } catch (MetricQueryException e) {
      return ProbeResult.unevaluated(probe.name(), at, "query failed (" + e.errorType() + "): " + e.getMessage());
    } catch (RuntimeException e) {
      return ProbeResult.unevaluated(probe.name(), at, "could not evaluate: " + e);
    }
  }

  /**
   * Why the probe's PromQL (its own query, or the one a trace probe derives) does not parse, or
   * null; asks the metric store, without evaluating anything.
   */
  String syntaxProblem(Probe probe) {
    String expr = probe.kind() == Probe.Kind.PROMQL ? probe.query() : null;
    if (expr == null) {
      return null;
    }
    try {
      metrics.validate(expr);
      return null;
    } catch (MetricQueryException e) {
      return e.getMessage();
    }
  }

  /** The PromQL expression whose value a probe judges, for charts; null for HTTP probes. */
  static String promqlFor(Probe probe) {
    return switch (probe.kind()) {
      case PROMQL -> probe.query();
      case TRACE -> traceExpr(probe.trace());
      case HTTP, ALERT, SLO_BURN_RATE -> null;
    };
  }

  private ProbeResult alert(Probe probe, Instant at) {
    Probe.AlertCheck a = probe.alert();
    String what = "alert " + a.alert() + (a.labels().isEmpty() ? "" : new java.util.TreeMap<>(a.labels()).toString());
    if (!alertsConfigured) {
      return new ProbeResult(probe.name(), at, Double.NaN, true, ALERTING_NOT_CONFIGURED + ": " + what + " cannot halt");
    }
    boolean firing = alerts.isFiring(a.alert(), a.labels());
    return new ProbeResult(probe.name(), at, firing ? 1 : 0, !firing, what + (firing ? " is firing" : " is not firing"));
  }

  private ProbeResult burnRate(Probe probe, Instant at) {
    Probe.BurnRateCheck b = probe.burnRate();
    String what = "SLO " + b.slo() + " burn rate over " + Durations.format(b.window());
    if (!alertsConfigured) {
      return new ProbeResult(probe.name(), at, Double.NaN, true, ALERTING_NOT_CONFIGURED + ": " + what + " cannot halt");
    }
    OptionalDouble rate = alerts.burnRate(b.slo(), b.window());
    if (rate.isEmpty()) {
      String why = alerts.sloNames().contains(b.slo()) ? "no traffic in the window"
          : "unknown SLO (declared: " + String.join(", ", new java.util.TreeSet<>(alerts.sloNames())) + ") or no traffic";
      return new ProbeResult(probe.name(), at, Double.NaN, true, what + ": no data (" + why + "): cannot tell, not halting");
    }
    double v = rate.getAsDouble();
    boolean breached = v > b.above();
    return new ProbeResult(probe.name(), at, v, !breached,
        what + " = " + fmt(v) + (breached ? " above " : " not above ") + fmt(b.above()));
  }

  private ProbeResult promql(Probe probe, Instant at, boolean halt) {
    PromqlResult r = metrics.instantQuery(probe.query(), at.toEpochMilli(), QueryOptions.DEFAULTS);
    double[] values = values(r);
    Tolerance t = probe.tolerance();
    if (t == null) {
      if (values.length == 0) {
        return new ProbeResult(probe.name(), at, Double.NaN, true, "no series: condition not met");
      }
      return new ProbeResult(probe.name(), at, values[0], false,
          values.length + " series matched, first value " + fmt(values[0]));
    }
    return judge(probe.name(), at, values, t, halt);
  }

  private ProbeResult trace(Probe probe, Instant at, boolean halt) {
    Probe.TraceCheck tc = probe.trace();
    double[] values = values(metrics.instantQuery(traceExpr(tc), at.toEpochMilli(), QueryOptions.DEFAULTS));
    String source = "span metrics";
    if ((values.length == 0 || Double.isNaN(values[0])) && traces != null) {
      double v = fromTraceSearch(tc, at);
      values = Double.isNaN(v) ? new double[0] : new double[] {v};
      source = "trace search";
    }
    ProbeResult r = judge(probe.name(), at, values, probe.tolerance(), halt);
    return new ProbeResult(r.name(), r.at(), r.value(), r.ok(), r.detail() + " (from " + source + ")");
  }

  private ProbeResult http(Probe probe, Instant at) {
    Probe.HttpCheck h = probe.http();
    HttpRequest request =
        HttpRequest.newBuilder(h.url()).timeout(h.timeout())
            .method(h.method(), HttpRequest.BodyPublishers.noBody()).build();
    long start = System.nanoTime();
    try {
      HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
      double seconds = (System.nanoTime() - start) / 1e9;
      int status = response.statusCode();
      boolean statusOk = h.expectStatus() == 0 ? status / 100 == 2 : status == h.expectStatus();
      if (!statusOk) {
        return new ProbeResult(probe.name(), at, seconds, false, "HTTP " + status + " from " + h.url()
            + ", expected " + (h.expectStatus() == 0 ? "2xx" : h.expectStatus()));
      }
      if (probe.tolerance() != null && !probe.tolerance().accepts(seconds)) {
        return new ProbeResult(probe.name(), at, seconds, false,
            "answered in " + fmt(seconds) + "s, outside " + probe.tolerance().describe());
      }
      return new ProbeResult(probe.name(), at, seconds, true, "HTTP " + status + " in " + fmt(seconds) + "s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new ProbeResult(probe.name(), at, Double.NaN, false, "interrupted");
    } catch (java.io.IOException e) {
      return new ProbeResult(probe.name(), at, Double.NaN, false, h.url() + " unreachable: " + e);
    }
  }

  private static ProbeResult judge(String name, Instant at, double[] values, Tolerance t, boolean halt) {
    if (values.length == 0 || Arrays.stream(values).allMatch(Double::isNaN)) {
      return new ProbeResult(name, at, Double.NaN, halt,
          halt ? "no data: cannot tell, not halting" : "no data: the query returned no value");
    }
    double worst = Double.NaN;
    double worstDistance = Double.NEGATIVE_INFINITY;
    for (double v : values) {
      if (Double.isNaN(v)) {
        continue;
      }
      double d = distance(v, t);
      if (d > worstDistance) {
        worstDistance = d;
        worst = v;
      }
    }
    boolean ok = t.accepts(worst);
    String detail = fmt(worst) + (ok ? " within " : " outside ") + t.describe()
        + (values.length > 1 ? " (worst of " + values.length + " series)" : "");
    return new ProbeResult(name, at, worst, ok, detail);
  }

  /** How far outside (positive) or inside (negative) the tolerance a value is. */
  private static double distance(double v, Tolerance t) {
    double d = Double.NEGATIVE_INFINITY;
    if (t.max() != null) {
      d = Math.max(d, v - t.max());
    }
    if (t.min() != null) {
      d = Math.max(d, t.min() - v);
    }
    return d;
  }

  static double[] values(PromqlResult r) {
    return switch (r.type()) {
      case SCALAR -> new double[] {r.scalar()};
      case VECTOR, MATRIX -> r.series().stream()
          .mapToDouble(s -> s.values().length == 0 ? Double.NaN : s.values()[s.values().length - 1])
          .toArray();
      case STRING -> new double[0];
    };
  }

  static String traceExpr(Probe.TraceCheck tc) {
    String sel = "service=\"" + esc(tc.service()) + "\",span_kind=\"SPAN_KIND_SERVER\""
        + (tc.operation() == null ? "" : ",span_name=\"" + esc(tc.operation()) + "\"");
    String w = tc.window().toMillis() + "ms";
    if (tc.measure() == Probe.Measure.ERROR_RATIO) {
      return "(sum(rate(traces_spanmetrics_calls_total{" + sel + ",status_code=\"STATUS_CODE_ERROR\"}[" + w
          + "])) or vector(0)) / sum(rate(traces_spanmetrics_calls_total{" + sel + "}[" + w + "]))";
    }
    return "histogram_quantile(" + tc.percentile() + ", sum by (le) (rate(traces_spanmetrics_latency_bucket{"
        + sel + "}[" + w + "])))";
  }

  private double fromTraceSearch(Probe.TraceCheck tc, Instant at) {
    long end = at.toEpochMilli() * 1000;
    long start = end - tc.window().toMillis() * 1000;
    List<TracesData> found =
        traces.findTraces(new TraceQuery(tc.service(), tc.operation(), java.util.Map.of(), start, end, null, null, TRACE_SEARCH_LIMIT));
    List<Double> durations = new ArrayList<>();
    int errors = 0;
    Set<String> seen = new HashSet<>();
    for (TracesData td : found) {
      for (ResourceSpans rs : td.getResourceSpansList()) {
        if (!tc.service().equals(serviceName(rs))) {
          continue;
        }
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          for (Span s : ss.getSpansList()) {
            long startMicros = s.getStartTimeUnixNano() / 1000;
            if (s.getKind() != Span.SpanKind.SPAN_KIND_SERVER
                || (tc.operation() != null && !tc.operation().equals(s.getName()))
                || startMicros < start || startMicros > end
                || !seen.add(s.getSpanId().toStringUtf8() + s.getTraceId().toStringUtf8())) {
              continue;
            }
            durations.add((s.getEndTimeUnixNano() - s.getStartTimeUnixNano()) / 1e9);
            if (s.getStatus().getCode() == Status.StatusCode.STATUS_CODE_ERROR) {
              errors++;
            }
          }
        }
      }
    }
    if (durations.isEmpty()) {
      return Double.NaN;
    }
    if (tc.measure() == Probe.Measure.ERROR_RATIO) {
      return (double) errors / durations.size();
    }
    durations.sort(Double::compare);
    int idx = (int) Math.ceil(tc.percentile() * durations.size()) - 1;
    return durations.get(Math.max(0, Math.min(durations.size() - 1, idx)));
  }

  static String serviceName(ResourceSpans rs) {
    for (KeyValue kv : rs.getResource().getAttributesList()) {
      if (kv.getKey().equals("service.name")) {
        return kv.getValue().getStringValue();
      }
    }
    return "";
  }

  static String esc(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  static String fmt(double v) {
    if (Double.isNaN(v)) {
      return "no data";
    }
    return String.format(Locale.ROOT, "%.4g", v);
  }

  static Duration positive(Duration d) {
    return d.isNegative() || d.isZero() ? Duration.ofSeconds(1) : d;
  }
}
