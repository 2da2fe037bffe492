/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.core.Configuration;
import io.faultline.alert.AlertingConfig;
import io.faultline.core.ingest.IngestPipeline;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.jetty.ConnectorFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import io.dropwizard.util.DataSize;
import io.dropwizard.util.Duration;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.util.List;

/**
 * Every setting of the platform, with defaults that work on a laptop. A {@code config.yml}
 * overrides them, {@code FAULTLINE_*} environment variables override that (see {@link
 * EnvironmentOverrides}), and {@code --data-dir} overrides {@link #dataDir}.
 */
public final class FaultlineConfiguration extends Configuration {
  /** Where the stores, the write-ahead log and the tokens live. */
  @NotNull private String dataDir = "./data";

  @Valid @NotNull private Auth auth = new Auth();
  @Valid @NotNull private Tls tls = new Tls();
  @Valid @NotNull private Otlp otlp = new Otlp();
  @Valid @NotNull private Ingest ingest = new Ingest();
  @Valid @NotNull private Traces traces = new Traces();
  @Valid @NotNull private Logs logs = new Logs();
  @Valid @NotNull private Logstash logstash = new Logstash();
  @Valid @NotNull private Metrics metrics = new Metrics();
  @Valid @NotNull private List<ScrapeJob> scrape = List.of();
  @Valid @NotNull private Chaos chaos = new Chaos();
  @NotNull private AlertingConfig alerting = new AlertingConfig();

  public FaultlineConfiguration() {
    DefaultServerFactory server = new DefaultServerFactory();
    server.setApplicationConnectors(List.of(loopback(8080)));
    server.setAdminConnectors(List.of(loopback(8081)));
    setServerFactory(server);
  }

  private static ConnectorFactory loopback(int port) {
    HttpConnectorFactory http = new HttpConnectorFactory();
    http.setBindHost("127.0.0.1");
    http.setPort(port);
    return http;
  }

  @JsonProperty
  public String getDataDir() {
    return dataDir;
  }

  @JsonProperty
  public void setDataDir(String dataDir) {
    this.dataDir = dataDir;
  }

  @JsonProperty
  public Auth getAuth() {
    return auth;
  }

  @JsonProperty
  public void setAuth(Auth auth) {
    this.auth = auth;
  }

  @JsonProperty
  public Tls getTls() {
    return tls;
  }

  @JsonProperty
  public void setTls(Tls tls) {
    this.tls = tls;
  }

  @JsonProperty
  public Otlp getOtlp() {
    return otlp;
  }

  @JsonProperty
  public void setOtlp(Otlp otlp) {
    this.otlp = otlp;
  }

  @JsonProperty
  public Ingest getIngest() {
    return ingest;
  }

  @JsonProperty
  public void setIngest(Ingest ingest) {
    this.ingest = ingest;
  }

  @JsonProperty
  public Traces getTraces() {
    return traces;
  }

  @JsonProperty
  public void setTraces(Traces traces) {
    this.traces = traces;
  }

  @JsonProperty
  public Logs getLogs() {
    return logs;
  }

  @JsonProperty
  public void setLogs(Logs logs) {
    this.logs = logs;
  }

  @JsonProperty
  public Logstash getLogstash() {
    return logstash;
  }

  @JsonProperty
  public void setLogstash(Logstash logstash) {
    this.logstash = logstash;
  }

  @JsonProperty
  public Metrics getMetrics() {
    return metrics;
  }

  @JsonProperty
  public void setMetrics(Metrics metrics) {
    this.metrics = metrics;
  }

  @JsonProperty
  public List<ScrapeJob> getScrape() {
    return scrape;
  }

  @JsonProperty
  public void setScrape(List<ScrapeJob> scrape) {
    this.scrape = scrape;
  }

  @JsonProperty
  public Chaos getChaos() {
    return chaos;
  }

  @JsonProperty
  public void setChaos(Chaos chaos) {
    this.chaos = chaos;
  }

  /** Prometheus-format rule files, SLOs and webhook receivers; see the alerting module. */
  @JsonProperty
  public AlertingConfig getAlerting() {
    return alerting;
  }

  @JsonProperty
  public void setAlerting(AlertingConfig alerting) {
    this.alerting = alerting;
  }

  /** Bearer-token authentication of the query, dashboard and chaos APIs. */
  public static final class Auth {
    @JsonProperty public boolean enabled = true;

    /** Sets the admin token instead of generating one at first start. */
    @JsonProperty public String adminToken;

    /**
     * Ingest tokens by tenant name ({@code team-a: <token>}). Once any token has the ingest role
     * (from here or the tokens API), OTLP and remote write requests need an ingest or query token.
     */
    @NotNull @JsonProperty public java.util.Map<String, String> ingestTokens = java.util.Map.of();
  }

  /**
   * TLS on every listener: OTLP/gRPC, OTLP/HTTP, the Logstash input, the query API and the admin
   * port. When enabled each of them serves TLS only, with the one certificate and private key of
   * the key store; checked at start (see {@link ServerTls}).
   */
  public static final class Tls {
    @JsonProperty public boolean enabled = false;

    /** A PKCS12 (or JKS) file holding the server's private key and certificate chain. */
    @JsonProperty public String keyStorePath;

    /** The key store's password, also the key's. */
    @JsonProperty public String keyStorePassword;

    @NotNull @JsonProperty public String keyStoreType = "PKCS12";
  }

  /** The OTLP receivers. Port 0 picks a free port. */
  public static final class Otlp {
    @NotNull @JsonProperty public String bindHost = "127.0.0.1";

    @Min(0) @Max(65535) @JsonProperty public int grpcPort = 4317;

    @Min(0) @Max(65535) @JsonProperty public int httpPort = 4318;
  }

  /** The path from receivers to stores. */
  public static final class Ingest {
    /** Bytes of accepted batches not yet indexed; past this receivers answer 429. */
    @NotNull @JsonProperty
    public DataSize maxInFlight = DataSize.bytes(IngestPipeline.DEFAULT_MAX_IN_FLIGHT_BYTES);

    /** How often stores commit (and the write-ahead log drops what every store has committed). */
    @NotNull @JsonProperty public Duration commitInterval = Duration.seconds(10);

    @NotNull @JsonProperty public DataSize maxRequestSize = DataSize.mebibytes(16);

    @NotNull @JsonProperty public DataSize maxDecompressedSize = DataSize.mebibytes(64);

    @Min(1) @JsonProperty public int maxSpansPerRequest = 100_000;

    @Min(1) @JsonProperty public int maxAttributesPerItem = 128;

    @Min(16) @JsonProperty public int maxAttributeValueLength = 65_536;
  }

  /** The trace store. */
  public static final class Traces {
    @NotNull @JsonProperty public Duration partition = Duration.days(1);

    @NotNull @JsonProperty public Duration retention = Duration.days(7);
  }

  /** The log store. */
  public static final class Logs {
    @NotNull @JsonProperty public Duration partition = Duration.days(1);

    @NotNull @JsonProperty public Duration retention = Duration.days(7);
  }

  /**
   * The Logstash-style TCP input: newline-delimited JSON events as logstash-logback-encoder's TCP
   * appender writes them. Port 0 picks a free port; -1 turns the input off.
   */
  public static final class Logstash {
    @NotNull @JsonProperty public String bindHost = "127.0.0.1";

    @Min(-1) @Max(65535) @JsonProperty public int port = 5044;

    /** The service of events that name none (no {@code service} or {@code service.name} field). */
    @NotNull @JsonProperty public String defaultService = "unknown_service";
  }

  /** The metric store, PromQL limits, and the metrics derived from spans. */
  public static final class Metrics {
    @NotNull @JsonProperty public Duration partition = Duration.days(1);

    @NotNull @JsonProperty public Duration retention = Duration.days(15);

    /** Series that may be active at once; samples of new series beyond it are rejected. */
    @Min(1) @JsonProperty public int maxActiveSeries = 1_000_000;

    /**
     * How far behind the newest sample of a series a sample may still arrive. Unset: the
     * retention, so that every sample acknowledged (remote write and OTLP refuse samples older
     * than the retention before acknowledging) is stored. A shorter window drops older
     * out-of-order samples after their acknowledgement, counted in {@code
     * faultline_metric_samples_rejected_total{reason="out_of_order"}}.
     */
    @JsonProperty public Duration outOfOrderWindow;

    @Min(1) @JsonProperty public int maxQuerySamples = 50_000_000;

    @NotNull @JsonProperty public Duration queryTimeout = Duration.minutes(2);

    /** Span metrics ({@code traces_spanmetrics_*}) and the service graph. */
    @JsonProperty public boolean deriveFromSpans = true;

    /** How often the derived series are written (Tempo's generator: 15 s). */
    @NotNull @JsonProperty public Duration derivedEmitInterval = Duration.seconds(15);
  }

  /** One Prometheus scrape job with static targets ({@code host:port}). */
  public static final class ScrapeJob {
    @NotNull @JsonProperty public String job;

    @NotNull @JsonProperty public List<String> targets = List.of();

    @NotNull @JsonProperty public String scheme = "http";

    @NotNull @JsonProperty public String metricsPath = "/metrics";

    @NotNull @JsonProperty public Duration interval = Duration.seconds(15);

    @NotNull @JsonProperty public Duration timeout = Duration.seconds(10);

    @NotNull @JsonProperty public java.util.Map<String, String> labels = java.util.Map.of();

    /** Sent as {@code Authorization: Bearer <token>} with every scrape (Prometheus' authorization). */
    @JsonProperty public String bearerToken;

    /** Prometheus' basic_auth: {@code {username: ..., password: ...}}. */
    @JsonProperty public BasicAuth basicAuth;

    /** For https targets: the CA certificates to trust, or no check at all. */
    @NotNull @JsonProperty public ScrapeTls tls = new ScrapeTls();
  }

  /** A scrape job's basic auth. */
  public static final class BasicAuth {
    @NotNull @JsonProperty public String username;

    @JsonProperty public String password = "";
  }

  /** A scrape job's TLS trust (Prometheus' tls_config). */
  public static final class ScrapeTls {
    /** PEM file of the CA certificates that sign the targets' certificates. */
    @JsonProperty public String caFile;

    /** Accept any certificate and host name; for testing only. */
    @JsonProperty public boolean insecureSkipVerify;
  }

  /**
   * The chaos agent. Its state (experiments, runs, journal) lives in an embedded H2 database in
   * the data directory unless {@link #jdbcUrl} names a shared PostgreSQL database.
   */
  public static final class Chaos {
    @JsonProperty public String jdbcUrl;

    @JsonProperty public String user;

    @JsonProperty public String password;

    /** How many targets one run may touch. */
    @Min(1) @JsonProperty public int maxTargetsPerRun = 3;

    /** Share of entry traffic a run may put at risk (0..1); 1 turns the check off. */
    @JsonProperty public double maxBlastRadius = 1.0;

    /**
     * Stable across restarts, so a restarted agent recovers its own runs at once; the host name by
     * default. Servers that share one PostgreSQL database need distinct names: an agent takes the
     * active runs of its own name that it does not hold as left by a crash, and rolls them back.
     */
    @JsonProperty public String nodeName;

    /** Basic-auth credentials for Chaos Monkey for Spring Boot's actuator endpoints. */
    @JsonProperty public String monkeyUser;

    @JsonProperty public String monkeyPassword;
  }
}
