/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import io.faultline.chaos.fault.FaultParameters;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One fault a {@link FaultProxy} applies, as Toxiproxy calls them.
 *
 * @param name unique within its proxy; adding a toxic with a name already present replaces it
 * @param kind what it does
 * @param stream which direction of bytes it acts on (HTTP kinds always act on requests)
 * @param toxicity probability, per connection, that the toxic applies to it (0 to 1)
 * @param settings the kind's numeric settings ({@link ToxicKind#settings()}), defaults filled in
 * @param match for HTTP kinds, which requests are hit
 * @param labels the experiment, run and fault that added it, put on spans the proxy records
 */
public record Toxic(
    String name,
    ToxicKind kind,
    Direction stream,
    double toxicity,
    Map<String, Long> settings,
    HttpMatch match,
    Labels labels) {

  /** Who added a toxic; empty strings when unknown (e.g. added by hand). */
  public record Labels(String experiment, String run, String fault) {
    public static final Labels NONE = new Labels("", "", "");

    public Labels {
      experiment = Objects.requireNonNullElse(experiment, "");
      run = Objects.requireNonNullElse(run, "");
      fault = Objects.requireNonNullElse(fault, "");
    }
  }

  /** Parameter names {@link #parse} understands. */
  public static final Set<String> PARAMETERS =
      Set.of(
          "toxic", "stream", "toxicity", "latencyMs", "jitterMs", "rateKbps", "timeoutMs", "delayMs",
          "averageSize", "sizeVariation", "delayMicros", "bytes", "status", "count", "match");

  public Toxic {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(stream, "stream");
    settings = Map.copyOf(settings);
    match = Objects.requireNonNullElse(match, HttpMatch.ALL);
    labels = Objects.requireNonNullElse(labels, Labels.NONE);
  }

  /** A setting of this toxic's kind. */
  public long setting(String key) {
    Long v = settings.get(key);
    if (v == null) {
      throw new IllegalArgumentException(kind.wireName() + " has no setting " + key);
    }
    return v;
  }

  /**
   * Reads a toxic from parameters such as {@code {toxic: latency, stream: downstream, latencyMs:
   * 400, jitterMs: 100, toxicity: 1.0}} or {@code {toxic: http_abort, status: 503, match: {path:
   * /products, methods: [GET], headers: {x-user: test}, percentage: 50, baggage: chaos=run-1}}}.
   * Every problem is recorded in {@code p}, naming the parameter; returns null when there was any.
   */
  public static Toxic parse(String name, FaultParameters p, Labels labels) {
    int before = p.errors().size();
    String kindName = p.requiredString("toxic");
    ToxicKind kind = kindName.isEmpty() ? null : ToxicKind.parse(kindName);
    if (!kindName.isEmpty() && kind == null) {
      p.error("toxic", "unknown toxic '" + kindName + "' (known: " + known() + ")");
    }
    Direction stream = Direction.DOWNSTREAM;
    String s = p.string("stream").orElse(null);
    if (s != null) {
      stream = Direction.parse(s);
      if (stream == null) {
        p.error("stream", "must be upstream or downstream");
        stream = Direction.DOWNSTREAM;
      }
    }
    double toxicity = p.decimal("toxicity", 0, 1, 1);
    Map<String, Long> settings = new HashMap<>();
    HttpMatch match = HttpMatch.ALL;
    if (kind != null) {
      switch (kind) {
        case LATENCY -> {
          settings.put("latencyMs", p.requiredInteger("latencyMs", 1, 60_000));
          settings.put("jitterMs", p.integer("jitterMs", 0, 60_000, 0));
          if (settings.get("jitterMs") > settings.get("latencyMs")) {
            p.error("jitterMs", "must not exceed latencyMs (" + settings.get("latencyMs") + ")");
          }
        }
        case BANDWIDTH -> settings.put("rateKbps", p.requiredInteger("rateKbps", 1, 10_000_000));
        case TIMEOUT -> settings.put("timeoutMs", p.integer("timeoutMs", 0, 3_600_000, 0));
        case RESET_PEER -> settings.put("timeoutMs", p.integer("timeoutMs", 0, 3_600_000, 0));
        case SLOW_CLOSE -> settings.put("delayMs", p.requiredInteger("delayMs", 1, 600_000));
        case SLICER -> {
          settings.put("averageSize", p.integer("averageSize", 1, 1 << 20, 64));
          settings.put("sizeVariation", p.integer("sizeVariation", 0, 1 << 20, 0));
          settings.put("delayMicros", p.integer("delayMicros", 0, 10_000_000, 0));
          if (settings.get("sizeVariation") >= settings.get("averageSize")) {
            p.error("sizeVariation", "must be smaller than averageSize (" + settings.get("averageSize") + ")");
          }
        }
        case LIMIT_DATA -> settings.put("bytes", p.requiredInteger("bytes", 0, Long.MAX_VALUE));
        case HTTP_ABORT -> settings.put("status", p.integer("status", 100, 599, 503));
        case HTTP_DELAY -> settings.put("delayMs", p.requiredInteger("delayMs", 1, 600_000));
        case HTTP_FAIL_FIRST -> {
          settings.put("count", p.requiredInteger("count", 1, 1_000_000_000));
          settings.put("status", p.integer("status", 100, 599, 503));
        }
      }
      for (String key : List.of("latencyMs", "jitterMs", "rateKbps", "timeoutMs", "delayMs",
          "averageSize", "sizeVariation", "delayMicros", "bytes", "status", "count")) {
        if (p.has(key) && !kind.settings().contains(key)) {
          p.error(key, "does not apply to toxic " + kind.wireName() + " (it takes " + kind.settings() + ")");
        }
      }
      if (kind.http()) {
        match = parseMatch(p.nested("match"));
        if (p.has("stream") && stream != Direction.UPSTREAM) {
          p.error("stream", "HTTP toxics act on requests: use upstream or leave it out");
        }
        stream = Direction.UPSTREAM;
      } else if (p.has("match")) {
        p.error("match", "only HTTP toxics (http_abort, http_delay, http_fail_first) match requests");
      }
    }
    if (p.errors().size() > before) {
      return null;
    }
    return new Toxic(name, kind, stream, toxicity, settings, match, labels);
  }

  private static HttpMatch parseMatch(FaultParameters m) {
    m.rejectUnknown(Set.of("path", "methods", "method", "headers", "header", "percentage", "baggage"));
    java.util.Set<String> methods = new java.util.HashSet<>();
    for (String method : concat(m.strings("methods"), m.strings("method"))) {
      if (!method.matches("[A-Za-z]+")) {
        m.error("methods", "'" + method + "' is not an HTTP method");
      }
      methods.add(method.toUpperCase(Locale.ROOT));
    }
    String path = m.string("path").orElse(null);
    if (path != null && !path.startsWith("/")) {
      m.error("path", "must start with / (a path prefix or a glob such as /products/*)");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String key : List.of("headers", "header")) {
      FaultParameters h = m.nested(key);
      for (String hn : h.keys()) {
        String v = h.string(hn).orElse("*");
        headers.put(hn.toLowerCase(Locale.ROOT), v);
      }
    }
    double percentage = m.decimal("percentage", 0, 100, 100);
    String baggage = m.string("baggage").orElse(null);
    if (baggage != null && (baggage.startsWith("=") || baggage.contains(","))) {
      m.error("baggage", "must be one baggage member, key=value or key (e.g. chaos=run-42)");
    }
    return new HttpMatch(methods, path, headers, percentage, baggage);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    java.util.ArrayList<String> out = new java.util.ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private static String known() {
    StringBuilder sb = new StringBuilder();
    for (ToxicKind k : ToxicKind.values()) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(k.wireName());
    }
    return sb.toString();
  }
}
