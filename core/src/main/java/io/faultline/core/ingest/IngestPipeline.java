/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.ingest;

import io.faultline.core.health.Health;
import io.faultline.core.wal.WriteAheadLog;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded {@link TelemetrySink}: appends every batch to the {@link WriteAheadLog}, completes
 * the caller's future once it is fsynced, then hands it to each store whose {@link
 * BatchIndexer#signals()} include it.
 *
 * <p>Contract, beyond {@link TelemetrySink}'s:
 *
 * <ul>
 *   <li>Each store gets its batches on its own thread, one at a time, in log position order.
 *   <li>Memory is bounded: a batch counts against {@link Builder#maxInFlightBytes} from {@link
 *       #accept} until every store has applied it; over the limit, {@link #accept} fails at once
 *       with {@link BackpressureException}. A batch larger than the limit is taken only when no
 *       other batch is in flight.
 *   <li>Every {@link Builder#commitInterval} each store is committed on its thread, then log
 *       segments wholly before the smallest checkpoint are deleted.
 *   <li>{@link #start()} replays the log into each store from its own checkpoint before any new
 *       batch is taken. A store whose apply throws is marked failed and gets nothing more until
 *       restart; its checkpoint stays before the failed batch, so it is replayed then.
 *   <li>The future returned by {@link #accept} completes on the log's writer thread: dependent
 *       stages must not block.
 * </ul>
 */
public final class IngestPipeline implements TelemetrySink, Closeable {
  /**
   * Default {@link Builder#maxInFlightBytes}: 24 MiB of encoded batches. Decoded OTLP messages take
   * about four times their encoded size on the heap, so this keeps the batches waiting for the
   * indexers around 100 MiB, and it bounds how far indexing can fall behind the acknowledgements:
   * at the end of a 1M-span burst the last trace was searchable 2.5 s after its acknowledgement
   * with 24 MiB against 14.8 s with 96 MiB, for the same server CPU. (256 MiB ran a 2 GiB heap out
   * of memory when indexing fell behind a 5M-span load.)
   */
  public static final long DEFAULT_MAX_IN_FLIGHT_BYTES = 24L << 20;

  /** Default {@link Builder#commitInterval}. */
  public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofSeconds(10);

  /** Default {@link Builder#retryAfter}. */
  public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);

  /** Default {@link Builder#stuckAfter}. */
  public static final Duration DEFAULT_STUCK_AFTER = Duration.ofMinutes(1);

  /** Default {@link Builder#closeTimeout}. */
  public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(IngestPipeline.class);

  private enum State {
    NEW,
    RUNNING,
    CLOSED
  }

  private final Builder config;
  private final List<IndexerLane> lanes = new ArrayList<>();
  private final Map<Signal, List<IndexerLane>> lanesBySignal = new EnumMap<>(Signal.class);
  private final AtomicLong inFlightBytes = new AtomicLong();
  private final IngestMetrics metrics;
  private final Object acceptLock = new Object();
  private State state = State.NEW; // guarded by acceptLock
  private volatile WriteAheadLog wal;
  private ScheduledExecutorService committer;
  private volatile String behindLog;

  /** A builder for a pipeline whose log lives in {@code walDir}. */
  public static Builder builder(Path walDir) {
    return new Builder(walDir);
  }

  private IngestPipeline(Builder config) {
    this.config = config;
    for (BatchIndexer indexer : config.indexers) {
      lanes.add(new IndexerLane(indexer, config.clock));
    }
    for (Signal signal : Signal.values()) {
      lanesBySignal.put(signal, lanes.stream().filter(l -> l.accepts(signal)).toList());
    }
    this.metrics = IngestMetrics.create(config.registry, inFlightBytes::get, lanes);
  }

  /**
   * Opens the log, replays it into every store from its checkpoint, commits each store once and
   * starts taking batches. Fails only if the log cannot be opened.
   */
  public synchronized void start() throws IOException {
    synchronized (acceptLock) {
      if (state != State.NEW) {
        throw new IllegalStateException("ingest pipeline was already started or closed");
      }
    }
    long newest = 0;
    for (BatchIndexer indexer : config.indexers) {
      newest = Math.max(newest, indexer.checkpoint());
    }
    wal =
        WriteAheadLog.builder(config.walDir)
            .maxSegmentBytes(config.maxSegmentBytes)
            .firstPosition(newest)
            .clock(config.clock)
            .registry(config.registry)
            .open();
    try {
      replayAndStart(newest);
    } catch (RuntimeException e) {
      wal.close();
      throw e;
    }
    synchronized (acceptLock) {
      state = State.RUNNING;
    }
  }

  private void replayAndStart(long newest) {
    if (wal.nextPosition() < newest) {
      behindLog =
          String.format(
              "write-ahead log %s ends at position %d but a store has committed up to %d: the"
                  + " log directory was replaced or lost its tail, and new batches may be skipped"
                  + " as already indexed. Restore the log directory, or delete the stores' data"
                  + " and restart.",
              config.walDir, wal.nextPosition(), newest);
      log.error(behindLog);
    }
    for (IndexerLane lane : lanes) {
      lane.replay(wal);
    }
    for (IndexerLane lane : lanes) {
      lane.commit();
      lane.start();
    }
    committer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "faultline-ingest-committer");
              t.setDaemon(true);
              return t;
            });
    long interval = config.commitInterval.toMillis();
    committer.scheduleWithFixedDelay(this::commitNow, interval, interval, TimeUnit.MILLISECONDS);
  }

  @Override
  public CompletableFuture<Void> accept(TelemetryBatch batch) {
    Objects.requireNonNull(batch, "batch");
    long bytes = batch.bytes().length;
    if (!reserve(bytes)) {
      metrics.rejected();
      return CompletableFuture.failedFuture(
          new BackpressureException(
              String.format(
                  "ingest is saturated: %d bytes of batches wait for the stores and this one (%d"
                      + " bytes) would pass the limit of %d bytes (maxInFlightBytes); retry in %d"
                      + " ms",
                  inFlightBytes.get(),
                  bytes,
                  config.maxInFlightBytes,
                  config.retryAfter.toMillis()),
              config.retryAfter));
    }
    List<IndexerLane> targets = lanesBySignal.get(batch.signal());
    CompletableFuture<Long> durable;
    synchronized (acceptLock) {
      if (state != State.RUNNING) {
        release(bytes);
        return CompletableFuture.failedFuture(
            new IllegalStateException(
                "ingest pipeline is " + (state == State.NEW ? "not started yet" : "closed")));
      }
      // Under the lock, so that every lane queues batches in the order the log numbers them.
      durable = wal.append(batch.signal().code(), batch.bytes());
      long next = wal.nextPosition();
      AtomicInteger pending = new AtomicInteger(targets.size());
      Runnable done =
          () -> {
            if (pending.decrementAndGet() == 0) {
              release(bytes);
            }
          };
      for (IndexerLane lane : targets) {
        lane.enqueue(durable, next, batch, done);
      }
    }
    if (targets.isEmpty()) {
      durable.whenComplete((position, error) -> release(bytes));
    }
    return durable.thenAccept(position -> metrics.accepted(batch.signal()));
  }

  @Override
  public boolean hasRoomFor(long bytes) {
    return fits(inFlightBytes.get(), bytes);
  }

  /** Within the limit, or alone: a batch larger than the limit waits until nothing else does. */
  private boolean fits(long current, long bytes) {
    return current + bytes <= config.maxInFlightBytes || current == 0;
  }

  private boolean reserve(long bytes) {
    long current;
    do {
      current = inFlightBytes.get();
      if (!fits(current, bytes)) {
        return false;
      }
    } while (!inFlightBytes.compareAndSet(current, current + bytes));
    return true;
  }

  private void release(long bytes) {
    inFlightBytes.addAndGet(-bytes);
  }

  /**
   * Commits every store on its own thread and then deletes the log segments all of them have
   * committed. Runs every {@link Builder#commitInterval}; package-private so tests need not wait.
   */
  void commitNow() {
    // What each lane had been given when the commits were queued, and where the log ended then:
    // a lane that has committed all it was given holds up nothing before that end (the records in
    // between are of signals it does not index), so a store without traffic never pins the log.
    long logEnd;
    long[] given = new long[lanes.size()];
    List<CompletableFuture<Void>> commits = new ArrayList<>();
    synchronized (acceptLock) {
      logEnd = wal.nextPosition();
      for (int i = 0; i < lanes.size(); i++) {
        given[i] = lanes.get(i).lastQueuedNext();
        commits.add(lanes.get(i).commitAsync());
      }
    }
    try {
      CompletableFuture.allOf(commits.toArray(CompletableFuture[]::new)).get();
      wal.deleteSegmentsBefore(releasablePosition(logEnd, given));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | IOException | RuntimeException e) {
      log.error(
          "Periodic commit of the ingest pipeline failed; the next one retries. Log segments are"
              + " kept meanwhile, so watch the disk.",
          e);
    }
  }

  /** The position before which no store needs the log any more. */
  private long releasablePosition(long logEnd, long[] given) {
    long min = Long.MAX_VALUE;
    for (int i = 0; i < lanes.size(); i++) {
      long committed = lanes.get(i).committed();
      min = Math.min(min, committed >= given[i] ? Math.max(committed, logEnd) : committed);
    }
    return min;
  }

  /** Unhealthy when the log cannot be written or a store failed or is stuck. */
  public Health check() {
    synchronized (acceptLock) {
      if (state != State.RUNNING) {
        return Health.unhealthy("ingest pipeline is " + state.name().toLowerCase(Locale.ROOT));
      }
    }
    Health health = wal.check();
    if (!health.isHealthy()) {
      return health;
    }
    for (IndexerLane lane : lanes) {
      health = lane.check(config.stuckAfter);
      if (!health.isHealthy()) {
        return health;
      }
    }
    String behind = behindLog;
    return behind == null ? Health.ok() : Health.unhealthy(behind);
  }

  /**
   * Stops taking batches (later {@link #accept} calls fail with {@link IllegalStateException}),
   * lets the stores apply what is queued, commits them and closes the log. Idempotent.
   */
  @Override
  public synchronized void close() throws IOException {
    boolean started;
    synchronized (acceptLock) {
      if (state == State.CLOSED) {
        return;
      }
      started = state == State.RUNNING;
      state = State.CLOSED;
    }
    if (!started) {
      return;
    }
    boolean interrupted = false;
    long releasable = -1;
    try {
      committer.shutdownNow();
      committer.awaitTermination(config.closeTimeout.toMillis(), TimeUnit.MILLISECONDS);
      for (IndexerLane lane : lanes) {
        if (lane.drain(config.closeTimeout)) {
          lane.commit();
        } else {
          log.warn(
              "Store {} did not apply its {} queued batch(es) within {}; closing without"
                  + " committing it. They are in the write-ahead log and are replayed at the next"
                  + " start.",
              lane.name(),
              lane.queued(),
              config.closeTimeout);
        }
      }
      long[] given = new long[lanes.size()];
      for (int i = 0; i < lanes.size(); i++) {
        given[i] = lanes.get(i).lastQueuedNext();
      }
      releasable = releasablePosition(wal.nextPosition(), given);
      wal.deleteSegmentsBefore(releasable);
    } catch (InterruptedException e) {
      interrupted = true;
    } finally {
      wal.close();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    // every store committed everything: a clean stop leaves no log to replay
    wal.deleteIfAllBefore(releasable);
  }

  /** Configures an {@link IngestPipeline}; defaults suit a laptop. */
  public static final class Builder {
    private final Path walDir;
    private final List<BatchIndexer> indexers = new ArrayList<>();
    private long maxInFlightBytes = DEFAULT_MAX_IN_FLIGHT_BYTES;
    private long maxSegmentBytes = WriteAheadLog.DEFAULT_MAX_SEGMENT_BYTES;
    private Duration commitInterval = DEFAULT_COMMIT_INTERVAL;
    private Duration retryAfter = DEFAULT_RETRY_AFTER;
    private Duration stuckAfter = DEFAULT_STUCK_AFTER;
    private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
    private Clock clock = Clock.systemUTC();
    private PrometheusRegistry registry;

    private Builder(Path walDir) {
      this.walDir = Objects.requireNonNull(walDir, "walDir");
    }

    /** Adds the stores to feed; their {@link BatchIndexer#name()}s must differ. */
    public Builder indexers(List<? extends BatchIndexer> indexers) {
      Set<String> names = new HashSet<>();
      for (BatchIndexer i : this.indexers) {
        names.add(i.name());
      }
      for (BatchIndexer indexer : indexers) {
        Objects.requireNonNull(indexer, "indexer");
        if (!names.add(indexer.name())) {
          throw new IllegalArgumentException(
              "two indexers are named "
                  + indexer.name()
                  + "; override BatchIndexer.name() to tell them apart");
        }
        this.indexers.add(indexer);
      }
      return this;
    }

    /** Bytes of accepted batches not yet applied by every store, before backpressure. */
    public Builder maxInFlightBytes(long maxInFlightBytes) {
      if (maxInFlightBytes <= 0) {
        throw new IllegalArgumentException("maxInFlightBytes must be > 0, got " + maxInFlightBytes);
      }
      this.maxInFlightBytes = maxInFlightBytes;
      return this;
    }

    /** See {@link WriteAheadLog.Builder#maxSegmentBytes}. */
    public Builder maxSegmentBytes(long maxSegmentBytes) {
      if (maxSegmentBytes < WriteAheadLog.MIN_SEGMENT_BYTES) {
        throw new IllegalArgumentException(
            "maxSegmentBytes must be at least "
                + WriteAheadLog.MIN_SEGMENT_BYTES
                + ", got "
                + maxSegmentBytes);
      }
      this.maxSegmentBytes = maxSegmentBytes;
      return this;
    }

    /** How often stores are committed and log segments deleted. */
    public Builder commitInterval(Duration commitInterval) {
      this.commitInterval = positive(commitInterval, "commitInterval");
      return this;
    }

    /** The retry hint a {@link BackpressureException} carries. */
    public Builder retryAfter(Duration retryAfter) {
      this.retryAfter = positive(retryAfter, "retryAfter");
      return this;
    }

    /** A store busy with one batch or commit for longer than this is reported unhealthy. */
    public Builder stuckAfter(Duration stuckAfter) {
      this.stuckAfter = positive(stuckAfter, "stuckAfter");
      return this;
    }

    /** How long {@link #close()} waits for each store to apply its queued batches. */
    public Builder closeTimeout(Duration closeTimeout) {
      this.closeTimeout = positive(closeTimeout, "closeTimeout");
      return this;
    }

    /** Times replays, fsyncs and stuck stores. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Where the pipeline's and the log's self-metrics go; none when null (the default). */
    public Builder registry(PrometheusRegistry registry) {
      this.registry = registry;
      return this;
    }

    public IngestPipeline build() {
      return new IngestPipeline(this);
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
