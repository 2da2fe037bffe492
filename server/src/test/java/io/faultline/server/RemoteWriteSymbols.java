/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import io.faultline.core.prometheus.v2.Metadata;
import io.faultline.core.prometheus.v2.TimeSeries;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Interns strings as a remote write 2.0 sender does: {@code symbols[0]} is the empty string. */
final class RemoteWriteSymbols {
  final List<String> list = new ArrayList<>(List.of(""));
  private final Map<String, Integer> index = new HashMap<>(Map.of("", 0));

  int ref(String x) {
    return index.computeIfAbsent(
        x,
        k -> {
          list.add(k);
          return list.size() - 1;
        });
  }

  List<Integer> refs(String... strings) {
    List<Integer> out = new ArrayList<>();
    for (String x : strings) {
      out.add(ref(x));
    }
    return out;
  }

  /** A series of the given label name, value, name, value, ... */
  TimeSeries.Builder series(String... labels) {
    return TimeSeries.newBuilder().addAllLabelsRefs(refs(labels));
  }

  Metadata metadata(Metadata.MetricType type, String help, String unit) {
    return Metadata.newBuilder().setType(type).setHelpRef(ref(help)).setUnitRef(ref(unit)).build();
  }
}
