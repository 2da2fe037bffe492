/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import io.faultline.chaos.fault.ActiveFault;
import io.faultline.chaos.fault.FaultContext;
import io.faultline.chaos.fault.FaultException;
import io.faultline.chaos.fault.FaultInjector;
import io.faultline.chaos.fault.FaultSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** An injector that only records what it was asked to do; a fault is "active" until reverted. */
final class FakeInjector implements FaultInjector {
  static final String TYPE = "fake";
  final Map<String, FaultSpec> active = new ConcurrentHashMap<>();
  final List<String> injected = new ArrayList<>();
  final List<String> orphansReverted = new ArrayList<>();
  final List<Instant> renewals = new ArrayList<>();
  /** The most faults ever active at once, across every agent sharing this injector. */
  final AtomicInteger maxConcurrent = new AtomicInteger();

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public List<String> validate(FaultSpec spec) {
    Object latency = spec.parameters().get("latencyMs");
    if (latency != null && (!(latency instanceof Number n) || n.longValue() < 1 || n.longValue() > 60_000)) {
      return List.of("latencyMs: must be between 1 and 60000");
    }
    return List.of();
  }

  @Override
  public String describe(FaultSpec spec) {
    return "fake fault on " + spec.target();
  }

  @Override
  public synchronized ActiveFault inject(FaultSpec spec, FaultContext context) throws FaultException {
    String key = context.runId() + "/" + spec.name();
    injected.add(key);
    active.put(key, spec);
    maxConcurrent.accumulateAndGet(active.size(), Math::max);
    return new ActiveFault() {
      @Override
      public FaultSpec spec() {
        return spec;
      }

      @Override
      public void renew(Instant leaseUntil) {
        renewals.add(leaseUntil);
      }

      @Override
      public void revert() {
        active.remove(key);
      }
    };
  }

  @Override
  public synchronized void revertOrphan(FaultSpec spec, FaultContext context) {
    String key = context.runId() + "/" + spec.name();
    orphansReverted.add(key);
    active.remove(key);
  }
}
