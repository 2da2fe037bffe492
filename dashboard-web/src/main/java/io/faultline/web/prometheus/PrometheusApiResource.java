/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.prometheus;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.faultline.core.metric.InvalidQueryException;
import io.faultline.core.metric.MetricMetadata;
import io.faultline.core.metric.MetricQueries;
import io.faultline.core.metric.MetricQueryException;
import io.faultline.core.metric.PromqlResult;
import io.faultline.core.metric.QueryOptions;
import io.faultline.web.GoForm;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.core.UriInfo;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prometheus' HTTP API ({@code /api/v1/...}) over {@link MetricQueries}, for Grafana's Prometheus
 * data source, {@code promtool query} and any Prometheus API client. Parameters, defaults, the
 * envelope ({@code {"status":"success","data":...}} with {@code warnings} and {@code infos}),
 * error types and messages follow Prometheus 3's {@code web/api/v1}: {@code bad_data} 400, {@code
 * execution} 422, {@code timeout} 503, {@code internal} 500. Queries and label lookups take GET
 * query parameters or a POST form (its values win over the URL's, as in Go's {@code FormValue}).
 *
 * <p>Stateless apart from the store; safe for concurrent requests.
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
public final class PrometheusApiResource {

  /** Prometheus' cap on points per series of a range query. */
  static final long MAX_POINTS_PER_SERIES = 11_000;

  /** The Prometheus version whose API and PromQL this one answers like. */
  static final String COMPATIBLE_VERSION = "3.0.0";

  private static final JsonFactory JSON = new JsonFactory();
  private static final Logger LOG = LoggerFactory.getLogger(PrometheusApiResource.class);

  private final MetricQueries queries;
  private final Clock clock;
  private final String faultlineVersion;
  private final Instant started;

  /**
   * @param faultlineVersion reported in {@code buildinfo}'s revision, e.g. {@code 0.1.0}
   */
  public PrometheusApiResource(MetricQueries queries, Clock clock, String faultlineVersion) {
    this.queries = Objects.requireNonNull(queries, "queries");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.faultlineVersion = Objects.requireNonNull(faultlineVersion, "faultlineVersion");
    this.started = clock.instant();
  }

  // ---- queries ----

  @GET
  @Path("/query")
  public Response query(@Context UriInfo uri) {
    return query(new Params(uri, null));
  }

  @POST
  @Path("/query")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public Response queryPost(@Context UriInfo uri, MultivaluedMap<String, String> form) {
    return query(new Params(uri, form));
  }

  @GET
  @Path("/query_range")
  public Response queryRange(@Context UriInfo uri) {
    return queryRange(new Params(uri, null));
  }

  @POST
  @Path("/query_range")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public Response queryRangePost(@Context UriInfo uri, MultivaluedMap<String, String> form) {
    return queryRange(new Params(uri, form));
  }

  private Response query(Params p) {
    long time;
    QueryOptions options;
    try {
      time = p.time("time", clock.millis());
      options = options(p);
    } catch (Invalid e) {
      return e.response;
    }
    String expr = p.value("query");
    return evaluate(() -> queries.instantQuery(expr == null ? "" : expr, time, options));
  }

  private Response queryRange(Params p) {
    long start;
    long end;
    long step;
    QueryOptions options;
    try {
      start = p.requiredTime("start");
      end = p.requiredTime("end");
      if (end < start) {
        throw p.invalid("end", "end timestamp must not be before start time");
      }
      step = p.duration("step");
      if (step <= 0) {
        throw p.invalid(
            "step",
            "zero or negative query resolution step widths are not accepted. Try a positive"
                + " integer");
      }
      if ((end - start) / step > MAX_POINTS_PER_SERIES) {
        throw new Invalid(
            error(
                "bad_data",
                400,
                "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the"
                    + " query resolution (?step=XX)"));
      }
      options = options(p);
    } catch (Invalid e) {
      return e.response;
    }
    String expr = p.value("query");
    return evaluate(
        () -> queries.rangeQuery(expr == null ? "" : expr, start, end, step, options));
  }

  private QueryOptions options(Params p) throws Invalid {
    Duration timeout = p.positiveDuration("timeout");
    Duration lookback = p.positiveDuration("lookback_delta");
    return new QueryOptions(timeout, lookback, p.limit());
  }

  private Response evaluate(java.util.function.Supplier<PromqlResult> run) {
    PromqlResult result;
    try {
      result = run.get();
    } catch (InvalidQueryException e) {
      return error(e.errorType(), e.httpStatus(), "invalid parameter \"query\": " + e.getMessage());
    } catch (MetricQueryException e) {
      return error(e.errorType(), e.httpStatus(), e.getMessage());
    } catch (RuntimeException e) {
      return internal(e);
    }
    return success(g -> writeResult(g, result), result.warnings(), result.infos());
  }

  /**
   * Faultline keeps no exemplars, so the answer is always empty; but a query that does not parse,
   * or a bad time, gets the same 400 as Prometheus gives (Grafana shows it to the user).
   */
  @GET
  @Path("/query_exemplars")
  public Response queryExemplars(@Context UriInfo uri) {
    return queryExemplars(new Params(uri, null));
  }

  @POST
  @Path("/query_exemplars")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public Response queryExemplarsPost(@Context UriInfo uri, MultivaluedMap<String, String> form) {
    return queryExemplars(new Params(uri, form));
  }

  private Response queryExemplars(Params p) {
    try {
      p.lookupScope();
      queries.validate(p.value("query"));
    } catch (Invalid e) {
      return e.response;
    } catch (InvalidQueryException e) {
      return error(e.errorType(), e.httpStatus(), "invalid parameter \"query\": " + e.getMessage());
    }
    return success(
        g -> {
          g.writeStartArray();
          g.writeEndArray();
        },
        List.of(),
        List.of());
  }

  // ---- series and labels ----

  @GET
  @Path("/series")
  public Response series(@Context UriInfo uri) {
    return series(new Params(uri, null));
  }

  @POST
  @Path("/series")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public Response seriesPost(@Context UriInfo uri, MultivaluedMap<String, String> form) {
    return series(new Params(uri, form));
  }

  private Response series(Params p) {
    List<String> match = p.values("match[]");
    if (match.isEmpty()) {
      return error("bad_data", 400, "no match[] parameter provided");
    }
    LookupScope scope;
    try {
      scope = p.lookupScope();
    } catch (Invalid e) {
      return e.response;
    }
    return lookup(
        () -> queries.series(match, scope.start(), scope.end(), ask(scope.limit())),
        scope.limit(),
        (g, list) -> {
          g.writeStartArray();
          for (Map<String, String> labels : list) {
            writeLabels(g, labels);
          }
          g.writeEndArray();
        });
  }

  @GET
  @Path("/labels")
  public Response labels(@Context UriInfo uri) {
    return labels(new Params(uri, null));
  }

  @POST
  @Path("/labels")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public Response labelsPost(@Context UriInfo uri, MultivaluedMap<String, String> form) {
    return labels(new Params(uri, form));
  }

  private Response labels(Params p) {
    LookupScope scope;
    try {
      scope = p.lookupScope();
    } catch (Invalid e) {
      return e.response;
    }
    List<String> match = p.values("match[]");
    return lookup(
        () -> queries.labelNames(match, scope.start(), scope.end(), ask(scope.limit())),
        scope.limit(),
        PrometheusApiResource::writeStrings);
  }

  @GET
  @Path("/label/{name}/values")
  public Response labelValues(@PathParam("name") String rawName, @Context UriInfo uri) {
    Params p = new Params(uri, null);
    String name = PromParams.unescapeLabelName(rawName);
    if (name.isEmpty()) {
      return error("bad_data", 400, "invalid label name: \"" + rawName + "\"");
    }
    LookupScope scope;
    try {
      scope = p.lookupScope();
    } catch (Invalid e) {
      return e.response;
    }
    List<String> match = p.values("match[]");
    return lookup(
        () -> queries.labelValues(name, match, scope.start(), scope.end(), ask(scope.limit())),
        scope.limit(),
        PrometheusApiResource::writeStrings);
  }

  @GET
  @Path("/metadata")
  public Response metadata(@Context UriInfo uri) {
    Params p = new Params(uri, null);
    int limit;
    int perMetric;
    try {
      limit = metadataLimit(p.value("limit"), "limit must be a number");
      perMetric = metadataLimit(p.value("limit_per_metric"), "limit_per_metric must be a number");
    } catch (Invalid e) {
      return e.response;
    }
    String metric = p.value("metric");
    if (limit == 0) {
      return success(
          g -> {
            g.writeStartObject();
            g.writeEndObject();
          },
          List.of(),
          List.of());
    }
    Map<String, List<MetricMetadata>> data;
    try {
      data =
          queries.metadata(
              metric == null || metric.isEmpty() ? null : metric,
              Math.max(limit, 0),
              Math.max(perMetric, 0));
    } catch (MetricQueryException e) {
      return error(e.errorType(), e.httpStatus(), e.getMessage());
    } catch (RuntimeException e) {
      return internal(e);
    }
    return success(
        g -> {
          g.writeStartObject();
          for (Map.Entry<String, List<MetricMetadata>> e : data.entrySet()) {
            g.writeArrayFieldStart(e.getKey());
            for (MetricMetadata m : e.getValue()) {
              g.writeStartObject();
              g.writeStringField("type", m.type());
              g.writeStringField("help", m.help());
              g.writeStringField("unit", m.unit());
              g.writeEndObject();
            }
            g.writeEndArray();
          }
          g.writeEndObject();
        },
        List.of(),
        List.of());
  }

  // ---- status ----

  @GET
  @Path("/status/buildinfo")
  public Response buildInfo() {
    return success(
        g -> {
          g.writeStartObject();
          g.writeStringField("version", COMPATIBLE_VERSION);
          g.writeStringField("revision", "faultline-" + faultlineVersion);
          g.writeStringField("branch", "");
          g.writeStringField("buildUser", "faultline");
          g.writeStringField("buildDate", "");
          g.writeStringField("goVersion", "java" + Runtime.version().feature());
          g.writeEndObject();
        },
        List.of(),
        List.of());
  }

  @GET
  @Path("/status/runtimeinfo")
  public Response runtimeInfo() {
    return success(
        g -> {
          g.writeStartObject();
          g.writeStringField("startTime", started.toString());
          g.writeStringField("CWD", java.nio.file.Path.of("").toAbsolutePath().toString());
          g.writeBooleanField("reloadConfigSuccess", true);
          g.writeStringField("lastConfigTime", started.toString());
          g.writeNumberField("corruptionCount", 0);
          g.writeNumberField("goroutineCount", ManagementFactory.getThreadMXBean().getThreadCount());
          g.writeNumberField("GOMAXPROCS", Runtime.getRuntime().availableProcessors());
          g.writeNumberField("GOMEMLIMIT", Runtime.getRuntime().maxMemory());
          g.writeStringField("GOGC", "");
          g.writeStringField("GODEBUG", "");
          g.writeStringField("storageRetention", "");
          g.writeEndObject();
        },
        List.of(),
        List.of());
  }

  @GET
  @Path("/status/flags")
  public Response flags() {
    return success(
        g -> {
          g.writeStartObject();
          g.writeStringField("query.lookback-delta", "5m");
          g.writeStringField("query.max-samples", "50000000");
          g.writeStringField("query.timeout", "2m");
          g.writeEndObject();
        },
        List.of(),
        List.of());
  }

  // ---- helpers ----

  /** One more than the client's limit, to know whether the answer was truncated. */
  private static int ask(int limit) {
    return limit == 0 || limit == Integer.MAX_VALUE ? limit : limit + 1;
  }

  private interface Lookup<T> {
    List<T> run();
  }

  private interface ListWriter<T> {
    void write(JsonGenerator g, List<T> list) throws IOException;
  }

  private <T> Response lookup(Lookup<T> run, int limit, ListWriter<T> writer) {
    List<T> list;
    try {
      list = run.run();
    } catch (InvalidQueryException e) {
      return error(e.errorType(), e.httpStatus(), "invalid parameter \"match[]\": " + e.getMessage());
    } catch (MetricQueryException e) {
      return error(e.errorType(), e.httpStatus(), e.getMessage());
    } catch (RuntimeException e) {
      return internal(e);
    }
    List<String> warnings = List.of();
    if (limit > 0 && list.size() > limit) {
      list = list.subList(0, limit);
      warnings = List.of("results truncated due to limit");
    }
    List<T> answer = list;
    return success(g -> writer.write(g, answer), warnings, List.of());
  }

  private static int metadataLimit(String value, String message) throws Invalid {
    if (value == null || value.isEmpty()) {
      return -1;
    }
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new Invalid(error("bad_data", 400, message));
    }
  }

  private static void writeStrings(JsonGenerator g, List<String> list) throws IOException {
    g.writeStartArray();
    for (String s : list) {
      g.writeString(s);
    }
    g.writeEndArray();
  }

  /** Sorted by name as Prometheus writes label sets, whatever map the store handed over. */
  private static void writeLabels(JsonGenerator g, Map<String, String> labels) throws IOException {
    Map<String, String> sorted =
        labels instanceof java.util.SortedMap ? labels : new java.util.TreeMap<>(labels);
    g.writeStartObject();
    for (Map.Entry<String, String> e : sorted.entrySet()) {
      g.writeStringField(e.getKey(), e.getValue());
    }
    g.writeEndObject();
  }

  private static void writeResult(JsonGenerator g, PromqlResult r) throws IOException {
    g.writeStartObject();
    g.writeStringField("resultType", r.type().apiName());
    g.writeFieldName("result");
    switch (r.type()) {
      case SCALAR:
        writeScalarPoint(g, r.timeMs(), PromFormat.scalarValue(r.scalar()));
        break;
      case STRING:
        writeScalarPoint(g, r.timeMs(), r.string());
        break;
      case VECTOR:
        g.writeStartArray();
        for (PromqlResult.Series s : r.series()) {
          g.writeStartObject();
          g.writeFieldName("metric");
          writeLabels(g, s.labels());
          g.writeFieldName("value");
          writePoint(g, s.timestampsMs()[0], PromFormat.value(s.values()[0]));
          g.writeEndObject();
        }
        g.writeEndArray();
        break;
      default:
        g.writeStartArray();
        for (PromqlResult.Series s : r.series()) {
          g.writeStartObject();
          g.writeFieldName("metric");
          writeLabels(g, s.labels());
          g.writeArrayFieldStart("values");
          long[] ts = s.timestampsMs();
          double[] vs = s.values();
          for (int i = 0; i < ts.length; i++) {
            writePoint(g, ts[i], PromFormat.value(vs[i]));
          }
          g.writeEndArray();
          g.writeEndObject();
        }
        g.writeEndArray();
        break;
    }
    g.writeEndObject();
  }

  private static void writePoint(JsonGenerator g, long ms, String value) throws IOException {
    g.writeStartArray();
    g.writeNumber(PromFormat.time(ms));
    g.writeString(value);
    g.writeEndArray();
  }

  private static void writeScalarPoint(JsonGenerator g, long ms, String value) throws IOException {
    g.writeStartArray();
    g.writeNumber(PromFormat.scalarTime(ms));
    g.writeString(value);
    g.writeEndArray();
  }

  private interface DataWriter {
    void write(JsonGenerator g) throws IOException;
  }

  private static Response success(DataWriter data, List<String> warnings, List<String> infos) {
    StreamingOutput body =
        out -> {
          try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("status", "success");
            g.writeFieldName("data");
            data.write(g);
            writeAnnotations(g, warnings, infos);
            g.writeEndObject();
          }
        };
    return Response.ok(body, MediaType.APPLICATION_JSON_TYPE).build();
  }

  private static void writeAnnotations(JsonGenerator g, List<String> warnings, List<String> infos)
      throws IOException {
    if (!warnings.isEmpty()) {
      g.writeArrayFieldStart("warnings");
      for (String w : warnings) {
        g.writeString(w);
      }
      g.writeEndArray();
    }
    if (!infos.isEmpty()) {
      g.writeArrayFieldStart("infos");
      for (String i : infos) {
        g.writeString(i);
      }
      g.writeEndArray();
    }
  }

  static Response error(String type, int status, String message) {
    StreamingOutput body =
        out -> {
          try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("status", "error");
            g.writeStringField("errorType", type);
            g.writeStringField("error", message);
            g.writeEndObject();
          }
        };
    return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(body).build();
  }

  private static Response internal(RuntimeException e) {
    LOG.error("a Prometheus API query failed inside the metric store", e);
    return error(
        "internal",
        500,
        "the metric store failed: " + e + " (see the server log for the stack trace)");
  }

  /** A response decided while reading parameters. */
  private static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Response response;

    Invalid(Response response) {
      super(null, null, false, false);
      this.response = response;
    }
  }

  /** The range and result limit of a series or label lookup. */
  private record LookupScope(long start, long end, int limit) {}

  /** Form values first, then the URL's, as Go's {@code r.FormValue} and {@code r.Form}. */
  private static final class Params extends GoForm {
    Params(UriInfo uri, MultivaluedMap<String, String> form) {
      super(uri.getQueryParameters(), form);
    }

    boolean present(String name) {
      String v = value(name);
      return v != null && !v.isEmpty();
    }

    long time(String name, long defaultMs) throws Invalid {
      try {
        return PromParams.timeParam(value(name), name, defaultMs);
      } catch (PromParams.BadParam e) {
        throw invalid(name, e.getMessage());
      }
    }

    long requiredTime(String name) throws Invalid {
      try {
        return PromParams.time(value(name));
      } catch (PromParams.BadParam e) {
        throw invalid(name, e.getMessage());
      }
    }

    long duration(String name) throws Invalid {
      try {
        return PromParams.durationMs(value(name));
      } catch (PromParams.BadParam e) {
        throw invalid(name, e.getMessage());
      }
    }

    /** Null when absent, zero or negative: the engine's default then applies. */
    Duration positiveDuration(String name) throws Invalid {
      if (!present(name)) {
        return null;
      }
      Duration d = Duration.ofMillis(duration(name));
      return d.isZero() || d.isNegative() ? null : d;
    }

    /** {@code start}, {@code end} (unbounded by default) and {@code limit}, in that order. */
    LookupScope lookupScope() throws Invalid {
      return new LookupScope(
          time("start", PromParams.MIN_TIME_MS), time("end", PromParams.MAX_TIME_MS), limit());
    }

    int limit() throws Invalid {
      try {
        return PromParams.limit(value("limit"));
      } catch (PromParams.BadParam e) {
        throw invalid("limit", e.getMessage());
      }
    }

    Invalid invalid(String name, String message) {
      return new Invalid(error("bad_data", 400, "invalid parameter \"" + name + "\": " + message));
    }
  }
}
