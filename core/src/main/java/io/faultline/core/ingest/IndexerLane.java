/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.ingest;

import com.google.protobuf.InvalidProtocolBufferException;
import io.faultline.core.health.Health;
import io.faultline.core.wal.WriteAheadLog;
import java.io.IOException;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One store's side of the pipeline: a single thread that applies durable batches to its {@link
 * BatchIndexer} in log order and commits it. After a failed apply the lane applies and commits
 * nothing more, so the store's checkpoint never passes the failed batch and the next start replays
 * it.
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
