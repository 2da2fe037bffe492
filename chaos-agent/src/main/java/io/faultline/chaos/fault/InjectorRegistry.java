/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault;

import io.faultline.chaos.fault.monkey.ChaosMonkeyInjector;
import io.faultline.chaos.fault.process.ProcessFaultInjector;
import io.faultline.chaos.fault.proxy.FaultProxies;
import io.faultline.chaos.fault.proxy.FaultProxy;
import io.faultline.chaos.fault.proxy.ProxyFaultInjector;
import io.faultline.core.ingest.TelemetrySink;
import java.io.Closeable;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fault injectors by {@link FaultInjector#type()}, and every fault injected through {@link
 * #inject} until it is reverted: the runner injects through here so that the global kill switch
 * ({@link #revertAll()}) can end all chaos at once and {@link #activeCount(String)} can bound how
 * many targets one run touches. Thread-safe.
 */
public final class InjectorRegistry implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(InjectorRegistry.class);

  private final Map<String, FaultInjector> injectors;
  private final Clock clock;
  private final FaultProxies proxies;
  private final TelemetrySink sink;
  private final ScheduledExecutorService scheduler;
  private final Map<Tracked, Boolean> active = new ConcurrentHashMap<>();

  private InjectorRegistry(List<FaultInjector> list, Clock clock, FaultProxies proxies, TelemetrySink sink,
      ScheduledExecutorService scheduler) {
    Map<String, FaultInjector> m = new LinkedHashMap<>();
    for (FaultInjector i : list) {
      if (m.put(i.type(), i) != null) {
        throw new IllegalArgumentException("two injectors for type " + i.type());
      }
    }
    this.injectors = Map.copyOf(m);
    this.clock = clock;
    this.proxies = proxies;
    this.sink = sink;
    this.scheduler = scheduler;
  }

  /**
   * The standard injectors: {@code chaos-monkey}, {@code proxy-tcp}, {@code proxy-http} and {@code
   * process}, with no default Chaos Monkey credentials (specs give them) and process state in the
   * temporary directory.
   *
   * @param sink where in-process fault proxies send their spans (the ingest pipeline)
   * @param clock the agent's clock, for leases
   * @param http for Chaos Monkey actuators and standalone proxies' control endpoints
   */
  public static InjectorRegistry standard(TelemetrySink sink, Clock clock, HttpClient http) {
    return standard(sink, clock, http, null, null,
        Path.of(System.getProperty("java.io.tmpdir"), "faultline-chaos"));
  }

  /**
   * As {@link #standard(TelemetrySink, Clock, HttpClient)}, with default Chaos Monkey basic-auth
   * credentials (null: none) and a directory for process watchdog lease files and restart logs.
   */
  public static InjectorRegistry standard(TelemetrySink sink, Clock clock, HttpClient http, String monkeyUser,
      String monkeyPassword, Path processStateDir) {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "faultline-fault-leases");
      t.setDaemon(true);
      return t;
    });
    LeaseTimer leases = new LeaseTimer(scheduler, clock);
    FaultProxies proxies = new FaultProxies();
    List<FaultInjector> list = List.of(
        new ChaosMonkeyInjector(http, leases, monkeyUser, monkeyPassword),
        new ProxyFaultInjector(ProxyFaultInjector.TCP, proxies, http, clock),
        new ProxyFaultInjector(ProxyFaultInjector.HTTP, proxies, http, clock),
        new ProcessFaultInjector(leases, processStateDir));
    return new InjectorRegistry(list, clock, proxies, sink, scheduler);
  }

  /** A registry of the given injectors (tests, custom injectors). */
  public static InjectorRegistry of(Clock clock, List<FaultInjector> injectors) {
    return new InjectorRegistry(injectors, clock, new FaultProxies(),
        batch -> java.util.concurrent.CompletableFuture.completedFuture(null), null);
  }

  public Set<String> types() {
    return injectors.keySet();
  }

  public Optional<FaultInjector> injector(String type) {
    return Optional.ofNullable(injectors.get(type));
  }

  /** The in-process fault proxies the proxy injectors reach by name. */
  public FaultProxies proxies() {
    return proxies;
  }

  /**
   * Starts an in-process fault proxy on 127.0.0.1:{@code listenPort} (0: any free port) in front of
   * {@code upstreamHost:upstreamPort}, sending its spans to the registry's sink, and registers it
   * under {@code name} for {@code proxy-tcp}/{@code proxy-http} faults.
   */
  public FaultProxy startProxy(String name, FaultProxy.Protocol protocol, int listenPort, String upstreamHost,
      int upstreamPort) throws IOException {
    return proxies.register(FaultProxy.builder(name).protocol(protocol).listen("127.0.0.1", listenPort)
        .upstream(upstreamHost, upstreamPort).clock(clock).sink(sink).start());
  }

  /** Validation messages for a spec, including an unknown type (reported as {@code type}). */
  public List<String> validate(FaultSpec spec) {
    FaultInjector i = injectors.get(spec.type());
    if (i == null) {
      return List.of("type: unknown fault type '" + spec.type() + "' (known: " + String.join(", ", types()) + ")");
    }
    return i.validate(spec);
  }

  /** Validates, injects and tracks a fault until it is reverted or its lease passes. */
  public ActiveFault inject(FaultSpec spec, FaultContext context) throws FaultException {
    FaultInjector i = injectors.get(spec.type());
    if (i == null) {
      throw new FaultException("unknown fault type '" + spec.type() + "' (known: " + String.join(", ", types()) + ")");
    }
    List<String> errors = i.validate(spec);
    if (!errors.isEmpty()) {
      throw new FaultException("fault '" + spec.name() + "' is invalid: " + String.join("; ", errors));
    }
    Tracked t = new Tracked(i.inject(spec, context), context);
    active.put(t, Boolean.TRUE);
    return t;
  }

  /** Reverts a fault recorded as active by an agent process that stopped (see {@link FaultInjector#revertOrphan}). */
  public void revertOrphan(FaultSpec spec, FaultContext context) throws FaultException {
    FaultInjector i = injectors.get(spec.type());
    if (i == null) {
      throw new FaultException("unknown fault type '" + spec.type() + "'; cannot revert fault " + spec.name());
    }
    i.revertOrphan(spec, context);
  }

  /** Faults of {@code runId} in effect (injected, not reverted, lease not passed). */
  public int activeCount(String runId) {
    return (int) live().stream().filter(t -> t.context.runId().equals(runId)).count();
  }

  /** All faults in effect. */
  public int activeCount() {
    return live().size();
  }

  /**
   * The global kill switch: reverts every fault in effect, each independently (one failure does not
   * stop the others). Returns the failures, whose messages say what to restore by hand.
   */
  public List<FaultException> revertAll() {
    List<FaultException> failures = new ArrayList<>();
    for (Tracked t : List.copyOf(active.keySet())) {
      try {
        t.revert();
      } catch (FaultException e) {
        LOG.error("kill switch: could not revert fault {} of run {}: {}", t.spec().name(), t.context.runId(),
            e.getMessage());
        failures.add(e);
      }
    }
    return failures;
  }

  /** Reverts everything, then closes the in-process proxies. */
  @Override
  public void close() {
    revertAll();
    proxies.closeAll();
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }

  private List<Tracked> live() {
    Instant now = clock.instant();
    List<Tracked> out = new ArrayList<>();
    for (Tracked t : active.keySet()) {
      if (now.isBefore(t.leaseUntil)) {
        out.add(t);
      } else {
        active.remove(t);
      }
    }
    return out;
  }

  private final class Tracked implements ActiveFault {
    private final ActiveFault delegate;
    private final FaultContext context;
    private volatile Instant leaseUntil;

    Tracked(ActiveFault delegate, FaultContext context) {
      this.delegate = Objects.requireNonNull(delegate, "injector returned no active fault");
      this.context = context;
      this.leaseUntil = context.leaseUntil();
    }

    @Override
    public FaultSpec spec() {
      return delegate.spec();
    }

    @Override
    public void renew(Instant until) throws FaultException {
      delegate.renew(until);
      leaseUntil = until;
    }

    @Override
    public void revert() throws FaultException {
      delegate.revert();
      active.remove(this);
    }
  }
}
