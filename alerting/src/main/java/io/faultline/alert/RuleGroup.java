/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import io.faultline.core.metric.MetricQueries;
import io.faultline.core.metric.MetricQueryException;
import io.faultline.core.metric.PromqlResult;
import io.faultline.core.metric.QueryOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A rule group at run time: its rules evaluated in order at one timestamp per interval, results
 * written back, stale markers for series that disappeared, and a snapshot for the API. A later
 * rule sees what an earlier rule of the same group recorded at the same timestamp (as in
 * Prometheus): after writing, the group waits until the recorded samples are queryable.
 */
final class RuleGroup {
  private static final Logger LOG = LoggerFactory.getLogger(RuleGroup.class);

  /** What every group's evaluation needs from the manager. */
  record Context(
      MetricQueries queries,
      SampleWriter writer,
      Map<String, String> externalLabels,
      String externalUrl,
      Duration visibilityWait,
      AlertingMetrics metrics,
      Notifier notifier) {}

  /** Evaluation results of one rule, for the API. */
  static final class RuleRun {
    final RuleSpec spec;
    final AlertingRule alerting;
    String health = "unknown";
    String lastError = "";
    double evalSeconds;
    Instant lastEval;
    Set<Map<String, String>> previousSeries = new HashSet<>();
    /** Earlier rules' record names this rule's expression mentions: wait for them. */
    boolean readsEarlierRecord;

    RuleRun(RuleSpec spec) {
      this.spec = spec;
      this.alerting = spec.isAlert() ? new AlertingRule(spec) : null;
    }
  }

  final GroupSpec spec;
  final long intervalMs;
  final List<RuleRun> rules = new ArrayList<>();
  private volatile RuleGroupSnapshot snapshot;
  long nextEvalMs = Long.MIN_VALUE;
  long lastEvalMs;

  RuleGroup(GroupSpec spec, Duration defaultInterval) {
    this.spec = spec;
    this.intervalMs = (spec.interval() != null ? spec.interval() : defaultInterval).toMillis();
    Set<String> recorded = new HashSet<>();
    for (RuleSpec r : spec.rules()) {
      RuleRun run = new RuleRun(r);
      for (String name : recorded) {
        if (Pattern.compile("(?<![a-zA-Z0-9_:])" + Pattern.quote(name) + "(?![a-zA-Z0-9_:])")
            .matcher(r.expr()).find()) {
          run.readsEarlierRecord = true;
        }
      }
      if (!r.isAlert()) {
        recorded.add(r.record());
      }
      rules.add(run);
    }
    this.snapshot = buildSnapshot(0);
  }

  /** Identifies the group across reloads. */
  String key() {
    return spec.file() + "\u0000" + spec.name();
  }

  RuleGroupSnapshot snapshot() {
    return snapshot;
  }

  /** The aligned evaluation time at or before {@code nowMs}. */
  long alignedTime(long nowMs) {
    return Math.floorDiv(nowMs, intervalMs) * intervalMs;
  }

  /** Evaluates every rule at {@code ts} (aligned), in order. */
  void evaluate(long ts, Context ctx) {
    long start = System.nanoTime();
    int pendingRecorded = 0;
    String lastRecorded = null;
    for (RuleRun run : rules) {
      if (run.readsEarlierRecord && lastRecorded != null && pendingRecorded > 0) {
        awaitVisible(ctx, lastRecorded, ts);
      }
      long ruleStart = System.nanoTime();
      List<SampleWriter.Out> out = new ArrayList<>();
      try {
        List<PromqlResult.Series> vector = query(ctx.queries(), run.spec.expr(), ts);
        if (run.alerting != null) {
          out.addAll(run.alerting.eval(ts, vector, spec.limit(), ctx.externalLabels(),
              ctx.externalUrl()));
        } else {
          out.addAll(record(run.spec, vector, ts, spec.limit()));
        }
        run.health = "ok";
        run.lastError = "";
      } catch (MetricQueryException | IllegalStateException e) {
        run.health = "err";
        run.lastError = e.getMessage();
        ctx.metrics().evaluationFailed(spec.name());
        LOG.warn("Rule \"{}\" of group \"{}\" ({}) failed to evaluate: {}; it is retried at the"
            + " next interval", run.spec.name(), spec.name(), spec.file(), e.getMessage());
      }
      if (run.health.equals("ok")) {
        Set<Map<String, String>> current = new HashSet<>();
        for (SampleWriter.Out o : out) {
          current.add(o.labels());
        }
        for (Map<String, String> gone : run.previousSeries) {
          if (!current.contains(gone)) {
            out.add(new SampleWriter.Out(gone, ts, SampleWriter.STALE_NAN));
          }
        }
        run.previousSeries = current;
        try {
          ctx.writer().write(out);
        } catch (SampleWriter.WriteFailedException e) {
          ctx.metrics().writeFailed();
          LOG.warn("Results of rule \"{}\" (group \"{}\") at {} were not stored: {}",
              run.spec.name(), spec.name(), Instant.ofEpochMilli(ts), e.getMessage());
        }
        if (run.alerting == null) {
          lastRecorded = run.spec.record();
          pendingRecorded = current.size();
        } else {
          ctx.notifier().observe(run.alerting, ts, intervalMs);
        }
      }
      run.evalSeconds = (System.nanoTime() - ruleStart) / 1e9;
      run.lastEval = Instant.ofEpochMilli(ts);
    }
    ctx.metrics().evaluated(spec.name());
    lastEvalMs = ts;
    snapshot = buildSnapshot((System.nanoTime() - start) / 1e9);
  }

  static List<PromqlResult.Series> query(MetricQueries queries, String expr, long ts) {
    PromqlResult r = queries.instantQuery(expr, ts, QueryOptions.DEFAULTS);
    return switch (r.type()) {
      case VECTOR -> r.series();
      case SCALAR -> List.of(
          new PromqlResult.Series(Map.of(), new long[] {ts}, new double[] {r.scalar()}));
      default -> throw new IllegalStateException("rule result is not a vector or scalar");
    };
  }

  private static List<SampleWriter.Out> record(
      RuleSpec spec, List<PromqlResult.Series> vector, long ts, int limit) {
    List<SampleWriter.Out> out = new ArrayList<>();
    Set<Map<String, String>> seen = new HashSet<>();
    for (PromqlResult.Series s : vector) {
      Map<String, String> labels = new TreeMap<>(s.labels());
      labels.put("__name__", spec.record());
      for (var e : spec.labels().entrySet()) {
        if (e.getValue().isEmpty()) {
          labels.remove(e.getKey());
        } else {
          labels.put(e.getKey(), e.getValue());
        }
      }
      Map<String, String> key = Map.copyOf(labels);
      if (!seen.add(key)) {
        throw new IllegalStateException(
            "vector contains metrics with the same labelset after applying rule labels");
      }
      double v = s.values().length > 0 ? s.values()[s.values().length - 1] : Double.NaN;
      out.add(new SampleWriter.Out(key, ts, v));
    }
    if (limit > 0 && out.size() > limit) {
      throw new IllegalStateException(
          "exceeded limit of " + limit + " with " + out.size() + " series");
    }
    return out;
  }

  /** Waits until samples recorded at {@code ts} are queryable, up to the context's wait. */
  private void awaitVisible(Context ctx, String record, long ts) {
    long deadline = System.nanoTime() + ctx.visibilityWait().toNanos();
    String probe = "count(count_over_time({__name__=\"" + record + "\"}[1ms]))";
    while (true) {
      try {
        if (!query(ctx.queries(), probe, ts).isEmpty()) {
          return;
        }
      } catch (MetricQueryException | IllegalStateException e) {
        return;
      }
      if (System.nanoTime() > deadline) {
        LOG.debug("Recorded series {} not visible after {}; later rules read older samples",
            record, ctx.visibilityWait());
        return;
      }
      LockSupport.parkNanos(5_000_000L);
    }
  }

  /** Every series this group last wrote, for stale markers when the group goes away. */
  List<SampleWriter.Out> staleMarkers(long ts) {
    List<SampleWriter.Out> out = new ArrayList<>();
    for (RuleRun run : rules) {
      for (Map<String, String> l : run.previousSeries) {
        out.add(new SampleWriter.Out(l, ts, SampleWriter.STALE_NAN));
      }
    }
    return out;
  }

  RuleGroupSnapshot buildSnapshot(double evalSeconds) {
    List<RuleGroupSnapshot.Rule> out = new ArrayList<>();
    for (RuleRun run : rules) {
      RuleSpec r = run.spec;
      if (run.alerting != null) {
        List<RuleGroupSnapshot.Alert> alerts = new ArrayList<>();
        for (AlertInstance a : run.alerting.alerts()) {
          if (a.state == AlertInstance.State.INACTIVE) {
            continue;
          }
          alerts.add(new RuleGroupSnapshot.Alert(
              a.labels, Map.copyOf(a.annotations),
              a.state == AlertInstance.State.FIRING ? "firing" : "pending",
              Instant.ofEpochMilli(a.activeAt),
              a.keepFiringSince == 0 ? null : Instant.ofEpochMilli(a.keepFiringSince),
              a.value));
        }
        out.add(new RuleGroupSnapshot.Rule(
            "alerting", r.alert(), r.expr(), r.forDuration().toMillis() / 1000.0,
            r.keepFiringFor().toMillis() / 1000.0, r.labels(), r.annotations(),
            run.alerting.state(), List.copyOf(alerts), run.health, run.lastError,
            run.evalSeconds, run.lastEval));
      } else {
        out.add(new RuleGroupSnapshot.Rule(
            "recording", r.record(), r.expr(), 0, 0, r.labels(), Map.of(), null, List.of(),
            run.health, run.lastError, run.evalSeconds, run.lastEval));
      }
    }
    return new RuleGroupSnapshot(
        spec.name(), spec.file(), intervalMs / 1000.0, spec.limit(), List.copyOf(out), evalSeconds,
        lastEvalMs == 0 ? null : Instant.ofEpochMilli(lastEvalMs));
  }

  void snapshotRefresh() {
    snapshot = buildSnapshot(snapshot.evaluationTimeSeconds());
  }

  /** Takes over alert state from the same group before a reload (rules matched by name). */
  void copyStateFrom(RuleGroup old) {
    Map<String, List<RuleRun>> byName = new HashMap<>();
    for (RuleRun r : old.rules) {
      byName.computeIfAbsent(r.spec.name() + (r.alerting != null ? "/a" : "/r"),
          k -> new ArrayList<>()).add(r);
    }
    for (RuleRun r : rules) {
      List<RuleRun> candidates = byName.get(r.spec.name() + (r.alerting != null ? "/a" : "/r"));
      if (candidates == null || candidates.isEmpty()) {
        continue;
      }
      RuleRun o = candidates.remove(0);
      r.previousSeries = o.previousSeries;
      r.health = o.health;
      r.lastError = o.lastError;
      r.lastEval = o.lastEval;
      r.evalSeconds = o.evalSeconds;
      if (r.alerting != null) {
        r.alerting.active.putAll(o.alerting.active);
      }
    }
    nextEvalMs = old.nextEvalMs;
    lastEvalMs = old.lastEvalMs;
    snapshot = buildSnapshot(old.snapshot.evaluationTimeSeconds());
  }
}
