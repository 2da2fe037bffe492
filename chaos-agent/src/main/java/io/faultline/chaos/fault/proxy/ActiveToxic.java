/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** A toxic in a proxy, with its lease and counters. Identity matters: a replaced toxic is a new one. */
final class ActiveToxic {
  final Toxic toxic;
  final long seq;
  final AtomicLong matched = new AtomicLong();
  final AtomicLong hits = new AtomicLong();
  private volatile Instant expiresAt;

  ActiveToxic(Toxic toxic, long seq, Instant expiresAt) {
    this.toxic = toxic;
    this.seq = seq;
    this.expiresAt = expiresAt;
  }

  Instant expiresAt() {
    return expiresAt;
  }

  void expiresAt(Instant until) {
    expiresAt = until;
  }

  boolean live(Instant now) {
    return now.isBefore(expiresAt);
  }
}
