/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.kagkarlsson.scheduler.testhelper.SettableClock;
import io.faultline.chaos.experiment.Durations;
import io.faultline.chaos.experiment.Experiment;
import io.faultline.chaos.experiment.ExperimentJson;
import io.faultline.chaos.experiment.ExperimentParser;
import io.faultline.chaos.experiment.ExperimentValidationException;
import io.faultline.chaos.experiment.Probe;
import io.faultline.chaos.fault.FaultContext;
import io.faultline.chaos.fault.FaultException;
import io.faultline.chaos.fault.FaultInjector;
import io.faultline.chaos.fault.FaultSpec;
import io.faultline.core.alert.AlertStatus;
import io.faultline.core.ingest.TelemetrySink;
import io.faultline.core.metric.MetricQueries;
import io.faultline.core.trace.TraceQueries;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chaos agent: stores experiments, schedules and runs them, keeps the journal, annotations,
 * audit log and reports, and enforces the safety limits (kill switch, targets per run, blast
 * radius, blackout windows, no overlapping runs, maximum run time, dead-man leases). The one entry
 * point that {@code dashboard-web} and {@code server} use. Thread-safe.
 *
 * <p>Lifecycle: {@link #builder()}, then {@link #start()} (migrates the database, reverts faults
 * that a stopped agent left active, starts the scheduler), then {@link #close()} (aborts active
 * runs, reverting their faults).
 *
 * <p>Every method that changes state takes the acting principal's name for the audit log.
 */
public final class ChaosAgent implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(ChaosAgent.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();
  static final Duration MAINTENANCE_INTERVAL = Duration.ofSeconds(10);

  private final ChaosDatabase db;
  private final ChaosStore store;
  private final Env env;
  private final ExperimentParser parser;
  private final BlastRadius blastRadius;
  private final ExperimentScheduler scheduler;
  private final boolean autoTick;
  private final ScheduledExecutorService ticker;
  private final Map<String, RunExecution> active = new ConcurrentHashMap<>();
  /** Where aborts revert faults and run rollbacks, so that the caller does not wait for them. */
  private final ExecutorService aborter = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "chaos-abort");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, ScheduledFuture<?>> ticking = new ConcurrentHashMap<>();
  private volatile boolean started;

  private ChaosAgent(Builder b) {
    this.db = ChaosDatabase.open(b.jdbcUrl != null ? b.jdbcUrl : ChaosDatabase.h2Url(b.dataDir), b.user, b.password);
    this.store = new ChaosStore(db.dataSource());
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    this.env = new Env(store, Map.copyOf(b.injectors), new ProbeEvaluator(b.metrics, b.traces, http, b.alerts, b.alertsConfigured),
        new EffectAnalysis(b.metrics, b.traces), new ChaosTelemetry(b.sink, b.registry),
        new ReportRenderer(store, b.metrics), http, b.settings, b.clock);
    this.parser = new ExperimentParser(b.injectors);
    this.blastRadius = new BlastRadius(b.metrics);
    this.autoTick = b.manualClock == null;
    this.scheduler = b.manualClock != null
        ? ExperimentScheduler.manual(db.dataSource(), b.manualClock, b.settings.nodeName(), this::fire)
        : ExperimentScheduler.create(db.dataSource(), b.clock, b.settings.nodeName(), b.pollingInterval, this::fire);
    this.ticker = autoTick ? Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "chaos-runner");
      t.setDaemon(true);
      return t;
    }) : null;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Recovers what a stopped agent left behind, then starts scheduling. Idempotent. */
  public synchronized void start() {
    if (started) {
      return;
    }
    started = true;
    recover(true);
    scheduler.start();
    if (autoTick) {
      long ms = MAINTENANCE_INTERVAL.toMillis();
      ticker.scheduleWithFixedDelay(this::maintenance, ms, ms, TimeUnit.MILLISECONDS);
    }
    LOG.info("chaos agent {} started on {}", env.settings().nodeName(), db.describe());
  }

  // experiments

  /** Stores a new experiment; returns its id. */
  public String createExperiment(String source, String mediaType, String actor) throws ExperimentValidationException {
    ExperimentParser.Format format = ExperimentParser.Format.detect(mediaType, source);
    Experiment e = validate(source, format);
    Instant now = env.clock().instant();
    String id = UUID.randomUUID().toString();
    store.insertExperiment(new ExperimentRecord(id, e.title(), source, format.name().toLowerCase(java.util.Locale.ROOT),
        now, actor, now, actor, 1, null));
    applySchedule(id, e);
    store.audit(now, actor, "experiment.create", id, e.title());
    return id;
  }

  public void updateExperiment(String id, String source, String mediaType, String actor)
      throws ExperimentValidationException, ChaosNotFoundException {
    ExperimentParser.Format format = ExperimentParser.Format.detect(mediaType, source);
    Experiment e = validate(source, format);
    Instant now = env.clock().instant();
    if (!store.updateExperiment(id, e.title(), source, format.name().toLowerCase(java.util.Locale.ROOT), now, actor)) {
      throw new ChaosNotFoundException("no experiment " + id);
    }
    applySchedule(id, e);
    store.audit(now, actor, "experiment.update", id, e.title());
  }

  /**
   * Deletes an experiment and its schedule at once; its runs stay for the record. An active run is
   * aborted: its faults are reverted and its rollbacks run in the background.
   */
  public void deleteExperiment(String id, String actor) throws ChaosNotFoundException {
    ExperimentRecord rec = store.experiment(id).orElseThrow(() -> new ChaosNotFoundException("no experiment " + id));
    if (rec.activeRunId() != null) {
      abortRun(rec.activeRunId(), actor, "experiment deleted by " + actor);
    }
    scheduler.unschedule(id);
    store.deleteExperiment(id);
    store.audit(env.clock().instant(), actor, "experiment.delete", id, rec.title());
  }

  public Optional<ExperimentRecord> experiment(String id) {
    return store.experiment(id);
  }

  public List<ExperimentRecord> experiments() {
    return store.experiments();
  }

  /** The experiment's canonical JSON with id, source, bookkeeping and the next scheduled fire. */
  public ObjectNode experimentJson(ExperimentRecord rec) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("id", rec.id());
    try {
      o.setAll(ExperimentJson.toJson(parser.parse(rec.source(), ExperimentParser.Format.valueOf(rec.format().toUpperCase(java.util.Locale.ROOT)))));
    } catch (ExperimentValidationException e) {
      o.put("title", rec.title());
      ArrayNode problems = o.putArray("problems");
      e.problems().forEach(problems::add);
    }
    o.put("source", rec.source());
    o.put("format", rec.format());
    o.put("createdAt", rec.createdAt().toString());
    o.put("createdBy", rec.createdBy());
    o.put("updatedAt", rec.updatedAt().toString());
    o.put("updatedBy", rec.updatedBy());
    o.put("revision", rec.revision());
    if (rec.activeRunId() == null) {
      o.putNull("activeRunId");
    } else {
      o.put("activeRunId", rec.activeRunId());
    }
    scheduler.nextFire(rec.id()).ifPresentOrElse(t -> o.put("nextRun", t.toString()), () -> o.putNull("nextRun"));
    return o;
  }

  // runs

  /**
   * Validates and plans a run without injecting anything: faults, current probe and halt-condition
   * values, blast radius, and warnings (such as halt conditions on alerts when alerting is not
   * configured).
   */
  public ObjectNode dryRun(String experimentId, String actor) throws ChaosNotFoundException, ExperimentValidationException {
    ExperimentRecord rec = store.experiment(experimentId).orElseThrow(() -> new ChaosNotFoundException("no experiment " + experimentId));
    Experiment e = load(rec);
    Instant now = env.clock().instant();
    ObjectNode plan = plan(rec.id(), e, now);
    ArrayNode probes = plan.putArray("steadyStateNow");
    e.steadyState().forEach(p -> probes.add(env.probes().evaluate(p, now, false).toJson()));
    ArrayNode halts = plan.putArray("haltWhenNow");
    ArrayNode warnings = (ArrayNode) plan.get("warnings");
    for (Probe p : e.haltWhen()) {
      ProbeResult r = env.probes().evaluate(p, now, true);
      halts.add(r.toJson());
      if (!r.evaluated()) {
        warnings.add("halt condition " + p.name() + " cannot be evaluated, so it cannot halt the run: " + r.detail());
      }
    }
    String refusal = refusal(e, plan, now);
    if (refusal == null) {
      plan.putNull("refused");
    } else {
      plan.put("refused", refusal);
    }
    store.audit(now, actor, "run.dry_run", experimentId, refusal == null ? "plan ok" : refusal);
    return plan;
  }

  /** Starts a run now; returns its id. */
  public String startRun(String experimentId, String actor)
      throws ChaosNotFoundException, ChaosConflictException, ExperimentValidationException {
    ExperimentRecord rec = store.experiment(experimentId).orElseThrow(() -> new ChaosNotFoundException("no experiment " + experimentId));
    String runId = launch(rec, load(rec), "manual", actor, null);
    store.audit(env.clock().instant(), actor, "run.start", runId, rec.title());
    return runId;
  }

  public Optional<RunRecord> run(String runId) {
    return store.run(runId);
  }

  public List<RunRecord> runs(String experimentId, RunStatus status, int limit) {
    return store.runs(experimentId, status, Math.max(1, Math.min(limit, 1000)));
  }

  public List<JournalEntry> journal(String runId) {
    return store.journal(runId);
  }

  /**
   * A run's status as the API shows it: the stored one, or {@code aborting} once an abort was
   * requested and until the run's faults are reverted and its rollbacks done.
   */
  public static String statusName(RunRecord r) {
    return !r.status().isFinal() && r.abortReason() != null ? "aborting" : r.status().wireName();
  }

  /** A run as the API shows it: status, reason, verdict, times, results and journal. */
  public ObjectNode runJson(RunRecord r, boolean withJournal) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("runId", r.id());
    o.put("experiment", r.experimentId());
    o.put("title", r.title());
    o.put("status", statusName(r));
    o.put("reason", r.reason());
    o.put("haltReason", r.reason() != null && r.reason().startsWith("halted") ? r.reason() : null);
    o.put("verdict", r.verdict());
    o.put("trigger", r.trigger());
    o.put("requestedBy", r.requestedBy());
    for (var t : new Object[][] {{"scheduledFor", r.scheduledFor()}, {"createdAt", r.createdAt()}, {"startedAt", r.startedAt()},
        {"faultStart", r.faultStart()}, {"faultEnd", r.faultEnd()}, {"endedAt", r.endedAt()}}) {
      o.put((String) t[0], t[1] == null ? null : t[1].toString());
    }
    if (withJournal) {
      JsonNode results = r.resultsJson() == null ? MAPPER.createObjectNode() : read(r.resultsJson());
      o.set("plan", results.path("plan").isMissingNode() ? null : results.get("plan"));
      ObjectNode hyp = o.putObject("hypothesis");
      for (String phase : new String[] {"before", "during", "after"}) {
        hyp.set(phase, results.has(phase) ? results.get(phase) : MAPPER.createArrayNode());
      }
      o.set("haltChecks", results.has("halts") ? results.get("halts") : MAPPER.createArrayNode());
      o.set("effects", results.has("effects") ? results.get("effects") : MAPPER.createArrayNode());
      o.set("blastRadius", results.has("blastRadius") ? results.get("blastRadius") : MAPPER.createArrayNode());
      ArrayNode faults = o.putArray("faults");
      for (ChaosStore.FaultRow f : store.faults(r.id())) {
        ObjectNode fo = faults.addObject();
        fo.put("name", f.faultName());
        fo.put("type", f.type());
        fo.put("target", f.target());
        fo.put("injectedAt", f.injectedAt().toString());
        fo.put("revertedAt", f.revertedAt() == null ? null : f.revertedAt().toString());
        fo.put("revertError", f.revertError());
      }
      ArrayNode journal = o.putArray("journal");
      for (JournalEntry j : store.journal(r.id())) {
        journal.addObject().put("time", j.time().toString()).put("level", j.level()).put("event", j.event()).put("message", j.message());
      }
    }
    return o;
  }

  /**
   * Aborts a run and returns at once: this agent reverts the run's faults and runs its rollbacks
   * in the background (another agent within a tick); the run is final once they are done. Aborting
   * a run that is already aborting does nothing more.
   *
   * @return true only for the abort that moved the run to aborting (one conditional update of its
   *     row, so of several concurrent aborts, here or on other servers sharing the database,
   *     exactly one); false when the run was already aborting or over
   */
  public boolean abortRun(String runId, String actor) throws ChaosNotFoundException {
    return abortRun(runId, actor, "aborted by " + actor);
  }

  private boolean abortRun(String runId, String actor, String reason) throws ChaosNotFoundException {
    RunRecord run = store.run(runId).orElseThrow(() -> new ChaosNotFoundException("no run " + runId));
    store.audit(env.clock().instant(), actor, "run.abort", runId, reason);
    if (run.status().isFinal()) {
      return false;
    }
    if (!store.requestAbort(runId, reason)) {
      return false;
    }
    RunExecution local = active.get(runId);
    if (local != null && !local.ending()) {
      local.abortQueued();
      aborter.execute(() -> local.abort(reason));
    }
    return true;
  }

  /** The run's HTML report, rendered now if it is missing or the run is still going. */
  public String report(String runId) throws ChaosNotFoundException {
    RunRecord run = store.run(runId).orElseThrow(() -> new ChaosNotFoundException("no run " + runId));
    Optional<byte[]> stored = run.status().isFinal() ? store.asset(runId, ReportRenderer.HTML) : Optional.empty();
    return stored.map(b -> new String(b, StandardCharsets.UTF_8)).orElseGet(() -> env.reports().render(runId));
  }

  /** One of the report's charts as a PNG ({@code probe-0.png}, ...); the report embeds them too. */
  public Optional<byte[]> reportAsset(String runId, String name) {
    if (name.equals(ReportRenderer.HTML) || !name.matches("[a-z0-9-]{1,64}\\.png")) {
      return Optional.empty();
    }
    return store.asset(runId, name);
  }

  public List<Annotation> annotations(Instant start, Instant end) {
    return store.annotations(start, end);
  }

  public List<AuditEntry> audit(int limit) {
    return store.audit(Math.max(1, Math.min(limit, 1000)));
  }

  // kill switch

  /**
   * Engages (stops every active run at once, here and, within a tick, on every server sharing the
   * database, and blocks new runs) or releases the global kill switch.
   */
  public void killSwitch(boolean engaged, String reason, String actor) {
    Instant now = env.clock().instant();
    store.putSetting(Env.KILL_SWITCH, engaged ? (reason == null || reason.isBlank() ? "on" : reason) : "off", now, actor);
    store.audit(now, actor, engaged ? "killswitch.engage" : "killswitch.release", null, reason);
    if (engaged) {
      String why = "kill switch engaged by " + actor + (reason == null || reason.isBlank() ? "" : ": " + reason);
      for (RunRecord r : store.activeRuns()) {
        store.requestAbort(r.id(), why);
      }
      for (RunExecution ex : List.copyOf(active.values())) {
        ex.abort(why);
      }
      LOG.warn("chaos kill switch engaged by {}: every active fault reverted, new runs blocked", actor);
    }
  }

  public boolean killSwitchEngaged() {
    return env.killSwitchEngaged();
  }

  // internals

  private Experiment validate(String source, ExperimentParser.Format format) throws ExperimentValidationException {
    Experiment e = parser.parse(source, format);
    List<String> targets = e.touchedTargets();
    if (targets.size() > env.settings().maxTargetsPerRun()) {
      throw new ExperimentValidationException(List.of("method: touches " + targets.size() + " targets ("
          + String.join(", ", targets) + "), more than the limit of " + env.settings().maxTargetsPerRun()
          + " per run (chaos.maxTargetsPerRun)"));
    }
    List<String> problems = new ArrayList<>();
    querySyntax(e.steadyState(), "steadyState", problems);
    querySyntax(e.haltWhen(), "haltWhen", problems);
    if (!problems.isEmpty()) {
      throw new ExperimentValidationException(problems);
    }
    return e;
  }

  /** PromQL that does not parse, checked by the metric store (the parser alone knows no PromQL). */
  private void querySyntax(List<Probe> probes, String field, List<String> problems) {
    for (int i = 0; i < probes.size(); i++) {
      String problem = env.probes().syntaxProblem(probes.get(i));
      if (problem != null) {
        problems.add(field + "[" + i + "].query: " + problem);
      }
    }
  }

  private Experiment load(ExperimentRecord rec) throws ExperimentValidationException {
    return validate(rec.source(), ExperimentParser.Format.valueOf(rec.format().toUpperCase(java.util.Locale.ROOT)));
  }

  private void applySchedule(String id, Experiment e) {
    if (e.schedule() == null) {
      scheduler.unschedule(id);
    } else {
      scheduler.schedule(id, e.schedule().cron(), e.schedule().zone());
    }
  }

  private ObjectNode plan(String experimentId, Experiment e, Instant now) {
    ObjectNode plan = MAPPER.createObjectNode();
    plan.put("experiment", experimentId);
    plan.put("title", e.title());
    ArrayNode faults = plan.putArray("faults");
    for (FaultSpec f : e.method()) {
      FaultInjector injector = env.injectors().get(f.type());
      faults.addObject().put("name", f.name()).put("type", f.type()).put("target", f.target())
          .put("duration", Durations.format(f.duration()))
          .put("description", injector == null ? "no injector for " + f.type() : injector.describe(f));
    }
    plan.put("faultWindow", Durations.format(e.faultWindow()));
    plan.put("recoveryDeadline", Durations.format(e.recoveryDeadline()));
    plan.put("maxRunTime", Durations.format(e.maxRunTime()));
    BlastRadius.Estimate estimate;
    try {
      estimate = blastRadius.estimate(e.touchedTargets(), now, env.settings().blastRadiusWindow());
    } catch (RuntimeException ex) {
      estimate = new BlastRadius.Estimate(false, 0, List.of(), env.settings().blastRadiusWindow());
    }
    plan.set("blastRadiusEstimate", estimate.toJson());
    plan.put("blastRadiusBudget", env.settings().maxBlastRadius());
    ArrayNode warnings = plan.putArray("warnings");
    haltWarnings(e).forEach(warnings::add);
    return plan;
  }

  /**
   * Alert and burn-rate halt conditions that can never halt, said before the run rather than
   * discovered after it. Allowed, because alerting may be configured later or elsewhere.
   */
  private List<String> haltWarnings(Experiment e) {
    List<String> out = new ArrayList<>();
    ProbeEvaluator probes = env.probes();
    for (Probe p : e.haltWhen()) {
      if (!p.kind().alerting()) {
        continue;
      }
      if (!probes.alertsConfigured()) {
        out.add("halt condition " + p.name() + ": " + ProbeEvaluator.ALERTING_NOT_CONFIGURED
            + ", so it never halts the run; configure alerting on the server that runs chaos");
      } else if (p.kind() == Probe.Kind.ALERT) {
        Set<String> defined = probes.alerts().alertNames().orElse(null);
        if (defined != null && !defined.contains(p.alert().alert())) {
          out.add("halt condition " + p.name() + ": no alerting rule named " + p.alert().alert() + " is defined (defined: "
              + (defined.isEmpty() ? "none" : String.join(", ", new TreeSet<>(defined))) + "), so it never halts the run");
        }
      } else if (p.kind() == Probe.Kind.SLO_BURN_RATE) {
        Set<String> declared = probes.alerts().sloNames();
        if (!declared.contains(p.burnRate().slo())) {
          out.add("halt condition " + p.name() + ": no SLO named " + p.burnRate().slo() + " is declared (declared: "
              + (declared.isEmpty() ? "none" : String.join(", ", new TreeSet<>(declared))) + "), so it never halts the run");
        }
      }
    }
    return out;
  }

  /** Why a run may not start now, or null. */
  private String refusal(Experiment e, ObjectNode plan, Instant now) {
    if (env.killSwitchEngaged()) {
      return "kill switch engaged: release it with POST /api/chaos/switch {\"engaged\":false} before running chaos";
    }
    if (e.schedule() != null) {
      var blackout = e.schedule().blackoutAt(now);
      if (blackout.isPresent()) {
        return "blackout window " + blackout.get().describe(e.schedule().zone()) + " covers now";
      }
    }
    JsonNode est = plan.path("blastRadiusEstimate");
    double share = est.path("entryTrafficShare").asDouble();
    if (est.path("known").asBoolean() && share > env.settings().maxBlastRadius()) {
      return String.format(java.util.Locale.ROOT,
          "blast radius over budget: %s (budget %.0f%% of entry traffic, chaos.maxBlastRadius)",
          est.path("summary").asText(), env.settings().maxBlastRadius() * 100);
    }
    return null;
  }

  private String launch(ExperimentRecord rec, Experiment e, String trigger, String actor, Instant fireTime)
      throws ChaosConflictException {
    Instant now = env.clock().instant();
    ObjectNode plan = plan(rec.id(), e, now);
    String refusal = refusal(e, plan, now);
    String runId = UUID.randomUUID().toString();
    String json = ExperimentJson.toJson(e).toString();
    if (refusal != null && fireTime == null) {
      throw new ChaosConflictException(refusal, plan);
    }
    RunStatus initial = refusal == null ? RunStatus.PENDING
        : refusal.startsWith("blast") ? RunStatus.ABORTED : RunStatus.SKIPPED;
    RunRecord run = new RunRecord(runId, rec.id(), e.title(), json, initial, refusal, refusal, trigger, fireTime, actor,
        now, null, null, null, refusal == null ? null : now, env.settings().nodeName(), now, null, null);
    if (fireTime == null) {
      // a manual run that may not start leaves no record: the caller hears why; skipped is for scheduled fires
      if (!store.lockExperiment(rec.id(), runId)) {
        throw new ChaosConflictException(overlap(rec.id()), plan);
      }
      if (!store.insertRun(run)) {
        store.unlockExperiment(rec.id(), runId);
        return null;
      }
      return execute(runId, rec.id(), e, plan);
    }
    if (!store.insertRun(run)) {
      return null;
    }
    if (refusal != null) {
      store.saveResults(runId, MAPPER.createObjectNode().set("plan", plan).toString());
      env.journal(runId, rec.id(), "WARN", "run.refused", refusal);
      return runId;
    }
    if (!store.lockExperiment(rec.id(), runId)) {
      String why = overlap(rec.id());
      store.finishRun(runId, RunStatus.SKIPPED, why, "skipped: " + why, null, now);
      env.journal(runId, rec.id(), "WARN", "run.skipped", why);
      return runId;
    }
    return execute(runId, rec.id(), e, plan);
  }

  private String overlap(String experimentId) {
    String holder = store.experiment(experimentId).map(ExperimentRecord::activeRunId).orElse("?");
    return "previous run " + holder + " of this experiment is still active; runs never overlap";
  }

  /** Starts a stored, locked run. */
  private String execute(String runId, String experimentId, Experiment e, ObjectNode plan) {
    RunExecution ex = new RunExecution(env, runId, experimentId, e, plan, this::done);
    active.put(runId, ex);
    if (autoTick) {
      long ms = env.settings().tickInterval().toMillis();
      ticking.put(runId, ticker.scheduleWithFixedDelay(ex::tick, 0, ms, TimeUnit.MILLISECONDS));
    }
    return runId;
  }

  private void done(RunExecution ex) {
    active.remove(ex.runId());
    ScheduledFuture<?> f = ticking.remove(ex.runId());
    if (f != null) {
      f.cancel(false);
    }
  }

  /** The scheduler's fire handler: one run per experiment and fire time. */
  private void fire(String experimentId, Instant fireTime) {
    Optional<ExperimentRecord> rec = store.experiment(experimentId);
    if (rec.isEmpty()) {
      scheduler.unschedule(experimentId);
      return;
    }
    try {
      Experiment e = load(rec.get());
      String runId = launch(rec.get(), e, "schedule", "scheduler", fireTime);
      if (runId != null) {
        store.audit(env.clock().instant(), "scheduler", "run.start", runId, rec.get().title() + " (fire time " + fireTime + ")");
      }
    } catch (ExperimentValidationException | ChaosConflictException ex) {
      LOG.warn("scheduled run of experiment {} not started: {}", experimentId, ex.getMessage());
    }
  }

  /** Advances every active run once and does maintenance; for tests driving a manual clock. */
  void tick() {
    for (RunExecution ex : List.copyOf(active.values())) {
      ex.tick();
    }
  }

  /** Fires due schedules (manual scheduler only); for tests. */
  void runDueSchedules() {
    scheduler.runDue();
  }

  Optional<Instant> nextFire(String experimentId) {
    return scheduler.nextFire(experimentId);
  }

  private void maintenance() {
    try {
      recover(false);
    } catch (RuntimeException e) {
      LOG.warn("chaos maintenance failed (will retry): {}", e.toString());
    }
  }

  /**
   * Takes over runs whose agent stopped: reverts their open faults through the injector registry,
   * runs their rollbacks and marks them failed. On start, runs this node owned count as stopped
   * at once; otherwise a run counts as stopped when its heartbeat is older than staleAfter.
   */
  void recover(boolean atStart) {
    Instant now = env.clock().instant();
    List<RunRecord> candidates = new ArrayList<>(store.staleRuns(now.minus(env.settings().staleAfter())));
    if (atStart) {
      for (RunRecord r : store.activeRuns()) {
        if (env.settings().nodeName().equals(r.owner()) && candidates.stream().noneMatch(c -> c.id().equals(r.id()))) {
          candidates.add(r);
        }
      }
    }
    for (RunRecord r : candidates) {
      if (active.containsKey(r.id())) {
        continue;
      }
      recoverRun(r, now);
    }
    for (ChaosStore.FaultRow f : store.openFaults()) {
      RunRecord r = store.run(f.runId()).orElse(null);
      if (r == null || r.status().isFinal()) {
        revertOrphan(f, now);
      }
    }
  }

  private void recoverRun(RunRecord r, Instant now) {
    List<String> reverted = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    for (ChaosStore.FaultRow f : store.faults(r.id())) {
      if (f.revertedAt() != null) {
        continue;
      }
      String error = revertOrphan(f, now);
      (error == null ? reverted : failed).add(f.faultName() + (error == null ? "" : ": " + error));
    }
    try {
      RunExecution.runRollbacks(env, r.id(), r.experimentId(), ExperimentParser.rollbacksOf(read(r.experimentJson())));
    } catch (RuntimeException e) {
      LOG.warn("rollbacks of recovered run {} failed: {}", r.id(), e.toString());
    }
    String reason = "the agent running it (" + r.owner() + ") stopped"
        + (r.heartbeatAt() == null ? "" : "; last heartbeat " + r.heartbeatAt())
        + "; recovered by " + env.settings().nodeName() + ": "
        + (reverted.isEmpty() ? "no fault was active" : "reverted " + String.join(", ", reverted))
        + (failed.isEmpty() ? "" : "; REVERT FAILED, restore by hand: " + String.join("; ", failed));
    store.finishRun(r.id(), RunStatus.FAILED, reason, "failed: " + reason, r.resultsJson(), now);
    store.unlockExperiment(r.experimentId(), r.id());
    store.endOpenAnnotations(r.id(), now);
    env.journal(r.id(), r.experimentId(), failed.isEmpty() ? "WARN" : "ERROR", "run.recovered", reason);
    LOG.warn("chaos run {} recovered: {}", r.id(), reason);
  }

  /** Reverts one recorded fault through its injector; returns the error, or null. */
  private String revertOrphan(ChaosStore.FaultRow f, Instant now) {
    FaultInjector injector = env.injectors().get(f.type());
    String error = null;
    if (injector == null) {
      error = "no injector for type " + f.type() + " is configured; its lease ends it at " + f.leaseUntil();
    } else {
      FaultSpec spec = new FaultSpec(f.faultName(), f.type(), f.target(),
          ExperimentJson.parametersFromJson(f.parametersJson()), Duration.ofMillis(f.durationMs()));
      try {
        injector.revertOrphan(spec, new FaultContext(f.experimentId(), f.runId(), f.leaseUntil()));
      } catch (FaultException | RuntimeException e) {
        error = e.getMessage();
      }
    }
    store.faultReverted(f.runId(), f.faultName(), now, error);
    env.telemetry().faultActive(f.experimentId(), f.runId(), f.faultName(), f.target(), false, now);
    return error;
  }

  private static JsonNode read(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException("stored chaos JSON is damaged: " + e.getMessage(), e);
    }
  }

  /**
   * Tests: stops like a killed process would, leaving runs and faults as they are in the database
   * (no revert, no final status).
   */
  void simulateCrash() {
    scheduler.stop();
    aborter.shutdownNow();
    if (ticker != null) {
      ticker.shutdownNow();
    }
    active.clear();
    db.close();
  }

  /** Aborts active runs (reverting their faults), stops the scheduler and closes the database. */
  @Override
  public synchronized void close() {
    try {
      scheduler.stop();
    } catch (RuntimeException e) {
      LOG.warn("stopping the chaos scheduler: {}", e.toString());
    }
    for (RunExecution ex : List.copyOf(active.values())) {
      ex.abort("the chaos agent " + env.settings().nodeName() + " is shutting down");
    }
    aborter.shutdown();
    try {
      if (!aborter.awaitTermination(1, TimeUnit.MINUTES)) {
        LOG.warn("chaos aborts still running at shutdown; their runs are recovered at the next start");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (ticker != null) {
      ticker.shutdownNow();
    }
    db.close();
  }

  /** Builds a {@link ChaosAgent}. {@code metrics}, {@code sink} and {@code registry} are required. */
  public static final class Builder {
    private Path dataDir;
    private String jdbcUrl;
    private String user;
    private String password;
    private Map<String, FaultInjector> injectors = Map.of();
    private MetricQueries metrics;
    private TraceQueries traces;
    private TelemetrySink sink;
    private PrometheusRegistry registry;
    private Clock clock = Clock.systemUTC();
    private SettableClock manualClock;
    private ChaosSettings settings = ChaosSettings.defaults();
    private Duration pollingInterval = Duration.ofSeconds(5);
    private AlertStatus alerts = AlertStatus.none();
    private boolean alertsConfigured;

    private Builder() {}

    /**
     * Optional: what alerting knows, for {@code alert} and {@code sloBurnRate} halt conditions.
     * Default {@link AlertStatus#none()}: such conditions are accepted but never halt, and the
     * dry-run plan warns "alerting not configured".
     */
    public Builder alerts(AlertStatus alerts) {
      this.alerts = Objects.requireNonNull(alerts, "alerts");
      this.alertsConfigured = true;
      return this;
    }

    /** Keeps state in an H2 file database under {@code dataDir/chaos}. */
    public Builder dataDir(Path dataDir) {
      this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
      return this;
    }

    /** Keeps state in this database instead ({@code jdbc:postgresql://...} or {@code jdbc:h2:...}). */
    public Builder jdbc(String url, String user, String password) {
      this.jdbcUrl = Objects.requireNonNull(url, "url");
      this.user = user;
      this.password = password;
      return this;
    }

    /** The fault injectors by {@link FaultInjector#type()}. */
    public Builder injectors(Map<String, FaultInjector> injectors) {
      this.injectors = Map.copyOf(injectors);
      return this;
    }

    public Builder metrics(MetricQueries metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** Optional: trace search for trace probes' fallback and effect checks. */
    public Builder traces(TraceQueries traces) {
      this.traces = traces;
      return this;
    }

    /** Where the agent writes its own logs, spans and the fault gauge (service faultline-chaos). */
    public Builder sink(TelemetrySink sink) {
      this.sink = Objects.requireNonNull(sink, "sink");
      return this;
    }

    /** Where {@code faultline_chaos_fault_active} is registered. */
    public Builder registry(PrometheusRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder settings(ChaosSettings settings) {
      this.settings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /** How often the scheduler looks for due experiments; default 5 s. */
    public Builder schedulerPollingInterval(Duration interval) {
      this.pollingInterval = Objects.requireNonNull(interval, "interval");
      return this;
    }

    /** Tests: no background threads; the clock is this settable one, runs advance on {@link #tick}. */
    Builder manual(SettableClock clock) {
      this.manualClock = clock;
      this.clock = new Clock() {
        @Override
        public java.time.ZoneId getZone() {
          return java.time.ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return clock.now();
        }
      };
      return this;
    }

    public ChaosAgent build() {
      if (dataDir == null && jdbcUrl == null) {
        throw new IllegalStateException("chaos agent needs a dataDir or a JDBC URL");
      }
      Objects.requireNonNull(metrics, "metrics");
      Objects.requireNonNull(sink, "sink");
      Objects.requireNonNull(registry, "registry");
      return new ChaosAgent(this);
    }
  }
}
