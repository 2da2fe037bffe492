/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.ingest;

import com.google.protobuf.InvalidProtocolBufferException;
import io.faultline.core.health.Health;
import io.faultline.core.wal.WriteAheadLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.lucene.store.AlreadyClosedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One store's side of the pipeline: a single thread that applies durable batches to its {@link
 * BatchIndexer} in log order and commits it. After an apply that failed on the store's storage (an
 * I/O error, a closed index) the lane applies and commits nothing more, so the store's checkpoint
 * never passes the failed batch and the next start replays it. A batch whose data trips a bug
 * (any other runtime exception) would fail the same way on every replay, so it is skipped,
 * counted ({@link #skipped()}) and logged, and the store goes on.
 */
final class IndexerLane {
  private static final Logger log = LoggerFactory.getLogger(IndexerLane.class);
  private static final long IDLE = Long.MIN_VALUE;

  private final BatchIndexer indexer;
  private final String name;
  private final Set<Signal> signals;
  private final Clock clock;
  private final AtomicInteger queued = new AtomicInteger();
  private ExecutorService executor;
  private volatile long committed;
  /** The next position of the last batch queued here (0 for none); written under the accept lock. */
  private volatile long lastQueuedNext;
  private volatile String failure;
  private volatile String commitFailure;
  private volatile long busySinceMillis = IDLE;
  private final AtomicLong skipped = new AtomicLong();
  private volatile long lastSkipLogMillis;
  private static final long SKIP_LOG_INTERVAL_MILLIS = 60_000;

  /** Stops a replay after the lane failed; the failure is already logged. */
  private static final class StopReplay extends RuntimeException {
    StopReplay() {
      super(null, null, false, false);
    }
  }

  IndexerLane(BatchIndexer indexer, Clock clock) {
    this.indexer = indexer;
    this.name = indexer.name();
    this.signals = Set.copyOf(indexer.signals());
    this.clock = clock;
  }

  String name() {
    return name;
  }

  boolean accepts(Signal signal) {
    return signals.contains(signal);
  }

  int queued() {
    return queued.get();
  }

  long committed() {
    return committed;
  }

  /** Applies every logged batch from the store's checkpoint on, on the calling thread. */
  void replay(WriteAheadLog wal) {
    long from = indexer.checkpoint();
    committed = from;
    long startMillis = clock.millis();
    long[] records = {0};
    long[] bytes = {0};
    try {
      wal.replay(
          from,
          (position, next, type, payload) -> {
            TelemetryBatch batch = decode(position, type, payload);
            if (batch == null) {
              return;
            }
            if (!apply(position, next, batch)) {
              throw new StopReplay();
            }
            records[0]++;
            bytes[0] += payload.length;
          });
    } catch (StopReplay e) {
      // apply() logged the failure and marked this lane failed
    } catch (IOException | RuntimeException e) {
      fail("could not read the write-ahead log while replaying from position " + from, e);
    }
    log.info(
        "Replayed {} record(s) ({} bytes) from the write-ahead log into store {} from position {}"
            + " in {} ms",
        records[0],
        bytes[0],
        name,
        from,
        clock.millis() - startMillis);
  }

  private TelemetryBatch decode(long position, byte type, byte[] payload) {
    Signal signal;
    try {
      signal = Signal.ofCode(type);
    } catch (IllegalArgumentException e) {
      log.error(
          "Write-ahead log record at position {} has unknown signal code {}; store {} skips it."
              + " Was the log written by a newer Faultline version?",
          position,
          type);
      return null;
    }
    if (!accepts(signal)) {
      return null;
    }
    try {
      return new TelemetryBatch(signal, TelemetryBatch.parse(signal, payload), payload);
    } catch (InvalidProtocolBufferException e) {
      log.error(
          "Write-ahead log record at position {} ({}) is not a valid {} request; store {} skips"
              + " it",
          position,
          signal,
          signal,
          name,
          e);
      return null;
    }
  }


  /** Commits on the calling thread; only while no batch is being applied. */
  void commit() {
    if (failure != null) {
      return;
    }
    busySinceMillis = clock.millis();
    try {
      committed = indexer.commit();
      commitFailure = null;
    } catch (IOException | RuntimeException e) {
      commitFailure = "store " + name + " failed to commit: " + e;
      log.error(
          "Store {} failed to commit; it keeps indexing and the next commit retries. Its log"
              + " segments are kept until a commit succeeds, so watch the disk.",
          name,
          e);
    } finally {
      busySinceMillis = IDLE;
    }
  }

  void start() {
    executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "faultline-ingest-" + name);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Queues a batch; callers queue in position order. {@code done} runs once the lane is through
   * with it, applied or not.
   */
  void enqueue(
      CompletableFuture<Long> durable, long nextPosition, TelemetryBatch batch, Runnable done) {
    lastQueuedNext = nextPosition;
    queued.incrementAndGet();
    executor.execute(
        () -> {
          try {
            long position;
            try {
              position = durable.join();
            } catch (CompletionException | CancellationException e) {
              return; // not durable, so not acknowledged: nothing to index
            }
            if (failure == null) {
              apply(position, nextPosition, batch);
            }
          } finally {
            queued.decrementAndGet();
            done.run();
          }
        });
  }

  long lastQueuedNext() {
    return lastQueuedNext;
  }

  CompletableFuture<Void> commitAsync() {
    return CompletableFuture.runAsync(this::commit, executor);
  }

  private boolean apply(long position, long nextPosition, TelemetryBatch batch) {
    busySinceMillis = clock.millis();
    try {
      indexer.apply(position, nextPosition, batch);
      return true;
    } catch (RuntimeException e) {
      if (storageTrouble(e)) {
        fail("failed to apply the batch at write-ahead log position " + position, e);
        return false;
      }
      skip(position, e);
      return true;
    } catch (Throwable t) {
      fail("failed to apply the batch at write-ahead log position " + position, t);
      if (t instanceof VirtualMachineError e) {
        throw e;
      }
      return false;
    } finally {
      busySinceMillis = IDLE;
    }
  }

  /**
   * Whether an exception from applying a batch comes from the store's storage (its disk, a closed
   * index), which a restart after the fix can get past, rather than from the batch's data meeting
   * a bug, which would fail the same way on every replay.
   */
  private static boolean storageTrouble(RuntimeException e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof IOException
          || t instanceof UncheckedIOException
          || t instanceof AlreadyClosedException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Goes on past a batch whose data trips a bug in the store: stopping would leave everything
   * acknowledged after it unindexed, and the replay after a restart would trip over it again.
   * What the store had not indexed of the batch is lost to it; the error log says so, in full the
   * first time and then at most once a minute.
   */
  private void skip(long position, RuntimeException e) {
    long n = skipped.incrementAndGet();
    long now = clock.millis();
    if (n == 1 || now - lastSkipLogMillis >= SKIP_LOG_INTERVAL_MILLIS) {
      lastSkipLogMillis = now;
      log.error(
          "Store {} could not apply the batch at write-ahead log position {} ({}); {} batch(es)"
              + " skipped so far. The batch's data trips a bug, not a disk problem, so the store"
              + " goes on with the next batches and loses what it had not indexed of this one."
              + " Report it with this stack trace.",
          name,
          position,
          e.toString(),
          n,
          e);
    }
  }

  /** Batches skipped because their data tripped a bug in the store. */
  long skipped() {
    return skipped.get();
  }

  private void fail(String what, Throwable cause) {
    failure = "store " + name + " " + what + " (" + cause + ") and stopped indexing";
    log.error(
        "Store {} {}. It indexes and commits nothing more until restart, so its checkpoint stays"
            + " before this batch; fix the cause and restart the server to replay the log from"
            + " there.",
        name,
        what,
        cause);
  }

  /** Lets queued batches finish; false if they did not within the timeout. */
  boolean drain(Duration timeout) throws InterruptedException {
    executor.shutdown();
    return executor.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  Health check(Duration stuckAfter) {
    String failed = failure;
    if (failed != null) {
      return Health.unhealthy(failed);
    }
    long since = busySinceMillis;
    if (since != IDLE) {
      long busyMillis = clock.millis() - since;
      if (busyMillis > stuckAfter.toMillis()) {
        return Health.unhealthy(
            String.format(
                "store %s has been busy with one batch or commit for %d s and %d batch(es) wait"
                    + " behind it; check the store's disk and logs (thread faultline-ingest-%s)",
                name, busyMillis / 1000, queued.get(), name));
      }
    }
    String commitFailed = commitFailure;
    return commitFailed == null ? Health.ok() : Health.unhealthy(commitFailed);
  }
}
