/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace.derived;

import com.google.protobuf.InvalidProtocolBufferException;
import io.faultline.core.health.Health;
import io.faultline.core.ingest.BackpressureException;
import io.faultline.core.ingest.BatchIndexer;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Derives Grafana Tempo's span metrics and service graph from every durable span batch and writes
 * them back through a {@link TelemetrySink} as OTLP metrics, so they are durable and reach the
 * metric store like any other metric. The series, as the metric store names them after the
 * OpenTelemetry-to-Prometheus conversion:
 *
 * <ul>
 *   <li>{@code traces_spanmetrics_calls_total}, {@code traces_spanmetrics_size_total} and {@code
 *       traces_spanmetrics_latency_bucket/_sum/_count} (buckets 0.002 s doubling to 16.384 s) with
 *       labels {@code service}, {@code span_name}, {@code span_kind} ({@code SPAN_KIND_SERVER}, …)
 *       and {@code status_code} ({@code STATUS_CODE_UNSET|OK|ERROR});
 *   <li>{@code traces_service_graph_request_total}, {@code
 *       traces_service_graph_request_failed_total} and {@code
 *       traces_service_graph_request_server_seconds_*} / {@code _client_seconds_*} (buckets 0.1 s
 *       doubling to 12.8 s) with labels {@code client}, {@code server} and {@code connection_type}
 *       (absent for a synchronous call, {@code messaging_system}, {@code database} or {@code
 *       virtual_node}). See {@link ServiceGraph} for the pairing rules.
 * </ul>
 *
 * <p>Contract, beyond {@link BatchIndexer}'s:
 *
 * <ul>
 *   <li>The series are cumulative and held in memory; every {@link Builder#emitInterval} (and on
 *       {@link #commit()}) all of them are sent as one batch, stamped with the clock's time. A
 *       label set not updated for {@link Builder#staleAfter} is forgotten. At most {@link
 *       Builder#maxSeries} label sets are held; observations that would need another are dropped
 *       and counted ({@link #droppedForSeriesLimit()}).
 *   <li>Sending never blocks the caller: the sink's future is not waited for. If the sink refuses
 *       (backpressure, shutting down), the state is kept and the next interval sends the newer
 *       cumulative values; only one batch is in flight at a time.
 *   <li>{@link #checkpoint()} is the log position after the last batch whose effect is in a batch
 *       the sink acknowledged as durable; it is kept in a file in the state directory. After a
 *       restart the pipeline replays from there, so spans already counted in durable metrics are
 *       not counted again, and spans whose metrics were not yet durable are. The counters restart
 *       at zero (a counter reset, which PromQL's {@code rate} and {@code increase} handle). Edges
 *       waiting for their other side are not kept across a restart.
 *   <li>The checkpoint may lag the applied batches by up to one interval; {@link #commit()} returns
 *       it as it is. A crash between the sink's acknowledgement and the checkpoint write
 *       (milliseconds) re-derives that one batch's spans after the restart.
 *   <li>Thread-safe: {@link #apply} runs on the pipeline's thread for this indexer, emission on the
 *       generator's own thread.
 * </ul>
 */
public final class DerivedMetricsGenerator implements BatchIndexer, Closeable {
  /** Default {@link Builder#emitInterval}: Tempo's collection interval. */
  public static final Duration DEFAULT_EMIT_INTERVAL = Duration.ofSeconds(15);

  /** Default {@link Builder#edgeWait}: Tempo's service-graph {@code wait}. */
  public static final Duration DEFAULT_EDGE_WAIT = Duration.ofSeconds(10);

  /** Default {@link Builder#maxPendingEdges}: Tempo's service-graph {@code max_items}. */
  public static final int DEFAULT_MAX_PENDING_EDGES = 10_000;

  /** Default {@link Builder#maxSeries}. */
  public static final int DEFAULT_MAX_SERIES = 5_000;

  /** Default {@link Builder#staleAfter}: Tempo's {@code stale_duration}. */
  public static final Duration DEFAULT_STALE_AFTER = Duration.ofMinutes(15);

  /** Default {@link Builder#closeTimeout}. */
  public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(5);

  /** The checkpoint's file name inside the state directory. */
  static final String CHECKPOINT_FILE = "derived-metrics.checkpoint";

  private static final Logger log = LoggerFactory.getLogger(DerivedMetricsGenerator.class);

  private final Builder config;
  private final Clock clock;
  private final CheckpointFile checkpointFile;
  private final SeriesLimit limit;
  private final SpanMetrics spanMetrics;
  private final ServiceGraph serviceGraph;
  private final ScheduledExecutorService scheduler;
  private final Executor callbacks;
  private final LongAdder emitFailures = new LongAdder();
  private final LongAdder invalidBatches = new LongAdder();
  private final LongAdder spans = new LongAdder();
  private final Object lock = new Object();
  private final Object persistLock = new Object();

  // guarded by lock
  private long appliedPosition;
  private long acknowledgedPosition;
  private CompletableFuture<Void> inFlight;
  private long failingSinceMillis = -1;
  private String lastFailure;
  private long droppedLogged;

  private volatile long checkpoint;
  private volatile TelemetrySink sink;
  private volatile boolean closed;

  /** A builder whose checkpoint file lives in {@code stateDir}. */
  public static Builder builder(Path stateDir) {
    return new Builder(stateDir);
  }

  private DerivedMetricsGenerator(Builder config) throws IOException {
    this.config = config;
    this.clock = config.clock;
    this.checkpointFile = new CheckpointFile(config.stateDir.resolve(CHECKPOINT_FILE));
    this.checkpoint = checkpointFile.read();
    this.appliedPosition = checkpoint;
    this.acknowledgedPosition = checkpoint;
    this.limit = new SeriesLimit(config.maxSeries);
    this.spanMetrics = new SpanMetrics(limit);
    this.serviceGraph = new ServiceGraph(config.edgeWait.toMillis(), config.maxPendingEdges, limit);
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "faultline-derived-metrics");
              t.setDaemon(true);
              return t;
            });
    Executor own =
        r -> {
          try {
            scheduler.execute(r);
          } catch (RejectedExecutionException e) {
            r.run(); // closed: finish the bookkeeping on the completing thread
          }
        };
    this.callbacks = config.callbackExecutor != null ? config.callbackExecutor : own;
    if (config.registry != null) {
      registerSelfMetrics(config.registry);
    }
  }

  @Override
  public String name() {
    return "derived-metrics";
  }

  @Override
  public Set<Signal> signals() {
    return Set.of(Signal.TRACES);
  }

  /**
   * Starts sending the series through {@code sink} every {@link Builder#emitInterval}. Until then
   * batches are applied and their series kept, but nothing is sent, so the generator can be one of
   * the sink's own indexers: build the pipeline with it, start the pipeline, then call this.
   */
  public void start(TelemetrySink sink) {
    Objects.requireNonNull(sink, "sink");
    synchronized (lock) {
      if (this.sink != null) {
        throw new IllegalStateException("derived metrics generator was already started");
      }
      if (closed) {
        throw new IllegalStateException("derived metrics generator is closed");
      }
      this.sink = sink;
    }
    long interval = config.emitInterval.toMillis();
    scheduler.scheduleWithFixedDelay(this::tick, interval, interval, TimeUnit.MILLISECONDS);
  }

  @Override
  public void apply(long position, long nextPosition, TelemetryBatch batch) {
    ExportTraceServiceRequest request = request(batch, position);
    if (request == null) {
      return;
    }
    synchronized (lock) {
      if (position < appliedPosition) {
        return; // replayed, and its effect is already in durable metrics or in memory
      }
      long now = clock.millis();
      serviceGraph.expire(now);
      for (ResourceSpans rs : request.getResourceSpansList()) {
        String service = Attributes.serviceName(rs.getResource());
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          for (Span span : ss.getSpansList()) {
            spans.increment();
            spanMetrics.record(service == null ? "" : service, span, now);
            if (service != null) {
              serviceGraph.consume(service, rs.getResource(), span, now);
            }
          }
        }
      }
      appliedPosition = nextPosition;
    }
  }

  private ExportTraceServiceRequest request(TelemetryBatch batch, long position) {
    if (batch.signal() != Signal.TRACES) {
      return null;
    }
    try {
      return batch.messageAs(ExportTraceServiceRequest.getDefaultInstance());
    } catch (InvalidProtocolBufferException e) {
      invalidBatches.increment();
      log.error(
          "Trace batch at write-ahead log position {} is not a valid ExportTraceServiceRequest;"
              + " no metrics are derived from it",
          position,
          e);
      return null;
    }
  }

  @Override
  public long checkpoint() {
    return checkpoint;
  }

  /**
   * Sends the series (without waiting for the sink) and stores the checkpoint of what the sink has
   * acknowledged so far, which this returns.
   */
  @Override
  public long commit() throws IOException {
    emit();
    persistCheckpoint();
    return checkpoint;
  }

  private void tick() {
    try {
      emit();
      persistCheckpoint();
    } catch (IOException | RuntimeException e) {
      log.error(
          "Derived metrics could not store their checkpoint in {}; the next interval retries."
              + " Until then a restart re-derives more spans than needed. Check the disk.",
          checkpointFile.path(),
          e);
    }
  }

  /**
   * Sends one snapshot of every series unless one is still in flight; the returned future completes
   * once the sink's answer has been processed (never exceptionally).
   */
  CompletableFuture<Void> emit() {
    TelemetrySink target = sink;
    if (target == null || closed) {
      return CompletableFuture.completedFuture(null);
    }
    Emission emission;
    CompletableFuture<Void> done = new CompletableFuture<>();
    synchronized (lock) {
      if (inFlight != null) {
        return inFlight;
      }
      long now = clock.millis();
      serviceGraph.expire(now);
      long cutoff = now - config.staleAfter.toMillis();
      spanMetrics.removeStale(cutoff);
      serviceGraph.removeStale(cutoff);
      logDropped();
      emission = snapshot(now);
      if (emission.points == 0) {
        // nothing derived is held, so everything applied so far is as good as emitted
        acknowledgedPosition = Math.max(acknowledgedPosition, appliedPosition);
        return CompletableFuture.completedFuture(null);
      }
      inFlight = done;
    }
    CompletableFuture<Void> sent;
    try {
      sent = target.accept(emission.batch);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    // the sink may complete on its log-writer thread, which must not do our bookkeeping or I/O
    sent.whenCompleteAsync(
        (v, error) -> {
          try {
            emitted(emission, error);
          } finally {
            done.complete(null);
          }
        },
        callbacks);
    return done;
  }

  private Emission snapshot(long now) {
    OtlpMetrics out = new OtlpMetrics();
    List<Runnable> onAck = new ArrayList<>();
    for (SpanMetrics.Series s : spanMetrics.series()) {
      boolean announce = !s.announced;
      out.add(s, now, announce);
      if (announce) {
        onAck.add(() -> s.announced = true);
      }
    }
    for (ServiceGraph.Series s : serviceGraph.series()) {
      boolean announce = !s.announced;
      boolean announceFailed = s.hasFailed() && !s.failedAnnounced;
      out.add(s, now, announce, announceFailed);
      if (announce || announceFailed) {
        onAck.add(
            () -> {
              s.announced = true;
              s.failedAnnounced |= announceFailed;
            });
      }
    }
    int points = out.points();
    TelemetryBatch batch = points == 0 ? null : TelemetryBatch.of(Signal.METRICS, out.build());
    return new Emission(batch, points, appliedPosition, onAck);
  }

  private void emitted(Emission emission, Throwable error) {
    boolean acknowledged;
    synchronized (lock) {
      inFlight = null;
      acknowledged = error == null;
      if (acknowledged) {
        acknowledgedPosition = Math.max(acknowledgedPosition, emission.coveredPosition);
        emission.onAck.forEach(Runnable::run);
        if (failingSinceMillis >= 0) {
          log.info(
              "Derived metrics are written again after {} s of failures",
              (clock.millis() - failingSinceMillis) / 1000);
        }
        failingSinceMillis = -1;
        lastFailure = null;
      } else {
        emitFailures.increment();
        Throwable cause = unwrap(error);
        lastFailure = cause.toString();
        if (failingSinceMillis < 0) {
          failingSinceMillis = clock.millis();
          if (cause instanceof BackpressureException) {
            log.info(
                "Ingest is saturated; derived metrics keep their state and are sent again in {}",
                config.emitInterval);
          } else {
            log.warn(
                "Derived metrics could not be written ({}); they keep their state and are sent"
                    + " again in {}. If this persists, check the ingest pipeline's health.",
                lastFailure,
                config.emitInterval);
          }
        }
      }
    }
    if (acknowledged && !closed) {
      try {
        persistCheckpoint();
      } catch (IOException | RuntimeException e) {
        log.error(
            "Derived metrics could not store their checkpoint in {}; the next interval retries",
            checkpointFile.path(),
            e);
      }
    }
  }

  private void persistCheckpoint() throws IOException {
    synchronized (persistLock) {
      long target;
      synchronized (lock) {
        target = acknowledgedPosition;
      }
      if (target > checkpoint) {
        checkpointFile.write(target);
        checkpoint = target;
      }
    }
  }

  private void logDropped() {
    long dropped = limit.dropped();
    if (dropped > droppedLogged) {
      log.warn(
          "Derived metrics hold the maximum of {} label sets (maxSeries); {} observation(s) were"
              + " dropped so far. Raise maxSeries or reduce span-name cardinality (e.g. use route"
              + " templates, not raw URLs, as span names).",
          limit.max(),
          dropped);
      droppedLogged = dropped;
    }
  }

  /** Unhealthy when the series could not be written for a while. */
  public Health check() {
    synchronized (lock) {
      if (failingSinceMillis < 0) {
        return Health.ok();
      }
      long failingMillis = clock.millis() - failingSinceMillis;
      long tolerated = Math.max(60_000, 4 * config.emitInterval.toMillis());
      if (failingMillis <= tolerated) {
        return Health.ok();
      }
      return Health.unhealthy(
          String.format(
              "derived metrics have not been written for %d s (last error: %s); span metrics and"
                  + " the service graph fall behind. Check the ingest pipeline's health.",
              failingMillis / 1000, lastFailure));
    }
  }

  /** Observations dropped because {@link Builder#maxSeries} label sets were held. */
  public long droppedForSeriesLimit() {
    return limit.dropped();
  }

  /** Spans dropped because {@link Builder#maxPendingEdges} edges were waiting. */
  public long droppedForPendingEdges() {
    return serviceGraph.droppedSpans();
  }

  /** Edges that expired unpaired and could not be attributed to a virtual node. */
  public long expiredEdges() {
    return serviceGraph.expiredEdges();
  }

  /** Spans derived from since this generator was built (replayed ones included). */
  public long spans() {
    return spans.sum();
  }

  int activeSeries() {
    return limit.active();
  }

  int pendingEdges() {
    synchronized (lock) {
      return serviceGraph.pendingEdges();
    }
  }

  /**
   * Stops the periodic emission, sends the series a last time (waiting up to {@link
   * Builder#closeTimeout} for the sink) and stores the checkpoint. Close it before the pipeline
   * that is its sink. Idempotent.
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    boolean interrupted = false;
    try {
      CompletableFuture<Void> pending;
      synchronized (lock) {
        pending = inFlight;
      }
      long timeout = config.closeTimeout.toMillis();
      if (pending != null) {
        pending.get(timeout, TimeUnit.MILLISECONDS);
      }
      emit().get(timeout, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      interrupted = true;
    } catch (ExecutionException | TimeoutException e) {
      log.warn(
          "Derived metrics were not acknowledged within {} at shutdown; the spans behind them are"
              + " re-derived from the write-ahead log at the next start",
          config.closeTimeout);
    } finally {
      closed = true;
      scheduler.shutdownNow();
      persistCheckpoint();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private void registerSelfMetrics(PrometheusRegistry registry) {
    GaugeWithCallback.builder()
        .name("faultline_derived_metrics_series")
        .help("Label sets of span metrics and service graph held in memory")
        .callback(cb -> cb.call(limit.active()))
        .register(registry);
    CounterWithCallback.builder()
        .name("faultline_derived_metrics_dropped_total")
        .help("Observations not derived: series limit reached, or too many edges pending")
        .labelNames("reason")
        .callback(
            cb -> {
              cb.call(limit.dropped(), "series_limit");
              cb.call(serviceGraph.droppedSpans(), "pending_edges_limit");
            })
        .register(registry);
    CounterWithCallback.builder()
        .name("faultline_derived_metrics_spans_total")
        .help("Spans that span metrics and the service graph were derived from")
        .callback(cb -> cb.call(spans.sum()))
        .register(registry);
    CounterWithCallback.builder()
        .name("faultline_derived_metrics_expired_edges_total")
        .help("Service-graph edges that expired without their other side")
        .callback(cb -> cb.call(serviceGraph.expiredEdges()))
        .register(registry);
    CounterWithCallback.builder()
        .name("faultline_derived_metrics_emit_failures_total")
        .help("Snapshots of derived metrics the sink refused; they are sent again")
        .callback(cb -> cb.call(emitFailures.sum()))
        .register(registry);
  }

  private record Emission(
      TelemetryBatch batch, int points, long coveredPosition, List<Runnable> onAck) {}

  /** Configures a {@link DerivedMetricsGenerator}; defaults are Tempo's. */
  public static final class Builder {
    private final Path stateDir;
    private Clock clock = Clock.systemUTC();
    private Duration emitInterval = DEFAULT_EMIT_INTERVAL;
    private Duration edgeWait = DEFAULT_EDGE_WAIT;
    private int maxPendingEdges = DEFAULT_MAX_PENDING_EDGES;
    private int maxSeries = DEFAULT_MAX_SERIES;
    private Duration staleAfter = DEFAULT_STALE_AFTER;
    private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
    private PrometheusRegistry registry;
    private Executor callbackExecutor;

    private Builder(Path stateDir) {
      this.stateDir = Objects.requireNonNull(stateDir, "stateDir");
    }

    /** Stamps samples, times edge waits and staleness. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** How often every series is sent to the sink. */
    public Builder emitInterval(Duration emitInterval) {
      this.emitInterval = positive(emitInterval, "emitInterval");
      return this;
    }

    /** How long a client or server span waits for its other side before its edge expires. */
    public Builder edgeWait(Duration edgeWait) {
      this.edgeWait = positive(edgeWait, "edgeWait");
      return this;
    }

    /** How many unpaired edges may wait at once; spans that would open more are dropped. */
    public Builder maxPendingEdges(int maxPendingEdges) {
      if (maxPendingEdges <= 0) {
        throw new IllegalArgumentException("maxPendingEdges must be > 0, got " + maxPendingEdges);
      }
      this.maxPendingEdges = maxPendingEdges;
      return this;
    }

    /**
     * How many label sets (of span metrics and service graph together) are held. Each becomes about
     * 19 Prometheus series (span metrics: calls, size, 14 buckets + Inf, sum, count).
     */
    public Builder maxSeries(int maxSeries) {
      if (maxSeries <= 0) {
        throw new IllegalArgumentException("maxSeries must be > 0, got " + maxSeries);
      }
      this.maxSeries = maxSeries;
      return this;
    }

    /** A label set not updated for this long is forgotten (and no longer sent). */
    public Builder staleAfter(Duration staleAfter) {
      this.staleAfter = positive(staleAfter, "staleAfter");
      return this;
    }

    /** How long {@link #close()} waits for the last batch to be acknowledged. */
    public Builder closeTimeout(Duration closeTimeout) {
      this.closeTimeout = positive(closeTimeout, "closeTimeout");
      return this;
    }

    /** Where the generator's self-metrics go; none when null (the default). */
    public Builder registry(PrometheusRegistry registry) {
      this.registry = registry;
      return this;
    }

    /** Runs the bookkeeping after the sink answers; tests pass a direct executor. */
    Builder callbackExecutor(Executor callbackExecutor) {
      this.callbackExecutor = callbackExecutor;
      return this;
    }

    /**
     * Reads the checkpoint from the state directory.
     *
     * @throws IOException if the checkpoint file exists but cannot be read or parsed
     */
    public DerivedMetricsGenerator build() throws IOException {
      return new DerivedMetricsGenerator(this);
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
      return d;
    }
  }
}
