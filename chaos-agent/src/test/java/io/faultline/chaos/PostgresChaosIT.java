/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.faultline.metric.LuceneMetricStore;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chaos state in a real PostgreSQL server instead of H2: the Flyway migration, experiments,
 * runs, journal and report assets, and db-scheduler firing each schedule once with two agents on
 * one database while runs of one experiment never overlap. Skips (with the reason) only when no
 * PostgreSQL server binaries are installed.
 */
class PostgresChaosIT {
  static final String EXPERIMENT = """
      title: "checkout survives a slow inventory — Zürich ✓"
      description: |
        two lines,
        'quoted' and "double quoted"
      schedule: {cron: "0 0 10 * * MON-FRI", timeZone: Europe/Berlin}
      targets: [{service: inventory}]
      steadyState:
        - {type: promql, name: gateway errors, query: gateway_error_ratio, tolerance: {max: 0.5}}
      method:
        - {name: slow-inventory, type: fake, target: inventory, duration: 10s, parameters: {latencyMs: 400}}
      haltWhen:
        - {type: promql, name: error storm, query: "gateway_error_ratio > 0.2"}
      recoveryDeadline: 5s
      """;

  static final AtomicInteger DATABASES = new AtomicInteger();
  static PostgresServer pg;

  @TempDir Path dir;
  Testbed bed;
  String url;

  @BeforeAll
  static void startPostgres() throws Exception {
    Optional<Path> bin = PostgresServer.findBinaries();
    assumeThat(bin)
        .as("PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or $FAULTLINE_PG_BIN;"
            + " install the Debian package postgresql (.ci/run does) to run the PostgreSQL tests")
        .isPresent();
    pg = PostgresServer.start(bin.get());
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    bed = new Testbed(dir);
    url = pg.createDatabase("chaos_" + DATABASES.incrementAndGet());
  }

  @AfterEach
  void tearDown() throws Exception {
    bed.close();
  }

  @Test
  void migrationCreatesTheSchemaWithPostgresTypesOnceForTwoAgents() throws Exception {
    try (ChaosAgent a = bed.agentOn(url, Testbed.settings("node-a"))) {
      assertThat(strings("select table_name from information_schema.tables where table_schema = 'public'"))
          .contains("chaos_experiment", "chaos_run", "chaos_journal", "chaos_fault", "chaos_annotation", "chaos_audit",
              "chaos_setting", "chaos_report_asset", "scheduled_tasks", "chaos_schema_history");
      // the ${text} and ${bytes} placeholders resolved to PostgreSQL's types, not H2's clob/blob
      assertThat(columnType("chaos_experiment", "source")).isEqualTo("text");
      assertThat(columnType("chaos_report_asset", "content")).isEqualTo("bytea");
      assertThat(columnType("scheduled_tasks", "task_data")).isEqualTo("bytea");
      assertThat(columnType("scheduled_tasks", "execution_time")).isEqualTo("timestamp with time zone");
      assertThat(strings("select version || ':' || success from chaos_schema_history where version is not null"))
          .containsExactly("1:true");
    }
    try (ChaosAgent b = bed.agentOn(url, Testbed.settings("node-b"))) {
      assertThat(strings("select count(*) from chaos_schema_history")).containsExactly("1");
    }
  }

  @Test
  void anUnreachableDatabaseIsReportedWithWhatToCheckAndNoPassword() {
    String bad = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/no_such_database?password=s3cret&connectTimeout=2";
    assertThatThrownBy(() -> bed.agentOn(bad, Testbed.settings("node-a")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot open the chaos database at")
        .hasMessageContaining("password=***")
        .hasMessageContaining("check that PostgreSQL runs, the database exists")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void experimentsRoundTripBetweenTwoAgents() throws Exception {
    try (ChaosAgent a = bed.agentOn(url, Testbed.settings("node-a"));
        ChaosAgent b = bed.agentOn(url, Testbed.settings("node-b"))) {
      String id = a.createExperiment(EXPERIMENT, "application/yaml", "olivia");

      ExperimentRecord rec = b.experiment(id).orElseThrow();
      assertThat(rec.source()).isEqualTo(EXPERIMENT);
      assertThat(rec.title()).isEqualTo("checkout survives a slow inventory — Zürich ✓");
      assertThat(rec.format()).isEqualTo("yaml");
      assertThat(rec.revision()).isEqualTo(1);
      assertThat(rec.createdBy()).isEqualTo("olivia");
      assertThat(rec.createdAt()).isEqualTo(Testbed.T0);
      var json = b.experimentJson(rec);
      assertThat(json.path("description").asText()).isEqualTo("two lines,\n'quoted' and \"double quoted\"\n");
      assertThat(json.path("steadyState").get(0).path("query").asText()).isEqualTo("gateway_error_ratio");
      // 10:00 in Berlin on Friday 2026-11-20, read back from db-scheduler's table by the other agent
      assertThat(json.path("nextRun").asText()).isEqualTo("2026-11-20T09:00:00Z");

      String asJson = "{\"title\":\"renamed\",\"targets\":[\"inventory\"],\"steadyState\":[],"
          + "\"method\":[{\"name\":\"slow\",\"type\":\"fake\",\"target\":\"inventory\",\"duration\":\"1m\"}]}";
      bed.advance(Duration.ofMinutes(1));
      a.updateExperiment(id, asJson, "application/json", "oscar");
      ExperimentRecord updated = b.experiment(id).orElseThrow();
      assertThat(updated.revision()).isEqualTo(2);
      assertThat(updated.format()).isEqualTo("json");
      assertThat(updated.source()).isEqualTo(asJson);
      assertThat(updated.updatedBy()).isEqualTo("oscar");
      assertThat(updated.updatedAt()).isEqualTo(Testbed.T0.plus(Duration.ofMinutes(1)));
      // the new version has no schedule, so db-scheduler's row is gone
      assertThat(b.experimentJson(updated).path("nextRun").isNull()).isTrue();
      assertThat(b.experiments()).extracting(ExperimentRecord::id).containsExactly(id);

      b.deleteExperiment(id, "oscar");
      assertThat(a.experiment(id)).isEmpty();
      assertThat(a.audit(10)).extracting(AuditEntry::action)
          .containsExactly("experiment.delete", "experiment.update", "experiment.create");
    }
  }

  @Test
  void aRunKeepsItsJournalAnnotationsAndReportInPostgres() throws Exception {
    try (ChaosAgent a = bed.agentOn(url, Testbed.settings("node-a"))) {
      bed.gauge("gateway_error_ratio", 0.01);
      String id = a.createExperiment(EXPERIMENT, "application/yaml", "olivia");
      String runId = a.startRun(id, "olivia");
      a.tick();
      assertThat(bed.injector.active).containsKey(runId + "/slow-inventory");
      assertThat(strings("select fault_name from chaos_fault where reverted_at is null")).containsExactly("slow-inventory");
      bed.advance(Duration.ofSeconds(11));
      a.tick();
      a.tick();

      RunRecord run = a.run(runId).orElseThrow();
      assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
      assertThat(bed.injector.active).isEmpty();
      assertThat(a.journal(runId)).extracting(JournalEntry::event).containsSubsequence(
          "run.started", "hypothesis.before", "fault.injected", "fault.reverted", "faults.ended", "fault.effect", "run.finished");
      assertThat(a.annotations(Testbed.T0, Testbed.T0.plusSeconds(60)))
          .hasSizeGreaterThanOrEqualTo(2)
          .allSatisfy(an -> assertThat(an.id()).isPositive())
          .extracting(Annotation::id).doesNotHaveDuplicates();
      assertThat(a.report(runId)).contains("<html").contains("data:image/png;base64,");
      byte[] png = a.reportAsset(runId, "probe-0.png").orElseThrow();
      assertThat(png).startsWith(0x89, 'P', 'N', 'G');
      assertThat(strings("select octet_length(content) from chaos_report_asset where run_id = '" + runId + "' and name = 'probe-0.png'"))
          .containsExactly(String.valueOf(png.length));
    }
  }

  /** One fire seen by a handler. */
  record Fire(String node, String experiment, Instant at) {}

  @Test
  void twoPollingSchedulersOnOneDatabaseFireEachExecutionOnce() throws Exception {
    List<Fire> fires = new CopyOnWriteArrayList<>();
    try (ChaosDatabase d1 = ChaosDatabase.open(url, "postgres", "");
        ChaosDatabase d2 = ChaosDatabase.open(url, "postgres", "")) {
      assertThat(d1.postgres()).isTrue();
      ExperimentScheduler s1 = ExperimentScheduler.create(d1.dataSource(), Clock.systemUTC(), "node-a", Duration.ofMillis(50),
          (e, t) -> fires.add(new Fire("node-a", e, t)));
      ExperimentScheduler s2 = ExperimentScheduler.create(d2.dataSource(), Clock.systemUTC(), "node-b", Duration.ofMillis(50),
          (e, t) -> fires.add(new Fire("node-b", e, t)));
      for (String e : List.of("exp-1", "exp-2", "exp-3")) {
        s1.schedule(e, "* * * * * *", ZoneOffset.UTC);
      }
      s1.start();
      s2.start();
      try {
        await().atMost(Duration.ofSeconds(30)).until(() ->
            fires.stream().collect(Collectors.groupingBy(Fire::experiment, Collectors.mapping(Fire::at, Collectors.toSet())))
                .values().stream().filter(times -> times.size() >= 4).count() == 3);
      } finally {
        s1.stop();
        s2.stop();
      }
    }
    Map<String, Long> perExecution = fires.stream()
        .collect(Collectors.groupingBy(f -> f.experiment() + "@" + f.at(), Collectors.counting()));
    assertThat(perExecution).as("fires: %s", fires).allSatisfy((execution, count) -> assertThat(count).isEqualTo(1));
  }

  @Test
  void twoAgentsFireAScheduleOnceAndNeverOverlapItsRuns() throws Exception {
    String experiment = """
        title: fires every second, runs for longer
        schedule: {cron: "* * * * * *", timeZone: UTC}
        targets: [inventory]
        steadyState: []
        method:
          - {name: slow, type: fake, target: inventory, duration: 2500ms}
        recoveryDeadline: 1s
        """;
    try (LuceneMetricStore live = LuceneMetricStore.builder(dir.resolve("metrics-live")).build();
        ChaosAgent a = liveAgent(live, "node-a");
        ChaosAgent b = liveAgent(live, "node-b")) {
      String id = a.createExperiment(experiment, "application/yaml", "olivia");
      await().atMost(Duration.ofSeconds(40)).until(() ->
          a.runs(id, RunStatus.COMPLETED, 100).size() >= 2 && a.runs(id, RunStatus.SKIPPED, 100).size() >= 2);
      a.deleteExperiment(id, "olivia");

      List<RunRecord> runs = b.runs(id, null, 1000);
      assertThat(runs).allSatisfy(r -> {
        assertThat(r.trigger()).isEqualTo("schedule");
        assertThat(r.scheduledFor()).isNotNull();
      });
      assertThat(strings("select scheduled_for || ' x' || count(*) from chaos_run where experiment_id = '" + id
          + "' group by scheduled_for having count(*) > 1")).as("fire times started twice").isEmpty();
      assertThat(runs).filteredOn(r -> r.status() == RunStatus.SKIPPED)
          .allSatisfy(r -> assertThat(r.reason()).contains("never overlap"));
      List<RunRecord> ran = new ArrayList<>(runs.stream().filter(r -> r.startedAt() != null).toList());
      ran.sort((x, y) -> x.startedAt().compareTo(y.startedAt()));
      for (int i = 1; i < ran.size(); i++) {
        assertThat(ran.get(i).startedAt()).as("run %s starts after run %s ended", ran.get(i).id(), ran.get(i - 1).id())
            .isAfterOrEqualTo(ran.get(i - 1).endedAt());
      }
      assertThat(bed.injector.maxConcurrent.get()).as("faults of the experiment active at once").isEqualTo(1);
    }
  }

  private ChaosAgent liveAgent(LuceneMetricStore metrics, String node) {
    ChaosSettings fast = new ChaosSettings(3, 1.0, Duration.ofMinutes(5), Duration.ofMillis(100), Duration.ofMillis(200),
        Duration.ofSeconds(1), Duration.ofSeconds(30), node);
    ChaosAgent agent = ChaosAgent.builder().jdbc(url, "postgres", "").injectors(Map.of(FakeInjector.TYPE, bed.injector))
        .metrics(metrics.queries()).sink(bed.sink).registry(new PrometheusRegistry()).settings(fast)
        .schedulerPollingInterval(Duration.ofMillis(100)).build();
    agent.start();
    return agent;
  }

  private String columnType(String table, String column) throws SQLException {
    return query("select data_type from information_schema.columns where table_name = ? and column_name = ?",
        r -> r.getString(1), table, column).get(0);
  }

  private List<String> strings(String sql) throws SQLException {
    return query(sql, r -> r.getString(1));
  }

  private interface Row<T> {
    T map(ResultSet r) throws SQLException;
  }

  private <T> List<T> query(String sql, Row<T> row, Object... args) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, "postgres", "");
        PreparedStatement p = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        p.setObject(i + 1, args[i]);
      }
      List<T> out = new ArrayList<>();
      try (ResultSet r = p.executeQuery()) {
        while (r.next()) {
          out.add(row.map(r));
        }
      }
      return out;
    }
  }
}
