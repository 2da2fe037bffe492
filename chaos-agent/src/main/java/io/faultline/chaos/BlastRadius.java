/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.faultline.core.metric.MetricQueries;
import io.faultline.core.metric.PromqlResult;
import io.faultline.core.metric.QueryOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Estimates, before a run, how much of the system a fault on its targets can reach, from the live
 * service graph ({@code traces_service_graph_request_total}) and span metrics: which services call
 * a target directly or indirectly, and what share of the traffic entering the system (requests to
 * services nobody else calls) passes through it. Shares propagate along call edges in proportion
 * to each edge's rate against the caller's own request rate, capped at 1; it is an estimate, and
 * says so.
 */
final class BlastRadius {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** The estimate for one run. {@code known} is false when the graph had no data. */
  record Estimate(boolean known, double entryShare, List<TargetEstimate> targets, Duration window) {
    ObjectNode toJson() {
      ObjectNode o = MAPPER.createObjectNode();
      o.put("known", known);
      o.put("entryTrafficShare", round(entryShare));
      o.put("window", io.faultline.chaos.experiment.Durations.format(window));
      ArrayNode a = o.putArray("targets");
      for (TargetEstimate t : targets) {
        ObjectNode to = a.addObject();
        to.put("service", t.service());
        to.put("entryTrafficShare", round(t.entryShare()));
        to.put("requestsPerSecond", round(t.requestRate()));
        t.directCallers().forEach(to.putArray("directCallers")::add);
        t.upstream().forEach(to.putArray("dependents")::add);
      }
      o.put("summary", summary());
      return o;
    }

    String summary() {
      if (!known) {
        return "blast radius unknown: no service graph data in the last " + io.faultline.chaos.experiment.Durations.format(window);
      }
      StringBuilder b = new StringBuilder();
      b.append(String.format(Locale.ROOT, "about %.0f%% of entry traffic passes through the targets", entryShare * 100));
      for (TargetEstimate t : targets) {
        b.append("; ").append(t.service()).append(": ")
            .append(String.format(Locale.ROOT, "%.0f%%", t.entryShare() * 100))
            .append(", callers ").append(t.directCallers().isEmpty() ? "none" : String.join(", ", t.directCallers()))
            .append(", dependents ").append(t.upstream().isEmpty() ? "none" : String.join(", ", t.upstream()));
      }
      return b.toString();
    }
  }

  record TargetEstimate(String service, double entryShare, double requestRate, List<String> directCallers, List<String> upstream) {}

  private final MetricQueries metrics;

  BlastRadius(MetricQueries metrics) {
    this.metrics = metrics;
  }

  Estimate estimate(List<String> targets, Instant at, Duration window) {
    String w = window.toMillis() + "ms";
    Map<String, Map<String, Double>> edges = new TreeMap<>();
    for (PromqlResult.Series s : query("sum by (client, server) (rate(traces_service_graph_request_total[" + w + "]))", at)) {
      String c = s.labels().get("client");
      String sv = s.labels().get("server");
      double v = last(s);
      if (c == null || sv == null || c.equals(sv) || !(v > 0)) {
        continue;
      }
      edges.computeIfAbsent(c, k -> new TreeMap<>()).merge(sv, v, Double::sum);
    }
    Map<String, Double> serverRate = new TreeMap<>();
    for (PromqlResult.Series s : query(
        "sum by (service) (rate(traces_spanmetrics_calls_total{span_kind=\"SPAN_KIND_SERVER\"}[" + w + "]))", at)) {
      String svc = s.labels().get("service");
      if (svc != null && last(s) > 0) {
        serverRate.put(svc, last(s));
      }
    }
    Set<String> called = new TreeSet<>();
    edges.values().forEach(m -> called.addAll(m.keySet()));
    Map<String, Double> entries = new TreeMap<>();
    serverRate.forEach((svc, rate) -> {
      if (!called.contains(svc)) {
        entries.put(svc, rate);
      }
    });
    // services in the graph that only act as clients (e.g. a load generator) count as entries too
    edges.keySet().forEach(c -> {
      if (!called.contains(c) && !entries.containsKey(c)) {
        entries.put(c, edges.get(c).values().stream().mapToDouble(Double::doubleValue).sum());
      }
    });
    boolean known = !edges.isEmpty() || !serverRate.isEmpty();
    double totalEntry = entries.values().stream().mapToDouble(Double::doubleValue).sum();
    List<TargetEstimate> out = new ArrayList<>();
    double combined = 0;
    for (String target : targets) {
      double reached = 0;
      for (Map.Entry<String, Double> e : entries.entrySet()) {
        reached += e.getValue() * reach(e.getKey(), target, edges, serverRate);
      }
      double share = totalEntry > 0 ? Math.min(1, reached / totalEntry) : 0;
      combined += share;
      List<String> direct = new ArrayList<>();
      edges.forEach((c, m) -> {
        if (m.containsKey(target)) {
          direct.add(c);
        }
      });
      out.add(new TargetEstimate(target, share, serverRate.getOrDefault(target, 0.0), direct, upstream(target, edges)));
    }
    return new Estimate(known, Math.min(1, combined), out, window);
  }

  /** Share of {@code root}'s requests that reach {@code target}. */
  private static double reach(String root, String target, Map<String, Map<String, Double>> edges, Map<String, Double> serverRate) {
    if (root.equals(target)) {
      return 1;
    }
    Map<String, Double> f = Map.of(root, 1.0);
    int rounds = edges.size() + serverRate.size() + 1;
    for (int i = 0; i < rounds; i++) {
      Map<String, Double> fresh = new HashMap<>();
      fresh.put(root, 1.0);
      for (Map.Entry<String, Map<String, Double>> from : edges.entrySet()) {
        double fa = f.getOrDefault(from.getKey(), 0.0);
        if (fa == 0) {
          continue;
        }
        double out = from.getValue().values().stream().mapToDouble(Double::doubleValue).sum();
        double in = serverRate.getOrDefault(from.getKey(), out);
        for (Map.Entry<String, Double> to : from.getValue().entrySet()) {
          if (!to.getKey().equals(root)) {
            fresh.merge(to.getKey(), fa * (in > 0 ? Math.min(1, to.getValue() / in) : 1), Double::sum);
          }
        }
      }
      fresh.replaceAll((k, v) -> Math.min(1, v));
      if (fresh.equals(f)) {
        break;
      }
      f = fresh;
    }
    return f.getOrDefault(target, 0.0);
  }

  private static List<String> upstream(String target, Map<String, Map<String, Double>> edges) {
    Set<String> seen = new TreeSet<>();
    ArrayDeque<String> todo = new ArrayDeque<>(List.of(target));
    while (!todo.isEmpty()) {
      String s = todo.poll();
      edges.forEach((c, m) -> {
        if (m.containsKey(s) && !c.equals(target) && seen.add(c)) {
          todo.add(c);
        }
      });
    }
    return new ArrayList<>(seen);
  }

  private List<PromqlResult.Series> query(String expr, Instant at) {
    return metrics.instantQuery(expr, at.toEpochMilli(), QueryOptions.DEFAULTS).series();
  }

  private static double last(PromqlResult.Series s) {
    return s.values().length == 0 ? Double.NaN : s.values()[s.values().length - 1];
  }

  static double round(double v) {
    return Double.isFinite(v) ? Math.round(v * 10_000) / 10_000.0 : 0;
  }
}
