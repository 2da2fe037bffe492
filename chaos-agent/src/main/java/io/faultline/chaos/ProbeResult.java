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
 */
record ProbeResult(String name, Instant at, double value, boolean ok, String detail) {
  private static final ObjectMapper MAPPER = new ObjectMapper();

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
    return o;
  }
}
