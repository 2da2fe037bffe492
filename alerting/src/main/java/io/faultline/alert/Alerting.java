/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import io.faultline.core.alert.ActiveAlert;
import io.faultline.core.alert.AlertStatus;
import io.faultline.core.ingest.TelemetrySink;
import io.faultline.core.metric.InvalidQueryException;
import io.faultline.core.metric.MetricQueries;
import io.faultline.core.metric.MetricQueryException;
import io.faultline.core.metric.PromDurations;
import io.faultline.core.metric.PromqlResult;
import io.faultline.core.metric.QueryOptions;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prometheus-compatible rule evaluation, notifications and SLOs over the platform's own PromQL.
 * Rule groups are evaluated at their interval on the injected clock ({@link #tick()}, driven every
 * second by {@link #start()}); results and {@code ALERTS}/{@code ALERTS_FOR_STATE} are written
 * back through the {@link TelemetrySink}; alert state is kept in a file in the data directory;
 * files are reloaded when they change or on {@link #reload()}, keeping the old rules when the
 * new ones are invalid. Thread-safe: evaluation and reload are serialised; reads return the
 * snapshot of the last evaluation.
 */
public final class Alerting implements AlertStatus, Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(Alerting.class);
  private static final Comparator<RuleGroupSnapshot> GROUP_ORDER =
      Comparator.comparing(RuleGroupSnapshot::file, Alerting::compareUtf8)
          .thenComparing(RuleGroupSnapshot::name, Alerting::compareUtf8);

  private final AlertingConfig config;
  private final Path baseDir;
  private final MetricQueries queries;
  private final Clock clock;
  private final Duration defaultInterval;
  private final Duration sloInterval;
  private final Duration reloadCheckInterval;
  private final AlertingMetrics metrics;
  private final Notifier notifier;
  private final AlertStateFile stateFile;
  private final RuleGroup.Context context;
  private final ScheduledExecutorService scheduler;
  private final RuleFileParser ruleParser;
  private final SloFiles sloParser;

  private volatile List<RuleGroup> groups = List.of();
  private volatile List<SloSpec> slos = List.of();
  private volatile String lastReloadError = "";
  private Map<Path, String> fileStamps = Map.of();
  private long lastReloadCheckMs;
  private boolean restored;

  private Alerting(Builder b) throws RuleFileException {
    this.config = b.config;
    this.baseDir = b.baseDir;
    this.queries = b.queries;
    this.clock = b.clock;
    this.defaultInterval = positive(config.evaluationInterval, "evaluationInterval");
    this.sloInterval = positive(config.sloEvaluationInterval, "sloEvaluationInterval");
    this.reloadCheckInterval = duration(config.reloadCheckInterval, "reloadCheckInterval");
    this.metrics = new AlertingMetrics(b.registry);
    AlertingConfig.Notifications n = config.notifications;
    for (AlertingConfig.Receiver r : n.receivers) {
      if (r.url == null || !(r.url.startsWith("http://") || r.url.startsWith("https://"))) {
        throw new IllegalArgumentException("alerting.notifications.receivers[" + r.name
            + "].url must be an http(s) URL, got " + r.url);
      }
    }
    if (n.maxAttempts < 1) {
      throw new IllegalArgumentException("alerting.notifications.maxAttempts must be >= 1");
    }
    this.scheduler = Executors.newScheduledThreadPool(1, r -> {
      Thread t = new Thread(r, "faultline-rules");
      t.setDaemon(true);
      return t;
    });
    String externalUrl = config.externalUrl.replaceAll("/+$", "");
    this.notifier = new Notifier(
        new Notifier.Settings(List.copyOf(n.groupBy),
            duration(n.groupWait, "groupWait").toMillis(),
            positive(n.groupInterval, "groupInterval").toMillis(),
            positive(n.repeatInterval, "repeatInterval").toMillis(), n.maxAttempts,
            positive(n.initialBackoff, "initialBackoff").toMillis(),
            positive(n.maxBackoff, "maxBackoff").toMillis(), positive(n.timeout, "timeout"),
            List.copyOf(n.receivers), externalUrl),
        b.httpClient != null ? b.httpClient
            : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(),
        scheduler, metrics);
    this.stateFile = new AlertStateFile(b.dataDir.resolve(config.stateFile));
    this.context = new RuleGroup.Context(queries, new SampleWriter(b.sink, Duration.ofSeconds(30)),
        Map.copyOf(config.externalLabels), externalUrl, b.visibilityWait, metrics, notifier);
    Function<String, String> check = expr -> {
      try {
        queries.instantQuery(expr, 0L, QueryOptions.DEFAULTS);
        return null;
      } catch (InvalidQueryException e) {
        return e.getMessage();
      } catch (MetricQueryException e) {
        return null;
      }
    };
    this.ruleParser = new RuleFileParser(check);
    this.sloParser = new SloFiles(check);
    reload();
  }

  /** Starts evaluating (a tick every second) and watching the files. */
  public void start() {
    scheduler.scheduleWithFixedDelay(() -> {
      try {
        tick();
      } catch (RuntimeException e) {
        LOG.error("Rule evaluation tick failed; retried in a second", e);
      }
    }, 0, 1, TimeUnit.SECONDS);
  }

  /**
   * Evaluates every group whose time has come on the clock, saves alert state, sends due
   * notifications and (every reload check interval) reloads changed files.
   */
  public synchronized void tick() {
    long now = clock.millis();
    if (!reloadCheckInterval.isZero()
        && now - lastReloadCheckMs >= reloadCheckInterval.toMillis()) {
      lastReloadCheckMs = now;
      if (!stamps().equals(fileStamps)) {
        LOG.info("Rule or SLO files changed; reloading");
        try {
          reload();
        } catch (RuleFileException e) {
          // logged by reload(); the previous rules stay in effect
        }
      }
    }
    List<RuleGroup> current = groups;
    if (!restored) {
      stateFile.restore(current, now);
      restored = true;
    }
    for (RuleGroup g : current) {
      long ts = g.alignedTime(now);
      if (g.nextEvalMs != Long.MIN_VALUE && ts < g.nextEvalMs) {
        continue;
      }
      if (g.nextEvalMs != Long.MIN_VALUE && ts > g.nextEvalMs) {
        metrics.missed(g.spec.name(), (ts - g.nextEvalMs) / g.intervalMs);
      }
      g.evaluate(ts, context);
      g.nextEvalMs = ts + g.intervalMs;
    }
    stateFile.save(current, now);
    notifier.flush(now);
  }

  /**
   * Reads every rule and SLO file again. On success the new rules replace the old ones (alert
   * state carried over by group and rule name; series of removed groups marked stale); on
   * failure the old rules stay and the exception lists every problem.
   */
  public synchronized void reload() throws RuleFileException {
    Map<Path, String> stamps = stamps();
    List<String> errors = new ArrayList<>();
    List<GroupSpec> specs = new ArrayList<>();
    List<SloSpec> newSlos = new ArrayList<>();
    for (Path file : expand(config.ruleFiles, errors)) {
      try {
        specs.addAll(ruleParser.parse(file.toString(), Files.readString(file)));
      } catch (RuleFileException e) {
        errors.addAll(e.errors());
      } catch (IOException e) {
        errors.add(file + ": cannot read: " + e);
      }
    }
    for (Path file : expand(config.sloFiles, errors)) {
      try {
        for (SloSpec s : sloParser.parse(file.toString(), Files.readString(file))) {
          newSlos.add(s);
          specs.add(SloFiles.rules(s, sloInterval));
        }
      } catch (RuleFileException e) {
        errors.addAll(e.errors());
      } catch (IOException e) {
        errors.add(file + ": cannot read: " + e);
      }
    }
    fileStamps = stamps;
    if (!errors.isEmpty()) {
      lastReloadError = String.join("\n", errors);
      metrics.reloaded(false);
      LOG.error("Rule/SLO files are invalid; keeping the {} group(s) loaded before. Fix these and"
          + " the files are reloaded on change:\n{}", groups.size(), lastReloadError);
      throw new RuleFileException(errors);
    }
    Map<String, RuleGroup> old = new HashMap<>();
    for (RuleGroup g : groups) {
      old.put(g.key(), g);
    }
    List<RuleGroup> fresh = new ArrayList<>();
    for (GroupSpec s : specs) {
      RuleGroup g = new RuleGroup(s, defaultInterval);
      RuleGroup o = old.remove(g.key());
      if (o != null) {
        g.copyStateFrom(o);
      }
      fresh.add(g);
    }
    long now = clock.millis();
    for (RuleGroup gone : old.values()) {
      try {
        context.writer().write(gone.staleMarkers(now));
      } catch (SampleWriter.WriteFailedException e) {
        LOG.warn("Could not mark series of removed group \"{}\" stale: {}", gone.spec.name(),
            e.getMessage());
      }
    }
    groups = List.copyOf(fresh);
    slos = List.copyOf(newSlos);
    lastReloadError = "";
    metrics.reloaded(true);
    LOG.info("Loaded {} rule group(s) with {} rule(s) and {} SLO(s)", fresh.size(),
        fresh.stream().mapToInt(g -> g.rules.size()).sum(), newSlos.size());
  }

  /** The error of the last failed reload, empty after a successful one. */
  public String lastReloadError() {
    return lastReloadError;
  }

  private List<Path> expand(List<String> patterns, List<String> errors) {
    List<Path> out = new ArrayList<>();
    for (String p : patterns) {
      Path path = baseDir.resolve(p);
      String last = path.getFileName() == null ? "" : path.getFileName().toString();
      if (last.contains("*") || last.contains("?") || last.contains("[")) {
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + last);
        TreeSet<Path> found = new TreeSet<>();
        Path dir = path.getParent();
        if (dir != null && Files.isDirectory(dir)) {
          try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path f : ds) {
              if (m.matches(f.getFileName()) && Files.isRegularFile(f)) {
                found.add(f);
              }
            }
          } catch (IOException e) {
            errors.add(dir + ": cannot list: " + e);
          }
        }
        out.addAll(found);
      } else if (!Files.isRegularFile(path)) {
        errors.add(path + ": no such file (configured in alerting: " + p + ")");
      } else {
        out.add(path);
      }
    }
    return out;
  }

  private Map<Path, String> stamps() {
    Map<Path, String> out = new HashMap<>();
    List<String> ignored = new ArrayList<>();
    List<String> all = new ArrayList<>(config.ruleFiles);
    all.addAll(config.sloFiles);
    for (Path p : expand(all, ignored)) {
      try {
        out.put(p, Files.getLastModifiedTime(p).toMillis() + "/" + Files.size(p));
      } catch (IOException e) {
        out.put(p, "?");
      }
    }
    return out;
  }

  /**
   * Every rule group as of its last evaluation, sorted by file and then by group name as
   * Prometheus' {@code Manager.RuleGroups()} sorts them (Go's byte order of the UTF-8 text), so
   * {@code /api/v1/rules} and {@code /api/v1/alerts} list them in Prometheus' order.
   */
  public List<RuleGroupSnapshot> groups() {
    List<RuleGroupSnapshot> out = new ArrayList<>();
    for (RuleGroup g : groups) {
      out.add(g.snapshot());
    }
    out.sort(GROUP_ORDER);
    return out;
  }

  /**
   * A test of rule labels against {@code match[]} series selectors, parsed by the metric store:
   * Prometheus keeps the rules whose configured labels (not {@code alertname}, not the recorded
   * metric name) satisfy any of them.
   *
   * @throws InvalidQueryException a selector is invalid, with Prometheus' message
   */
  public Predicate<Map<String, String>> labelFilter(List<String> selectors) {
    return queries.selectorFilter(selectors);
  }

  /** Go's {@code strings.Compare}; String.compareTo orders UTF-16 units, unlike Go above U+FFFF. */
  private static int compareUtf8(String a, String b) {
    return Arrays.compareUnsigned(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public boolean isFiring(String alertName, Map<String, String> labels) {
    for (ActiveAlert a : activeAlerts()) {
      if (a.state() == ActiveAlert.State.FIRING && a.name().equals(alertName)
          && a.labels().entrySet().containsAll(labels.entrySet())) {
        return true;
      }
    }
    return false;
  }

  @Override
  public List<ActiveAlert> activeAlerts() {
    List<ActiveAlert> out = new ArrayList<>();
    for (RuleGroupSnapshot g : groups()) {
      for (RuleGroupSnapshot.Rule r : g.rules()) {
        for (RuleGroupSnapshot.Alert a : r.alerts()) {
          out.add(new ActiveAlert(a.labels(), a.annotations(),
              a.state().equals("firing") ? ActiveAlert.State.FIRING : ActiveAlert.State.PENDING,
              a.activeAt(), a.value()));
        }
      }
    }
    out.sort(Comparator.comparing(a -> new TreeMap<>(a.labels()).toString()));
    return out;
  }

  @Override
  public Optional<Set<String>> alertNames() {
    Set<String> out = new TreeSet<>();
    for (RuleGroupSnapshot g : groups()) {
      for (RuleGroupSnapshot.Rule r : g.rules()) {
        if (r.type().equals("alerting")) {
          out.add(r.name());
        }
      }
    }
    return Optional.of(out);
  }

  @Override
  public Set<String> sloNames() {
    Set<String> out = new TreeSet<>();
    for (SloSpec s : slos) {
      out.add(s.name());
    }
    return out;
  }

  @Override
  public OptionalDouble burnRate(String slo, Duration window) {
    for (SloSpec s : slos) {
      if (s.name().equals(slo) || s.id().equals(slo)) {
        if (window.isNegative() || window.isZero()) {
          return OptionalDouble.empty();
        }
        double ratio = value(s.errorRatio(PromDurations.format(window)), clock.millis());
        return Double.isNaN(ratio) ? OptionalDouble.empty()
            : OptionalDouble.of(ratio / s.budget());
      }
    }
    return OptionalDouble.empty();
  }

  /** The status of every SLO from its recorded series at the clock's now. */
  public List<SloStatus> slos() {
    long now = clock.millis();
    Map<String, RuleGroupSnapshot> byName = new HashMap<>();
    for (RuleGroupSnapshot g : groups()) {
      byName.put(g.name(), g);
    }
    List<SloStatus> out = new ArrayList<>();
    for (SloSpec s : slos) {
      String id = "sloth_id=\"" + s.id().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
      Map<String, Double> ratios = new LinkedHashMap<>();
      Map<String, Double> burn = new LinkedHashMap<>();
      List<String> windows = new ArrayList<>(SloFiles.WINDOWS);
      String period = PromDurations.format(s.window());
      if (!windows.contains(period)) {
        windows.add(period);
      }
      for (String w : windows) {
        double r = value("slo:sli_error:ratio_rate" + w + "{" + id + "}", now);
        ratios.put(w, r);
        burn.put(w, r / s.budget());
      }
      double remaining = value("slo:period_error_budget_remaining:ratio{" + id + "}", now);
      List<SloStatus.BurnRateAlert> alerts = new ArrayList<>();
      RuleGroupSnapshot g = byName.get("slo:" + s.id());
      for (SloFiles.BurnAlert b : SloFiles.BURN_ALERTS) {
        String state = "inactive";
        if (g != null) {
          for (RuleGroupSnapshot.Rule r : g.rules()) {
            if (r.type().equals("alerting") && b.longWindow().equals(r.labels().get("long"))) {
              state = r.state();
            }
          }
        }
        alerts.add(new SloStatus.BurnRateAlert(b.severity(), b.longWindow(), b.shortWindow(),
            b.factor(), s.alerting() ? state : "disabled"));
      }
      out.add(new SloStatus(s.name(), s.service(), s.description(), s.objective(), period,
          s.budget(), ratios, burn, remaining, alerts));
    }
    return out;
  }

  /** The value of a one-series instant query, NaN when empty or failing. */
  private double value(String expr, long ts) {
    try {
      List<PromqlResult.Series> r = RuleGroup.query(queries, expr, ts);
      if (r.size() != 1 || r.get(0).values().length == 0) {
        return Double.NaN;
      }
      return r.get(0).values()[0];
    } catch (MetricQueryException | IllegalStateException e) {
      LOG.debug("SLO query {} failed: {}", expr, e.getMessage());
      return Double.NaN;
    }
  }

  /** Dead letters so far for a receiver (for tests and the status page). */
  long deadLetters(String receiver) {
    return metrics.deadLetters(receiver);
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      stateFile.save(groups, clock.millis());
    }
  }

  private static Duration duration(String s, String field) {
    try {
      return PromDurations.parse(s);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("alerting." + field + ": " + e.getMessage(), e);
    }
  }

  private static Duration positive(String s, String field) {
    Duration d = duration(s, field);
    if (d.isZero()) {
      throw new IllegalArgumentException("alerting." + field + " must be positive, got " + s);
    }
    return d;
  }

  /**
   * Builds an {@link Alerting}.
   *
   * @param queries where rules are evaluated
   * @param sink where results and {@code ALERTS} are written
   * @param dataDir the platform's data directory (alert state lives under it)
   */
  public static Builder builder(
      AlertingConfig config, MetricQueries queries, TelemetrySink sink, Path dataDir) {
    return new Builder(config, queries, sink, dataDir);
  }

  /** Configures an {@link Alerting}; clock, registry and base directory have defaults. */
  public static final class Builder {
    private final AlertingConfig config;
    private final MetricQueries queries;
    private final TelemetrySink sink;
    private final Path dataDir;
    private Path baseDir = Path.of("");
    private Clock clock = Clock.systemUTC();
    private PrometheusRegistry registry = new PrometheusRegistry();
    private HttpClient httpClient;
    private Duration visibilityWait = Duration.ofSeconds(2);

    private Builder(AlertingConfig config, MetricQueries queries, TelemetrySink sink, Path dataDir) {
      this.config = Objects.requireNonNull(config, "config");
      this.queries = Objects.requireNonNull(queries, "queries");
      this.sink = Objects.requireNonNull(sink, "sink");
      this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
    }

    /** Relative rule/SLO file names resolve against this (default: the working directory). */
    public Builder baseDir(Path baseDir) {
      this.baseDir = Objects.requireNonNull(baseDir, "baseDir");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Where alerting's own metrics are registered (default: a private registry). */
    public Builder registry(PrometheusRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
      return this;
    }

    /**
     * How long a rule waits for samples recorded by an earlier rule of its group to become
     * queryable (default 2 s; the store refreshes within 1 s).
     */
    public Builder visibilityWait(Duration visibilityWait) {
      this.visibilityWait = Objects.requireNonNull(visibilityWait, "visibilityWait");
      return this;
    }

    /**
     * Loads and validates every file.
     *
     * @throws RuleFileException a rule or SLO file is invalid (every problem listed)
     * @throws IllegalArgumentException a setting is invalid
     */
    public Alerting build() throws RuleFileException {
      return new Alerting(this);
    }
  }
}
