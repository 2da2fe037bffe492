/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace.derived;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Tempo's service-graph processor with its default settings. A CLIENT (or PRODUCER) span waits
 * under the key (trace id, its span id) and a SERVER (or CONSUMER) span under (trace id, its parent
 * span id); when both sides of a key have arrived the edge is complete and counted once under
 * {@code client}, {@code server} and {@code connection_type}. A client span that names a database
 * ({@code db.namespace}, {@code db.name} or {@code db.system}) completes at once as a {@code
 * database} edge. Edges still unpaired after the wait expire: a root server span then counts as
 * called by {@code user} (or its peer attribute), a client span with a peer attribute as calling
 * that peer, both with connection type {@code virtual_node}; any other expired edge is only counted
 * in {@link #expiredEdges()}.
 *
 * <p>Pending edges are bounded: when {@code maxPendingEdges} wait, a span that would open a new
 * edge is dropped and counted. Not thread-safe: the generator calls it under its lock.
 */
final class ServiceGraph {
  /** Tempo's default service-graph {@code histogram_buckets}: 0.1 s doubling to 12.8 s. */
  static final double[] LATENCY_BUCKETS = SpanMetrics.exponentialBuckets(0.1, 2, 8);

  static final String MESSAGING_SYSTEM = "messaging_system";
  static final String DATABASE = "database";
  static final String VIRTUAL_NODE = "virtual_node";
  private static final String UNKNOWN = "";

  /** Tempo's default {@code peer_attributes}, looked up on the span only. */
  private static final List<String> PEER_ATTRIBUTES =
      List.of("peer.service", "db.name", "db.system");

  record Key(String client, String server, String connectionType) {}

  static final class Series {
    final Key key;
    final long startMillis;
    long updatedMillis;
    double total;
    double failed;
    long failedStartMillis = -1;
    final LatencyHistogram serverSeconds = new LatencyHistogram(LATENCY_BUCKETS);
    final LatencyHistogram clientSeconds = new LatencyHistogram(LATENCY_BUCKETS);
    boolean announced;
    boolean failedAnnounced;

    Series(Key key, long nowMillis) {
      this.key = key;
      this.startMillis = nowMillis - 1;
      this.updatedMillis = nowMillis;
    }

    boolean hasFailed() {
      return failedStartMillis >= 0;
    }
  }

  private static final class Edge {
    final boolean rootServer;
    final long expiresAtMillis;
    String connectionType = UNKNOWN;
    String clientService = "";
    String serverService = "";
    double clientSeconds;
    double serverSeconds;
    boolean failed;
    String peerNode = "";

    Edge(boolean rootServer, long expiresAtMillis) {
      this.rootServer = rootServer;
      this.expiresAtMillis = expiresAtMillis;
    }

    boolean isComplete() {
      return !clientService.isEmpty() && !serverService.isEmpty();
    }
  }

  private final long waitMillis;
  private final int maxPendingEdges;
  private final SeriesLimit limit;
  // insertion order is expiry order: every edge waits the same time from its arrival
  private final LinkedHashMap<ByteString, Edge> pending = new LinkedHashMap<>();
  private final Map<Key, Series> series = new HashMap<>();
  private final LongAdder expiredEdges = new LongAdder();
  private final LongAdder droppedSpans = new LongAdder();

  ServiceGraph(long waitMillis, int maxPendingEdges, SeriesLimit limit) {
    this.waitMillis = waitMillis;
    this.maxPendingEdges = maxPendingEdges;
    this.limit = limit;
  }

  /** Pairs one span of a resource whose {@code service.name} is {@code service}. */
  void consume(String service, Resource resource, Span span, long nowMillis) {
    switch (span.getKind()) {
      case SPAN_KIND_PRODUCER -> client(service, resource, span, MESSAGING_SYSTEM, nowMillis);
      case SPAN_KIND_CLIENT -> client(service, resource, span, UNKNOWN, nowMillis);
      case SPAN_KIND_CONSUMER -> server(service, span, MESSAGING_SYSTEM, nowMillis);
      case SPAN_KIND_SERVER -> server(service, span, UNKNOWN, nowMillis);
      default -> {
        // not part of an edge
      }
    }
  }

  private void client(
      String service, Resource resource, Span span, String connectionType, long nowMillis) {
    ByteString key = span.getTraceId().concat(span.getSpanId());
    Edge e = pending.get(key);
    boolean isNew = e == null;
    if (isNew) {
      e = new Edge(false, nowMillis + waitMillis);
    }
    e.connectionType = connectionType;
    e.clientService = service;
    e.clientSeconds = seconds(span);
    e.failed |= failed(span);
    peerNode(e, span);
    databaseRequest(e, resource.getAttributesList(), span);
    completeOrWait(key, e, isNew, nowMillis);
  }

  private void server(String service, Span span, String connectionType, long nowMillis) {
    boolean root = span.getParentSpanId().isEmpty();
    ByteString key = span.getTraceId().concat(span.getParentSpanId());
    Edge e = pending.get(key);
    boolean isNew = e == null;
    if (isNew) {
      e = new Edge(root, nowMillis + waitMillis);
    }
    e.connectionType = connectionType;
    e.serverService = service;
    e.serverSeconds = seconds(span);
    e.failed |= failed(span);
    if (root) {
      peerNode(e, span);
    }
    completeOrWait(key, e, isNew, nowMillis);
  }

  /**
   * Counts a complete edge, or keeps a new incomplete one waiting for its other side; a new one
   * that finds the store full (after expiring what is due) is dropped and counted.
   */
  private void completeOrWait(ByteString key, Edge e, boolean isNew, long nowMillis) {
    if (e.isComplete()) {
      if (!isNew) {
        pending.remove(key);
      }
      count(e, nowMillis);
      return;
    }
    if (!isNew) {
      return;
    }
    if (pending.size() >= maxPendingEdges) {
      expire(nowMillis);
      if (pending.size() >= maxPendingEdges) {
        droppedSpans.increment();
        return;
      }
    }
    pending.put(key, e);
  }

  private static void peerNode(Edge e, Span span) {
    for (String key : PEER_ATTRIBUTES) {
      String v = Attributes.find(key, span.getAttributesList());
      if (v != null) {
        e.peerNode = v;
        return;
      }
    }
  }

  /**
   * A database call has no server span: the client span alone completes the edge, named after
   * peer.service, server.address, network.peer.address[:port] or else the database name.
   */
  private static void databaseRequest(Edge e, List<KeyValue> resourceAttrs, Span span) {
    List<KeyValue> spanAttrs = span.getAttributesList();
    String dbName = Attributes.find("db.namespace", resourceAttrs, spanAttrs);
    if (dbName == null) {
      dbName = Attributes.find("db.name", resourceAttrs, spanAttrs);
    }
    if (dbName == null) {
      dbName = Attributes.find("db.system", resourceAttrs, spanAttrs);
    }
    if (dbName == null) {
      return;
    }
    e.connectionType = DATABASE;
    e.serverSeconds = seconds(span);
    String name = Attributes.find("peer.service", resourceAttrs, spanAttrs);
    if (name == null) {
      name = Attributes.find("server.address", resourceAttrs, spanAttrs);
    }
    if (name == null) {
      String host = Attributes.find("network.peer.address", resourceAttrs, spanAttrs);
      if (host != null) {
        String port = Attributes.find("network.peer.port", resourceAttrs, spanAttrs);
        name = port == null ? host : host + ":" + port;
      }
    }
    if (name == null && !dbName.isEmpty()) {
      name = dbName;
    }
    if (name != null) {
      e.serverService = name;
    }
  }

  /** Expires every edge whose wait is over, counting the virtual-node ones. */
  void expire(long nowMillis) {
    for (Iterator<Edge> it = pending.values().iterator(); it.hasNext(); ) {
      Edge e = it.next();
      if (e.expiresAtMillis > nowMillis) {
        return;
      }
      it.remove();
      onExpire(e, nowMillis);
    }
  }

  private void onExpire(Edge e, long nowMillis) {
    e.connectionType = VIRTUAL_NODE;
    if (e.clientService.isEmpty()) {
      if (e.rootServer) {
        e.clientService = e.peerNode.isEmpty() ? "user" : e.peerNode;
        count(e, nowMillis);
        return;
      }
    } else if (e.serverService.isEmpty() && !e.peerNode.isEmpty()) {
      e.serverService = e.peerNode;
      count(e, nowMillis);
      return;
    }
    expiredEdges.increment();
  }

  private void count(Edge e, long nowMillis) {
    Key key = new Key(e.clientService, e.serverService, e.connectionType);
    Series s = limit.getOrAdd(series, key, k -> new Series(k, nowMillis));
    if (s == null) {
      return;
    }
    s.updatedMillis = nowMillis;
    s.total++;
    if (e.failed) {
      if (!s.hasFailed()) {
        s.failedStartMillis = nowMillis - 1;
      }
      s.failed++;
    }
    s.serverSeconds.observe(e.serverSeconds);
    s.clientSeconds.observe(e.clientSeconds);
  }

  void removeStale(long cutoffMillis) {
    limit.removeStale(series.values(), s -> s.updatedMillis, cutoffMillis);
  }

  Collection<Series> series() {
    return series.values();
  }

  int pendingEdges() {
    return pending.size();
  }

  long expiredEdges() {
    return expiredEdges.sum();
  }

  long droppedSpans() {
    return droppedSpans.sum();
  }

  private static boolean failed(Span span) {
    return span.getStatus().getCode() == Status.StatusCode.STATUS_CODE_ERROR;
  }

  private static double seconds(Span span) {
    return SpanMetrics.durationSeconds(span.getStartTimeUnixNano(), span.getEndTimeUnixNano());
  }
}
