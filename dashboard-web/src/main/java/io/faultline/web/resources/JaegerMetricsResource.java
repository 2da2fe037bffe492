/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.resources;

import io.faultline.core.metric.InvalidQueryException;
import io.faultline.core.metric.MetricQueries;
import io.faultline.core.metric.MetricQueryException;
import io.faultline.core.metric.PromqlResult;
import io.faultline.core.metric.QueryOptions;
import io.faultline.web.jaeger.GoJson;
import io.faultline.web.jaeger.JaegerResponse;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jaeger's Service Performance Monitoring endpoints ({@code /api/metrics/latencies}, {@code
 * calls}, {@code errors}, {@code minstep}), as Jaeger's query service answers them to the Jaeger
 * UI's Monitor tab with its Prometheus metric store: the same parameters, defaults and error
 * messages ({@code cmd/query/app/query_parser.go}), the same PromQL ({@code
 * metricstore/prometheus/metricstore/reader.go}), evaluated by Faultline's own PromQL engine over
 * the span metrics it derives with Tempo's names ({@code traces_spanmetrics_calls_total}, {@code
 * traces_spanmetrics_latency_bucket} in seconds; labels {@code service}, {@code span_name}, {@code
 * span_kind}, {@code status_code}), and the answer as Jaeger's {@code MetricFamily} in gogo's
 * {@code jsonpb} form. Jaeger's label {@code service_name} is Faultline's {@code service}, its
 * {@code operation} Faultline's {@code span_name}; latencies are reported in milliseconds, as
 * Jaeger's UI expects.
 *
 * <p>As in Jaeger, NaN points (a quantile without observations, 0/0 error rates) are kept and
 * written {@code "NaN"}, which is what {@code jsonpb} writes for them.
 */
@Path("/api/metrics")
@Produces(MediaType.APPLICATION_JSON)
public final class JaegerMetricsResource {

  static final String CALLS = "traces_spanmetrics_calls_total";
  static final String LATENCY_BUCKETS = "traces_spanmetrics_latency_bucket";

  /** Jaeger's defaults ({@code cmd/query/app/default_params.go}), in milliseconds. */
  static final long DEFAULT_LOOKBACK_MS = 3_600_000;

  static final long DEFAULT_STEP_MS = 5_000;
  static final long DEFAULT_RATE_PER_MS = 600_000;

  /** The Prometheus reader's minimum step: 1 ms. */
  static final long MIN_STEP_MS = 1;

  private static final Map<String, String> SPAN_KINDS =
      Map.of(
          "unspecified", "SPAN_KIND_UNSPECIFIED",
          "internal", "SPAN_KIND_INTERNAL",
          "server", "SPAN_KIND_SERVER",
          "client", "SPAN_KIND_CLIENT",
          "producer", "SPAN_KIND_PRODUCER",
          "consumer", "SPAN_KIND_CONSUMER");

  private static final Pattern GO_INT = Pattern.compile("[+-]?[0-9]+");
  private static final Pattern GO_FLOAT =
      Pattern.compile("[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final Logger LOG = LoggerFactory.getLogger(JaegerMetricsResource.class);

  private final MetricQueries queries;
  private final Clock clock;

  public JaegerMetricsResource(MetricQueries queries, Clock clock) {
    this.queries = Objects.requireNonNull(queries, "queries");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @GET
  @Path("/latencies")
  public Response latencies(@Context UriInfo uri) {
    MultivaluedMap<String, String> query = uri.getQueryParameters();
    String raw = query.getFirst("quantile");
    double quantile;
    try {
      quantile = parseFloat(raw == null ? "" : raw);
    } catch (BadParam e) {
      return JaegerQueryResource.badRequest(parseError("quantile", e.getMessage()));
    }
    if (!(quantile > 0 && quantile <= 1)) {
      // Jaeger passes any float on to histogram_quantile; a quantile outside (0, 1] only makes
      // +Inf/-Inf points there, so Faultline refuses it up front.
      return JaegerQueryResource.badRequest(
          parseError("quantile", "quantile must be greater than 0 and at most 1, got " + raw));
    }
    Params p;
    try {
      p = Params.parse(query, clock.millis());
    } catch (BadParam e) {
      return JaegerQueryResource.badRequest(e.getMessage());
    }
    String q = goFixed2(quantile);
    Family family =
        p.family("service_latencies", q + "th quantile latency, grouped by service");
    String expr =
        "histogram_quantile(" + q + ", " + p.sumRate(LATENCY_BUCKETS, p.filter(), p.groupBy() + ",le") + ")";
    try {
      // seconds in Faultline's buckets, milliseconds in Jaeger's answer
      return ok(family.render(run(expr, p), v -> v * 1000));
    } catch (Failure e) {
      return failed(e.getMessage(), e);
    }
  }

  @GET
  @Path("/calls")
  public Response calls(@Context UriInfo uri) {
    Params p;
    try {
      p = Params.parse(uri.getQueryParameters(), clock.millis());
    } catch (BadParam e) {
      return JaegerQueryResource.badRequest(e.getMessage());
    }
    try {
      return ok(callRates(p).render(run(callsExpr(p), p), Function.identity()));
    } catch (Failure e) {
      return failed(e.getMessage(), e);
    }
  }

  @GET
  @Path("/errors")
  public Response errors(@Context UriInfo uri) {
    Params p;
    try {
      p = Params.parse(uri.getQueryParameters(), clock.millis());
    } catch (BadParam e) {
      return JaegerQueryResource.badRequest(e.getMessage());
    }
    Family family =
        p.family(
            "service_error_rate",
            "error rate, computed as a fraction of errors/sec over calls/sec, grouped by service");
    String errorCalls =
        p.sumRate(CALLS, p.filter("status_code = \"STATUS_CODE_ERROR\""), p.groupBy());
    List<PromqlResult.Series> errorSeries;
    try {
      errorSeries = run(errorCalls + " / " + callsExpr(p), p);
    } catch (Failure e) {
      return failed("failed getting error metrics: " + e.getMessage(), e);
    }
    if (!errorSeries.isEmpty()) {
      return ok(family.render(errorSeries, Function.identity()));
    }
    // No error series: without calls there is nothing to show; with calls, the error rate is 0.
    List<PromqlResult.Series> callSeries;
    try {
      callSeries = run(callsExpr(p), p);
    } catch (Failure e) {
      return failed("failed getting call metrics: " + e.getMessage(), e);
    }
    return ok(family.render(callSeries, v -> 0.0));
  }

  /** {@code {"data":1,...}}: the smallest step the store supports, in milliseconds. */
  @GET
  @Path("/minstep")
  public Response minStep() {
    return Response.ok(JaegerResponse.of(MIN_STEP_MS), MediaType.APPLICATION_JSON_TYPE).build();
  }

  private static Family callRates(Params p) {
    return p.family("service_call_rate", "calls/sec, grouped by service");
  }

  private static String callsExpr(Params p) {
    return p.sumRate(CALLS, p.filter(), p.groupBy());
  }

  private List<PromqlResult.Series> run(String expr, Params p) throws Failure {
    try {
      return queries
          .rangeQuery(expr, p.endMs - p.lookbackMs, p.endMs, p.stepMs, QueryOptions.DEFAULTS)
          .series();
    } catch (MetricQueryException e) {
      // what Prometheus' Go client reports: "<errorType>: <message>"
      throw new Failure(
          "failed executing metrics query: " + e.errorType() + ": " + e.getMessage(),
          e,
          e instanceof InvalidQueryException);
    } catch (RuntimeException e) {
      throw new Failure(
          "failed executing metrics query: "
              + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : ": " + e.getMessage()),
          e,
          false);
    }
  }

  private static Response ok(String json) {
    return Response.ok(json, MediaType.APPLICATION_JSON_TYPE).build();
  }

  /**
   * Jaeger answers every store failure with a 500; a query the engine refuses as {@code bad_data}
   * (a service name that is no regex, too many points) is the request's mistake, so it gets a 400.
   */
  private static Response failed(String message, Failure failure) {
    if (failure.badRequest) {
      return JaegerQueryResource.badRequest(message);
    }
    LOG.error("HTTP handler, Internal Server Error: {}", message, failure.getCause());
    return JaegerQueryResource.error(Response.Status.INTERNAL_SERVER_ERROR, message);
  }

  // ---- parameters (Jaeger's parseMetricsQueryParams) ----

  /** Parsed base query parameters; durations and times in milliseconds. */
  record Params(
      List<String> services,
      boolean groupByOperation,
      List<String> spanKinds,
      long endMs,
      long lookbackMs,
      long stepMs,
      long ratePerMs) {

    static Params parse(MultivaluedMap<String, String> query, long nowMs) throws BadParam {
      List<String> services = query.get("service");
      if (services == null) {
        throw new BadParam(parseError("service", "please provide at least one service name"));
      }
      boolean groupByOperation = false;
      String group = first(query, "groupByOperation");
      if (!group.isEmpty()) {
        groupByOperation = parseBool("groupByOperation", group);
      }
      List<String> kinds = List.of("SPAN_KIND_SERVER");
      List<String> given = query.get("spanKind");
      if (given != null) {
        List<String> mapped = new ArrayList<>();
        for (String kind : given) {
          String otel = SPAN_KINDS.get(kind);
          if (otel == null) {
            throw new BadParam(parseError("spanKind", "unsupported span kind: '" + kind + "'"));
          }
          mapped.add(otel);
        }
        kinds = List.copyOf(mapped);
      }
      long end = millis(query, "endTs", nowMs);
      long lookback = millis(query, "lookback", DEFAULT_LOOKBACK_MS);
      long step = positive("step", millis(query, "step", DEFAULT_STEP_MS));
      long ratePer = positive("ratePer", millis(query, "ratePer", DEFAULT_RATE_PER_MS));
      if (ratePer > Long.MAX_VALUE / 1_000_000) {
        // the rate window is written as a Go duration, int64 nanoseconds
        throw new BadParam(
            parseError(
                "ratePer",
                "must be at most " + Long.MAX_VALUE / 1_000_000 + " milliseconds, got " + ratePer));
      }
      if (lookback < 0) {
        throw new BadParam(parseError("lookback", "must not be negative, got " + lookback));
      }
      return new Params(
          List.copyOf(services), groupByOperation, kinds, end, lookback, step, ratePer);
    }

    /** Jaeger's name, with {@code service} replaced by {@code service_operation} when grouped. */
    Family family(String name, String help) {
      return groupByOperation
          ? new Family(name.replaceFirst("service", "service_operation"), help + " & operation")
          : new Family(name, help);
    }

    /** Jaeger's {@code sum(rate(metric{filter}[ratePer])) by (groups)}. */
    String sumRate(String metric, String filter, String groups) {
      return "sum(rate(" + metric + "{" + filter + "}[" + rate() + "])) by (" + groups + ")";
    }

    String groupBy() {
      return groupByOperation ? "service,span_name" : "service";
    }

    String filter(String... extra) {
      StringBuilder f =
          new StringBuilder("service =~ \"").append(escape(String.join("|", services))).append('"');
      for (String e : extra) {
        f.append(", ").append(e);
      }
      f.append(", span_kind =~ \"").append(String.join("|", spanKinds)).append('"');
      return f.toString();
    }

    /** Jaeger's {@code promqlDurationString}: Go's {@code Duration.String()} up to its first unit. */
    String rate() {
      String go = goDuration(ratePerMs * 1_000_000L);
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < go.length(); i++) {
        char c = go.charAt(i);
        out.append(c);
        if (Character.isLetter(c)) {
          break;
        }
      }
      return out.toString();
    }
  }

  /** The first value, or "" (Go's {@code url.Values.Get}). */
  private static String first(MultivaluedMap<String, String> query, String name) {
    String v = query.getFirst(name);
    return v == null ? "" : v;
  }

  /**
   * A step or rate window of at least a millisecond. Jaeger passes a zero or negative one on to
   * Prometheus and answers its refusal with a 500; it is the request's mistake, so it gets a 400.
   */
  private static long positive(String name, long ms) throws BadParam {
    if (ms <= 0) {
      throw new BadParam(parseError(name, "must be a positive number of milliseconds, got " + ms));
    }
    return ms;
  }

  /** A time or duration in milliseconds, read as Go's {@code strconv.ParseInt} reads it. */
  private static long millis(MultivaluedMap<String, String> query, String name, long dflt)
      throws BadParam {
    String v = first(query, name);
    if (v.isEmpty()) {
      return dflt;
    }
    if (!GO_INT.matcher(v).matches()) {
      throw new BadParam(
          parseError(name, "strconv.ParseInt: parsing " + goQuote(v) + ": invalid syntax"));
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new BadParam(
          parseError(name, "strconv.ParseInt: parsing " + goQuote(v) + ": value out of range"));
    }
  }

  private static boolean parseBool(String name, String v) throws BadParam {
    return switch (v) {
      case "1", "t", "T", "TRUE", "true", "True" -> true;
      case "0", "f", "F", "FALSE", "false", "False" -> false;
      default ->
          throw new BadParam(
              parseError(name, "strconv.ParseBool: parsing " + goQuote(v) + ": invalid syntax"));
    };
  }

  /** Decimal floats as Go's {@code strconv.ParseFloat} reads them (no hex, inf or NaN). */
  private static double parseFloat(String v) throws BadParam {
    if (!GO_FLOAT.matcher(v).matches()) {
      throw new BadParam("strconv.ParseFloat: parsing " + goQuote(v) + ": invalid syntax");
    }
    double d = Double.parseDouble(v);
    if (Double.isInfinite(d)) {
      throw new BadParam("strconv.ParseFloat: parsing " + goQuote(v) + ": value out of range");
    }
    return d;
  }

  static String parseError(String param, String message) {
    return "unable to parse param '" + param + "': " + message;
  }

  /** Go's {@code fmt.Sprintf("%.2f", q)}: the exact binary value rounded half to even. */
  static String goFixed2(double q) {
    return new BigDecimal(q).setScale(2, RoundingMode.HALF_EVEN).toPlainString();
  }

  /** Go's {@code time.Duration.String()}. */
  static String goDuration(long nanos) {
    if (nanos == 0) {
      return "0s";
    }
    boolean negative = nanos < 0;
    // unsigned magnitude, as Go computes it (Long.MIN_VALUE stays its own magnitude)
    long u = negative ? -nanos : nanos;
    StringBuilder out = new StringBuilder();
    if (Long.compareUnsigned(u, 1_000_000_000L) < 0) {
      if (u < 1_000L) {
        out.append(u).append("ns");
      } else if (u < 1_000_000L) {
        out.append(fraction(u, 1_000L)).append("µs");
      } else {
        out.append(fraction(u, 1_000_000L)).append("ms");
      }
    } else {
      long seconds = Long.divideUnsigned(u, 1_000_000_000L);
      long subNanos = Long.remainderUnsigned(u, 1_000_000_000L);
      long hours = seconds / 3600;
      long minutes = (seconds / 60) % 60;
      String secs = fraction((seconds % 60) * 1_000_000_000L + subNanos, 1_000_000_000L);
      if (hours > 0) {
        out.append(hours).append('h');
      }
      if (hours > 0 || minutes > 0) {
        out.append(minutes).append('m');
      }
      out.append(secs).append('s');
    }
    return negative ? "-" + out : out.toString();
  }

  private static String fraction(long value, long unit) {
    BigDecimal d = BigDecimal.valueOf(value).divide(BigDecimal.valueOf(unit));
    return d.stripTrailingZeros().toPlainString();
  }

  /** Go's {@code strconv.Quote} for the text a request can carry. */
  static String goQuote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            out.append(String.format("\\x%02x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  /**
   * A PromQL string literal's content. Jaeger puts service names into the regex unescaped, so a
   * quote or backslash breaks its query; here they stay literal characters of the regex.
   */
  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  // ---- the answer (Jaeger's MetricFamily as gogo jsonpb writes it) ----

  record Family(String name, String help) {

    /** {@code {"name":...,"type":"GAUGE","help":...,"metrics":[...]}}. */
    String render(List<PromqlResult.Series> series, Function<Double, Double> value) {
      StringBuilder out = new StringBuilder(256);
      out.append("{\"name\":");
      GoJson.appendString(out, name);
      out.append(",\"type\":\"GAUGE\",\"help\":");
      GoJson.appendString(out, help);
      out.append(",\"metrics\":[");
      for (int i = 0; i < series.size(); i++) {
        PromqlResult.Series s = series.get(i);
        if (i > 0) {
          out.append(',');
        }
        out.append("{\"labels\":[");
        boolean first = true;
        for (String[] label :
            List.of(new String[] {"service", "service_name"}, new String[] {"span_name", "operation"})) {
          String v = s.labels().get(label[0]);
          if (v == null) {
            continue;
          }
          if (!first) {
            out.append(',');
          }
          first = false;
          out.append("{\"name\":\"").append(label[1]).append("\",\"value\":");
          GoJson.appendString(out, v);
          out.append('}');
        }
        out.append("],\"metricPoints\":[");
        long[] t = s.timestampsMs();
        double[] v = s.values();
        for (int j = 0; j < t.length; j++) {
          if (j > 0) {
            out.append(',');
          }
          out.append("{\"gaugeValue\":{\"doubleValue\":");
          GoJson.appendDouble(out, value.apply(v[j]));
          out.append("},\"timestamp\":\"").append(timestamp(t[j])).append("\"}");
        }
        out.append("]}");
      }
      return out.append("]}").toString();
    }
  }

  /** jsonpb's {@code google.protobuf.Timestamp}: RFC 3339 in UTC, 0, 3, 6 or 9 fraction digits. */
  static String timestamp(long ms) {
    Instant t = Instant.ofEpochMilli(ms);
    String s = SECONDS.format(t);
    long millis = Math.floorMod(ms, 1000L);
    return millis == 0 ? s + "Z" : s + String.format(".%03dZ", millis);
  }

  /** A parameter Jaeger rejects; the message is Jaeger's. */
  private static final class BadParam extends Exception {
    BadParam(String message) {
      super(message, null, false, false);
    }
  }

  /** A query the store could not answer; the message is what Jaeger reports. */
  private static final class Failure extends Exception {
    final boolean badRequest;

    Failure(String message, Throwable cause, boolean badRequest) {
      super(message, cause, false, false);
      this.badRequest = badRequest;
    }
  }
}
