/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenBucketTest {
  private final AtomicLong nanos = new AtomicLong();
  private final TokenBucket bucket = new TokenBucket(2, 3, nanos::get);

  @Test
  void allowsABurstThenRefillsAtTheRate() {
    assertThat(bucket.tryAcquire("a")).isTrue();
    assertThat(bucket.tryAcquire("a")).isTrue();
    assertThat(bucket.tryAcquire("a")).isTrue();
    assertThat(bucket.tryAcquire("a")).isFalse();
    assertThat(bucket.retryAfterSeconds("a")).isEqualTo(1);
    assertThat(bucket.tryAcquire("b")).as("buckets are per key").isTrue();

    nanos.addAndGet(500_000_000L); // half a second at 2/s: one token
    assertThat(bucket.tryAcquire("a")).isTrue();
    assertThat(bucket.tryAcquire("a")).isFalse();

    nanos.addAndGet(60_000_000_000L); // a long pause refills to the burst, not beyond
    int granted = 0;
    while (bucket.tryAcquire("a")) {
      granted++;
    }
    assertThat(granted).isEqualTo(3);
  }

  @Test
  void rejectsNonsenseLimits() {
    assertThatThrownBy(() -> new TokenBucket(0, 3, nanos::get)).hasMessageContaining("perSecond > 0");
    assertThatThrownBy(() -> new TokenBucket(1, 0, nanos::get)).hasMessageContaining("burst >= 1");
  }
}
