/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.experiment;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * When an experiment runs by itself.
 *
 * @param cron a cron expression with seconds ({@code 0 0 10 * * MON-FRI}); five-field expressions
 *     are accepted by the parser and stored with a leading {@code 0} seconds field
 * @param zone the time zone the cron expression and daily blackout windows are read in
 * @param blackouts windows in which no run starts
 * @param maxRunTime a run still going after this long is aborted and its faults reverted
 */
public record Schedule(String cron, ZoneId zone, List<Blackout> blackouts, Duration maxRunTime) {
  public Schedule {
    Objects.requireNonNull(cron, "cron");
    Objects.requireNonNull(zone, "zone");
    blackouts = List.copyOf(blackouts);
    Objects.requireNonNull(maxRunTime, "maxRunTime");
  }

  /** The first blackout window that covers {@code instant}, if any. */
  public Optional<Blackout> blackoutAt(Instant instant) {
    return blackouts.stream().filter(b -> b.covers(instant, zone)).findFirst();
  }
}
