/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.faultline.core.log.LogEntry;
import io.faultline.core.log.LogPage;
import io.faultline.core.log.LogQueries;
import io.faultline.core.log.LogQuery;
import io.faultline.core.log.LogQueryException;
import io.faultline.web.logs.LogJson;
import io.faultline.web.logs.LogParams;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loki's read API, enough for Grafana's Loki data source to browse labels and run log and metric
 * queries: {@code GET /loki/api/v1/query_range}, {@code /query}, {@code /labels} and {@code
 * /label/{name}/values}, answering in Loki's envelope ({@code {"status":"success","data":...}}, log
 * results as {@code resultType: "streams"} with {@code [["<ns>", "<line>"]]} values, metric results
 * as {@code matrix} (range) or {@code vector}/{@code scalar} (instant) with {@code [<unix seconds>,
 * "<value>"]} samples).
 *
 * <p>Stream labels are {@code service_name}, {@code service_namespace}, {@code
 * deployment_environment} (from resource attributes) and {@code level}; after the stream selector
 * every line also carries {@code detected_level} (as Loki's structured metadata), and the parsers
 * ({@code | json}, {@code | logfmt}, {@code | unpack}, {@code | regexp}, {@code | pattern}) add the
 * labels they extract. A log query scans at most {@value
 * #MAX_SCANNED} records matching its stream selector (newest or oldest first, as asked) while
 * collecting {@code limit} lines. Metric queries are evaluated by {@link MetricEngine} over the
 * records of each range aggregation's selector, read page by page, with its limits. Errors are 400
 * with a plain-text message naming the mistake, as Loki answers.
 */
@Path("/loki/api/v1")
@Produces(MediaType.APPLICATION_JSON)
public final class LokiResource {
  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 5000;
  static final int MAX_SCANNED = 200_000;
  static final Duration DEFAULT_RANGE = Duration.ofHours(1);
  static final Duration DEFAULT_LABEL_RANGE = Duration.ofHours(6);
  static final Duration MAX_RANGE = Duration.ofDays(31);
  private static final int PAGE = 1000;

  private static final Logger LOG = LoggerFactory.getLogger(LokiResource.class);
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  static final Map<String, List<String>> LABEL_FIELDS =
      Map.of(
          "service_name", List.of("service"),
          "level", List.of("level"),
          "service_namespace", List.of("resource.service.namespace"),
          "deployment_environment",
              List.of("resource.deployment.environment.name", "resource.deployment.environment"));

  private final LogQueries queries;
  private final Clock clock;

  public LokiResource(LogQueries queries, Clock clock) {
    this.queries = Objects.requireNonNull(queries, "queries");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @GET
  @Path("query_range")
  public ObjectNode queryRange(
      @QueryParam("query") String query,
      @QueryParam("limit") String limit,
      @QueryParam("start") String start,
      @QueryParam("end") String end,
      @QueryParam("since") String since,
      @QueryParam("direction") String direction,
      @QueryParam("step") String step) {
    return run(
        () -> {
          Instant e = LogParams.lokiTime("end", end, clock.instant());
          Duration back = since == null || since.isBlank() ? DEFAULT_RANGE : LogParams.duration("since", since);
          Instant s = LogParams.lokiTime("start", start, e.minus(back));
          LogQlExpr expr = LogQl.parseExpr(query);
          if (expr instanceof LogQlExpr.Logs logs) {
            return streams(logs.query(), s, e, limit, direction);
          }
          checkRange(s, e);
          long startNanos = nanos(s);
          long span = nanos(e) - startNanos;
          long stepNanos;
          if (step == null || step.isBlank()) {
            // Loki's default: the range over 250 points, at least a second
            stepNanos = Math.max(span / 250 / 1_000_000_000L, 1) * 1_000_000_000L;
          } else {
            stepNanos = LogParams.duration("step", step).toNanos();
            if (stepNanos <= 0) {
              throw new LogQueryException(
                  "zero or negative query resolution step widths are not accepted. Try a positive integer");
            }
          }
          if (span / stepNanos >= MetricEngine.MAX_POINTS_PER_SERIES) {
            throw new LogQueryException(
                "exceeded maximum resolution of 11,000 points per timeseries. Try increasing the value of the step"
                    + " parameter (the range of " + span / 1_000_000_000L + "s at a step of " + stepNanos / 1e9
                    + "s needs " + (span / stepNanos + 1) + " points)");
          }
          return metric(expr, startNanos, stepNanos, (int) (span / stepNanos) + 1, false);
        });
  }

  @GET
  @Path("query")
  public ObjectNode query(
      @QueryParam("query") String query,
      @QueryParam("limit") String limit,
      @QueryParam("time") String time,
      @QueryParam("direction") String direction) {
    return run(
        () -> {
          Instant t = LogParams.lokiTime("time", time, clock.instant());
          LogQlExpr expr = LogQl.parseExpr(query);
          if (expr instanceof LogQlExpr.Logs logs) {
            return streams(logs.query(), t.minus(DEFAULT_RANGE), t, limit, direction);
          }
          return metric(expr, nanos(t), 1_000_000_000L, 1, true);
        });
  }

  @GET
  @Path("labels")
  public ObjectNode labels(
      @QueryParam("start") String start, @QueryParam("end") String end, @QueryParam("since") String since) {
    return run(
        () -> {
          Instant[] range = labelRange(start, end, since);
          return success(strings(queries.labelNames(range[0], range[1])));
        });
  }

  @GET
  @Path("label/{name}/values")
  public ObjectNode labelValues(
      @PathParam("name") String name,
      @QueryParam("start") String start,
      @QueryParam("end") String end,
      @QueryParam("since") String since) {
    return run(
        () -> {
          Instant[] range = labelRange(start, end, since);
          return success(strings(queries.labelValues(name, range[0], range[1])));
        });
  }

  private Instant[] labelRange(String start, String end, String since) {
    Instant e = LogParams.lokiTime("end", end, clock.instant());
    Duration back = since == null || since.isBlank() ? DEFAULT_LABEL_RANGE : LogParams.duration("since", since);
    Instant s = LogParams.lokiTime("start", start, e.minus(back));
    checkRange(s, e);
    return new Instant[] {s, e};
  }

  private static void checkRange(Instant s, Instant e) {
    if (e.isBefore(s)) {
      throw new LogQueryException("end timestamp must not be before or equal to start time");
    }
    if (Duration.between(s, e).compareTo(MAX_RANGE) > 0) {
      throw new LogQueryException(
          "the query time range exceeds the limit (query length: " + Duration.between(s, e).toHours()
              + "h, limit: " + MAX_RANGE.toHours() + "h)");
    }
  }

  private static long nanos(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
  }

  /**
   * A metric query's answer in Loki's shapes: {@code matrix} ({@code [[<unix seconds>,
   * "<value>"]]} per series) for a range query, {@code vector} or {@code scalar} for an instant one.
   */
  private ObjectNode metric(LogQlExpr expr, long startNanos, long stepNanos, int steps, boolean instant) {
    MetricEngine engine = new MetricEngine(this::scan, startNanos, stepNanos, steps);
    MetricEngine.Value value = engine.evaluate(expr);
    ObjectNode data = JSON.objectNode();
    if (value instanceof MetricEngine.Scalar scalar && instant) {
      data.put("resultType", "scalar");
      data.putArray("result").add(time(startNanos)).add(LokiFormat.value(scalar.values()[0]));
    } else {
      List<MetricEngine.Series> series;
      if (value instanceof MetricEngine.Scalar scalar) {
        MetricEngine.Series s = new MetricEngine.Series(new TreeMap<>());
        s.size = steps;
        s.steps = new int[steps];
        for (int k = 0; k < steps; k++) {
          s.steps[k] = k;
        }
        s.values = scalar.values();
        series = List.of(s);
      } else {
        series = ((MetricEngine.Matrix) value).series();
      }
      data.put("resultType", instant ? "vector" : "matrix");
      ArrayNode result = data.putArray("result");
      for (MetricEngine.Series s : series) {
        ObjectNode o = result.addObject();
        ObjectNode metric = o.putObject("metric");
        s.labels.forEach(metric::put);
        if (instant) {
          o.putArray("value").add(time(startNanos)).add(LokiFormat.value(s.values[0]));
        } else {
          ArrayNode values = o.putArray("values");
          for (int p = 0; p < s.size; p++) {
            values.addArray().add(time(engine.stepNanos(s.steps[p]))).add(LokiFormat.value(s.values[p]));
          }
        }
      }
    }
    ObjectNode summary = data.putObject("stats").putObject("summary");
    summary.put("totalLinesProcessed", engine.recordsRead());
    return success(data);
  }

  private static JsonNode time(long nanos) {
    return LokiFormat.time(Math.floorDiv(nanos, 1_000_000L));
  }

  /** Metric queries read records through here: every match of the selector, oldest first. */
  private void scan(
      List<LogQl.Matcher> selector, Instant s, Instant e, long maxRecords, MetricEngine.RecordSink sink) {
    String lucene = prefilter(selector, s, e);
    if (lucene == null || !e.isAfter(s)) {
      return;
    }
    LogQuery q = new LogQuery(lucene, s, e, LogQuery.Direction.FORWARD, LogQuery.MAX_LIMIT, null);
    while (true) {
      LogPage page = queries.search(q);
      if (q.cursor() == null && page.total() > maxRecords) {
        throw new LogQueryException(
            "the metric query would read " + page.total() + " log records of its stream selector between " + s
                + " and " + e + ", more than the limit of " + MetricEngine.MAX_RECORDS + "; narrow the stream"
                + " selector or shorten the time range or the range [...]");
      }
      for (LogEntry entry : page.logs()) {
        Map<String, String> labels = labels(entry);
        if (selectorMatches(selector, labels)) {
          labels.put("detected_level", labels.get("level"));
          sink.accept(entry.timestampNanos(), LogJson.line(entry), labels);
        }
      }
      if (page.nextCursor() == null) {
        return;
      }
      q = q.next(page.nextCursor());
    }
  }

  private ObjectNode streams(LogQl ql, Instant s, Instant e, String limitText, String directionText) {
    checkRange(s, e);
    int limit = LogParams.integer("limit", limitText, DEFAULT_LIMIT, 1, MAX_LIMIT);
    LogQuery.Direction direction = LogQuery.Direction.BACKWARD;
    if (directionText != null && !directionText.isBlank()) {
      switch (directionText.trim().toLowerCase(Locale.ROOT)) {
        case "backward" -> direction = LogQuery.Direction.BACKWARD;
        case "forward" -> direction = LogQuery.Direction.FORWARD;
        default -> throw new LogQueryException("invalid direction '" + directionText + "': use backward or forward");
      }
    }
    Map<Map<String, String>, List<String[]>> streams = new LinkedHashMap<>();
    int found = 0;
    int scanned = 0;
    String lucene = prefilter(ql.selector(), s, e);
    if (lucene != null) {
      LogQuery q = new LogQuery(lucene, s, e.plusNanos(1), direction, PAGE, null);
      while (found < limit && scanned < MAX_SCANNED) {
        LogPage page = queries.search(q);
        for (LogEntry entry : page.logs()) {
          scanned++;
          Map<String, String> labels = labels(entry);
          if (!selectorMatches(ql.selector(), labels)) {
            continue;
          }
          labels.put("detected_level", labels.get("level"));
          String line = LogPipeline.apply(ql.stages(), LogJson.line(entry), labels);
          if (line == null) {
            continue;
          }
          streams.computeIfAbsent(new TreeMap<>(labels), k -> new ArrayList<>())
              .add(new String[] {Long.toString(entry.timestampNanos()), line});
          if (++found == limit) {
            break;
          }
        }
        if (page.nextCursor() == null) {
          break;
        }
        q = q.next(page.nextCursor());
      }
    }
    ObjectNode data = JSON.objectNode();
    data.put("resultType", "streams");
    ArrayNode result = data.putArray("result");
    streams.forEach(
        (labels, values) -> {
          ObjectNode stream = result.addObject();
          ObjectNode l = stream.putObject("stream");
          labels.forEach(l::put);
          ArrayNode vs = stream.putArray("values");
          for (String[] v : values) {
            vs.addArray().add(v[0]).add(v[1]);
          }
        });
    ObjectNode summary = data.putObject("stats").putObject("summary");
    summary.put("totalEntriesReturned", found);
    summary.put("totalLinesProcessed", scanned);
    return success(data);
  }

  /**
   * The stream selector as a Lucene query that finds a superset of the matching records (each is
   * checked against the selector afterwards), or null when nothing can match.
   */
  private String prefilter(List<LogQl.Matcher> selector, Instant s, Instant e) {
    StringBuilder q = new StringBuilder("+*:*");
    for (LogQl.Matcher m : selector) {
      List<String> fields = LABEL_FIELDS.get(m.name());
      if (fields == null) {
        if (!m.matches("")) {
          return null; // an unknown label is empty on every record
        }
        continue;
      }
      switch (m.op()) {
        case EQ, NE -> {
          if (m.value().isEmpty()) {
            continue; // checked afterwards
          }
          q.append(m.op() == LogQl.Op.EQ ? " +(" : " -(").append(anyOf(fields, List.of(m.value()))).append(')');
        }
        default -> {
          List<String> values = new ArrayList<>();
          for (String v : queries.labelValues(m.name(), s, e)) {
            if (m.pattern().matcher(v).matches()) {
              values.add(v);
            }
          }
          if (m.op() == LogQl.Op.RE && !m.matches("")) {
            if (values.isEmpty()) {
              return null;
            }
            q.append(" +(").append(anyOf(fields, values)).append(')');
          } else if (m.op() == LogQl.Op.NRE && !values.isEmpty() && !m.matches("")) {
            q.append(" -(").append(anyOf(fields, values)).append(')');
          }
        }
      }
    }
    return q.toString();
  }

  private static String anyOf(List<String> fields, List<String> values) {
    StringBuilder b = new StringBuilder();
    for (String f : fields) {
      for (String v : values) {
        if (b.length() > 0) {
          b.append(" OR ");
        }
        b.append(f).append(":\"").append(v.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
      }
    }
    return b.toString();
  }

  private static boolean selectorMatches(List<LogQl.Matcher> selector, Map<String, String> labels) {
    for (LogQl.Matcher m : selector) {
      if (!m.matches(labels.get(m.name()))) {
        return false;
      }
    }
    return true;
  }

  static Map<String, String> labels(LogEntry e) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("service_name", e.service());
    String ns = e.resourceString("service.namespace");
    if (ns != null && !ns.isEmpty()) {
      labels.put("service_namespace", ns);
    }
    String env = e.resourceString("deployment.environment.name");
    if (env == null || env.isEmpty()) {
      env = e.resourceString("deployment.environment");
    }
    if (env != null && !env.isEmpty()) {
      labels.put("deployment_environment", env);
    }
    labels.put("level", e.level());
    return labels;
  }

  private static ArrayNode strings(List<String> values) {
    ArrayNode a = JSON.arrayNode();
    values.forEach(a::add);
    return a;
  }

  private static ObjectNode success(JsonNode data) {
    ObjectNode o = JSON.objectNode();
    o.put("status", "success");
    o.set("data", data);
    return o;
  }

  private static ObjectNode run(Supplier<ObjectNode> body) {
    try {
      return body.get();
    } catch (LogQueryException e) {
      throw new WebApplicationException(
          e.getMessage(),
          Response.status(Response.Status.BAD_REQUEST).type(MediaType.TEXT_PLAIN_TYPE).entity(e.getMessage()).build());
    } catch (UncheckedIOException e) {
      LOG.error("a Loki query failed", e);
      String msg = "the log store failed: " + e.getMessage();
      throw new WebApplicationException(
          msg, Response.status(Response.Status.INTERNAL_SERVER_ERROR).type(MediaType.TEXT_PLAIN_TYPE).entity(msg).build());
    }
  }
}
