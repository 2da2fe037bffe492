/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.faultline.core.auth.Credentials;
import io.faultline.core.log.LogEntry;
import io.faultline.core.log.LogQueries;
import io.faultline.core.log.LogQuery;
import io.faultline.core.log.LogQueryException;
import io.faultline.web.auth.AccessRefusal;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.websocket.server.JettyServerUpgradeRequest;
import org.eclipse.jetty.ee10.websocket.server.JettyServerUpgradeResponse;
import org.eclipse.jetty.ee10.websocket.server.config.JettyWebSocketServletContainerInitializer;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loki's {@code GET /loki/api/v1/tail} WebSocket, as Grafana's "Live" log view opens it: {@code
 * query} (a LogQL log query), {@code limit} (default 100), {@code start} (Unix nanoseconds, default
 * an hour ago) and {@code delay_for} (0 to 5 seconds). It first sends up to {@code limit} of the
 * newest matching lines since {@code start}, then every new matching line as it is stored, each
 * message {@code {"streams": [{"stream": {...}, "values": [["<ns>", "<line>"]]}]}}. New lines come
 * from the log store's tail cursor (every stored record once, in arrival order), so a line that
 * arrives late is not missed.
 *
 * <p>The upgrade is authenticated like the query API: a request the {@code authenticate} function
 * answers with a reason gets that status and reason instead of a WebSocket.
 */
public final class LokiTail {
  public static final String PATH = "/loki/api/v1/tail";

  /** Loki's default and maximum {@code limit} for a tail. */
  static final int DEFAULT_LIMIT = 100;

  static final int MAX_LIMIT = 5000;
  static final Duration POLL = Duration.ofMillis(500);
  static final Duration MAX_DELAY = Duration.ofSeconds(5);
  private static final int BATCH = 1000;
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final Logger LOG = LoggerFactory.getLogger(LokiTail.class);

  private final LokiResource loki;
  private final LogQueries queries;
  private final Clock clock;
  private final ScheduledExecutorService poller;
  private final Function<String, AccessRefusal> authenticate;

  /**
   * @param loki the Loki API over the same {@code queries}: its selection and stream shaping
   * @param authenticate the upgrade request's {@code Authorization} header (or null) to a refusal,
   *     or to null when it may read logs
   */
  public LokiTail(
      LokiResource loki,
      LogQueries queries,
      Clock clock,
      ScheduledExecutorService poller,
      Function<String, AccessRefusal> authenticate) {
    this.loki = Objects.requireNonNull(loki, "loki");
    this.queries = Objects.requireNonNull(queries, "queries");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.poller = Objects.requireNonNull(poller, "poller");
    this.authenticate = Objects.requireNonNull(authenticate, "authenticate");
  }

  /** Serves {@link #PATH} as a WebSocket in {@code context} (before it starts). */
  public void register(ServletContextHandler context) {
    JettyWebSocketServletContainerInitializer.configure(
        context,
        (servletContext, container) -> {
          container.setIdleTimeout(Duration.ofMinutes(10));
          container.addMapping(PATH, this::upgrade);
        });
  }

  private Object upgrade(JettyServerUpgradeRequest request, JettyServerUpgradeResponse response)
      throws IOException {
    AccessRefusal refused = authenticate.apply(request.getHeader("Authorization"));
    if (refused != null) {
      if (refused.status() == 401) {
        response.setHeader("WWW-Authenticate", Credentials.CHALLENGE);
      }
      response.sendError(refused.status(), refused.message());
      return null;
    }
    try {
      return new Tail(Request.of(request.getParameterMap(), clock.instant()));
    } catch (IllegalArgumentException e) {
      response.sendError(400, e.getMessage());
      return null;
    }
  }

  /** A tail's parameters, checked before the upgrade so that a bad one is a plain 400. */
  record Request(LogQl query, int limit, Instant start, Duration delay) {
    static Request of(Map<String, List<String>> params, Instant now) {
      String q = first(params, "query");
      if (q == null || q.isBlank()) {
        throw new LogQueryException("missing query: give a LogQL log query, e.g. {service_name=\"checkout\"}");
      }
      if (!(LogQl.parseExpr(q) instanceof LogQlExpr.Logs logs)) {
        throw new LogQueryException("tail takes a log query, not a metric query: " + q);
      }
      int limit = DEFAULT_LIMIT;
      String l = first(params, "limit");
      if (l != null && !l.isBlank()) {
        try {
          limit = Integer.parseInt(l.trim());
        } catch (NumberFormatException e) {
          throw new LogQueryException("invalid limit '" + l + "': give a whole number");
        }
        if (limit <= 0 || limit > MAX_LIMIT) {
          throw new LogQueryException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
      }
      Instant start = now.minus(Duration.ofHours(1));
      String st = first(params, "start");
      if (st != null && !st.isBlank()) {
        start = LokiParams.timestamp(st, start);
      }
      Duration delay = Duration.ZERO;
      String d = first(params, "delay_for");
      if (d != null && !d.isBlank()) {
        try {
          delay = Duration.ofSeconds(Long.parseLong(d.trim()));
        } catch (NumberFormatException e) {
          throw new LogQueryException("invalid delay_for '" + d + "': give whole seconds");
        }
        if (delay.isNegative() || delay.compareTo(MAX_DELAY) > 0) {
          throw new LogQueryException("delay_for can't be greater than 5 or negative, got " + d);
        }
      }
      return new Request(logs.query(), limit, start, delay);
    }

    private static String first(Map<String, List<String>> params, String name) {
      List<String> v = params.get(name);
      return v == null || v.isEmpty() ? null : v.get(0);
    }
  }

  /**
   * One client's tail: the history, then a poll of the store's tail cursor. Public because Jetty
   * reaches its listener methods through method handles.
   */
  public final class Tail implements Session.Listener.AutoDemanding {
    private final Request request;
    private volatile Session session;
    private volatile ScheduledFuture<?> task;
    private String cursor;

    Tail(Request request) {
      this.request = request;
    }

    @Override
    public void onWebSocketOpen(Session s) {
      session = s;
      // the cursor first, so that nothing stored while the history is read is missed
      cursor = queries.tailCursor();
      Instant now = clock.instant();
      try {
        if (now.isAfter(request.start())) {
          ObjectNode history =
              loki.streams(request.query(), request.start(), now, request.limit(), LogQuery.Direction.BACKWARD, false);
          send(history.path("data").path("result"));
        }
      } catch (RuntimeException e) {
        close(1011, e.getMessage());
        return;
      }
      long every = Math.max(POLL.toMillis(), request.delay().toMillis());
      task = poller.scheduleWithFixedDelay(this::poll, every, every, TimeUnit.MILLISECONDS);
    }

    private void poll() {
      Session s = session;
      if (s == null || !s.isOpen()) {
        stop();
        return;
      }
      try {
        Instant now = clock.instant();
        String lucene = loki.prefilter(request.query().selector(), now.minus(Duration.ofHours(1)), now.plus(Duration.ofHours(1)));
        if (lucene == null) {
          lucene = "-*:*";
        }
        LogQueries.TailPage page;
        do {
          page = queries.tail(lucene, cursor, BATCH);
          cursor = page.cursor();
          Map<Map<String, String>, List<Object[]>> streams = new LinkedHashMap<>();
          for (LogEntry entry : page.logs()) {
            LokiResource.collect(request.query(), entry, streams, false);
          }
          if (!streams.isEmpty()) {
            send(LokiResource.result(streams));
          }
        } while (page.logs().size() == BATCH);
      } catch (RuntimeException e) {
        LOG.debug("Loki tail ended: {}", e.toString());
        close(1011, "tail failed: " + e.getMessage());
      }
    }

    private void send(com.fasterxml.jackson.databind.JsonNode result) {
      if (result.isEmpty()) {
        return;
      }
      ObjectNode message = JSON.objectNode();
      message.set("streams", result);
      session.sendText(message.toString(), Callback.NOOP);
    }

    private void close(int status, String reason) {
      stop();
      Session s = session;
      if (s != null && s.isOpen()) {
        String r = reason == null ? "" : reason;
        // a close reason is at most 123 bytes
        s.close(status, r.length() > 120 ? r.substring(0, 120) : r, Callback.NOOP);
      }
    }

    private void stop() {
      ScheduledFuture<?> t = task;
      if (t != null) {
        t.cancel(false);
      }
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
      stop();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
      stop();
    }
  }

  /** The tails' poller: one daemon thread for every open tail. */
  public static ScheduledExecutorService newPoller() {
    return java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, "loki-tail");
          t.setDaemon(true);
          return t;
        });
  }
}
