/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.faultline.chaos.fault.FaultParameters;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP control endpoint of standalone fault proxies, so an agent in another process can add
 * and remove toxics. Every toxic added here needs a {@code ttlMs}: its lease, after which the proxy
 * removes it by itself unless renewed, so faults end even when the agent that added them died.
 *
 * <pre>
 * GET    /proxies                                   the proxies and their toxics
 * POST   /proxies/{proxy}/toxics                    {"name":"t1","ttlMs":60000,"toxic":"latency","latencyMs":400,
 *                                                    "experiment":"e","run":"r","fault":"f", ...} → 201
 * POST   /proxies/{proxy}/toxics/{toxic}/renew      {"ttlMs":60000} → 200, 404 when gone
 * DELETE /proxies/{proxy}/toxics/{toxic}            → 204, 404 when gone
 * </pre>
 *
 * Errors answer {@code {"errors":["ttlMs: is required ..."]}} with 400, or 404 for an unknown
 * proxy. Binds loopback by default: whoever reaches it can disturb traffic.
 */
public final class ProxyControlServer implements Closeable {
  /** Longest lease a toxic may be given at once. */
  public static final long MAX_TTL_MS = Duration.ofHours(24).toMillis();

  private static final Logger LOG = LoggerFactory.getLogger(ProxyControlServer.class);
  private static final int MAX_BODY = 64 * 1024;
  private static final Set<String> CONTROL_KEYS = Set.of("name", "ttlMs", "experiment", "run", "fault");

  private final FaultProxies proxies;
  private final Clock clock;
  private final HttpServer server;
  private final ObjectMapper json = new ObjectMapper();

  public ProxyControlServer(FaultProxies proxies, Clock clock, String host, int port) throws IOException {
    this.proxies = proxies;
    this.clock = clock;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(host), port), 16);
    server.setExecutor(Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "faultline-proxy-control");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/proxies", this::handle);
    server.start();
    LOG.info("fault proxy control endpoint on http://{}:{}/proxies", host, port());
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String[] parts = ex.getRequestURI().getPath().replaceAll("/+$", "").split("/");
      // "", "proxies", {proxy}, "toxics", {toxic}, "renew"
      String method = ex.getRequestMethod();
      if (parts.length == 2 && method.equals("GET")) {
        send(ex, 200, list());
        return;
      }
      if (parts.length < 4 || !parts[3].equals("toxics")) {
        send(ex, 404, Map.of("errors", List.of("no such resource: " + ex.getRequestURI().getPath())));
        return;
      }
      Optional<FaultProxy> proxy = proxies.get(parts[2]);
      if (proxy.isEmpty()) {
        send(ex, 404, Map.of("errors", List.of("no fault proxy named " + parts[2])));
        return;
      }
      FaultProxy p = proxy.get();
      if (parts.length == 4 && method.equals("POST")) {
        add(ex, p);
      } else if (parts.length == 4 && method.equals("GET")) {
        send(ex, 200, toxics(p));
      } else if (parts.length == 5 && method.equals("DELETE")) {
        boolean removed = p.removeToxic(parts[4]);
        send(ex, removed ? 204 : 404, removed ? null : Map.of("errors", List.of("no toxic " + parts[4])));
      } else if (parts.length == 6 && parts[5].equals("renew") && method.equals("POST")) {
        Map<String, Object> body = body(ex);
        FaultParameters params = FaultParameters.of(body, "");
        long ttl = params.requiredInteger("ttlMs", 1, MAX_TTL_MS);
        if (!params.errors().isEmpty()) {
          send(ex, 400, Map.of("errors", params.errors()));
          return;
        }
        boolean ok = p.renewToxic(parts[4], clock.instant().plusMillis(ttl));
        send(ex, ok ? 200 : 404, ok ? Map.of("renewed", parts[4]) : Map.of("errors", List.of("no toxic " + parts[4])));
      } else {
        send(ex, 405, Map.of("errors", List.of(method + " is not supported on " + ex.getRequestURI().getPath())));
      }
    } catch (BadRequest e) {
      send(ex, 400, Map.of("errors", List.of(e.getMessage())));
    } catch (RuntimeException e) {
      LOG.error("fault proxy control request {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
      send(ex, 500, Map.of("errors", List.of("internal error: " + e)));
    }
  }

  private void add(HttpExchange ex, FaultProxy p) throws IOException {
    Map<String, Object> body = body(ex);
    FaultParameters params = FaultParameters.of(body, "");
    String name = params.requiredString("name");
    if (!name.isEmpty() && !name.matches("[A-Za-z0-9._:-]{1,200}")) {
      params.error("name", "must be 1 to 200 letters, digits, '.', '_', ':' or '-'");
    }
    long ttl = params.requiredInteger("ttlMs", 1, MAX_TTL_MS);
    Toxic.Labels labels = new Toxic.Labels(
        params.string("experiment").orElse(""), params.string("run").orElse(""), params.string("fault").orElse(""));
    Map<String, Object> toxicParams = new HashMap<>(body);
    CONTROL_KEYS.forEach(toxicParams::remove);
    FaultParameters tp = FaultParameters.of(toxicParams, "");
    Set<String> known = new java.util.HashSet<>(Toxic.PARAMETERS);
    tp.rejectUnknown(known);
    Toxic toxic = Toxic.parse(name, tp, labels);
    List<String> errors = new ArrayList<>(params.errors());
    errors.addAll(tp.errors());
    if (!errors.isEmpty() || toxic == null) {
      send(ex, 400, Map.of("errors", errors));
      return;
    }
    try {
      p.addToxic(toxic, clock.instant().plusMillis(ttl));
    } catch (IllegalArgumentException e) {
      send(ex, 400, Map.of("errors", List.of(e.getMessage())));
      return;
    }
    send(ex, 201, describe(p.toxics().stream().filter(i -> i.toxic().name().equals(name)).findFirst().orElseThrow()));
  }

  private List<Object> list() {
    List<Object> out = new ArrayList<>();
    for (FaultProxy p : proxies.all()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", p.name());
      m.put("protocol", p.protocol().name().toLowerCase(java.util.Locale.ROOT));
      m.put("listenPort", p.port());
      m.put("upstream", p.upstream());
      m.put("toxics", toxics(p));
      out.add(m);
    }
    return out;
  }

  private static List<Object> toxics(FaultProxy p) {
    List<Object> out = new ArrayList<>();
    for (ToxicInfo i : p.toxics()) {
      out.add(describe(i));
    }
    return out;
  }

  static Map<String, Object> describe(ToxicInfo i) {
    Toxic t = i.toxic();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", t.name());
    m.put("toxic", t.kind().wireName());
    m.put("stream", t.stream().wireName());
    m.put("toxicity", t.toxicity());
    m.putAll(t.settings());
    if (t.kind().http()) {
      Map<String, Object> match = new LinkedHashMap<>();
      match.put("methods", t.match().methods());
      match.put("path", t.match().path());
      match.put("headers", t.match().headers());
      match.put("percentage", t.match().percentage());
      match.put("baggage", t.match().baggage());
      m.put("match", match);
    }
    m.put("experiment", t.labels().experiment());
    m.put("run", t.labels().run());
    m.put("fault", t.labels().fault());
    m.put("expiresAt", i.expiresAt().toString());
    m.put("hits", i.hits());
    return m;
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> body(HttpExchange ex) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      byte[] bytes = in.readNBytes(MAX_BODY + 1);
      if (bytes.length > MAX_BODY) {
        throw new BadRequest("request body over " + MAX_BODY + " bytes");
      }
      if (bytes.length == 0) {
        return Map.of();
      }
      Object parsed;
      try {
        parsed = json.readValue(bytes, Object.class);
      } catch (IOException e) {
        throw new BadRequest("body is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
      }
      if (!(parsed instanceof Map)) {
        throw new BadRequest("body must be a JSON object");
      }
      return (Map<String, Object>) parsed;
    }
  }

  private void send(HttpExchange ex, int status, Object body) throws IOException {
    if (body == null) {
      ex.sendResponseHeaders(status, -1);
      return;
    }
    byte[] bytes = json.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
  }

  private static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message);
    }
  }
}
