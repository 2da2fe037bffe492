/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import io.faultline.core.ingest.TelemetrySink;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Faultline's fault proxy: listens on a local port, forwards every connection to one upstream
 * {@code host:port}, and applies the toxics currently added to it, in both directions.
 *
 * <p>In {@link Protocol#HTTP} mode it also reads the HTTP/1.1 requests on each connection (keeping
 * keep-alive, {@code Content-Length} and chunked bodies intact) so that HTTP toxics can abort,
 * delay or fail chosen requests; for every request such a toxic acts on it records a span, a child
 * of the request's {@code traceparent}, and hands it to the {@link TelemetrySink} as OTLP.
 *
 * <p>Every toxic carries a lease ({@code expiresAt}): the proxy removes it by itself once the lease
 * passes without {@link #renewToxic renewal}, so faults end even if whoever added them died. Time
 * is read from the given {@link Clock}. Thread-safe; {@link #close} stops listening and closes all
 * proxied connections.
 */
public final class FaultProxy implements Closeable {

  /** What the proxy understands of the bytes it forwards. */
  public enum Protocol {
    /** Bytes only: TCP toxics. */
    TCP,
    /** HTTP/1.1: TCP toxics and HTTP toxics. */
    HTTP
  }

  private static final Logger LOG = LoggerFactory.getLogger(FaultProxy.class);
  private static final int CONNECT_TIMEOUT_MS = 5_000;

  private final String name;
  private final Protocol protocol;
  private final String upstreamHost;
  private final int upstreamPort;
  private final Clock clock;
  private final ProxySpans spans;
  private final Random random;
  private final ServerSocket server;
  private final ExecutorService threads;
  private final ScheduledExecutorService scheduler;
  private final Map<String, ActiveToxic> toxics = new ConcurrentHashMap<>();
  private final Set<ProxyConnection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicLong seq = new AtomicLong();
  private final AtomicLong accepted = new AtomicLong();
  private volatile boolean closed;

  private FaultProxy(Builder b) throws IOException {
    this.name = b.name;
    this.protocol = b.protocol;
    this.upstreamHost = b.upstreamHost;
    this.upstreamPort = b.upstreamPort;
    this.clock = b.clock;
    this.random = new Random(b.seed);
    this.spans = new ProxySpans(name, b.sink, clock);
    this.threads = Executors.newCachedThreadPool(daemon("faultline-proxy-" + name));
    this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("faultline-proxy-" + name + "-timer"));
    this.server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getByName(b.listenHost), b.listenPort));
    threads.execute(this::acceptLoop);
    scheduler.scheduleWithFixedDelay(this::expire, 100, 100, TimeUnit.MILLISECONDS);
    LOG.info(
        "fault proxy {} ({}) listening on {}:{} -> {}:{} (random seed {})",
        name, protocol, b.listenHost, port(), upstreamHost, upstreamPort, b.seed);
  }

  /** A builder for a proxy named {@code name} (the name proxies are looked up and labelled by). */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  public String name() {
    return name;
  }

  public Protocol protocol() {
    return protocol;
  }

  /** The port it listens on (useful after binding port 0). */
  public int port() {
    return server.getLocalPort();
  }

  public String upstream() {
    return upstreamHost + ":" + upstreamPort;
  }

  /** Connections accepted since start. */
  public long connectionsAccepted() {
    return accepted.get();
  }

  /**
   * Adds a toxic, replacing one of the same name, effective at once for new and open
   * connections; it removes itself at {@code expiresAt} unless renewed.
   *
   * @throws IllegalArgumentException for an HTTP toxic on a TCP proxy
   */
  public void addToxic(Toxic toxic, Instant expiresAt) {
    Objects.requireNonNull(toxic, "toxic");
    Objects.requireNonNull(expiresAt, "expiresAt");
    if (toxic.kind().http() && protocol != Protocol.HTTP) {
      throw new IllegalArgumentException(
          "proxy " + name + " forwards plain TCP; the HTTP toxic " + toxic.kind().wireName()
              + " needs a proxy started with protocol HTTP");
    }
    ActiveToxic at = new ActiveToxic(toxic, seq.incrementAndGet(), expiresAt);
    toxics.put(toxic.name(), at);
    LOG.info("proxy {}: toxic {} ({}) added until {}", name, toxic.name(), toxic.kind().wireName(), expiresAt);
    for (ProxyConnection c : connections) {
      c.onToxic(at);
    }
  }

  /** Moves a toxic's lease; false when no such toxic is in effect (removed or expired). */
  public boolean renewToxic(String toxicName, Instant expiresAt) {
    ActiveToxic at = toxics.get(toxicName);
    if (at == null || !at.live(clock.instant())) {
      return false;
    }
    at.expiresAt(expiresAt);
    return true;
  }

  /** Removes a toxic; false when there was none of that name. Open connections recover at once. */
  public boolean removeToxic(String toxicName) {
    ActiveToxic at = toxics.remove(toxicName);
    if (at != null) {
      LOG.info("proxy {}: toxic {} removed", name, toxicName);
    }
    return at != null;
  }

  /** The toxics in effect, oldest first. */
  public List<ToxicInfo> toxics() {
    Instant now = clock.instant();
    List<ToxicInfo> out = new ArrayList<>();
    for (ActiveToxic at : sorted()) {
      if (at.live(now)) {
        out.add(new ToxicInfo(at.toxic, at.expiresAt(), at.hits.get()));
      }
    }
    return out;
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      LOG.debug("closing listener of proxy {}", name, e);
    }
    for (ProxyConnection c : connections) {
      c.close();
    }
    scheduler.shutdownNow();
    threads.shutdownNow();
  }

  // ---- used by connections

  Clock clock() {
    return clock;
  }

  ProxySpans spans() {
    return spans;
  }

  ExecutorService threads() {
    return threads;
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  boolean isLive(ActiveToxic at) {
    return toxics.get(at.toxic.name()) == at && at.live(clock.instant());
  }

  /** Live TCP toxics acting on {@code d}, oldest first. */
  List<ActiveToxic> tcpToxics(Direction d) {
    Instant now = clock.instant();
    List<ActiveToxic> out = new ArrayList<>(2);
    for (ActiveToxic at : sorted()) {
      if (!at.toxic.kind().http() && at.toxic.stream() == d && at.live(now)) {
        out.add(at);
      }
    }
    return out;
  }

  /** Live HTTP toxics, oldest first. */
  List<ActiveToxic> httpToxics() {
    Instant now = clock.instant();
    List<ActiveToxic> out = new ArrayList<>(2);
    for (ActiveToxic at : sorted()) {
      if (at.toxic.kind().http() && at.live(now)) {
        out.add(at);
      }
    }
    return out;
  }

  /** True with probability {@code p}; the proxy's one seeded source of chance. */
  boolean chance(double p) {
    if (p >= 1) {
      return true;
    }
    if (p <= 0) {
      return false;
    }
    synchronized (random) {
      return random.nextDouble() < p;
    }
  }

  /** Uniform in [-1, 1). */
  double signedUnit() {
    synchronized (random) {
      return random.nextDouble() * 2 - 1;
    }
  }

  int nextInt(int bound) {
    synchronized (random) {
      return random.nextInt(bound);
    }
  }

  void forget(ProxyConnection c) {
    connections.remove(c);
  }

  private List<ActiveToxic> sorted() {
    List<ActiveToxic> all = new ArrayList<>(toxics.values());
    all.sort(Comparator.comparingLong(at -> at.seq));
    return all;
  }

  private void expire() {
    Instant now = clock.instant();
    for (ActiveToxic at : toxics.values()) {
      if (!at.live(now) && toxics.remove(at.toxic.name(), at)) {
        LOG.info("proxy {}: lease of toxic {} passed at {}; removed", name, at.toxic.name(), at.expiresAt());
      }
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (SocketException e) {
        if (!closed) {
          LOG.error("proxy {} stopped accepting connections: {}", name, e.toString());
        }
        return;
      } catch (IOException e) {
        LOG.warn("proxy {}: accept failed: {}", name, e.toString());
        continue;
      }
      accepted.incrementAndGet();
      ProxyConnection c = new ProxyConnection(this, client);
      connections.add(c);
      threads.execute(() -> c.start(upstreamHost, upstreamPort, CONNECT_TIMEOUT_MS, sorted()));
    }
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Configures a proxy; {@link #start()} binds the port. */
  public static final class Builder {
    private final String name;
    private String listenHost = "127.0.0.1";
    private int listenPort;
    private String upstreamHost;
    private int upstreamPort = -1;
    private Protocol protocol = Protocol.TCP;
    private Clock clock = Clock.systemUTC();
    private TelemetrySink sink = batch -> CompletableFuture.completedFuture(null);
    private long seed = new Random().nextLong();

    private Builder(String name) {
      if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
        throw new IllegalArgumentException(
            "proxy name must be 1 to 64 letters, digits, '.', '_' or '-', got " + name);
      }
      this.name = name;
    }

    /** Where to listen; default 127.0.0.1 and a free port. */
    public Builder listen(String host, int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("listen port must be between 0 and 65535, got " + port);
      }
      this.listenHost = Objects.requireNonNull(host, "host");
      this.listenPort = port;
      return this;
    }

    /** Where every connection is forwarded. Required. */
    public Builder upstream(String host, int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("upstream port must be between 1 and 65535, got " + port);
      }
      this.upstreamHost = Objects.requireNonNull(host, "host");
      this.upstreamPort = port;
      return this;
    }

    public Builder protocol(Protocol protocol) {
      this.protocol = Objects.requireNonNull(protocol, "protocol");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Where the spans of the HTTP layer go; default: dropped. */
    public Builder sink(TelemetrySink sink) {
      this.sink = Objects.requireNonNull(sink, "sink");
      return this;
    }

    /** Seed of the proxy's chance decisions (toxicity, percentage, jitter), logged at start. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    public FaultProxy start() throws IOException {
      if (upstreamHost == null) {
        throw new IllegalStateException("proxy " + name + ": upstream host and port are required");
      }
      return new FaultProxy(this);
    }
  }
}
