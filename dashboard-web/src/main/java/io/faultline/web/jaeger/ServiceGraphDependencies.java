/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.jaeger;

import io.faultline.core.metric.MetricQueries;
import io.faultline.core.metric.PromqlResult;
import io.faultline.core.metric.QueryOptions;
import io.faultline.core.trace.TraceQueries;
import io.faultline.core.trace.TraceQuery;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Trace queries whose {@link #dependencies} come from the service graph
 * ({@code traces_service_graph_request_total}, derived from spans at ingest) instead of a scan of
 * stored spans: the answer costs one PromQL query whatever the traffic. When the window holds no
 * service-graph series (span metrics disabled, or data older than the generator), the store's own
 * span-based answer is used.
 */
public final class ServiceGraphDependencies implements TraceQueries {
  private final TraceQueries traces;
  private final MetricQueries metrics;

  public ServiceGraphDependencies(TraceQueries traces, MetricQueries metrics) {
    this.traces = traces;
    this.metrics = metrics;
  }

  @Override
  public List<DependencyLink> dependencies(long endMillis, long lookbackMillis) {
    String expr =
        "sum by (client, server) (increase(traces_service_graph_request_total["
            + Math.max(1, lookbackMillis)
            + "ms]))";
    PromqlResult result = metrics.instantQuery(expr, endMillis, QueryOptions.DEFAULTS);
    List<DependencyLink> links = new ArrayList<>();
    for (PromqlResult.Series s : result.series()) {
      String client = s.labels().get("client");
      String server = s.labels().get("server");
      long calls = Math.round(s.values()[s.values().length - 1]);
      if (client != null && server != null && calls > 0) {
        links.add(new DependencyLink(client, server, calls));
      }
    }
    return links.isEmpty() ? traces.dependencies(endMillis, lookbackMillis) : links;
  }

  @Override
  public Optional<TracesData> trace(byte[] traceId) {
    return traces.trace(traceId);
  }

  @Override
  public List<TracesData> findTraces(TraceQuery query) {
    return traces.findTraces(query);
  }

  @Override
  public List<String> services() {
    return traces.services();
  }

  @Override
  public List<Operation> operations(String service, String spanKind) {
    return traces.operations(service, spanKind);
  }
}
