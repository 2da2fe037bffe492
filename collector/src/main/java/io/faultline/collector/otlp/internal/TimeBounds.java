/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import io.faultline.collector.otlp.internal.AttributeCheck.Problem;
import io.faultline.core.index.PartitionedIndex;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The item times a store keeps, in Unix nanoseconds: from now minus its retention to {@link
 * PartitionedIndex#MAX_FUTURE} ahead. Items outside are rejected on arrival (in {@code
 * partialSuccess}, with the reason) instead of being acknowledged and then dropped by the store.
 * A zero retention turns both checks off.
 */
record TimeBounds(long oldestNanos, long newestNanos) {
  static TimeBounds of(Duration retention, Clock clock) {
    if (retention.isZero()) {
      return new TimeBounds(Long.MIN_VALUE, Long.MAX_VALUE);
    }
    long now = clock.millis();
    return new TimeBounds(
        (now - retention.toMillis()) * 1_000_000L,
        (now + PartitionedIndex.MAX_FUTURE.toMillis()) * 1_000_000L);
  }

  boolean tooNew(long nanos) {
    return nanos > newestNanos;
  }

  /** Why an item at {@code nanos} is refused as too far ahead; {@code what} names the item. */
  static Problem tooNew(RejectReason reason, String what, long nanos) {
    return new Problem(
        reason,
        what
            + " is at "
            + Instant.ofEpochSecond(0, nanos)
            + ", more than "
            + TraceSignal.human(PartitionedIndex.MAX_FUTURE)
            + " ahead of the server's clock, which the store does not keep; check the sender's"
            + " clock");
  }
}
