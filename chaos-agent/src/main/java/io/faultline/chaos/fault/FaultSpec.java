/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One fault of an experiment's method, as the runner hands it to an injector.
 *
 * @param name the fault's name within the experiment (unique there), e.g. {@code slow-inventory}
 * @param type which injector handles it, e.g. {@code chaos-monkey}, {@code proxy-http}, {@code
 *     proxy-tcp}, {@code process}
 * @param target what it applies to: a service name or address the injector understands
 * @param parameters the injector's own settings (numbers, strings, booleans, nested maps), as
 *     parsed from the experiment's JSON or YAML
 * @param duration how long the fault stays active; every fault is time-boxed
 */
public record FaultSpec(
    String name, String type, String target, Map<String, Object> parameters, Duration duration) {
  public FaultSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(target, "target");
    parameters = Map.copyOf(parameters);
    Objects.requireNonNull(duration, "duration");
  }
}
