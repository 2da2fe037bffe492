/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace.derived;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The bound on label sets held in memory, shared by span metrics and the service graph. A label set
 * that would pass it is not created, and the observation that wanted it is counted as dropped.
 * Callers hold the generator's lock; the counters are atomic only so self-metrics can read them.
 */
final class SeriesLimit {
  private final int max;
  private final AtomicInteger active = new AtomicInteger();
  private final LongAdder dropped = new LongAdder();

  SeriesLimit(int max) {
    this.max = max;
  }

  /** Takes room for one new label set; false (and counted as dropped) when there is none. */
  boolean tryAdd() {
    if (active.get() >= max) {
      dropped.increment();
      return false;
    }
    active.incrementAndGet();
    return true;
  }

  void removed(int count) {
    active.addAndGet(-count);
  }

  int max() {
    return max;
  }

  int active() {
    return active.get();
  }

  long dropped() {
    return dropped.sum();
  }
}
