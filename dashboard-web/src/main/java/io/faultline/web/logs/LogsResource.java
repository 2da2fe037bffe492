/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.logs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.faultline.core.log.LogEntry;
import io.faultline.core.log.LogPage;
import io.faultline.core.log.LogQueries;
import io.faultline.core.log.LogQuery;
import io.faultline.core.log.LogQueryException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log API (interfaces.md, "Logs"). Every endpoint takes {@code query} (Lucene syntax, see
 * {@link LogQuery}), {@code start} and {@code end} (RFC 3339 or Unix milliseconds; default the
 * last hour; at most {@link #MAX_RANGE} apart). A bad parameter or query gets 400 with {@code
 * {"error": "..."}} saying what is wrong (and where, for syntax errors).
 *
 * <ul>
 *   <li>{@code GET /api/logs?limit=&direction=backward|forward&cursor=}: {@code {"total":N,
 *       "logs":[...], "nextCursor": "..." or null}}.
 *   <li>{@code GET /api/logs/histogram?step=}: {@code {"buckets":[{"start":ms,"count":N}]}};
 *       {@code step} a Prometheus duration, by default a hundredth of the range (at least 1 s).
 *   <li>{@code GET /api/logs/fields?limit=}: {@code {"fields":[{"name":"service","values":
 *       [{"value":"payments","count":12}]}]}}, {@code limit} values per field (default 10).
 *   <li>{@code GET /api/logs/tail?query=}: Server-Sent Events, one {@code log} event per new
 *       matching record (data: the record's JSON) within a second of its arrival; the last event
 *       of each poll carries an id, and a reconnect with {@code Last-Event-ID} resumes there.
 * </ul>
 */
@Path("/api/logs")
@Produces(MediaType.APPLICATION_JSON)
public final class LogsResource {
  static final int DEFAULT_LIMIT = 100;
  static final int DEFAULT_FACET_VALUES = 10;
  static final Duration DEFAULT_RANGE = Duration.ofHours(1);
  static final Duration MAX_RANGE = Duration.ofDays(31);
  static final Duration TAIL_POLL = Duration.ofMillis(200);
  static final Duration TAIL_KEEPALIVE = Duration.ofSeconds(15);
  static final int TAIL_BATCH = 500;

  private static final Logger LOG = LoggerFactory.getLogger(LogsResource.class);
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final LogQueries queries;
  private final Clock clock;
  private final ScheduledExecutorService tailer;

  public LogsResource(LogQueries queries, Clock clock) {
    this.queries = Objects.requireNonNull(queries, "queries");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.tailer =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "faultline-log-tail");
              t.setDaemon(true);
              return t;
            });
  }

  @GET
  public ObjectNode search(
      @QueryParam("query") String query,
      @QueryParam("start") String start,
      @QueryParam("end") String end,
      @QueryParam("limit") String limit,
      @QueryParam("direction") String direction,
      @QueryParam("cursor") String cursor) {
    return run(
        () -> {
          LogQuery q =
              query(query, start, end, LogParams.integer("limit", limit, DEFAULT_LIMIT, 1, LogQuery.MAX_LIMIT),
                  direction, cursor);
          LogPage page = queries.search(q);
          ObjectNode out = JSON.objectNode();
          out.put("total", page.total());
          ArrayNode logs = out.putArray("logs");
          for (LogEntry e : page.logs()) {
            logs.add(LogJson.entry(e));
          }
          out.put("nextCursor", page.nextCursor());
          return out;
        });
  }

  @GET
  @Path("histogram")
  public ObjectNode histogram(
      @QueryParam("query") String query,
      @QueryParam("start") String start,
      @QueryParam("end") String end,
      @QueryParam("step") String step) {
    return run(
        () -> {
          LogQuery q = query(query, start, end, 1, null, null);
          Duration s =
              step == null || step.isBlank()
                  ? autoStep(Duration.between(q.start(), q.end()))
                  : LogParams.duration("step", step);
          if (s.isZero() || s.isNegative()) {
            throw new LogQueryException("step must be positive, got '" + step + "'");
          }
          ObjectNode out = JSON.objectNode();
          ArrayNode buckets = out.putArray("buckets");
          for (LogQueries.Bucket b : queries.histogram(q, s)) {
            buckets.addObject().put("start", b.startMillis()).put("count", b.count());
          }
          return out;
        });
  }

  @GET
  @Path("fields")
  public ObjectNode fields(
      @QueryParam("query") String query,
      @QueryParam("start") String start,
      @QueryParam("end") String end,
      @QueryParam("limit") String limit) {
    return run(
        () -> {
          LogQuery q = query(query, start, end, 1, null, null);
          int values = LogParams.integer("limit", limit, DEFAULT_FACET_VALUES, 1, 1000);
          ObjectNode out = JSON.objectNode();
          ArrayNode fields = out.putArray("fields");
          for (LogQueries.FieldValues f : queries.fields(q, values)) {
            ObjectNode field = fields.addObject();
            field.put("name", f.name());
            ArrayNode vs = field.putArray("values");
            for (LogQueries.ValueCount v : f.values()) {
              vs.addObject().<ObjectNode>set("value", LogJson.value(v.value())).put("count", v.count());
            }
          }
          return out;
        });
  }

  @GET
  @Path("tail")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  public void tail(
      @QueryParam("query") String query,
      @HeaderParam("Last-Event-ID") String lastEventId,
      @Context SseEventSink sink,
      @Context Sse sse) {
    String text = query == null ? "" : query;
    String from = lastEventId == null || lastEventId.isBlank() ? queries.tailCursor() : lastEventId;
    // the first poll runs here, so a bad query or cursor is a plain 400 before the stream opens
    LogQueries.TailPage first = run(() -> queries.tail(text, from, TAIL_BATCH));
    AtomicReference<String> cursor = new AtomicReference<>(first.cursor());
    AtomicReference<ScheduledFuture<?>> task = new AtomicReference<>();
    long[] lastSend = {System.nanoTime()};
    Runnable poll =
        () -> {
          try {
            if (sink.isClosed()) {
              task.get().cancel(false);
              return;
            }
            LogQueries.TailPage page = queries.tail(text, cursor.get(), TAIL_BATCH);
            send(sink, sse, page.logs(), page.cursor());
            cursor.set(page.cursor());
            if (!page.logs().isEmpty()) {
              lastSend[0] = System.nanoTime();
            } else if (System.nanoTime() - lastSend[0] > TAIL_KEEPALIVE.toNanos()) {
              // a comment finds out whether the client is still there
              sink.send(sse.newEventBuilder().comment("keepalive").build());
              lastSend[0] = System.nanoTime();
            }
          } catch (RuntimeException e) {
            LOG.debug("log tail ended: {}", e.toString());
            sink.close();
            ScheduledFuture<?> f = task.get();
            if (f != null) {
              f.cancel(false);
            }
          }
        };
    send(sink, sse, first.logs(), first.cursor());
    task.set(
        tailer.scheduleWithFixedDelay(
            poll, TAIL_POLL.toMillis(), TAIL_POLL.toMillis(), TimeUnit.MILLISECONDS));
  }

  private static void send(SseEventSink sink, Sse sse, List<LogEntry> logs, String cursor) {
    for (int i = 0; i < logs.size(); i++) {
      var event =
          sse.newEventBuilder()
              .name("log")
              .mediaType(MediaType.APPLICATION_JSON_TYPE)
              .data(String.class, LogJson.entry(logs.get(i)).toString());
      if (i == logs.size() - 1) {
        event.id(cursor);
      }
      sink.send(event.build());
    }
  }

  private LogQuery query(
      String query, String start, String end, int limit, String direction, String cursor) {
    Instant now = clock.instant();
    Instant e = LogParams.time("end", end, now);
    Instant s = LogParams.time("start", start, e.minus(DEFAULT_RANGE));
    if (e.isBefore(s)) {
      throw new LogQueryException("end (" + e + ") is before start (" + s + ")");
    }
    if (Duration.between(s, e).compareTo(MAX_RANGE) > 0) {
      throw new LogQueryException(
          "the time range from " + s + " to " + e + " is wider than the " + MAX_RANGE.toDays()
              + " days allowed; narrow it");
    }
    LogQuery.Direction d = LogQuery.Direction.BACKWARD;
    if (direction != null && !direction.isBlank()) {
      try {
        d = LogQuery.Direction.valueOf(direction.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException ex) {
        throw new LogQueryException("direction must be backward or forward, got '" + direction + "'");
      }
    }
    return new LogQuery(query == null ? "" : query, s, e, d, limit,
        cursor == null || cursor.isBlank() ? null : cursor);
  }

  static Duration autoStep(Duration range) {
    long millis = Math.max(1000, range.toMillis() / 100);
    return Duration.ofMillis(millis - millis % 1000);
  }

  private static <T> T run(java.util.function.Supplier<T> body) {
    try {
      return body.get();
    } catch (LogQueryException e) {
      throw error(Response.Status.BAD_REQUEST, e.getMessage(), e.position());
    } catch (UncheckedIOException e) {
      LOG.error("a log query failed", e);
      throw error(Response.Status.INTERNAL_SERVER_ERROR,
          "the log store failed: " + e.getMessage() + "; check the server log and disk", -1);
    }
  }

  private static WebApplicationException error(Response.Status status, String message, int position) {
    ObjectNode body = JSON.objectNode().put("error", message);
    if (position >= 0) {
      body.put("position", position);
    }
    return new WebApplicationException(
        message, Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(body).build());
  }
}
