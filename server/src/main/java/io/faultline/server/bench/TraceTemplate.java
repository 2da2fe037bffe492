/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.util.List;

/** The shape of one trace: its spans in creation order, each parent before its children. */
record TraceTemplate(List<SpanTemplate> spans) {
  TraceTemplate {
    spans = List.copyOf(spans);
  }

  int depth() {
    int[] depth = new int[spans.size()];
    int max = 0;
    for (int i = 0; i < spans.size(); i++) {
      int parent = spans.get(i).parent();
      depth[i] = parent < 0 ? 1 : depth[parent] + 1;
      max = Math.max(max, depth[i]);
    }
    return max;
  }
}
