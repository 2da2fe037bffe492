/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * What validation kept of a request.
 *
 * @param request the request to store: the original when nothing was rejected, else a copy
 *     without the rejected items (and without resources or scopes left empty)
 * @param accepted how many items {@code request} holds
 * @param rejected rejected items by reason
 * @param errorMessage why items were rejected, for {@code partialSuccess.error_message}; empty
 *     when nothing was
 */
public record Validation<Q>(
    Q request, long accepted, Map<RejectReason, Long> rejected, String errorMessage) {

  public Validation {
    rejected =
        rejected.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(rejected));
  }

  public long rejectedCount() {
    long n = 0;
    for (long c : rejected.values()) {
      n += c;
    }
    return n;
  }

  /** Nothing survived, and only because the items break the protocol: refuse the request whole. */
  public boolean malformed() {
    return accepted == 0
        && !rejected.isEmpty()
        && rejected.keySet().stream().allMatch(RejectReason::malformed);
  }
}
