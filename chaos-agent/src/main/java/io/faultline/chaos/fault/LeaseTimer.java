/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent-side half of a dead-man lease: runs an expiry action once the lease passes without
 * renewal. Time is read from the given {@link Clock} and re-checked at least every {@link
 * #MAX_CHECK_INTERVAL}, so a test clock moved forward is honoured within that interval. The action
 * runs at most once, on the scheduler's thread. Thread-safe.
 */
public final class LeaseTimer {
  /** Longest time between two looks at the clock. */
  public static final Duration MAX_CHECK_INTERVAL = Duration.ofMillis(200);

  private static final Logger LOG = LoggerFactory.getLogger(LeaseTimer.class);

  private final ScheduledExecutorService scheduler;
  private final Clock clock;

  public LeaseTimer(ScheduledExecutorService scheduler, Clock clock) {
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public Clock clock() {
    return clock;
  }

  /** Starts watching a lease that ends at {@code until}; {@code onExpiry} runs once it passes. */
  public Lease start(Instant until, String what, Runnable onExpiry) {
    Lease lease = new Lease(until, what, onExpiry);
    lease.schedule();
    return lease;
  }

  /** One watched lease. */
  public final class Lease {
    private final String what;
    private final Runnable onExpiry;
    private Instant until;
    private boolean done;
    private ScheduledFuture<?> next;

    private Lease(Instant until, String what, Runnable onExpiry) {
      this.until = Objects.requireNonNull(until, "until");
      this.what = what;
      this.onExpiry = onExpiry;
    }

    public synchronized Instant until() {
      return until;
    }

    /** Moves the end of the lease; false when it already expired (too late to renew). */
    public synchronized boolean renew(Instant newUntil) {
      if (done) {
        return false;
      }
      until = Objects.requireNonNull(newUntil, "until");
      return true;
    }

    /** Stops watching without running the expiry action. */
    public synchronized void cancel() {
      done = true;
      if (next != null) {
        next.cancel(false);
      }
    }

    public synchronized boolean expired() {
      return done;
    }

    private synchronized void schedule() {
      if (done) {
        return;
      }
      long remaining = Duration.between(clock.instant(), until).toMillis();
      long delay = Math.max(0, Math.min(remaining, MAX_CHECK_INTERVAL.toMillis()));
      next = scheduler.schedule(this::check, delay, TimeUnit.MILLISECONDS);
    }

    private void check() {
      synchronized (this) {
        if (done) {
          return;
        }
        if (clock.instant().isBefore(until)) {
          schedule();
          return;
        }
        done = true;
      }
      LOG.warn("lease of {} passed at {} without renewal; reverting it now", what, until);
      try {
        onExpiry.run();
      } catch (RuntimeException e) {
        LOG.error("reverting {} after its lease passed failed: {}", what, e.toString(), e);
      }
    }
  }
}
