/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** Test helpers for reading what the scraper wrote. */
final class WriteRequests {
  private WriteRequests() {}

  /** Series by {@code name{a=b,...}}, the other labels sorted by name. */
  static Map<String, TimeSeries> byKey(WriteRequest w) {
    Map<String, TimeSeries> out = new LinkedHashMap<>();
    for (TimeSeries ts : w.getTimeseriesList()) {
      TreeMap<String, String> labels = new TreeMap<>();
      String name = "";
      for (Label l : ts.getLabelsList()) {
        if (l.getName().equals("__name__")) {
          name = l.getValue();
        } else {
          labels.put(l.getName(), l.getValue());
        }
      }
      StringBuilder sb = new StringBuilder(name).append('{');
      String sep = "";
      for (Map.Entry<String, String> e : labels.entrySet()) {
        sb.append(sep).append(e.getKey()).append('=').append(e.getValue());
        sep = ",";
      }
      out.put(sb.append('}').toString(), ts);
    }
    return out;
  }
}
