/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Scheduling with db-scheduler on a settable clock: T0 is Friday 2026-11-20 08:00 UTC (09:00 in Berlin). */
class SchedulerTest extends TestbedTestCase {
  static final String EXPERIMENT = """
      title: weekday latency drill
      schedule: {cron: "0 0 10 * * MON-FRI", timeZone: Europe/Berlin%s}
      targets: [inventory]
      steadyState: []
      method:
        - {name: slow, type: fake, target: inventory, duration: 1m}
      """;

  @Test
  void cronIsReadInTheScheduleTimeZoneAndSkipsTheWeekend() throws Exception {
    try (ChaosAgent a = bed.agent(Testbed.settings("node-a"))) {
      String id = a.createExperiment(EXPERIMENT.formatted(""), "application/yaml", "olivia");
      // 10:00 in Berlin in November is 09:00 UTC
      assertThat(a.nextFire(id)).contains(Instant.parse("2026-11-20T09:00:00Z"));
      bed.advance(Duration.ofMinutes(59));
      a.runDueSchedules();
      assertThat(a.runs(id, null, 10)).isEmpty();
      bed.advance(Duration.ofMinutes(1).plusSeconds(1));
      a.runDueSchedules();
      assertThat(a.runs(id, null, 10)).singleElement().satisfies(r -> {
        assertThat(r.scheduledFor()).isEqualTo(Instant.parse("2026-11-20T09:00:00Z"));
        assertThat(r.trigger()).isEqualTo("schedule");
      });
      assertThat(a.nextFire(id)).contains(Instant.parse("2026-11-23T09:00:00Z"));
    }
  }

  @Test
  void noDoubleFireAcrossRestart() throws Exception {
    String id;
    try (ChaosAgent a = bed.agent(Testbed.settings("node-a"))) {
      id = a.createExperiment(EXPERIMENT.formatted(""), "application/yaml", "olivia");
      bed.advance(Duration.ofHours(1).plusSeconds(1));
      a.runDueSchedules();
      a.runDueSchedules();
    }
    try (ChaosAgent b = bed.agent(Testbed.settings("node-a"))) {
      b.runDueSchedules();
      assertThat(b.runs(id, null, 10)).hasSize(1);
      assertThat(b.nextFire(id)).contains(Instant.parse("2026-11-23T09:00:00Z"));
    }
  }

  @Test
  void twoSchedulersOnOneDatabaseFireOnce() throws Exception {
    try (ChaosAgent a = bed.agent(Testbed.settings("node-a"));
        ChaosAgent b = bed.agent(Testbed.settings("node-b"))) {
      String id = a.createExperiment(EXPERIMENT.formatted(""), "application/yaml", "olivia");
      bed.advance(Duration.ofHours(1).plusSeconds(1));
      b.runDueSchedules();
      a.runDueSchedules();
      b.runDueSchedules();
      assertThat(a.runs(id, null, 10)).hasSize(1);
    }
  }

  @Test
  void runsOfOneExperimentNeverOverlap() throws Exception {
    try (ChaosAgent a = bed.agent(Testbed.settings("node-a"))) {
      String id = a.createExperiment(EXPERIMENT.formatted(""), "application/yaml", "olivia");
      String manual = a.startRun(id, "olivia");
      bed.advance(Duration.ofHours(1).plusSeconds(1));
      a.runDueSchedules();
      assertThat(a.runs(id, RunStatus.SKIPPED, 10)).singleElement()
          .satisfies(r -> assertThat(r.reason()).contains("previous run " + manual).contains("never overlap"));
      assertThat(bed.injector.injected).isEmpty();
    }
  }

  @Test
  void blackoutWindowSkipsTheFire() throws Exception {
    try (ChaosAgent a = bed.agent(Testbed.settings("node-a"))) {
      String id = a.createExperiment(
          EXPERIMENT.formatted(", blackouts: [{days: [FRI], from: \"09:30\", to: \"12:00\", reason: release freeze}]"),
          "application/yaml", "olivia");
      bed.advance(Duration.ofHours(1).plusSeconds(1));
      a.runDueSchedules();
      assertThat(a.runs(id, null, 10)).singleElement().satisfies(r -> {
        assertThat(r.status()).isEqualTo(RunStatus.SKIPPED);
        assertThat(r.reason()).contains("blackout window FRI 09:30-12:00 Europe/Berlin (release freeze)");
      });
    }
  }
}
