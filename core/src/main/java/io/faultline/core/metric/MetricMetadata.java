/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

import java.util.Objects;

/**
 * What is known about one metric family, as {@code /api/v1/metadata} lists it.
 *
 * @param type Prometheus' lower-case type: {@code counter}, {@code gauge}, {@code histogram},
 *     {@code gaugehistogram}, {@code summary}, {@code info}, {@code stateset} or {@code unknown}
 * @param help the description, possibly empty
 * @param unit the unit, possibly empty
 */
public record MetricMetadata(String type, String help, String unit) {
  public MetricMetadata {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(help, "help");
    Objects.requireNonNull(unit, "unit");
  }
}
