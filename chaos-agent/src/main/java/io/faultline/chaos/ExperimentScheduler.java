/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceException;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTaskWithPersistentSchedule;
import com.github.kagkarlsson.scheduler.task.helper.ScheduleAndData;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.Schedule;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import com.github.kagkarlsson.scheduler.testhelper.ManualScheduler;
import com.github.kagkarlsson.scheduler.testhelper.SettableClock;
import com.github.kagkarlsson.scheduler.testhelper.TestHelper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Decides when experiments run, with db-scheduler: one persistent recurring task instance per
 * scheduled experiment (cron and time zone stored with it). db-scheduler picks each due execution
 * with an atomic update, so with several servers on one database exactly one of them fires it, and
 * the next execution time is stored, so a restart neither repeats nor forgets a fire. The fire
 * handler only records the run (unique per experiment and fire time) and hands it on; blackout
 * windows, overlap and safety limits are the agent's business.
 */
final class ExperimentScheduler {
  static final String TASK = "chaos-experiment";

  /** What a fire hands to the agent. */
  interface FireHandler {
    void fire(String experimentId, Instant fireTime);
  }

  /** The persisted schedule of one experiment. */
  record CronData(String experimentId, String cron, String zone) implements ScheduleAndData {
    private static final long serialVersionUID = 1L;

    @Override
    public Schedule getSchedule() {
      return Schedules.cron(cron, ZoneId.of(zone));
    }

    @Override
    public Object getData() {
      return experimentId;
    }
  }

  private final RecurringTaskWithPersistentSchedule<CronData> task;
  private final Scheduler scheduler;

  private ExperimentScheduler(RecurringTaskWithPersistentSchedule<CronData> task, Scheduler scheduler) {
    this.task = task;
    this.scheduler = scheduler;
  }

  static RecurringTaskWithPersistentSchedule<CronData> task(FireHandler handler) {
    return Tasks.recurringWithPersistentSchedule(TASK, CronData.class)
        .execute((instance, ctx) -> handler.fire(instance.getData().experimentId(), ctx.getExecution().executionTime));
  }

  /** A polling scheduler for production. */
  static ExperimentScheduler create(DataSource ds, Clock clock, String nodeName, Duration pollingInterval, FireHandler handler) {
    var task = task(handler);
    Scheduler s = Scheduler.create(ds, task)
        .clock(clock::instant)
        .schedulerName(new SchedulerName.Fixed(nodeName))
        .pollingInterval(pollingInterval)
        .threads(2)
        .enableImmediateExecution()
        .build();
    return new ExperimentScheduler(task, s);
  }

  /** A scheduler that fires only when told to ({@link #runDue()}), on a settable clock; for tests. */
  static ExperimentScheduler manual(DataSource ds, SettableClock clock, String nodeName, FireHandler handler) {
    var task = task(handler);
    var b = TestHelper.createManualScheduler(ds, task).clock(clock);
    b.schedulerName(new SchedulerName.Fixed(nodeName));
    ManualScheduler s = b.build();
    return new ExperimentScheduler(task, s);
  }

  void start() {
    if (!(scheduler instanceof ManualScheduler)) {
      scheduler.start();
    }
  }

  void stop() {
    scheduler.stop();
  }

  /** Fires every due execution now (manual schedulers only). */
  void runDue() {
    ((ManualScheduler) scheduler).runAnyDueExecutions();
  }

  /** Sets (or replaces) an experiment's schedule; the first fire is the cron's next time. */
  void schedule(String experimentId, String cron, ZoneId zone) {
    unschedule(experimentId);
    scheduler.scheduleIfNotExists(task.schedulableInstance(experimentId, new CronData(experimentId, cron, zone.getId())));
  }

  /** Removes an experiment's schedule, if any. */
  void unschedule(String experimentId) {
    try {
      scheduler.cancel(TaskInstanceId.of(TASK, experimentId));
    } catch (TaskInstanceException e) {
      // not scheduled, or firing right now: the fire handler finds the experiment gone or unscheduled
    }
  }

  Optional<Instant> nextFire(String experimentId) {
    return scheduler.getScheduledExecution(TaskInstanceId.of(TASK, experimentId)).map(e -> e.getExecutionTime());
  }
}
