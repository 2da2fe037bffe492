/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import java.util.EnumMap;
import java.util.Map;

/** Counts rejected items by reason and keeps the first example of each, for the error message. */
final class Rejections {
  private final Map<RejectReason, Long> counts = new EnumMap<>(RejectReason.class);
  private final Map<RejectReason, String> firstExample = new EnumMap<>(RejectReason.class);

  void add(RejectReason reason, String example) {
    counts.merge(reason, 1L, Long::sum);
    firstExample.putIfAbsent(reason, example);
  }

  boolean isEmpty() {
    return counts.isEmpty();
  }

  Map<RejectReason, Long> counts() {
    return counts;
  }

  long total() {
    long n = 0;
    for (long c : counts.values()) {
      n += c;
    }
    return n;
  }

  /** e.g. "rejected 2 of 5 spans: 1 invalid_trace_id (span 'a': ...); 1 too_many_attributes (...)" */
  String message(long received, String itemName) {
    if (counts.isEmpty()) {
      return "";
    }
    StringBuilder sb =
        new StringBuilder("rejected ")
            .append(total())
            .append(" of ")
            .append(received)
            .append(' ')
            .append(itemName)
            .append(": ");
    String sep = "";
    for (Map.Entry<RejectReason, Long> e : counts.entrySet()) {
      sb.append(sep)
          .append(e.getValue())
          .append(' ')
          .append(e.getKey().label())
          .append(" (first: ")
          .append(firstExample.get(e.getKey()))
          .append(')');
      sep = "; ";
    }
    return sb.toString();
  }
}
