/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * SQL over the chaos tables (see {@code V1__chaos_state.sql}). Every method is one short
 * transaction in autocommit mode; cross-server exclusion relies on single-row compare-and-set
 * updates and unique keys, which both H2 and PostgreSQL make atomic.
 */
final class ChaosStore {
  private final DataSource ds;

  ChaosStore(DataSource ds) {
    this.ds = ds;
  }

  /** A fault row: enough of the FaultSpec to rebuild it after a crash. */
  record FaultRow(
      String runId,
      String faultName,
      String experimentId,
      String type,
      String target,
      String parametersJson,
      long durationMs,
      Instant injectedAt,
      Instant leaseUntil,
      Instant revertedAt,
      String revertError) {}

  // experiments

  void insertExperiment(ExperimentRecord e) {
    update(
        "insert into chaos_experiment (id, title, source, source_format, created_at, created_by,"
            + " updated_at, updated_by, revision, active_run_id) values (?,?,?,?,?,?,?,?,?,null)",
        e.id(), e.title(), e.source(), e.format(), e.createdAt(), e.createdBy(), e.updatedAt(),
        e.updatedBy(), e.revision());
  }

  boolean updateExperiment(String id, String title, String source, String format, Instant at, String by) {
    return update(
            "update chaos_experiment set title=?, source=?, source_format=?, updated_at=?, updated_by=?,"
                + " revision=revision+1 where id=?",
            title, source, format, at, by, id)
        == 1;
  }

  boolean deleteExperiment(String id) {
    return update("delete from chaos_experiment where id=?", id) == 1;
  }

  Optional<ExperimentRecord> experiment(String id) {
    return query("select * from chaos_experiment where id=?", ChaosStore::experimentRow, id).stream().findFirst();
  }

  List<ExperimentRecord> experiments() {
    return query("select * from chaos_experiment order by created_at, id", ChaosStore::experimentRow);
  }

  /** Takes the experiment for a run unless another run holds it. */
  boolean lockExperiment(String experimentId, String runId) {
    return update(
            "update chaos_experiment set active_run_id=? where id=? and active_run_id is null",
            runId, experimentId)
        == 1;
  }

  void unlockExperiment(String experimentId, String runId) {
    update("update chaos_experiment set active_run_id=null where id=? and active_run_id=?", experimentId, runId);
  }

  private static ExperimentRecord experimentRow(ResultSet r) throws SQLException {
    return new ExperimentRecord(
        r.getString("id"), r.getString("title"), r.getString("source"), r.getString("source_format"),
        instant(r, "created_at"), r.getString("created_by"), instant(r, "updated_at"),
        r.getString("updated_by"), r.getInt("revision"), r.getString("active_run_id"));
  }

  // runs

  /** Inserts a run; false when a scheduled run for the same fire time already exists. */
  boolean insertRun(RunRecord run) {
    try {
      update(
          "insert into chaos_run (id, experiment_id, experiment_title, experiment_json, status, reason,"
              + " verdict, trigger_kind, scheduled_for, requested_by, created_at, started_at, owner,"
              + " heartbeat_at, ended_at) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
          run.id(), run.experimentId(), run.title(), run.experimentJson(), run.status().name(),
          run.reason(), run.verdict(), run.trigger(), run.scheduledFor(), run.requestedBy(),
          run.createdAt(), run.startedAt(), run.owner(), run.heartbeatAt(), run.endedAt());
      return true;
    } catch (DuplicateKeyException e) {
      return false;
    }
  }

  void runStarted(String runId, Instant at) {
    update("update chaos_run set status='RUNNING', started_at=?, heartbeat_at=? where id=?", at, at, runId);
  }

  void faultWindow(String runId, Instant start, Instant end) {
    update("update chaos_run set fault_start=?, fault_end=? where id=?", start, end, runId);
  }

  void heartbeat(String runId, String owner, Instant at) {
    update("update chaos_run set heartbeat_at=?, owner=? where id=?", at, owner, runId);
  }

  void finishRun(String runId, RunStatus status, String reason, String verdict, String resultsJson, Instant at) {
    update(
        "update chaos_run set status=?, reason=?, verdict=?, results_json=?, ended_at=? where id=?",
        status.name(), reason, verdict, resultsJson, at, runId);
  }

  void saveResults(String runId, String resultsJson) {
    update("update chaos_run set results_json=? where id=?", resultsJson, runId);
  }

  /** Asks the node running it to abort; false if the run is unknown or already over. */
  boolean requestAbort(String runId, String reason) {
    return update(
            "update chaos_run set abort_reason=? where id=? and status in ('PENDING','RUNNING') and abort_reason is null",
            reason, runId)
        == 1;
  }

  Optional<String> abortRequest(String runId) {
    return query("select abort_reason from chaos_run where id=?", r -> r.getString(1), runId).stream()
        .filter(java.util.Objects::nonNull)
        .findFirst();
  }

  Optional<RunRecord> run(String id) {
    return query("select * from chaos_run where id=?", ChaosStore::runRow, id).stream().findFirst();
  }

  List<RunRecord> runs(String experimentId, RunStatus status, int limit) {
    StringBuilder sql = new StringBuilder("select * from chaos_run where 1=1");
    List<Object> args = new ArrayList<>();
    if (experimentId != null) {
      sql.append(" and experiment_id=?");
      args.add(experimentId);
    }
    if (status != null) {
      sql.append(" and status=?");
      args.add(status.name());
    }
    sql.append(" order by created_at desc, id desc limit ").append(limit);
    return query(sql.toString(), ChaosStore::runRow, args.toArray());
  }

  /** Runs not final whose owner stopped renewing their heartbeat before {@code staleBefore}. */
  List<RunRecord> staleRuns(Instant staleBefore) {
    return query(
        "select * from chaos_run where status in ('PENDING','RUNNING') and (heartbeat_at is null or heartbeat_at < ?)",
        ChaosStore::runRow, staleBefore);
  }

  List<RunRecord> activeRuns() {
    return query("select * from chaos_run where status in ('PENDING','RUNNING')", ChaosStore::runRow);
  }

  private static RunRecord runRow(ResultSet r) throws SQLException {
    return new RunRecord(
        r.getString("id"), r.getString("experiment_id"), r.getString("experiment_title"),
        r.getString("experiment_json"), RunStatus.valueOf(r.getString("status")), r.getString("reason"),
        r.getString("verdict"), r.getString("trigger_kind"), instant(r, "scheduled_for"),
        r.getString("requested_by"), instant(r, "created_at"), instant(r, "started_at"),
        instant(r, "fault_start"), instant(r, "fault_end"), instant(r, "ended_at"), r.getString("owner"),
        instant(r, "heartbeat_at"), r.getString("abort_reason"), r.getString("results_json"));
  }

  // journal

  void journal(String runId, Instant at, String level, String event, String message) {
    update("insert into chaos_journal (run_id, at, level, event, message) values (?,?,?,?,?)",
        runId, at, level, event, message);
  }

  List<JournalEntry> journal(String runId) {
    return query(
        "select at, level, event, message from chaos_journal where run_id=? order by id",
        r -> new JournalEntry(instant(r, "at"), r.getString("level"), r.getString("event"), r.getString("message")),
        runId);
  }

  // faults

  void insertFault(FaultRow f) {
    update(
        "insert into chaos_fault (run_id, fault_name, experiment_id, fault_type, target, parameters_json,"
            + " duration_ms, injected_at, lease_until) values (?,?,?,?,?,?,?,?,?)",
        f.runId(), f.faultName(), f.experimentId(), f.type(), f.target(), f.parametersJson(),
        f.durationMs(), f.injectedAt(), f.leaseUntil());
  }

  void leaseRenewed(String runId, String fault, Instant until) {
    update("update chaos_fault set lease_until=? where run_id=? and fault_name=?", until, runId, fault);
  }

  void faultReverted(String runId, String fault, Instant at, String error) {
    update(
        "update chaos_fault set reverted_at=?, revert_error=? where run_id=? and fault_name=?",
        at, error, runId, fault);
  }

  List<FaultRow> faults(String runId) {
    return query("select * from chaos_fault where run_id=? order by injected_at, fault_name", ChaosStore::faultRow, runId);
  }

  List<FaultRow> openFaults() {
    return query("select * from chaos_fault where reverted_at is null order by injected_at", ChaosStore::faultRow);
  }

  private static FaultRow faultRow(ResultSet r) throws SQLException {
    return new FaultRow(
        r.getString("run_id"), r.getString("fault_name"), r.getString("experiment_id"),
        r.getString("fault_type"), r.getString("target"), r.getString("parameters_json"),
        r.getLong("duration_ms"), instant(r, "injected_at"), instant(r, "lease_until"),
        instant(r, "reverted_at"), r.getString("revert_error"));
  }

  // annotations

  long annotate(Instant start, String runId, String experimentId, String fault, String target, String title, String text) {
    try (Connection c = ds.getConnection();
        PreparedStatement p =
            c.prepareStatement(
                "insert into chaos_annotation (start_at, run_id, experiment_id, fault_name, target, title, body)"
                    + " values (?,?,?,?,?,?,?)",
                new String[] {"id"})) {
      bind(p, start, runId, experimentId, fault, target, title, text);
      p.executeUpdate();
      try (ResultSet keys = p.getGeneratedKeys()) {
        keys.next();
        return keys.getLong(1);
      }
    } catch (SQLException e) {
      throw failure(e);
    }
  }

  void endAnnotation(long id, Instant end) {
    update("update chaos_annotation set end_at=? where id=? and end_at is null", end, id);
  }

  void endOpenAnnotations(String runId, Instant end) {
    update("update chaos_annotation set end_at=? where run_id=? and end_at is null", end, runId);
  }

  List<Annotation> annotations(Instant start, Instant end) {
    return query(
        "select * from chaos_annotation where start_at <= ? and (end_at is null or end_at >= ?)"
            + " order by start_at, id limit 10000",
        r -> new Annotation(r.getLong("id"), instant(r, "start_at"), instant(r, "end_at"),
            r.getString("experiment_id"), r.getString("run_id"), r.getString("fault_name"),
            r.getString("target"), r.getString("title"), r.getString("body")),
        end, start);
  }

  // audit

  void audit(Instant at, String principal, String action, String subject, String detail) {
    update("insert into chaos_audit (at, principal, action, subject, detail) values (?,?,?,?,?)",
        at, principal, action, subject, detail);
  }

  List<AuditEntry> audit(int limit) {
    return query("select * from chaos_audit order by id desc limit " + limit,
        r -> new AuditEntry(r.getLong("id"), instant(r, "at"), r.getString("principal"),
            r.getString("action"), r.getString("subject"), r.getString("detail")));
  }

  // settings

  Optional<String> setting(String name) {
    return query("select setting_value from chaos_setting where name=?", r -> r.getString(1), name).stream().findFirst();
  }

  void putSetting(String name, String value, Instant at, String by) {
    if (update("update chaos_setting set setting_value=?, updated_at=?, updated_by=? where name=?", value, at, by, name) == 0) {
      try {
        update("insert into chaos_setting (name, setting_value, updated_at, updated_by) values (?,?,?,?)", name, value, at, by);
      } catch (DuplicateKeyException e) {
        update("update chaos_setting set setting_value=?, updated_at=?, updated_by=? where name=?", value, at, by, name);
      }
    }
  }

  // report assets

  void putAsset(String runId, String name, String contentType, byte[] content) {
    update("delete from chaos_report_asset where run_id=? and name=?", runId, name);
    update("insert into chaos_report_asset (run_id, name, content_type, content) values (?,?,?,?)",
        runId, name, contentType, content);
  }

  Optional<byte[]> asset(String runId, String name) {
    return query("select content from chaos_report_asset where run_id=? and name=?", r -> r.getBytes(1), runId, name)
        .stream().findFirst();
  }

  // plumbing

  interface RowMapper<T> {
    T map(ResultSet r) throws SQLException;
  }

  /** A unique key was violated. */
  static final class DuplicateKeyException extends RuntimeException {
    DuplicateKeyException(SQLException cause) {
      super(cause.getMessage(), cause);
    }
  }

  int update(String sql, Object... args) {
    try (Connection c = ds.getConnection();
        PreparedStatement p = c.prepareStatement(sql)) {
      bind(p, args);
      return p.executeUpdate();
    } catch (SQLException e) {
      throw failure(e);
    }
  }

  <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) {
    try (Connection c = ds.getConnection();
        PreparedStatement p = c.prepareStatement(sql)) {
      bind(p, args);
      try (ResultSet r = p.executeQuery()) {
        List<T> out = new ArrayList<>();
        while (r.next()) {
          out.add(mapper.map(r));
        }
        return out;
      }
    } catch (SQLException e) {
      throw failure(e);
    }
  }

  private static RuntimeException failure(SQLException e) {
    // 23505: unique violation in both H2 and PostgreSQL
    if ("23505".equals(e.getSQLState())) {
      return new DuplicateKeyException(e);
    }
    return new IllegalStateException("chaos database error: " + e.getMessage()
        + " (check that the database is reachable and not full)", e);
  }

  private static void bind(PreparedStatement p, Object... args) throws SQLException {
    for (int i = 0; i < args.length; i++) {
      Object a = args[i];
      if (a == null) {
        p.setNull(i + 1, Types.NULL);
      } else if (a instanceof Instant t) {
        p.setLong(i + 1, t.toEpochMilli());
      } else if (a instanceof byte[] b) {
        p.setBytes(i + 1, b);
      } else {
        p.setObject(i + 1, a);
      }
    }
  }

  private static Instant instant(ResultSet r, String column) throws SQLException {
    long v = r.getLong(column);
    return r.wasNull() ? null : Instant.ofEpochMilli(v);
  }
}
