/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import java.io.Closeable;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcConnectionPool;
import org.postgresql.ds.PGConnectionPoolDataSource;

/**
 * The chaos agent's relational state: an H2 file database in the data directory by default, or
 * PostgreSQL (shared by several servers) when a {@code jdbc:postgresql:} URL is configured. The
 * schema is migrated with Flyway on open.
 */
final class ChaosDatabase implements Closeable {
  static final int MAX_CONNECTIONS = 16;

  private final JdbcConnectionPool pool;
  private final boolean postgres;
  private final String url;

  private ChaosDatabase(JdbcConnectionPool pool, boolean postgres, String url) {
    this.pool = pool;
    this.postgres = postgres;
    this.url = url;
  }

  /** The default H2 URL for a data directory: {@code <dataDir>/chaos/chaos.mv.db}. */
  static String h2Url(Path dataDir) {
    return "jdbc:h2:file:" + dataDir.resolve("chaos").resolve("chaos").toAbsolutePath()
        + ";DB_CLOSE_ON_EXIT=FALSE";
  }

  /** Opens (creating if needed) and migrates the database. */
  static ChaosDatabase open(String url, String user, String password) {
    boolean postgres = url.startsWith("jdbc:postgresql:");
    JdbcConnectionPool pool;
    if (postgres) {
      PGConnectionPoolDataSource pg = new PGConnectionPoolDataSource();
      pg.setURL(url);
      if (user != null) {
        pg.setUser(user);
      }
      if (password != null) {
        pg.setPassword(password);
      }
      pool = JdbcConnectionPool.create(pg);
    } else if (url.startsWith("jdbc:h2:")) {
      pool = JdbcConnectionPool.create(url, user == null ? "sa" : user, password == null ? "" : password);
    } else {
      throw new IllegalArgumentException(
          "chaos database URL must start with jdbc:h2: or jdbc:postgresql:, got " + url);
    }
    pool.setMaxConnections(MAX_CONNECTIONS);
    try (var c = pool.getConnection()) {
      c.isValid(5);
    } catch (SQLException e) {
      pool.dispose();
      throw new IllegalStateException(
          "cannot open the chaos database at " + redact(url) + ": " + e.getMessage()
              + (postgres ? " (check that PostgreSQL runs, the database exists and the credentials are right)"
                  : " (check that the data directory is writable and no other process holds the file)"),
          e);
    }
    Flyway.configure()
        .dataSource(pool)
        .locations("classpath:io/faultline/chaos/db/migration")
        .table("chaos_schema_history")
        .placeholders(
            postgres ? Map.of("text", "text", "bytes", "bytea") : Map.of("text", "clob", "bytes", "blob"))
        .load()
        .migrate();
    return new ChaosDatabase(pool, postgres, url);
  }

  DataSource dataSource() {
    return pool;
  }

  boolean postgres() {
    return postgres;
  }

  String describe() {
    return redact(url);
  }

  private static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
  }

  @Override
  public void close() {
    pool.dispose();
  }
}
