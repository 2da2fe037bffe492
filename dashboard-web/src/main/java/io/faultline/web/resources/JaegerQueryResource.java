/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.resources;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.faultline.core.otlp.OtlpJson;
import io.faultline.core.trace.TraceQueries;
import io.faultline.core.trace.TraceQuery;
import io.faultline.web.jaeger.GoDuration;
import io.faultline.web.jaeger.JaegerModel;
import io.faultline.web.jaeger.JaegerResponse;
import io.opentelemetry.proto.trace.v1.TracesData;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jaeger's HTTP query API ({@code /api/...}, as Jaeger's query service serves it to the Jaeger UI
 * and Grafana's Jaeger data source), plus Jaeger's API v3 HTTP gateway ({@code /api/v3/services},
 * {@code /api/v3/operations}, {@code /api/v3/traces} and {@code /api/v3/traces/{traceID}}, traces
 * answered as OTLP/JSON, errors as {@code {"error":{"httpCode":...,"message":...}}}).
 * Parameters, defaults and error messages follow Jaeger's query parser, leniency included: {@code
 * start}/{@code end} in microseconds since the epoch (a missing {@code end} is now, a missing
 * {@code start} two days before now; {@code lookback} is the UI's and is ignored, as Jaeger does;
 * an {@code end} before {@code start} finds nothing), durations in Go syntax (negative ones too;
 * zero is no limit), {@code limit} 100 by default or when not positive, and at most {@value
 * #MAX_LIMIT}. A parameter Jaeger rejects gets 400 naming it, an unknown trace 404, a failing
 * store 500.
 */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
public final class JaegerQueryResource {

  /** Traces per search when {@code limit} is absent or 0, as in Jaeger. */
  static final int DEFAULT_LIMIT = 100;

  /**
   * The most traces one search answers (the Jaeger UI's own maximum); a larger {@code limit} is
   * lowered to it rather than refused, since Jaeger accepts any limit.
   */
  static final int MAX_LIMIT = 1500;

  /** How far back from now a search looks when {@code start} is not given, as in Jaeger. */
  static final Duration DEFAULT_TRACE_LOOKBACK = Duration.ofDays(2);

  /** How far back {@code /api/dependencies} looks when {@code lookback} is absent. */
  static final Duration DEFAULT_DEPENDENCY_LOOKBACK = Duration.ofDays(1);

  private static final Set<String> SPAN_KINDS =
      Set.of("server", "client", "producer", "consumer", "internal");

  private static final Logger LOG = LoggerFactory.getLogger(JaegerQueryResource.class);
  private static final ObjectMapper TAGS_JSON = new ObjectMapper();

  private final TraceQueries queries;
  private final Clock clock;

  public JaegerQueryResource(TraceQueries queries, Clock clock) {
    this.queries = Objects.requireNonNull(queries, "queries");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @GET
  @Path("/services")
  public Response services() {
    return answer(() -> JaegerResponse.counted(queries.services()));
  }

  @GET
  @Path("/services/{service}/operations")
  public Response serviceOperations(@PathParam("service") String service) {
    return answer(
        () -> {
          Set<String> names = new TreeSet<>();
          for (TraceQueries.Operation operation : queries.operations(service, null)) {
            names.add(operation.name());
          }
          return JaegerResponse.counted(List.copyOf(names));
        });
  }

  @GET
  @Path("/operations")
  public Response operations(
      @QueryParam("service") String service, @QueryParam("spanKind") String spanKind) {
    if (isBlank(service)) {
      return badRequest("parameter 'service' is required");
    }
    String kind = isBlank(spanKind) ? null : spanKind;
    if (kind != null && !SPAN_KINDS.contains(kind)) {
      // Jaeger's storage compares the kind and finds no operation of a kind that does not exist
      return answer(() -> JaegerResponse.counted(List.of()));
    }
    return answer(
        () -> {
          List<Map<String, String>> data = new ArrayList<>();
          for (TraceQueries.Operation operation : queries.operations(service, kind)) {
            Map<String, String> entry = new LinkedHashMap<>();
            entry.put("name", operation.name());
            entry.put("spanKind", operation.spanKind());
            data.add(entry);
          }
          return JaegerResponse.counted(data);
        });
  }

  @GET
  @Path("/v3/services")
  public Response servicesV3() {
    return v3Answer(() -> Map.of("services", queries.services()));
  }

  /**
   * Jaeger's API v3 operations: {@code service} and {@code span_kind} (or {@code spanKind}, the
   * name newer Jaeger prefers), answered as {@code {"operations":[{"name","spanKind"}]}}. As in
   * Jaeger, a missing service or an unknown kind lists nothing rather than failing, and an
   * operation without a kind is listed as {@code internal}.
   */
  @GET
  @Path("/v3/operations")
  public Response operationsV3(@Context UriInfo uriInfo) {
    MultivaluedMap<String, String> params = uriInfo.getQueryParameters();
    String service = v3Param(params, "service").value();
    String kind = v3Param(params, "spanKind", "span_kind").value();
    if (service == null || (kind != null && !SPAN_KINDS.contains(kind))) {
      return v3Answer(() -> Map.of("operations", List.of()));
    }
    return v3Answer(
        () -> {
          // an operation stored both without a kind and as internal is listed once
          Set<Map<String, String>> operations = new LinkedHashSet<>();
          for (TraceQueries.Operation operation : queries.operations(service, kind)) {
            Map<String, String> entry = new LinkedHashMap<>();
            entry.put("name", operation.name());
            entry.put(
                "spanKind", operation.spanKind().isEmpty() ? "internal" : operation.spanKind());
            operations.add(entry);
          }
          return Map.of("operations", List.copyOf(operations));
        });
  }

  @GET
  @Path("/traces/{traceID}")
  public Response trace(@PathParam("traceID") String traceId) {
    byte[] id;
    try {
      id = JaegerModel.parseTraceId(traceId);
    } catch (IllegalArgumentException e) {
      return badRequest(e.getMessage());
    }
    return answer(
        () -> {
          Optional<TracesData> trace = queries.trace(id);
          if (trace.isEmpty()) {
            throw new NotFound();
          }
          return JaegerResponse.of(List.of(JaegerModel.toJaeger(trace.get())));
        });
  }

  @GET
  @Path("/v3/traces/{traceID}")
  public Response traceOtlp(@PathParam("traceID") String traceId) {
    byte[] id;
    try {
      id = JaegerModel.parseTraceId(traceId);
    } catch (IllegalArgumentException e) {
      return v3Error(Response.Status.BAD_REQUEST, e.getMessage());
    }
    Optional<TracesData> trace;
    try {
      trace = queries.trace(id);
    } catch (RuntimeException e) {
      LOG.error("Reading trace {} from the trace store failed", traceId, e);
      return v3Error(Response.Status.INTERNAL_SERVER_ERROR, storeFailure(e));
    }
    if (trace.isEmpty()) {
      return v3Error(Response.Status.NOT_FOUND, "trace not found");
    }
    return v3Traces(trace.get());
  }

  /**
   * Jaeger's API v3 trace search: the matching traces as one OTLP/JSON answer, their resource spans
   * one after the other (most recent trace first), as Jaeger's HTTP gateway combines them. No match
   * is its 404 "No traces found".
   */
  @GET
  @Path("/v3/traces")
  public Response findTracesV3(@Context UriInfo uriInfo) {
    TraceQuery query;
    try {
      query = V3SearchParams.parse(uriInfo.getQueryParameters());
    } catch (BadParam e) {
      return v3Error(Response.Status.BAD_REQUEST, e.getMessage());
    }
    List<TracesData> traces;
    try {
      traces = queries.findTraces(query);
    } catch (RuntimeException e) {
      LOG.error("Searching traces in the trace store failed", e);
      return v3Error(Response.Status.INTERNAL_SERVER_ERROR, storeFailure(e));
    }
    if (traces.isEmpty()) {
      return v3Error(Response.Status.NOT_FOUND, "No traces found");
    }
    TracesData.Builder combined = TracesData.newBuilder();
    for (TracesData trace : traces) {
      combined.addAllResourceSpans(trace.getResourceSpansList());
    }
    return v3Traces(combined.build());
  }

  /** API v3's answer for traces: {@code {"result":{"resourceSpans":[...]}}}. */
  private static Response v3Traces(TracesData traces) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.set("result", OtlpJson.printTree(traces));
    return Response.ok(body, MediaType.APPLICATION_JSON_TYPE).build();
  }

  @GET
  @Path("/traces")
  public Response findTraces(@Context UriInfo uriInfo) {
    MultivaluedMap<String, String> params = uriInfo.getQueryParameters();
    List<String> traceIdParams = params.getOrDefault("traceID", List.of());
    SearchParams search;
    try {
      search = SearchParams.parse(params, clock, !traceIdParams.isEmpty());
    } catch (BadParam e) {
      return badRequest(e.getMessage());
    }
    if (!traceIdParams.isEmpty()) {
      List<byte[]> ids = new ArrayList<>();
      for (String text : traceIdParams) {
        try {
          ids.add(JaegerModel.parseTraceId(text));
        } catch (IllegalArgumentException e) {
          return badRequest("cannot parse traceID param: " + e.getMessage());
        }
      }
      return answer(() -> tracesByIds(ids));
    }
    if (search.query() == null) {
      return answer(() -> JaegerResponse.of(List.of()));
    }
    return answer(
        () -> {
          List<JaegerModel.Trace> traces = new ArrayList<>();
          for (TracesData data : queries.findTraces(search.query())) {
            traces.add(JaegerModel.toJaeger(data));
          }
          return JaegerResponse.of(traces);
        });
  }

  /** The traces of {@code ids}; a missing one is named as Jaeger names it, 16 or 32 hex digits. */
  private JaegerResponse tracesByIds(List<byte[]> ids) {
    List<JaegerModel.Trace> traces = new ArrayList<>();
    List<JaegerResponse.Error> errors = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      Optional<TracesData> trace = queries.trace(ids.get(i));
      if (trace.isPresent()) {
        traces.add(JaegerModel.toJaeger(trace.get()));
      } else {
        errors.add(
            new JaegerResponse.Error(
                null,
                "trace not found",
                JaegerModel.traceIdToString(ByteString.copyFrom(ids.get(i)))));
      }
    }
    return JaegerResponse.withErrors(traces, errors);
  }

  @GET
  @Path("/dependencies")
  public Response dependencies(
      @QueryParam("endTs") String endTs,
      @QueryParam("lookback") String lookback,
      @QueryParam("service") String service) {
    long endMillis;
    long lookbackMillis;
    try {
      endMillis = isBlank(endTs) ? clock.millis() : parseLong("endTs", endTs);
      lookbackMillis =
          isBlank(lookback)
              ? DEFAULT_DEPENDENCY_LOOKBACK.toMillis()
              : parseLong("lookback", lookback);
      if (lookbackMillis < 0) {
        throw new BadParam("lookback", "must not be negative, got " + lookbackMillis);
      }
      try {
        // the window [endTs - lookback, endTs] is searched in microseconds
        Math.multiplyExact(Math.subtractExact(endMillis, lookbackMillis), 1000L);
        Math.addExact(Math.multiplyExact(endMillis, 1000L), 999L);
      } catch (ArithmeticException overflow) {
        throw new BadParam(
            "endTs",
            "the window of "
                + lookbackMillis
                + " ms before "
                + endMillis
                + " is outside the range of microsecond timestamps");
      }
    } catch (BadParam e) {
      return badRequest(e.getMessage());
    }
    return answer(
        () -> {
          Map<List<String>, Long> calls = new LinkedHashMap<>();
          for (TraceQueries.DependencyLink link : queries.dependencies(endMillis, lookbackMillis)) {
            if (isBlank(service) || service.equals(link.parent()) || service.equals(link.child())) {
              calls.merge(List.of(link.parent(), link.child()), link.callCount(), Long::sum);
            }
          }
          List<Map<String, Object>> data = new ArrayList<>();
          calls.forEach(
              (pair, count) -> {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("parent", pair.get(0));
                entry.put("child", pair.get(1));
                entry.put("callCount", count);
                data.add(entry);
              });
          return JaegerResponse.of(data);
        });
  }

  /** Runs a store read for API v3, turning its failure into the gateway's 500. */
  private static Response v3Answer(Supplier<Object> read) {
    try {
      return Response.ok(read.get(), MediaType.APPLICATION_JSON_TYPE).build();
    } catch (RuntimeException e) {
      LOG.error("Jaeger API v3 query failed in the trace store", e);
      return v3Error(Response.Status.INTERNAL_SERVER_ERROR, storeFailure(e));
    }
  }

  /**
   * The first non-empty value of the first of {@code names} that has one, as Jaeger's gateway reads
   * a parameter and its aliases ({@code url.Values.Get}); both null when none has.
   */
  static V3Param v3Param(MultivaluedMap<String, String> params, String... names) {
    for (String name : names) {
      List<String> values = params.get(name);
      if (values != null && !values.isEmpty() && !values.get(0).isEmpty()) {
        return new V3Param(name, values.get(0));
      }
    }
    return new V3Param(null, null);
  }

  /** A parameter as the request named it (for error messages), and its value. */
  record V3Param(String name, String value) {}

  /** Runs a store read, turning its failure into Jaeger's 500 and a missing trace into 404. */
  private Response answer(Supplier<JaegerResponse> read) {
    try {
      return Response.ok(read.get(), MediaType.APPLICATION_JSON_TYPE).build();
    } catch (NotFound e) {
      return error(Response.Status.NOT_FOUND, "trace not found");
    } catch (RuntimeException e) {
      LOG.error("Jaeger query failed in the trace store", e);
      return error(Response.Status.INTERNAL_SERVER_ERROR, storeFailure(e));
    }
  }

  private static String storeFailure(RuntimeException e) {
    return "the trace store failed to answer ("
        + e.getClass().getSimpleName()
        + (e.getMessage() == null ? "" : ": " + abbreviate(e.getMessage()))
        + "); see the server log";
  }

  /** Jaeger's error envelope with status 400 (also for {@link JaegerMetricsResource}). */
  static Response badRequest(String message) {
    return error(Response.Status.BAD_REQUEST, message);
  }

  /** Jaeger's error envelope: {@code {"data":null,...,"errors":[{"code":N,"msg":...}]}}. */
  static Response error(Response.Status status, String message) {
    return Response.status(status)
        .type(MediaType.APPLICATION_JSON_TYPE)
        .entity(JaegerResponse.error(status.getStatusCode(), message))
        .build();
  }

  /** Jaeger's API v3 (a gRPC gateway) reports errors as {@code {"error":{...}}}. */
  private static Response v3Error(Response.Status status, String message) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    ObjectNode error = body.putObject("error");
    error.put("httpCode", status.getStatusCode());
    error.put("message", message);
    return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(body).build();
  }

  static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }

  static long parseLong(String param, String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new BadParam(param, "expected an integer, got \"" + abbreviate(value) + "\"");
    }
  }

  /**
   * The search parameters of {@code GET /api/traces}, checked as Jaeger's query parser does; the
   * query is null when nothing can match (an {@code end} before the {@code start}).
   */
  record SearchParams(TraceQuery query) {

    static SearchParams parse(
        MultivaluedMap<String, String> params, Clock clock, boolean byTraceIds) {
      String service = first(params, "service");
      if (isBlank(service) && !byTraceIds) {
        throw new BadParam("parameter 'service' is required");
      }
      String operation = first(params, "operation");
      long nowMicros = clock.millis() * 1000;
      String endText = first(params, "end");
      long end = isBlank(endText) ? nowMicros : parseLong("end", endText);
      String startText = first(params, "start");
      long start =
          isBlank(startText)
              ? nowMicros - DEFAULT_TRACE_LOOKBACK.toNanos() / 1000
              : parseLong("start", startText);
      Map<String, String> tags = tags(params);
      Long minDuration = optionalDuration(params, "minDuration");
      Long maxDuration = optionalDuration(params, "maxDuration");
      if (minDuration != null
          && maxDuration != null
          && minDuration != 0
          && maxDuration != 0
          && maxDuration < minDuration) {
        throw new BadParam("'maxDuration' should be greater than 'minDuration'");
      }
      int limit = limit(first(params, "limit"));
      if (end < start) {
        return new SearchParams(null);
      }
      return new SearchParams(
          new TraceQuery(
              isBlank(service) ? null : service,
              isBlank(operation) ? null : operation,
              tags,
              start,
              end,
              minDuration,
              maxDuration,
              limit));
    }

    /**
     * Jaeger reads {@code limit} as a 32-bit integer and refuses only what is not one; here a limit
     * that is not positive means the default and one above {@value #MAX_LIMIT} means {@value
     * #MAX_LIMIT}.
     */
    private static int limit(String text) {
      if (isBlank(text)) {
        return DEFAULT_LIMIT;
      }
      int limit;
      try {
        limit = Integer.parseInt(text.trim());
      } catch (NumberFormatException e) {
        throw new BadParam(
            "limit", "expected a 32-bit integer, got \"" + abbreviate(text) + "\"");
      }
      return limit <= 0 ? DEFAULT_LIMIT : Math.min(limit, MAX_LIMIT);
    }

    /**
     * A duration bound in microseconds, or null for none: absent, or zero ({@code 0}, {@code 0s}),
     * which Jaeger's storage reads as "no limit" (the Jaeger UI sends empty fields that way).
     */
    private static Long optionalDuration(MultivaluedMap<String, String> params, String name) {
      String text = first(params, name);
      if (isBlank(text)) {
        return null;
      }
      long nanos;
      try {
        // negative durations parse, as in Go: a negative minimum keeps every span, a negative
        // maximum none
        nanos = GoDuration.parseNanos(text.trim());
      } catch (IllegalArgumentException e) {
        throw new BadParam(name, abbreviate(e.getMessage()));
      }
      return nanos == 0 ? null : nanos / 1000;
    }

    /**
     * Jaeger's {@code tag=key:value} (repeated) and {@code tags={"key":"value"}}, in that order.
     */
    private static Map<String, String> tags(MultivaluedMap<String, String> params) {
      Map<String, String> tags = new LinkedHashMap<>();
      for (String tag : params.getOrDefault("tag", List.of())) {
        int colon = tag.indexOf(':');
        if (colon < 0) {
          throw new BadParam(
              "malformed 'tag' parameter, expecting key:value, received: " + abbreviate(tag));
        }
        tags.put(tag.substring(0, colon), tag.substring(colon + 1));
      }
      for (String json : params.getOrDefault("tags", List.of())) {
        if (isBlank(json)) {
          continue;
        }
        JsonNode node;
        try {
          node = TAGS_JSON.readTree(json);
        } catch (JsonProcessingException e) {
          throw new BadParam(
              "malformed 'tags' parameter, cannot unmarshal JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
          throw new BadParam(
              "malformed 'tags' parameter, expecting a JSON object such as"
                  + " {\"http.status_code\":\"500\"}");
        }
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
          Map.Entry<String, JsonNode> field = fields.next();
          JsonNode value = field.getValue();
          if (!value.isTextual() && !value.isNull()) {
            // Jaeger decodes tags into a map of strings, so {"x":1} is its 400, in Go's words
            throw new BadParam(
                "malformed 'tags' parameter, cannot unmarshal JSON: json: cannot unmarshal "
                    + goJsonType(value)
                    + " into Go value of type string (the value of '"
                    + abbreviate(field.getKey())
                    + "'; write it as a string, e.g. \"500\")");
          }
          tags.put(field.getKey(), value.isNull() ? "" : value.asText());
        }
      }
      return tags;
    }

    private static String goJsonType(JsonNode value) {
      if (value.isNumber()) {
        return "number";
      }
      if (value.isBoolean()) {
        return "bool";
      }
      return value.isArray() ? "array" : "object";
    }

    private static String first(MultivaluedMap<String, String> params, String name) {
      List<String> values = params.get(name);
      return values == null || values.isEmpty() ? null : values.get(0);
    }
  }

  /**
   * The search parameters of {@code GET /api/v3/traces}, read as Jaeger's API v3 HTTP gateway reads
   * them: the {@code query.*} names of the proto's snake_case fields, or their camelCase JSON names
   * that newer Jaeger prefers (which win when both are given); both start times required, in RFC
   * 3339 with up to nanoseconds; durations in Go syntax; {@code query.attributes} a JSON object of
   * strings. Errors carry the gateway's messages ({@code malformed parameter <name>: <Go's
   * error>}).
   */
  static final class V3SearchParams {

    private static final Pattern RFC3339 =
        Pattern.compile(
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                + "(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})");

    private static final Pattern GO_INT = Pattern.compile("[+-]?[0-9]+");

    private static final Set<String> GO_TRUE = Set.of("1", "t", "T", "TRUE", "true", "True");
    private static final Set<String> GO_FALSE = Set.of("0", "f", "F", "FALSE", "false", "False");

    private V3SearchParams() {}

    static TraceQuery parse(MultivaluedMap<String, String> params) {
      String service = v3Param(params, "query.serviceName", "query.service_name").value();
      String operation = v3Param(params, "query.operationName", "query.operation_name").value();
      Map<String, String> attributes = attributes(v3Param(params, "query.attributes"));
      V3Param min = v3Param(params, "query.startTimeMin", "query.start_time_min");
      V3Param max = v3Param(params, "query.startTimeMax", "query.start_time_max");
      if (min.value() == null || max.value() == null) {
        throw new BadParam("query.start_time_min and query.start_time_max are required");
      }
      Instant start = time(min);
      Instant end = time(max);
      if (!start.isBefore(end)) {
        throw new BadParam("query.start_time_min must be before query.start_time_max");
      }
      int limit =
          limit(
              v3Param(params, "query.searchDepth", "query.num_traces", "query.search_depth"));
      Long minDuration =
          duration(v3Param(params, "query.durationMin", "query.duration_min"));
      Long maxDuration =
          duration(v3Param(params, "query.durationMax", "query.duration_max"));
      // Faultline returns spans as stored, never adjusted, so raw traces are all it has
      rawTraces(v3Param(params, "query.rawTraces", "query.raw_traces"));
      return new TraceQuery(
          service,
          operation,
          attributes,
          micros(start),
          micros(end),
          minDuration,
          maxDuration,
          limit);
    }

    /** Go's {@code time.Parse(time.RFC3339Nano, ...)}. */
    private static Instant time(V3Param param) {
      String text = param.value();
      if (RFC3339.matcher(text).matches()) {
        try {
          return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
          // a field out of range, such as month 13 or February 30, which Go refuses too
        }
      }
      throw malformed(
          param,
          "parsing time "
              + goQuote(text)
              + " as \"2006-01-02T15:04:05.999999999Z07:00\": not an RFC 3339 time such as"
              + " 2026-06-01T12:00:00Z");
    }

    /**
     * Go's {@code strconv.ParseInt(n, 10, 32)}; as in the legacy search, a depth that is not
     * positive means {@value JaegerQueryResource#DEFAULT_LIMIT} and one above {@value
     * JaegerQueryResource#MAX_LIMIT} means {@value JaegerQueryResource#MAX_LIMIT}.
     */
    private static int limit(V3Param param) {
      if (param.value() == null) {
        return DEFAULT_LIMIT;
      }
      String text = param.value();
      if (!GO_INT.matcher(text).matches()) {
        throw malformed(param, "strconv.ParseInt: parsing " + goQuote(text) + ": invalid syntax");
      }
      int limit;
      try {
        limit = Integer.parseInt(text);
      } catch (NumberFormatException e) {
        throw malformed(
            param, "strconv.ParseInt: parsing " + goQuote(text) + ": value out of range");
      }
      return limit <= 0 ? DEFAULT_LIMIT : Math.min(limit, MAX_LIMIT);
    }

    /** A Go duration in microseconds; null when absent or zero, which Jaeger reads as no bound. */
    private static Long duration(V3Param param) {
      if (param.value() == null) {
        return null;
      }
      long nanos;
      try {
        nanos = GoDuration.parseNanos(param.value());
      } catch (IllegalArgumentException e) {
        throw malformed(param, abbreviate(e.getMessage()));
      }
      return nanos == 0 ? null : nanos / 1000;
    }

    /** Go's {@code strconv.ParseBool}. */
    private static void rawTraces(V3Param param) {
      String text = param.value();
      if (text != null && !GO_TRUE.contains(text) && !GO_FALSE.contains(text)) {
        throw malformed(param, "strconv.ParseBool: parsing " + goQuote(text) + ": invalid syntax");
      }
    }

    /** {@code query.attributes}, decoded as Go decodes JSON into a {@code map[string]string}. */
    private static Map<String, String> attributes(V3Param param) {
      if (param.value() == null) {
        return Map.of();
      }
      JsonNode node;
      try {
        node = TAGS_JSON.readTree(param.value());
      } catch (JsonProcessingException e) {
        throw malformed(param, abbreviate(e.getOriginalMessage()));
      }
      if (node == null || node.isMissingNode()) {
        throw malformed(param, "unexpected end of JSON input");
      }
      if (node.isNull()) {
        return Map.of();
      }
      if (!node.isObject()) {
        throw malformed(
            param,
            "json: cannot unmarshal "
                + (node.isTextual() ? "string" : SearchParams.goJsonType(node))
                + " into Go value of type map[string]string");
      }
      Map<String, String> attributes = new LinkedHashMap<>();
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        JsonNode value = field.getValue();
        if (!value.isTextual() && !value.isNull()) {
          throw malformed(
              param,
              "json: cannot unmarshal "
                  + SearchParams.goJsonType(value)
                  + " into Go value of type string (the value of '"
                  + abbreviate(field.getKey())
                  + "'; write it as a string, e.g. \"500\")");
        }
        attributes.put(field.getKey(), value.isNull() ? "" : value.asText());
      }
      return attributes;
    }

    private static BadParam malformed(V3Param param, String problem) {
      return new BadParam("malformed parameter " + param.name() + ": " + problem);
    }

    private static String goQuote(String text) {
      return "\"" + abbreviate(text).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static long micros(Instant instant) {
      return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000;
    }
  }

  /** A parameter Jaeger's parser would reject; the message is the 400 answer's. */
  static final class BadParam extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadParam(String message) {
      super(message, null, false, false);
    }

    BadParam(String param, String problem) {
      this("unable to parse param '" + param + "': " + problem);
    }
  }

  /** Thrown inside {@link #answer} when the trace asked for is not stored. */
  private static final class NotFound extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotFound() {
      super("trace not found", null, false, false);
    }
  }
}
