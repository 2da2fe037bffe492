/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.faultline.chaos.fault.FaultSpec;
import io.faultline.core.trace.TraceQueries;
import io.faultline.core.trace.TraceQuery;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The effect check counts only what the fault did, never the agent's own record of doing it. */
class EffectAnalysisTest extends TestbedTestCase {
  final List<TracesData> traces = new CopyOnWriteArrayList<>();
  final FaultSpec fault = new FaultSpec("slow-inventory", FakeInjector.TYPE, "inventory",
      Map.of(), Duration.ofSeconds(60));

  @Test
  void theAgentsOwnFaultSpanIsNoEvidence() {
    traces.add(trace("faultline-chaos", "run-1", "slow-inventory"));
    EffectAnalysis.Effect e = analysis().effect(fault, "run-1", Testbed.T0, Testbed.T0.plusSeconds(60));
    assertThat(e.observed()).isFalse();

    traces.add(trace("chaos-proxy", "run-1", "slow-inventory"));
    e = analysis().effect(fault, "run-1", Testbed.T0, Testbed.T0.plusSeconds(60));
    assertThat(e.observed()).isTrue();
    assertThat(e.evidence()).contains("1 traces carry chaos.run=run-1");
  }

  @Test
  void noDataBeforeTheFaultIsUnknownNotZero() throws Exception {
    // span metrics only during the fault, steady 5 % errors: normal traffic, not an effect
    Instant start = Testbed.T0.plusSeconds(600);
    bed.advance(Duration.ofSeconds(605));
    Map<String, String> ok = Map.of("service", "inventory", "span_kind", "SPAN_KIND_SERVER", "span_name", "GET /", "status_code", "STATUS_CODE_UNSET");
    Map<String, String> err = Map.of("service", "inventory", "span_kind", "SPAN_KIND_SERVER", "span_name", "GET /", "status_code", "STATUS_CODE_ERROR");
    for (int i = 1; i <= 4; i++) {
      bed.counter("traces_spanmetrics_calls_total", i * 95, ok);
      bed.counter("traces_spanmetrics_calls_total", i * 5, err);
      bed.advance(Duration.ofSeconds(15));
    }
    bed.gauge("flushed", 1);
    EffectAnalysis.Effect e = analysis().effect(fault, "run-1", start, start.plusSeconds(60));
    assertThat(e.observed()).as(e.evidence()).isFalse();
    assertThat(e.evidence()).startsWith("no observable effect");
  }

  private EffectAnalysis analysis() {
    return new EffectAnalysis(bed.metrics.queries(), new TraceQueries() {
      @Override
      public Optional<TracesData> trace(byte[] traceId) {
        return Optional.empty();
      }

      @Override
      public List<TracesData> findTraces(TraceQuery query) {
        return List.copyOf(traces);
      }

      @Override
      public List<String> services() {
        return List.of();
      }

      @Override
      public List<Operation> operations(String service, String spanKind) {
        return List.of();
      }

      @Override
      public List<DependencyLink> dependencies(long endMillis, long lookbackMillis) {
        return List.of();
      }
    });
  }

  private static TracesData trace(String service, String run, String fault) {
    Span span = Span.newBuilder().setName("chaos fault " + fault)
        .addAttributes(kv("chaos.run", run)).addAttributes(kv("chaos.fault", fault)).build();
    return TracesData.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(kv("service.name", service)))
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(span))).build();
  }

  private static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }
}
