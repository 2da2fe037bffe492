/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.gateway;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per API key: {@code burst} requests at once, refilled at {@code perSecond}. Time
 * comes from a nanosecond supplier so tests need no clock.
 */
final class TokenBucket {
  private final double perSecond;
  private final double burst;
  private final LongSupplier nanos;
  private final Map<String, State> buckets = new ConcurrentHashMap<>();

  TokenBucket(double perSecond, double burst, LongSupplier nanos) {
    if (perSecond <= 0 || burst < 1) {
      throw new IllegalArgumentException("rate limit needs perSecond > 0 and burst >= 1, got " + perSecond + "/" + burst);
    }
    this.perSecond = perSecond;
    this.burst = burst;
    this.nanos = nanos;
  }

  /** Takes one token for {@code key}; false when the bucket is empty. */
  boolean tryAcquire(String key) {
    State s = buckets.computeIfAbsent(key, k -> new State(burst, nanos.getAsLong()));
    synchronized (s) {
      long now = nanos.getAsLong();
      s.tokens = Math.min(burst, s.tokens + (now - s.last) / 1e9 * perSecond);
      s.last = now;
      if (s.tokens >= 1) {
        s.tokens -= 1;
        return true;
      }
      return false;
    }
  }

  /** Whole seconds until {@code key} has a token again (at least 1). */
  long retryAfterSeconds(String key) {
    State s = buckets.get(key);
    if (s == null) {
      return 1;
    }
    synchronized (s) {
      return Math.max(1, (long) Math.ceil((1 - s.tokens) / perSecond));
    }
  }

  private static final class State {
    double tokens;
    long last;

    State(double tokens, long last) {
      this.tokens = tokens;
      this.last = last;
    }
  }
}
