/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * One evaluation of a probe.
 *
 * @param value the value judged (the worst series of a PromQL vector), NaN when there was no data
 * @param ok whether it was within the tolerance (for halt conditions: not breached)
 * @param detail what was seen, in words, e.g. {@code 1.42 > max 1.0}
 * @param evaluated false when the probe could not be evaluated at all (the query failed, the
 *     agent erred); such a result is never ok, and a halt condition that cannot be evaluated is
 *     journalled as a warning instead of halting the run
 */
record ProbeResult(String name, Instant at, double value, boolean ok, String detail, boolean evaluated) {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  ProbeResult(String name, Instant at, double value, boolean ok, String detail) {
    this(name, at, value, ok, detail, true);
  }

  /** A probe that could not be evaluated: not ok, whatever kind it is. */
  static ProbeResult unevaluated(String name, Instant at, String detail) {
    return new ProbeResult(name, at, Double.NaN, false, detail, false);
  }

  ObjectNode toJson() {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("name", name);
    o.put("time", at.toString());
    if (Double.isFinite(value)) {
      o.put("value", value);
    } else {
      o.putNull("value");
    }
    o.put("ok", ok);
    o.put("detail", detail);
    if (!evaluated) {
      o.put("evaluated", false);
    }
    return o;
  }
}
