/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.metric.storage.Labels;

/** One element of an instant vector during evaluation. */
final class Sample {
  Labels metric;
  double f;
  long t;
  boolean dropName;

  Sample(Labels metric, double f, long t, boolean dropName) {
    this.metric = metric;
    this.f = f;
    this.t = t;
    this.dropName = dropName;
  }
}
