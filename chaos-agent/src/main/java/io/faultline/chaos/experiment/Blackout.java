/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.experiment;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A window in which no run of the experiment starts. Either recurring ({@code days} and {@code
 * from}..{@code to} local times in the schedule's zone; {@code from > to} wraps past midnight and
 * the day is the one the window starts on) or absolute ({@code start}..{@code end} instants). Start
 * inclusive, end exclusive.
 */
public record Blackout(
    Set<DayOfWeek> days, LocalTime from, LocalTime to, Instant start, Instant end, String reason) {

  public Blackout {
    days = days == null ? Set.of() : Set.copyOf(days);
  }

  public boolean recurring() {
    return start == null;
  }

  public boolean covers(Instant instant, ZoneId zone) {
    if (!recurring()) {
      return !instant.isBefore(start) && instant.isBefore(end);
    }
    ZonedDateTime t = instant.atZone(zone);
    LocalTime time = t.toLocalTime();
    boolean anyDay = days.isEmpty();
    if (!from.isAfter(to)) {
      return (anyDay || days.contains(t.getDayOfWeek())) && !time.isBefore(from) && time.isBefore(to);
    }
    // wraps midnight: the evening part belongs to today, the morning part to yesterday's window
    if (!time.isBefore(from)) {
      return anyDay || days.contains(t.getDayOfWeek());
    }
    return time.isBefore(to) && (anyDay || days.contains(t.getDayOfWeek().minus(1)));
  }

  public String describe(ZoneId zone) {
    String what =
        recurring()
            ? (days.isEmpty()
                    ? "daily"
                    : days.stream().sorted().map(d -> d.name().substring(0, 3)).collect(Collectors.joining(",")))
                + " " + from + "-" + to + " " + zone
            : start + " to " + end;
    return reason == null || reason.isBlank() ? what : what + " (" + reason + ")";
  }
}
