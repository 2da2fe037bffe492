/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.experiment;

import java.util.Objects;

/** A service an experiment may put faults on, by its {@code service.name}. */
public record Target(String service) {
  public Target {
    Objects.requireNonNull(service, "service");
  }
}
