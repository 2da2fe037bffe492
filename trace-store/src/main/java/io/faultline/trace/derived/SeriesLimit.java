/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace.derived;

import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.ToLongFunction;

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
  private boolean tryAdd() {
    if (active.get() >= max) {
      dropped.increment();
      return false;
    }
    active.incrementAndGet();
    return true;
  }

  /**
   * The label set {@code key} in {@code series}, created by {@code create} when it is new and
   * there is room; null (and counted as dropped) when there is none.
   */
  <K, S> S getOrAdd(Map<K, S> series, K key, Function<K, S> create) {
    S s = series.get(key);
    if (s == null && tryAdd()) {
      s = create.apply(key);
      series.put(key, s);
    }
    return s;
  }

  /**
   * Forgets the label sets in {@code series} not updated since {@code cutoffMillis} (as Tempo's
   * stale_duration does) and gives their room back.
   */
  <S> void removeStale(Collection<S> series, ToLongFunction<S> updatedMillis, long cutoffMillis) {
    int removed = 0;
    for (Iterator<S> it = series.iterator(); it.hasNext(); ) {
      if (updatedMillis.applyAsLong(it.next()) < cutoffMillis) {
        it.remove();
        removed++;
      }
    }
    active.addAndGet(-removed);
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
