/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import io.faultline.core.metric.MetricMetadata;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Type, help and unit per metric family, as the last few distinct senders described them. */
final class MetadataRegistry {
  static final int MAX_PER_FAMILY = 10;
  static final int MAX_FAMILIES = 100_000;

  private final TreeMap<String, LinkedHashSet<MetricMetadata>> byFamily = new TreeMap<>();

  synchronized void put(String family, MetricMetadata md) {
    LinkedHashSet<MetricMetadata> set = byFamily.get(family);
    if (set == null) {
      if (byFamily.size() >= MAX_FAMILIES) {
        return;
      }
      set = new LinkedHashSet<>();
      byFamily.put(family, set);
    }
    if (set.remove(md) || set.size() < MAX_PER_FAMILY) {
      set.add(md);
    }
  }

  synchronized Map<String, List<MetricMetadata>> get(String metric, int limit, int perMetric) {
    Map<String, List<MetricMetadata>> out = new TreeMap<>();
    for (Map.Entry<String, LinkedHashSet<MetricMetadata>> e : byFamily.entrySet()) {
      if (metric != null && !metric.equals(e.getKey())) {
        continue;
      }
      if (limit > 0 && out.size() >= limit) {
        break;
      }
      List<MetricMetadata> list = new ArrayList<>(e.getValue());
      if (perMetric > 0 && list.size() > perMetric) {
        list = list.subList(0, perMetric);
      }
      out.put(e.getKey(), List.copyOf(list));
    }
    return out;
  }

  synchronized void writeTo(DataOutput out) throws IOException {
    out.writeInt(byFamily.size());
    for (Map.Entry<String, LinkedHashSet<MetricMetadata>> e : byFamily.entrySet()) {
      out.writeUTF(e.getKey());
      out.writeInt(e.getValue().size());
      for (MetricMetadata md : e.getValue()) {
        out.writeUTF(md.type());
        out.writeUTF(truncate(md.help()));
        out.writeUTF(md.unit());
      }
    }
  }

  synchronized void readFrom(DataInput in) throws IOException {
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      String family = in.readUTF();
      int m = in.readInt();
      LinkedHashSet<MetricMetadata> set = new LinkedHashSet<>();
      for (int k = 0; k < m; k++) {
        set.add(new MetricMetadata(in.readUTF(), in.readUTF(), in.readUTF()));
      }
      byFamily.put(family, set);
    }
  }

  // writeUTF refuses more than 65535 bytes; help texts that long are noise anyway
  private static String truncate(String s) {
    return s.length() > 16_000 ? s.substring(0, 16_000) : s;
  }

  Set<String> families() {
    synchronized (this) {
      return Set.copyOf(byFamily.keySet());
    }
  }
}
