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
import io.opentelemetry.proto.common.v1.KeyValue;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loki's read API, enough for Grafana's Loki data source to browse labels and run log and metric
 * queries, and for Grafana's Logs Drilldown app: {@code GET /loki/api/v1/query_range}, {@code
 * /query}, {@code /labels}, {@code /label/{name}/values}, {@code /series}, {@code /index/stats},
 * {@code /index/volume} and {@code /index/volume_range} (bytes per series, as Loki's volume
 * answers), {@code /detected_labels}, {@code /detected_fields} and {@code
 * /detected_field/{name}/values} (what Drilldown offers to filter on), answering in Loki's envelope ({@code {"status":"success","data":...}}, log
 * results as {@code resultType: "streams"} with {@code [["<ns>", "<line>"]]} values, metric results
 * as {@code matrix} (range) or {@code vector}/{@code scalar} (instant) with {@code [<unix seconds>,
 * "<value>"]} samples).
 *
 * <p>Stream labels are {@code service_name}, {@code service_namespace}, {@code
 * deployment_environment} (from resource attributes) and {@code level}, and the labels of streams
 * pushed through Loki's push API ({@link LokiPushResource}): every resource attribute with a
 * non-empty string value whose name is a Loki label name ({@link LogEntry#isStreamLabelKey}); after the stream selector
 * every line also carries its {@link StructuredMetadata} and {@code detected_level} ({@link
 * LevelDetection}), and the parsers
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
  /** Loki's default {@code detected_fields} limit, of fields. */
  static final int DEFAULT_FIELD_LIMIT = 1000;
  /** Loki's default {@code volume_max_series}, per time bucket of a volume request. */
  static final int MAX_VOLUME_SERIES = 1000;
  /** The Loki version whose HTTP API this resource answers like, reported by {@code buildinfo}. */
  static final String COMPATIBLE_VERSION = "3.0.0";
  /** Loki's default {@code max_chunk_age}, the base of {@code index/stats}' chunk estimate. */
  static final long CHUNK_AGE_NANOS = Duration.ofHours(2).toNanos();

  // Loki's own messages (logqlmodel, loghttp) for the mistakes clients make most
  static final String UNSUPPORTED_INSTANT =
      "log queries are not supported as an instant query type, please change your query to a range query type";
  static final String END_BEFORE_START = "end timestamp must not be before or equal to start time";
  static final String STEP_TOO_SMALL =
      "exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter";
  static final String ONLY_MATCHERS = "only label matchers are supported";
  /** The request header with Loki's response encoding flags, and the one flag it knows. */
  static final String ENCODING_FLAGS = "X-Loki-Response-Encoding-Flags";
  static final String CATEGORIZE_LABELS = "categorize-labels";

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
  private final String faultlineVersion;

  public LokiResource(LogQueries queries, Clock clock) {
    this(queries, clock, "dev");
  }

  /**
   * @param faultlineVersion reported in {@code status/buildinfo}'s revision, e.g. {@code 0.1.0}
   */
  public LokiResource(LogQueries queries, Clock clock, String faultlineVersion) {
    this.queries = Objects.requireNonNull(queries, "queries");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.faultlineVersion = Objects.requireNonNull(faultlineVersion, "faultlineVersion");
  }

  // Loki registers every query endpoint for GET and for POST with a form body.

  @GET
  @Path("query_range")
  public ObjectNode queryRange(@Context UriInfo uri, @HeaderParam(ENCODING_FLAGS) String flags) {
    return queryRange(params(uri, null), categorize(flags));
  }

  @POST
  @Path("query_range")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public ObjectNode queryRangePost(
      @Context UriInfo uri, @HeaderParam(ENCODING_FLAGS) String flags, MultivaluedMap<String, String> form) {
    return queryRange(params(uri, form), categorize(flags));
  }

  @GET
  @Path("query")
  public ObjectNode query(@Context UriInfo uri) {
    return query(params(uri, null));
  }

  @POST
  @Path("query")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public ObjectNode queryPost(@Context UriInfo uri, MultivaluedMap<String, String> form) {
    return query(params(uri, form));
  }

  @GET
  @Path("labels")
  public ObjectNode labels(@Context UriInfo uri) {
    return labels(params(uri, null));
  }

  @POST
  @Path("labels")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public ObjectNode labelsPost(@Context UriInfo uri, MultivaluedMap<String, String> form) {
    return labels(params(uri, form));
  }

  @GET
  @Path("label/{name}/values")
  public ObjectNode labelValues(@PathParam("name") String name, @Context UriInfo uri) {
    return labelValues(name, params(uri, null));
  }

  @POST
  @Path("label/{name}/values")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public ObjectNode labelValuesPost(
      @PathParam("name") String name, @Context UriInfo uri, MultivaluedMap<String, String> form) {
    return labelValues(name, params(uri, form));
  }

  @GET
  @Path("series")
  public ObjectNode series(@Context UriInfo uri) {
    return series(params(uri, null));
  }

  @POST
  @Path("series")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public ObjectNode seriesPost(@Context UriInfo uri, MultivaluedMap<String, String> form) {
    return series(params(uri, form));
  }

  @GET
  @Path("index/stats")
  public ObjectNode indexStats(@Context UriInfo uri) {
    return indexStats(params(uri, null));
  }

  @POST
  @Path("index/stats")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public ObjectNode indexStatsPost(@Context UriInfo uri, MultivaluedMap<String, String> form) {
    return indexStats(params(uri, form));
  }

  @GET
  @Path("index/volume")
  public ObjectNode volume(@Context UriInfo uri) {
    return volume(params(uri, null), false);
  }

  @POST
  @Path("index/volume")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public ObjectNode volumePost(@Context UriInfo uri, MultivaluedMap<String, String> form) {
    return volume(params(uri, form), false);
  }

  @GET
  @Path("index/volume_range")
  public ObjectNode volumeRange(@Context UriInfo uri) {
    return volume(params(uri, null), true);
  }

  @POST
  @Path("index/volume_range")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public ObjectNode volumeRangePost(@Context UriInfo uri, MultivaluedMap<String, String> form) {
    return volume(params(uri, form), true);
  }

  @GET
  @Path("detected_labels")
  public ObjectNode detectedLabels(@Context UriInfo uri) {
    return detectedLabels(params(uri, null));
  }

  @POST
  @Path("detected_labels")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public ObjectNode detectedLabelsPost(@Context UriInfo uri, MultivaluedMap<String, String> form) {
    return detectedLabels(params(uri, form));
  }

  @GET
  @Path("detected_fields")
  public ObjectNode detectedFields(@Context UriInfo uri) {
    return detectedFields(null, params(uri, null));
  }

  @POST
  @Path("detected_fields")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public ObjectNode detectedFieldsPost(@Context UriInfo uri, MultivaluedMap<String, String> form) {
    return detectedFields(null, params(uri, form));
  }

  @GET
  @Path("detected_field/{name}/values")
  public ObjectNode detectedFieldValues(@PathParam("name") String name, @Context UriInfo uri) {
    return detectedFields(name, params(uri, null));
  }

  @POST
  @Path("detected_field/{name}/values")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public ObjectNode detectedFieldValuesPost(
      @PathParam("name") String name, @Context UriInfo uri, MultivaluedMap<String, String> form) {
    return detectedFields(name, params(uri, form));
  }

  /** Loki's build information (not in the status envelope, as Loki answers it), naming Faultline. */
  @GET
  @Path("status/buildinfo")
  public ObjectNode buildInfo() {
    ObjectNode o = JSON.objectNode();
    o.put("version", COMPATIBLE_VERSION);
    o.put("revision", "faultline-" + faultlineVersion);
    o.put("branch", "");
    o.put("buildUser", "faultline");
    o.put("buildDate", "");
    o.put("goVersion", "java" + Runtime.version().feature());
    return o;
  }

  /**
   * {@code patterns} answers 404 with a message, as Loki answers it when its pattern ingester is
   * off, so clients such as Grafana's Logs Drilldown treat the feature as absent instead of
   * failing; a plain request for the {@code tail} WebSocket is told to upgrade.
   */
  @GET
  @Path("{endpoint: patterns|tail}")
  @Produces(MediaType.TEXT_PLAIN)
  public Response unsupported(@PathParam("endpoint") String endpoint) {
    if (endpoint.equals("tail")) {
      // the WebSocket upgrade is served by LokiTail before requests reach this resource
      return Response.status(Response.Status.BAD_REQUEST).type(MediaType.TEXT_PLAIN_TYPE)
          .entity("/loki/api/v1/tail is a WebSocket: connect with Upgrade: websocket (ws:// or wss://)").build();
    }
    String msg = "/loki/api/v1/" + endpoint + " is not implemented by Faultline's Loki API";
    return Response.status(Response.Status.NOT_FOUND).type(MediaType.TEXT_PLAIN_TYPE).entity(msg).build();
  }

  @POST
  @Path("{endpoint: patterns|tail}")
  @Produces(MediaType.TEXT_PLAIN)
  public Response unsupportedPost(@PathParam("endpoint") String endpoint) {
    return unsupported(endpoint);
  }

  /** Whether Loki's comma-separated encoding flags ask for {@value #CATEGORIZE_LABELS}. */
  private static boolean categorize(String flags) {
    if (flags == null) {
      return false;
    }
    for (String flag : flags.split(",")) {
      if (flag.strip().equals(CATEGORIZE_LABELS)) {
        return true;
      }
    }
    return false;
  }

  private static LokiParams params(UriInfo uri, MultivaluedMap<String, String> form) {
    return new LokiParams(uri.getQueryParameters(), form);
  }

  private ObjectNode queryRange(LokiParams p, boolean categorize) {
    return run(
        () -> {
          RangeRequest r = rangeRequest(p);
          LogQlExpr expr = LogQl.parseExpr(p.value("query"));
          checkRange(r.start(), r.end());
          if (expr instanceof LogQlExpr.Logs logs) {
            return streams(logs.query(), r.start(), r.end(), entriesLimit(r.limit()), r.direction(), categorize);
          }
          long startNanos = nanos(r.start());
          long span = nanos(r.end()) - startNanos;
          if (span / r.stepNanos() >= MetricEngine.MAX_POINTS_PER_SERIES) {
            throw new LogQueryException(STEP_TOO_SMALL);
          }
          return metric(expr, startNanos, r.stepNanos(), (int) (span / r.stepNanos()) + 1, false);
        });
  }

  private ObjectNode query(LokiParams p) {
    return run(
        () -> {
          limit(p);
          Instant t = p.param("time", clock.instant());
          direction(p);
          LogQlExpr expr = LogQl.parseExpr(p.value("query"));
          if (expr instanceof LogQlExpr.Logs) {
            throw new LogQueryException(UNSUPPORTED_INSTANT);
          }
          return metric(expr, nanos(t), 1_000_000_000L, 1, true);
        });
  }

  /** A range request's parameters, checked in the order of Loki's {@code ParseRangeQuery}. */
  private record RangeRequest(
      Instant start, Instant end, int limit, LogQuery.Direction direction, long stepNanos) {}

  private RangeRequest rangeRequest(LokiParams p) {
    return rangeRequest(p, LokiResource::limit);
  }

  /** {@link #rangeRequest(LokiParams)} with the {@code limit} read by {@code limitOf}. */
  private RangeRequest rangeRequest(LokiParams p, ToIntFunction<LokiParams> limitOf) {
    Instant[] bounds = p.bounds(clock.instant(), DEFAULT_RANGE);
    Instant s = bounds[0];
    Instant e = bounds[1];
    if (e.isBefore(s)) {
      throw new LogQueryException(END_BEFORE_START);
    }
    int limit = limitOf.applyAsInt(p);
    LogQuery.Direction direction = direction(p);
    return new RangeRequest(s, e, limit, direction, step(p, s, e));
  }

  /** The {@code step} of a range request over {@code [s, e]}, checked as Loki checks it. */
  private static long step(LokiParams p, Instant s, Instant e) {
    String stepText = p.value("step");
    long span = nanos(e) - nanos(s);
    long stepNanos;
    if (stepText == null || stepText.isEmpty()) {
      // Loki's default: the range over 250 points, at least a second
      stepNanos = Math.max(span / 250 / 1_000_000_000L, 1) * 1_000_000_000L;
    } else {
      stepNanos = LokiParams.secondsOrDurationNanos(stepText);
    }
    if (stepNanos <= 0) {
      throw new LogQueryException(
          "zero or negative query resolution step widths are not accepted. Try a positive integer");
    }
    if (span / stepNanos > MetricEngine.MAX_POINTS_PER_SERIES) {
      throw new LogQueryException(STEP_TOO_SMALL);
    }
    return stepNanos;
  }

  private static int limit(LokiParams p) {
    return positive(p.value("limit"), DEFAULT_LIMIT);
  }

  /** A positive count parameter as Loki reads {@code limit}: {@code fallback} when absent. */
  private static int positive(String text, int fallback) {
    int n = integer(text, fallback);
    if (n <= 0) {
      throw new LogQueryException("limit must be a positive value");
    }
    return n;
  }

  private static int integer(String text, int fallback) {
    if (text == null || text.isEmpty()) {
      return fallback;
    }
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new LogQueryException("strconv.Atoi: parsing \"" + text + "\": invalid syntax");
    }
  }

  /** The entry limit of a log query, within Loki's default {@code max_entries_limit_per_query}. */
  private static int entriesLimit(int limit) {
    if (limit > MAX_LIMIT) {
      throw new LogQueryException(
          "max entries limit per query exceeded, limit > max_entries_limit (" + limit + " > " + MAX_LIMIT + ")");
    }
    return limit;
  }

  private static LogQuery.Direction direction(LokiParams p) {
    String text = p.value("direction");
    if (text == null || text.isEmpty()) {
      return LogQuery.Direction.BACKWARD;
    }
    return switch (text.toUpperCase(Locale.ROOT)) {
      case "BACKWARD" -> LogQuery.Direction.BACKWARD;
      case "FORWARD" -> LogQuery.Direction.FORWARD;
      default -> throw new LogQueryException("invalid direction '" + text + "'");
    };
  }

  private ObjectNode labels(LokiParams p) {
    return run(
        () -> {
          Instant[] range = labelRange(p);
          List<LogQl.Matcher> selector = matchers(p.value("query"));
          if (selector == null) {
            return success(strings(queries.labelNames(range[0], range[1])));
          }
          TreeSet<String> names = new TreeSet<>();
          streamsOf(List.of(selector), range[0], range[1], "the labels request")
              .forEach(labels -> names.addAll(labels.keySet()));
          return success(strings(List.copyOf(names)));
        });
  }

  private ObjectNode labelValues(String name, LokiParams p) {
    return run(
        () -> {
          Instant[] range = labelRange(p);
          List<LogQl.Matcher> selector = matchers(p.value("query"));
          if (selector == null) {
            return success(strings(queries.labelValues(name, range[0], range[1])));
          }
          TreeSet<String> values = new TreeSet<>();
          for (Map<String, String> labels : streamsOf(List.of(selector), range[0], range[1], "the label values request")) {
            String v = labels.get(name);
            if (v != null) {
              values.add(v);
            }
          }
          return success(strings(List.copyOf(values)));
        });
  }

  /**
   * The label sets of the streams matching any {@code match[]} selector (or every stream when there
   * is none, or only {@code {}}), as Loki's series API answers: {@code {"status":"success","data":
   * [{"service_name":"payments","level":"error"}]}}, sorted.
   */
  private ObjectNode series(LokiParams p) {
    return run(
        () -> {
          Instant[] range = p.bounds(clock.instant(), DEFAULT_RANGE);
          TreeSet<String> texts = new TreeSet<>(p.values("match"));
          texts.addAll(p.values("match[]"));
          if (texts.size() == 1 && texts.first().replace(" ", "").equals("{}")) {
            texts.clear();
          }
          List<List<LogQl.Matcher>> groups = new ArrayList<>();
          for (String text : texts) {
            if (text.isEmpty()) {
              LogQl.parseExpr(text); // an empty match[] is refused as an empty query is
            }
            groups.add(matchers(text));
          }
          if (groups.isEmpty()) {
            groups.add(List.of());
          }
          checkRange(range[0], range[1]);
          ArrayNode data = JSON.arrayNode();
          for (Map<String, String> labels : streamsOf(groups, range[0], range[1], "the series request")) {
            ObjectNode o = data.addObject();
            labels.forEach(o::put);
          }
          return success(data);
        });
  }

  /**
   * Loki's index statistics of a stream selector over {@code [start, end)}: {@code
   * {"streams":N,"chunks":N,"entries":N,"bytes":N}}, counted exactly from the records, with bytes
   * the UTF-8 length of the lines. Faultline keeps no chunks, so {@code chunks} is an estimate of
   * what Loki would hold with its default {@code max_chunk_age} of 2h: per stream, the number of
   * 2-hour windows since the epoch in which the stream has records (Loki cuts more chunks for
   * streams over its size target, fewer never).
   */
  private ObjectNode indexStats(LokiParams p) {
    return run(
        () -> {
          RangeRequest r = rangeRequest(p);
          List<LogQl.Matcher> selector = matchers(p.value("query"));
          if (selector == null) {
            throw new LogQueryException(ONLY_MATCHERS);
          }
          checkRange(r.start(), r.end());
          Set<Map<String, String>> streams = new HashSet<>();
          Set<List<Object>> chunks = new HashSet<>();
          long[] entriesAndBytes = new long[2];
          eachRecord(
              selector,
              r.start(),
              r.end(),
              MetricEngine.MAX_RECORDS,
              "the index stats request",
              (entry, labels) -> {
                streams.add(labels);
                chunks.add(List.of(labels, Math.floorDiv(entry.timestampNanos(), CHUNK_AGE_NANOS)));
                entriesAndBytes[0]++;
                entriesAndBytes[1] += MetricEngine.utf8Length(LogJson.line(entry));
              });
          ObjectNode o = JSON.objectNode();
          o.put("streams", streams.size());
          o.put("chunks", chunks.size());
          o.put("entries", entriesAndBytes[0]);
          o.put("bytes", entriesAndBytes[1]);
          return o;
        });
  }

  /**
   * Loki's log volume ({@code index/volume}, {@code index/volume_range}): the bytes of the lines of
   * the streams matching a stream selector, summed per series of the selector's label names (or of
   * {@code targetLabels}; {@code aggregateBy=labels} sums per label name instead, the metric being
   * {@code {"<name>": ""}}). Each time bucket keeps its {@code limit} largest series (ties by
   * name), as Loki's volume accumulator does, and the series are ordered by their first sample,
   * largest first. Buckets are Loki's {@code util.ForInterval} splits: the instant endpoint has one,
   * stamped {@code end}; the range endpoint cuts at multiples of {@code step} since the epoch, each
   * stamped at its end (1ms before the cut, the last one {@code end}). As in Loki the answer is a
   * {@code vector} unless some series has more than one sample, then a {@code matrix}; a series has
   * no sample in a bucket where it had no bytes. Loki reads sizes from its index (whole chunks, in
   * KiB); Faultline counts the UTF-8 bytes of each line in {@code [start, end)} exactly, as {@code
   * index/stats} does.
   */
  private ObjectNode volume(LokiParams p, boolean range) {
    return run(
        () -> {
          int limit = volumeLimit(p);
          Instant s;
          Instant e;
          long stepNanos = 0;
          if (range) {
            RangeRequest r = rangeRequest(p, LokiResource::volumeLimit);
            s = r.start();
            e = r.end();
            stepNanos = r.stepNanos();
          } else {
            // Loki parses the volume request as an instant query first, then reads its bounds
            p.param("time", clock.instant());
            direction(p);
            Instant[] bounds = p.bounds(clock.instant(), DEFAULT_RANGE);
            s = bounds[0];
            e = bounds[1];
            if (e.isBefore(s)) {
              throw new LogQueryException(END_BEFORE_START);
            }
          }
          boolean bySeries = aggregateBySeries(p);
          List<String> targets = targetLabels(p);
          List<LogQl.Matcher> selector = matchers(p.value("query"));
          if (selector == null) {
            throw new LogQueryException(ONLY_MATCHERS);
          }
          checkRange(s, e);
          return volume(selector, s, e, stepNanos, limit, bySeries, targets);
        });
  }

  private ObjectNode volume(
      List<LogQl.Matcher> selector,
      Instant s,
      Instant e,
      long stepNanos,
      int limit,
      boolean bySeries,
      List<String> targets) {
    // Loki's PrepareLabelsAndMatchers: target labels the selector does not name must be non-empty
    List<LogQl.Matcher> matchers = new ArrayList<>(selector);
    Set<String> groupBy = new TreeSet<>(targets);
    if (targets.isEmpty()) {
      selector.forEach(m -> groupBy.add(m.name()));
    } else {
      for (String target : targets) {
        if (selector.stream().noneMatch(m -> m.name().equals(target))) {
          matchers.add(new LogQl.Matcher(target, LogQl.Op.RE, ".+", Pattern.compile("(?s).+")));
        }
      }
    }
    long startNanos = nanos(s);
    long endNanos = nanos(e);
    long alignedStart = stepNanos == 0 ? startNanos : startNanos - startNanos % stepNanos;
    List<Map<String, long[]>> buckets = new ArrayList<>();
    Map<String, Map<String, String>> metrics = new HashMap<>();
    eachRecord(
        matchers,
        s,
        e,
        MetricEngine.MAX_RECORDS,
        "the volume request",
        (entry, labels) -> {
          int bucket = stepNanos == 0 ? 0 : (int) ((entry.timestampNanos() - alignedStart) / stepNanos);
          while (buckets.size() <= bucket) {
            buckets.add(new HashMap<>());
          }
          long bytes = MetricEngine.utf8Length(LogJson.line(entry));
          Map<String, long[]> volumes = buckets.get(bucket);
          if (bySeries) {
            Map<String, String> series = new TreeMap<>();
            labels.forEach((k, v) -> {
              if (groupBy.contains(k) && !v.isEmpty()) {
                series.put(k, v);
              }
            });
            String name = seriesName(series);
            metrics.putIfAbsent(name, series);
            volumes.computeIfAbsent(name, k -> new long[1])[0] += bytes;
          } else {
            labels.forEach((k, v) -> {
              if ((targets.isEmpty() || targets.contains(k)) && !v.isEmpty()) {
                metrics.putIfAbsent(k, Map.of(k, ""));
                volumes.computeIfAbsent(k, n -> new long[1])[0] += bytes;
              }
            });
          }
          if (volumes.size() > MAX_VOLUME_SERIES) {
            throw new LogQueryException(
                "the query hit the max number of series limit (limit: " + MAX_VOLUME_SERIES + " series)");
          }
        });
    // every bucket's largest series, then per series its samples in time order
    Map<String, List<long[]>> samples = new HashMap<>();
    for (int b = 0; b < buckets.size(); b++) {
      long bucketEnd = alignedStart + (b + 1) * stepNanos;
      long stamp = stepNanos == 0 || bucketEnd >= endNanos ? endNanos : bucketEnd - 1_000_000L;
      List<Map.Entry<String, long[]>> top = new ArrayList<>(buckets.get(b).entrySet());
      top.sort(VOLUME_ORDER);
      for (Map.Entry<String, long[]> v : top.subList(0, Math.min(limit, top.size()))) {
        samples.computeIfAbsent(v.getKey(), k -> new ArrayList<>()).add(new long[] {stamp, v.getValue()[0]});
      }
    }
    List<Map.Entry<String, long[]>> order = new ArrayList<>();
    samples.forEach((name, points) -> order.add(Map.entry(name, new long[] {points.get(0)[1]})));
    order.sort(VOLUME_ORDER);
    boolean matrix = samples.values().stream().anyMatch(points -> points.size() > 1);
    ObjectNode data = JSON.objectNode();
    data.put("resultType", matrix ? "matrix" : "vector");
    ArrayNode result = data.putArray("result");
    for (Map.Entry<String, long[]> series : order) {
      ObjectNode o = result.addObject();
      ObjectNode metric = o.putObject("metric");
      metrics.get(series.getKey()).forEach(metric::put);
      List<long[]> points = samples.get(series.getKey());
      if (matrix) {
        ArrayNode values = o.putArray("values");
        points.forEach(pt -> values.addArray().add(time(pt[0])).add(LokiFormat.value(pt[1])));
      } else {
        o.putArray("value").add(time(points.get(0)[0])).add(LokiFormat.value(points.get(0)[1]));
      }
    }
    return success(data);
  }

  /** Largest volume first, then by name, as Loki's {@code MapToVolumeResponse} sorts. */
  private static final Comparator<Map.Entry<String, long[]>> VOLUME_ORDER =
      Comparator.<Map.Entry<String, long[]>>comparingLong(v -> -v.getValue()[0]).thenComparing(Map.Entry::getKey);

  /** A label set as Prometheus' {@code Labels.String} writes it, the name Loki sorts series by. */
  private static String seriesName(Map<String, String> sortedLabels) {
    StringBuilder b = new StringBuilder("{");
    sortedLabels.forEach((k, v) -> {
      if (b.length() > 1) {
        b.append(", ");
      }
      b.append(k).append("=\"").append(v.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    });
    return b.append('}').toString();
  }

  /** Loki's {@code volumeLimit}: {@value #DEFAULT_LIMIT} when absent or 0, else positive. */
  private static int volumeLimit(LokiParams p) {
    int n = integer(p.value("limit"), DEFAULT_LIMIT);
    if (n == 0) {
      return DEFAULT_LIMIT;
    }
    if (n < 0) {
      throw new LogQueryException("limit must be a positive value");
    }
    return n;
  }

  private static boolean aggregateBySeries(LokiParams p) {
    String by = p.value("aggregateBy");
    if (by == null || by.isEmpty() || by.equals("series")) {
      return true;
    }
    if (by.equals("labels")) {
      return false;
    }
    throw new LogQueryException("invalid aggregation option");
  }

  /** Loki's {@code targetLabels}: the comma-separated names, none when the parameter is empty. */
  private static List<String> targetLabels(LokiParams p) {
    String text = p.value("targetLabels");
    if (text == null || text.isEmpty()) {
      return List.of();
    }
    return List.of(text.split(",", -1));
  }

  /**
   * The stream labels of the streams matching {@code query} (every stream without one) in {@code
   * [start, end)}, each with its number of distinct values, as Loki's {@code detected_labels}
   * answers Logs Drilldown: {@code {"detectedLabels":[{"label":"level","cardinality":3}]}}, sorted
   * by label here (Loki's order is its map's). Loki leaves out a label whose values are all IDs
   * ({@link DetectedValues#rejectLabel}) unless it is one of {@link DetectedValues#STATIC_LABELS},
   * and leaves {@code detectedLabels} out of the object when no label is left. Loki estimates the
   * cardinality with a HyperLogLog sketch, exact at these sizes; Faultline counts.
   */
  private ObjectNode detectedLabels(LokiParams p) {
    return run(
        () -> {
          Instant[] range = p.bounds(clock.instant(), DEFAULT_RANGE);
          if (range[1].isBefore(range[0])) {
            throw new LogQueryException(END_BEFORE_START);
          }
          List<LogQl.Matcher> selector = matchers(p.value("query"));
          checkRange(range[0], range[1]);
          Map<String, Set<String>> values = new TreeMap<>();
          if (selector == null) {
            for (String name : queries.labelNames(range[0], range[1])) {
              values.put(name, new TreeSet<>(queries.labelValues(name, range[0], range[1])));
            }
          } else {
            for (Map<String, String> labels : streamsOf(List.of(selector), range[0], range[1], "the detected labels request")) {
              labels.forEach((k, v) -> {
                if (!v.isEmpty()) {
                  values.computeIfAbsent(k, n -> new TreeSet<>()).add(v);
                }
              });
            }
          }
          ObjectNode o = JSON.objectNode();
          values.forEach(
              (label, vs) -> {
                if (DetectedValues.STATIC_LABELS.contains(label) || !DetectedValues.rejectLabel(vs)) {
                  ArrayNode a = o.has("detectedLabels") ? (ArrayNode) o.get("detectedLabels") : o.putArray("detectedLabels");
                  a.addObject().put("label", label).put("cardinality", vs.size());
                }
              });
          return o;
        });
  }

  /** A sampled line of {@code detected_fields}: its stream labels and labels after the pipeline. */
  private record SampledLine(Map<String, String> stream, LineLabels labels, String line) {}

  /**
   * Loki's {@code detected_fields} (name null) and {@code detected_field/{name}/values}: the query
   * (a log query, pipeline allowed) is run backward for at most {@code line_limit} (default {@value
   * #DEFAULT_LIMIT}) lines, and each line's fields are its structured metadata, the labels its
   * pipeline parsed, and what Loki's json parser finds in the line, or its logfmt parser when the
   * line is not JSON ({@code parsers} names which; {@code null} for metadata). At most {@code limit}
   * (or the older {@code field_limit}, default {@value #DEFAULT_FIELD_LIMIT}) fields, the first
   * found. The answer is Loki's {@code {"fields":[{"label":"user_id","type":"string",
   * "cardinality":1,"parsers":["logfmt"]}],"limit":1000}}, sorted by label here; a field's type is
   * {@link DetectedValues#type} of its value in the last line read, as Loki re-detects it per line.
   * The values endpoint answers {@code {"values":[...],"limit":N}} with the field's distinct values
   * (byte sizes respelled by {@link DetectedValues#fieldValue}), sorted, stopping once {@code
   * limit} are found. Both answer {@code {}} when nothing is found, as Loki leaves out empty
   * fields.
   */
  private ObjectNode detectedFields(String name, LokiParams p) {
    return run(
        () -> {
          // ParseDetectedFieldsQuery's order, then the query frontend's checks
          Instant[] range = p.bounds(clock.instant(), DEFAULT_RANGE);
          if (range[1].isBefore(range[0])) {
            throw new LogQueryException(END_BEFORE_START);
          }
          int lineLimit = positive(p.value("line_limit"), DEFAULT_LIMIT);
          String limitText = p.value("limit");
          int limit = positive(limitText == null || limitText.isEmpty() ? p.value("field_limit") : limitText, DEFAULT_FIELD_LIMIT);
          step(p, range[0], range[1]);
          LogQlExpr expr = LogQl.parseExpr(p.value("query"));
          if (!(expr instanceof LogQlExpr.Logs logs)) {
            throw new LogQueryException("only log selector is supported");
          }
          entriesLimit(lineLimit);
          checkRange(range[0], range[1]);
          LogQl ql = logs.query();
          Map<Map<String, String>, List<SampledLine>> streams = new LinkedHashMap<>();
          eachLine(
              ql.selector(),
              range[0],
              range[1],
              lineLimit,
              LogQuery.Direction.BACKWARD,
              entry -> {
                Map<String, String> stream = labels(entry);
                if (!selectorMatches(ql.selector(), stream)) {
                  return false;
                }
                String text = LogJson.line(entry);
                LineLabels labels = lineLabels(entry, stream, text);
                String line = LogPipeline.apply(ql.stages(), text, labels);
                if (line == null) {
                  return false;
                }
                streams.computeIfAbsent(labels.stream(), k -> new ArrayList<>()).add(new SampledLine(stream, labels, line));
                return true;
              });
          return name == null ? fields(streams, limit) : fieldValues(streams, limit, name);
        });
  }

  /** What Loki keeps of one field while reading the sampled lines. */
  private static final class Field {
    final Set<String> values = new HashSet<>();
    final List<String> parsers;
    String type = "string";

    Field(List<String> parsers) {
      this.parsers = new ArrayList<>(parsers);
    }

    void add(Collection<String> vs) {
      type = DetectedValues.type(vs.iterator().next());
      values.addAll(vs);
    }
  }

  private static ObjectNode fields(Map<Map<String, String>, List<SampledLine>> streams, int limit) {
    Map<String, Field> fields = new TreeMap<>();
    for (List<SampledLine> lines : streams.values()) {
      for (SampledLine l : lines) {
        l.labels().structuredMetadata().forEach((k, v) -> {
          if (fields.containsKey(k) || fields.size() < limit) {
            fields.computeIfAbsent(k, n -> new Field(List.of())).add(List.of(v));
          }
        });
        List<String> parsers = new ArrayList<>();
        parsedFields(l, parsers).forEach((k, vs) -> {
          if (fields.containsKey(k) || fields.size() < limit) {
            Field f = fields.computeIfAbsent(k, n -> new Field(parsers));
            parsers.stream().filter(x -> !f.parsers.contains(x)).forEach(f.parsers::add);
            f.add(vs);
          }
        });
      }
    }
    ObjectNode o = JSON.objectNode();
    if (fields.isEmpty()) {
      return o;
    }
    ArrayNode a = o.putArray("fields");
    fields.forEach((label, f) -> {
      ObjectNode field = a.addObject();
      field.put("label", label);
      field.put("type", f.type);
      field.put("cardinality", f.values.size());
      if (f.parsers.isEmpty()) {
        field.putNull("parsers");
      } else {
        f.parsers.forEach(field.withArray("parsers")::add);
      }
    });
    o.put("limit", limit);
    return o;
  }

  private static ObjectNode fieldValues(Map<Map<String, String>, List<SampledLine>> streams, int limit, String name) {
    Set<String> values = new TreeSet<>();
    for (List<SampledLine> lines : streams.values()) {
      for (SampledLine l : lines) {
        if (values.size() >= limit) {
          break;
        }
        String metadata = l.labels().structuredMetadata().get(name);
        if (metadata != null) {
          values.add(metadata);
        }
        Set<String> parsed = parsedFields(l, new ArrayList<>()).get(name);
        if (parsed != null) {
          parsed.forEach(v -> values.add(DetectedValues.fieldValue(v)));
        }
      }
    }
    ObjectNode o = JSON.objectNode();
    if (!values.isEmpty()) {
      values.forEach(o.putArray("values")::add);
      o.put("limit", limit);
    }
    return o;
  }

  private static final List<LogQl.Stage> JSON_PARSER = List.of(new LogQl.Parser("json"));
  private static final List<LogQl.Stage> LOGFMT_PARSER = List.of(new LogQl.LogfmtParser(false, false, List.of()));
  private static final Set<String> ERROR_LABELS = Set.of("__error__", "__error_details__", "__preserve_error__");

  /**
   * Loki's {@code parseEntry}: the labels the query's pipeline parsed, and those Loki's json parser
   * finds in the line over its stream labels, or its logfmt parser's when json fails (adding {@code
   * "json"} or {@code "logfmt"} to {@code parsers}); error labels left out.
   */
  private static Map<String, Set<String>> parsedFields(SampledLine l, List<String> parsers) {
    Map<String, Set<String>> parsed = new TreeMap<>();
    Map<String, String> fromQuery = l.labels().parsed();
    fromQuery.forEach((k, v) -> parsed.computeIfAbsent(k, n -> new TreeSet<>()).add(v));
    Map<String, String> stream = new LinkedHashMap<>(l.stream());
    stream.keySet().removeAll(fromQuery.keySet());
    LineLabels auto = new LineLabels(stream, Map.of());
    LogPipeline.apply(JSON_PARSER, l.line(), auto);
    String parser = "json";
    if (auto.containsKey("__error__")) {
      auto = new LineLabels(stream, Map.of());
      LogPipeline.apply(LOGFMT_PARSER, l.line(), auto);
      parser = "logfmt";
    }
    parsers.add(parser);
    auto.parsed().forEach((k, v) -> parsed.computeIfAbsent(k, n -> new TreeSet<>()).add(v));
    parsed.keySet().removeAll(ERROR_LABELS);
    return parsed;
  }

  /** A stream selector without pipeline, as Loki's {@code ParseMatchers}; null when absent. */
  private static List<LogQl.Matcher> matchers(String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    LogQlExpr expr = LogQl.parseExpr(text);
    if (!(expr instanceof LogQlExpr.Logs logs) || !logs.query().stages().isEmpty()) {
      throw new LogQueryException(ONLY_MATCHERS);
    }
    return logs.query().selector();
  }

  /** The distinct stream label sets of the records matching any of the selectors, sorted. */
  private Set<Map<String, String>> streamsOf(
      List<List<LogQl.Matcher>> selectors, Instant s, Instant e, String what) {
    Set<Map<String, String>> streams = new TreeSet<>(Comparator.comparing(Map::toString));
    for (List<LogQl.Matcher> selector : selectors) {
      eachRecord(selector, s, e, MetricEngine.MAX_RECORDS, what, (entry, labels) -> streams.add(new TreeMap<>(labels)));
    }
    return streams;
  }

  private Instant[] labelRange(LokiParams p) {
    Instant[] range = p.bounds(clock.instant(), DEFAULT_LABEL_RANGE);
    checkRange(range[0], range[1]);
    return range;
  }

  private static void checkRange(Instant s, Instant e) {
    if (e.isBefore(s)) {
      throw new LogQueryException(END_BEFORE_START);
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
    eachRecord(
        selector,
        s,
        e,
        maxRecords,
        "the metric query",
        (entry, labels) -> {
          String line = LogJson.line(entry);
          sink.accept(entry.timestampNanos(), line, lineLabels(entry, labels, line));
        });
  }

  /**
   * Every record in {@code [s, e)} matching the selector, oldest first, with its stream labels.
   *
   * @param what names the request in the error when more than {@code maxRecords} would be read
   */
  private void eachRecord(
      List<LogQl.Matcher> selector,
      Instant s,
      Instant e,
      long maxRecords,
      String what,
      BiConsumer<LogEntry, Map<String, String>> consumer) {
    String lucene = prefilter(selector, s, e);
    if (lucene == null || !e.isAfter(s)) {
      return;
    }
    LogQuery q = new LogQuery(lucene, s, e, LogQuery.Direction.FORWARD, LogQuery.MAX_LIMIT, null);
    while (true) {
      LogPage page = queries.search(q);
      if (q.cursor() == null && page.total() > maxRecords) {
        throw new LogQueryException(
            what + " would read " + page.total() + " log records of its stream selector between " + s
                + " and " + e + ", more than the limit of " + maxRecords + "; narrow the stream"
                + " selector or shorten the time range");
      }
      for (LogEntry entry : page.logs()) {
        Map<String, String> labels = labels(entry);
        if (selectorMatches(selector, labels)) {
          consumer.accept(entry, labels);
        }
      }
      if (page.nextCursor() == null) {
        return;
      }
      q = q.next(page.nextCursor());
    }
  }

  /**
   * A log query's answer. Each line's labels are its stream labels, its structured metadata and
   * what the pipeline parsed; by default all of them make up the line's stream, as Loki answers.
   * With {@code categorize}, streams are keyed by the stream labels only and each value is {@code
   * ["<ns>", "<line>", {"structuredMetadata": {...}, "parsed": {...}}]} (an empty category left
   * out, {@code {}} when both are), with {@code "encodingFlags": ["categorize-labels"]} in {@code
   * data}, as Loki answers Grafana.
   */
  ObjectNode streams(
      LogQl ql, Instant s, Instant e, int limit, LogQuery.Direction direction, boolean categorize) {
    Map<Map<String, String>, List<Object[]>> streams = new LinkedHashMap<>();
    int[] foundAndScanned =
        eachLine(ql.selector(), s, e, limit, direction, entry -> collect(ql, entry, streams, categorize));
    int found = foundAndScanned[0];
    int scanned = foundAndScanned[1];
    ObjectNode data = JSON.objectNode();
    data.put("resultType", "streams");
    if (categorize) {
      data.putArray("encodingFlags").add(CATEGORIZE_LABELS);
    }
    data.set("result", result(streams));
    ObjectNode summary = data.putObject("stats").putObject("summary");
    summary.put("totalEntriesReturned", found);
    summary.put("totalLinesProcessed", scanned);
    return success(data);
  }

  /**
   * Offers the records of {@code selector}'s prefilter in {@code [s, e)} to {@code keep}, in
   * {@code direction}, until it has kept {@code limit} of them or {@value #MAX_SCANNED} were read:
   * {@code {kept, read}}.
   */
  private int[] eachLine(
      List<LogQl.Matcher> selector,
      Instant s,
      Instant e,
      int limit,
      LogQuery.Direction direction,
      Predicate<LogEntry> keep) {
    int found = 0;
    int scanned = 0;
    String lucene = prefilter(selector, s, e);
    if (lucene != null) {
      LogQuery q = new LogQuery(lucene, s, e, direction, PAGE, null);
      while (found < limit && scanned < MAX_SCANNED) {
        LogPage page = queries.search(q);
        for (LogEntry entry : page.logs()) {
          scanned++;
          if (keep.test(entry) && ++found == limit) {
            break;
          }
        }
        if (page.nextCursor() == null) {
          break;
        }
        q = q.next(page.nextCursor());
      }
    }
    return new int[] {found, scanned};
  }

  /**
   * Adds one record to {@code streams} when it passes the query's stream selector and pipeline:
   * keyed by all its labels, or with {@code categorize} by its stream labels with the categories
   * as a third value. Whether it was added.
   */
  static boolean collect(
      LogQl ql, LogEntry entry, Map<Map<String, String>, List<Object[]>> streams, boolean categorize) {
    Map<String, String> stream = labels(entry);
    if (!selectorMatches(ql.selector(), stream)) {
      return false;
    }
    String text = LogJson.line(entry);
    LineLabels labels = lineLabels(entry, stream, text);
    String line = LogPipeline.apply(ql.stages(), text, labels);
    if (line == null) {
      return false;
    }
    String ns = Long.toString(entry.timestampNanos());
    if (categorize) {
      ObjectNode categories = JSON.objectNode();
      putUnlessEmpty(categories, "structuredMetadata", labels.structuredMetadata());
      putUnlessEmpty(categories, "parsed", labels.parsed());
      streams.computeIfAbsent(labels.stream(), k -> new ArrayList<>()).add(new Object[] {ns, line, categories});
    } else {
      streams.computeIfAbsent(new TreeMap<>(labels), k -> new ArrayList<>()).add(new Object[] {ns, line});
    }
    return true;
  }

  /** Collected streams as Loki's {@code result}: {@code [{"stream": {...}, "values": [...]}]}. */
  static ArrayNode result(Map<Map<String, String>, List<Object[]>> streams) {
    ArrayNode result = JSON.arrayNode();
    streams.forEach(
        (labels, values) -> {
          ObjectNode stream = result.addObject();
          ObjectNode l = stream.putObject("stream");
          labels.forEach(l::put);
          ArrayNode vs = stream.putArray("values");
          for (Object[] v : values) {
            ArrayNode value = vs.addArray().add((String) v[0]).add((String) v[1]);
            if (v.length > 2) {
              value.add((JsonNode) v[2]);
            }
          }
        });
    return result;
  }

  private static void putUnlessEmpty(ObjectNode o, String name, Map<String, String> labels) {
    if (!labels.isEmpty()) {
      ObjectNode m = o.putObject(name);
      labels.forEach(m::put);
    }
  }

  /**
   * A line's labels for its pipeline: the stream labels, then its {@link StructuredMetadata} with
   * {@code detected_level} ({@link LevelDetection}) last, as Loki's distributor adds it.
   */
  static LineLabels lineLabels(LogEntry entry, Map<String, String> stream, String line) {
    Map<String, String> metadata = StructuredMetadata.of(entry);
    metadata.put("detected_level", LevelDetection.detectedLevel(stream.get("level"), metadata, line));
    return new LineLabels(stream, metadata);
  }

  /**
   * The stream selector as a Lucene query that finds a superset of the matching records (each is
   * checked against the selector afterwards), or null when nothing can match.
   */
  String prefilter(List<LogQl.Matcher> selector, Instant s, Instant e) {
    StringBuilder q = new StringBuilder("+*:*");
    for (LogQl.Matcher m : selector) {
      List<String> fields = labelFields(m.name());
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
    // the labels of streams pushed through Loki's push API (LokiPushResource), kept as resource
    // attributes of the same name; the labels above win over a pushed label of the same name
    for (KeyValue kv : e.resource().getAttributesList()) {
      if (kv.getValue().hasStringValue()
          && !kv.getValue().getStringValue().isEmpty()
          && LogEntry.isStreamLabelKey(kv.getKey())) {
        labels.putIfAbsent(kv.getKey(), kv.getValue().getStringValue());
      }
    }
    return labels;
  }

  /**
   * The index fields a stream label is looked up in: the fixed labels' ({@link #LABEL_FIELDS}),
   * else {@code resource.<name>} for a label pushed through Loki's push API; null for a name that
   * cannot be a stream label.
   */
  static List<String> labelFields(String name) {
    List<String> fields = LABEL_FIELDS.get(name);
    if (fields == null && LogEntry.isStreamLabelKey(name)) {
      return List.of("resource." + name);
    }
    return fields;
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
