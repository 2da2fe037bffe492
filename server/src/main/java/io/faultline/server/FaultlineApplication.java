/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import com.codahale.metrics.health.HealthCheck;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.dropwizard.core.Application;
import io.dropwizard.core.cli.CheckCommand;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.lifecycle.Managed;
import io.faultline.alert.Alerting;
import io.faultline.chaos.ChaosAgent;
import io.faultline.chaos.ChaosSettings;
import io.faultline.chaos.fault.FaultInjector;
import io.faultline.chaos.fault.InjectorRegistry;
import io.faultline.collector.logstash.LogstashTcpReceiver;
import io.faultline.collector.loki.LokiPushLimits;
import io.faultline.collector.otlp.IngestLimits;
import io.faultline.collector.otlp.OtlpCollector;
import io.faultline.collector.otlp.grpc.OtlpGrpcReceiver;
import io.faultline.collector.otlp.http.OtlpHttpReceiver;
import io.faultline.collector.prometheus.RemoteWriteLimits;
import io.faultline.collector.prometheus.ScrapeAccess;
import io.faultline.collector.prometheus.ScrapeManager;
import io.faultline.collector.prometheus.ScrapeTarget;
import io.faultline.core.alert.AlertStatus;
import io.faultline.core.auth.IngestAuthenticator;
import io.faultline.core.auth.TenantMetrics;
import io.faultline.core.health.Health;
import io.faultline.core.ingest.BatchIndexer;
import io.faultline.core.ingest.IngestPipeline;
import io.faultline.log.LuceneLogStore;
import io.faultline.metric.LuceneMetricStore;
import io.faultline.server.bench.BenchCommand;
import io.faultline.server.demo.DemoCommand;
import io.faultline.trace.LuceneTraceStore;
import io.faultline.trace.derived.DerivedMetricsGenerator;
import io.faultline.web.alerts.AlertsResource;
import io.faultline.web.alerts.RulesResource;
import io.faultline.web.alerts.SloResource;
import io.faultline.web.auth.Role;
import io.faultline.web.auth.SessionStore;
import io.faultline.web.auth.TokenAuthFilter;
import io.faultline.web.auth.TokenStore;
import io.faultline.web.chaos.ChaosResource;
import io.faultline.web.dashboard.DashboardBundle;
import io.faultline.web.logs.LogsResource;
import io.faultline.web.loki.LokiPushResource;
import io.faultline.web.loki.LokiReadyResource;
import io.faultline.web.loki.LokiResource;
import io.faultline.web.loki.LokiTail;
import io.faultline.web.prometheus.PrometheusApiResource;
import io.faultline.web.prometheus.RemoteWriteResource;
import io.faultline.web.prometheus.TargetsResource;
import io.faultline.web.resources.AuthResource;
import io.faultline.web.resources.JaegerMetricsResource;
import io.faultline.web.resources.JaegerQueryResource;
import io.prometheus.metrics.exporter.servlet.jakarta.PrometheusMetricsServlet;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import javax.net.ssl.KeyManagerFactory;
import org.glassfish.jersey.server.filter.RolesAllowedDynamicFeature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: reads the configuration, opens the stores, starts the ingest pipeline and
 * the receivers as managed objects, and registers the query APIs, health checks and self-metrics.
 * Nothing else creates a store.
 */
public final class FaultlineApplication extends Application<FaultlineConfiguration> {
  private static final Logger LOG = LoggerFactory.getLogger(FaultlineApplication.class);

  private final PrometheusRegistry registry;
  private volatile OtlpGrpcReceiver grpc;
  private volatile OtlpHttpReceiver http;
  private volatile LogstashTcpReceiver logstash;
  private volatile ScrapeManager scrapes;
  /** The query API's auth filter; endpoints outside Jersey (Loki's tail WebSocket) ask it too. */
  private TokenAuthFilter authFilter;

  public FaultlineApplication() {
    this(new PrometheusRegistry());
  }

  FaultlineApplication(PrometheusRegistry registry) {
    this.registry = registry;
  }

  public static void main(String[] args) throws Exception {
    new FaultlineApplication().run(EnvironmentOverrides.apply(args, System.getenv()));
  }

  @Override
  public String getName() {
    return "faultline";
  }

  @Override
  protected void addDefaultCommands(Bootstrap<FaultlineConfiguration> bootstrap) {
    bootstrap.addCommand(new FaultlineServerCommand(this));
    bootstrap.addCommand(new CheckCommand<>(this));
  }

  @Override
  public void initialize(Bootstrap<FaultlineConfiguration> bootstrap) {
    bootstrap.setConfigurationSourceProvider(
        new DefaultsFirstSourceProvider(
            bootstrap.getConfigurationSourceProvider(),
            () -> bootstrap.getObjectMapper().valueToTree(new FaultlineConfiguration()),
            bootstrap.getObjectMapper()));
    bootstrap.addBundle(new DashboardBundle());
    bootstrap.addCommand(new BenchCommand());
    bootstrap.addCommand(new DemoCommand());
  }

  @Override
  public void run(FaultlineConfiguration config, Environment environment) throws Exception {
    Clock clock = Clock.systemUTC();
    // before anything binds or opens: a bad key store stops the start with a clear message
    KeyManagerFactory tls = null;
    Optional<ServerTls> serverTls = ServerTls.load(config.getTls());
    if (serverTls.isPresent()) {
      serverTls.get().secure(config.getServerFactory());
      tls = serverTls.get().keyManagers();
      LOG.info("TLS on every listener, with the key store {}", serverTls.get().keyStorePath());
    }
    EncodedPathSegments.allowInApiPaths(config.getServerFactory(), environment);
    Path dataDir = Path.of(config.getDataDir()).toAbsolutePath().normalize();
    Files.createDirectories(dataDir);
    LOG.info("data directory: {}", dataDir);

    JvmMetrics.builder().register(registry);

    LuceneTraceStore traces =
        LuceneTraceStore.builder(dataDir.resolve("traces"))
            .partitionLength(config.getTraces().partition.toJavaDuration())
            .retention(config.getTraces().retention.toJavaDuration())
            .clock(clock)
            .build();
    environment.lifecycle().manage(closing(traces::close));
    LuceneLogStore logs =
        LuceneLogStore.builder(dataDir.resolve("logs"))
            .partitionLength(config.getLogs().partition.toJavaDuration())
            .retention(config.getLogs().retention.toJavaDuration())
            .clock(clock)
            .build();
    environment.lifecycle().manage(closing(logs::close));
    FaultlineConfiguration.Metrics metricsConfig = config.getMetrics();
    LuceneMetricStore metrics =
        LuceneMetricStore.builder(dataDir.resolve("metrics"))
            .partitionLength(metricsConfig.partition.toJavaDuration())
            .retention(metricsConfig.retention.toJavaDuration())
            .maxActiveSeries(metricsConfig.maxActiveSeries)
            .outOfOrderWindow(
                (metricsConfig.outOfOrderWindow != null
                        ? metricsConfig.outOfOrderWindow
                        : metricsConfig.retention)
                    .toJavaDuration())
            .maxQuerySamples(metricsConfig.maxQuerySamples)
            .queryTimeout(metricsConfig.queryTimeout.toJavaDuration())
            .clock(clock)
            .build();
    environment.lifecycle().manage(closing(metrics::close));
    DerivedMetricsGenerator derived =
        metricsConfig.deriveFromSpans
            ? DerivedMetricsGenerator.builder(dataDir.resolve("derived-metrics"))
                .clock(clock)
                .emitInterval(metricsConfig.derivedEmitInterval.toJavaDuration())
                .registry(registry)
                .build()
            : null;
    StoreMetrics.register(
        registry,
        List.of(
            new StoreMetrics.Store(
                "traces",
                traces::diskBytesByPartition,
                traces::refreshLagMillis,
                traces::droppedUnindexable),
            new StoreMetrics.Store(
                "logs", logs::diskBytesByPartition, logs::refreshLagMillis, logs::droppedUnindexable),
            new StoreMetrics.Store(
                "metrics",
                metrics::diskBytesByPartition,
                metrics::refreshLagMillis,
                metrics::droppedUnindexable)));
    StoreMetrics.registerMetricSamplesRejected(registry, metrics::samplesRejected);

    IngestPipeline pipeline =
        IngestPipeline.builder(dataDir.resolve("wal"))
            .indexers(indexers(traces.indexer(), logs.indexer(), metrics.indexer(), derived))
            .maxInFlightBytes(config.getIngest().maxInFlight.toBytes())
            .commitInterval(config.getIngest().commitInterval.toJavaDuration())
            .registry(registry)
            .build();
    environment.lifecycle().manage(new Managed() {
      @Override
      public void start() throws Exception {
        pipeline.start();
        if (derived != null) {
          derived.start(pipeline);
        }
      }

      @Override
      public void stop() throws Exception {
        // the generator emits through the pipeline, so it stops first
        if (derived != null) {
          derived.close();
        }
        pipeline.close();
      }
    });

    IngestAuthenticator ingestAuth = registerAuth(config, environment, dataDir, clock);
    FaultlineConfiguration.Ingest ingest = config.getIngest();
    IngestLimits limits =
        IngestLimits.builder()
            .maxRequestBytes(ingest.maxRequestSize.toBytes())
            .maxDecompressedBytes(ingest.maxDecompressedSize.toBytes())
            .maxSpansPerRequest(ingest.maxSpansPerRequest)
            .maxAttributesPerItem(ingest.maxAttributesPerItem)
            .maxAttributeValueBytes(ingest.maxAttributeValueLength)
            .spanRetention(config.getTraces().retention.toJavaDuration())
            .pointRetention(config.getMetrics().retention.toJavaDuration())
            .logRetention(config.getLogs().retention.toJavaDuration())
            .build();
    TenantMetrics tenantMetrics = TenantMetrics.prometheus(registry);
    OtlpCollector collector =
        OtlpCollector.builder(pipeline)
            .limits(limits)
            .registry(registry)
            .authenticator(ingestAuth)
            .tenantMetrics(tenantMetrics)
            .build();
    grpc =
        OtlpGrpcReceiver.builder(collector)
            .host(config.getOtlp().bindHost)
            .port(config.getOtlp().grpcPort)
            .tls(tls)
            .build();
    http =
        OtlpHttpReceiver.builder(collector)
            .host(config.getOtlp().bindHost)
            .port(config.getOtlp().httpPort)
            .tls(tls)
            .build();
    FaultlineConfiguration.Logstash logstashConfig = config.getLogstash();
    logstash =
        logstashConfig.port < 0
            ? null
            : LogstashTcpReceiver.builder(pipeline)
                .host(logstashConfig.bindHost)
                .port(logstashConfig.port)
                .defaultService(logstashConfig.defaultService)
                .tls(tls)
                .registry(registry)
                .build();
    environment.lifecycle().manage(new Managed() {
      @Override
      public void start() throws Exception {
        grpc.start();
        http.start();
        if (logstash != null) {
          logstash.start();
          LOG.info("Logstash TCP input listening on {}:{}", logstashConfig.bindHost, logstash.port());
        }
        LOG.info(
            "OTLP receivers listening: gRPC {}:{}, HTTP {}:{}",
            config.getOtlp().bindHost,
            grpc.port(),
            config.getOtlp().bindHost,
            http.port());
      }

      @Override
      public void stop() throws Exception {
        grpc.close();
        http.close();
        if (logstash != null) {
          logstash.stop();
        }
      }
    });

    List<ScrapeTarget> targets = new ArrayList<>();
    for (FaultlineConfiguration.ScrapeJob job : config.getScrape()) {
      targets.addAll(
          ScrapeTarget.job(
              job.job,
              job.targets,
              job.scheme,
              job.metricsPath,
              job.interval.toJavaDuration(),
              job.timeout.toJavaDuration(),
              job.labels,
              ScrapeAccess.of(
                  job.bearerToken,
                  job.basicAuth == null ? null : job.basicAuth.username,
                  job.basicAuth == null ? null : job.basicAuth.password,
                  job.tls.caFile == null ? null : Path.of(job.tls.caFile),
                  job.tls.insecureSkipVerify)));
    }
    scrapes = ScrapeManager.builder(pipeline).clock(clock).targets(targets).build();
    ScrapeManager scrapeManager = scrapes;
    environment.jersey().register(new BodyEncodingExceptionMapper());
    // a JSON request body with a number or boolean where a string belongs is the client's mistake
    // (answered by JsonBodyExceptionMapper), not silently read as that text; the configuration was
    // read before run, so this concerns request bodies only
    for (CoercionInputShape shape :
        new CoercionInputShape[] {CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean}) {
      environment.getObjectMapper().coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
    }
    environment.jersey().register(new JsonBodyExceptionMapper());
    environment.jersey().register(new TargetsResource(scrapeManager::status));
    environment.lifecycle().manage(new Managed() {
      @Override
      public void start() {
        scrapes.start();
      }

      @Override
      public void stop() {
        scrapes.close();
      }
    });

    Alerting alerting =
        Alerting.builder(config.getAlerting(), metrics.queries(), pipeline, dataDir)
            .clock(clock)
            .registry(registry)
            .build();
    environment.lifecycle().manage(new Managed() {
      @Override
      public void start() {
        alerting.start();
      }

      @Override
      public void stop() {
        alerting.close();
      }
    });
    environment.jersey().register(new RulesResource(alerting));
    environment.jersey().register(new AlertsResource(alerting));
    environment.jersey().register(new SloResource(alerting));

    ChaosAgent chaos = chaosAgent(config.getChaos(), environment, dataDir, clock, pipeline, traces, metrics, alerting);

    // Jaeger's dependencies come from stored spans, as Jaeger computes them (exact counts, real
    // services only); the dashboard's service map reads the service-graph series itself.
    environment.jersey().register(new JaegerQueryResource(traces.queries(), clock));
    // Jaeger's Monitor tab (SPM): the span metrics derived above, through the PromQL engine
    environment.jersey().register(new JaegerMetricsResource(metrics.queries(), clock));
    environment.jersey().register(new LogsResource(logs.queries(), clock));
    environment.jersey().register(new ChaosResource(chaos, clock));
    environment
        .jersey()
        .register(new PrometheusApiResource(metrics.queries(), clock, version()));
    environment
        .jersey()
        .register(
            new RemoteWriteResource(
                pipeline,
                RemoteWriteLimits.defaults(),
                metricsConfig.retention.toJavaDuration(),
                clock,
                ingestAuth,
                tenantMetrics));
    environment
        .jersey()
        .register(
            new LokiPushResource(
                pipeline, LokiPushLimits.defaults(), limits, ingestAuth, tenantMetrics));
    LokiResource loki = new LokiResource(logs.queries(), clock, version());
    environment.jersey().register(loki);
    ScheduledExecutorService tailPoller = LokiTail.newPoller();
    environment.lifecycle().manage(closing(tailPoller::shutdownNow));
    new LokiTail(loki, logs.queries(), clock, tailPoller, authFilter::refuseReader)
        .register(environment.getApplicationContext());
    environment.jersey().register(new LokiReadyResource(logs::check));

    environment.healthChecks().register("traces", check(traces::check));
    environment.healthChecks().register("logs", check(logs::check));
    environment.healthChecks().register("metrics", check(metrics::check));
    if (derived != null) {
      environment.healthChecks().register("derived-metrics", check(derived::check));
    }
    environment.healthChecks().register("ingest", check(pipeline::check));
    environment
        .admin()
        .addServlet("prometheus", new PrometheusMetricsServlet(registry))
        .addMapping("/metrics");
  }

  /** The OTLP/gRPC receiver's port once started (the configured one may be 0). */
  int otlpGrpcPort() {
    return grpc.port();
  }

  /** The OTLP/HTTP receiver's port once started. */
  int otlpHttpPort() {
    return http.port();
  }

  /** The Logstash TCP input's port once started. */
  int logstashPort() {
    return logstash.port();
  }

  /** Scrape targets; the demo adds its services here. */
  ScrapeManager scrapes() {
    return scrapes;
  }

  static String version() {
    String v = FaultlineApplication.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  PrometheusRegistry registry() {
    return registry;
  }

  /**
   * Tokens, sessions and the auth filter of port 8080.
   *
   * @return who may ingest: open with auth disabled, else the token store (open until a token has
   *     the ingest role)
   */
  private IngestAuthenticator registerAuth(
      FaultlineConfiguration config, Environment environment, Path dataDir, Clock clock)
      throws IOException {
    TokenStore tokens = TokenStore.open(dataDir.resolve("auth"));
    for (Map.Entry<String, String> t : config.getAuth().ingestTokens.entrySet()) {
      try {
        tokens.ensure(t.getKey(), Role.INGEST, t.getValue());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("auth.ingestTokens." + t.getKey() + ": " + e.getMessage()
            + "; give each tenant a name of letters, digits, '.', '_' or '-' and a non-empty token", e);
      }
    }
    SessionStore sessions = new SessionStore(clock, SessionStore.DEFAULT_TTL);
    if (config.getAuth().enabled) {
      tokens
          .ensureAdmin(config.getAuth().adminToken)
          .ifPresent(
              token -> {
                // printed once, on the console only: it is not kept anywhere in clear text
                System.out.println();
                System.out.println("Faultline admin token (shown once, keep it): " + token);
                System.out.println();
              });
    } else {
      LOG.warn(
          "authentication is disabled (auth.enabled=false): anyone who can reach port 8080 is an"
              + " admin");
    }
    authFilter =
        new TokenAuthFilter(
            config.getAuth().enabled,
            tokens,
            sessions,
            Set.of("api/session", "api/v1/write", "loki/api/v1/push", "ready"));
    environment.jersey().register(authFilter);
    environment.jersey().register(RolesAllowedDynamicFeature.class);
    environment.jersey().register(new AuthResource(tokens, sessions));
    if (!config.getAuth().enabled) {
      return IngestAuthenticator.open();
    }
    LOG.info(
        tokens.ingestRequiresToken()
            ? "ingest requires a token: OTLP and remote write need an ingest or query token"
            : "ingest is open (no token has the ingest role); create one to require tokens on"
                + " OTLP and remote write");
    return tokens;
  }

  /**
   * The chaos agent with every built-in fault injector. It reads telemetry through the query
   * interfaces and reports what it does through the ingest pipeline, like any client would.
   */
  private ChaosAgent chaosAgent(
      FaultlineConfiguration.Chaos config,
      Environment environment,
      Path dataDir,
      Clock clock,
      IngestPipeline pipeline,
      LuceneTraceStore traces,
      LuceneMetricStore metrics,
      AlertStatus alerts) {
    InjectorRegistry injectors =
        InjectorRegistry.standard(
            pipeline,
            clock,
            HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(5)).build(),
            config.monkeyUser,
            config.monkeyPassword,
            dataDir.resolve("chaos").resolve("process"));
    Map<String, FaultInjector> byType = new HashMap<>();
    for (String type : injectors.types()) {
      byType.put(type, injectors.injector(type).orElseThrow());
    }
    ChaosSettings settings =
        ChaosSettings.defaults()
            .withMaxTargetsPerRun(config.maxTargetsPerRun)
            .withMaxBlastRadius(config.maxBlastRadius);
    if (config.nodeName != null) {
      settings = settings.withNodeName(config.nodeName);
    }
    ChaosAgent.Builder builder =
        ChaosAgent.builder()
            .dataDir(dataDir)
            .injectors(byType)
            .metrics(metrics.queries())
            .traces(traces.queries())
            .alerts(alerts)
            .sink(pipeline)
            .registry(registry)
            .clock(clock)
            .settings(settings);
    if (config.jdbcUrl != null) {
      builder.jdbc(config.jdbcUrl, config.user, config.password);
    }
    ChaosAgent chaos = builder.build();
    environment.lifecycle().manage(new Managed() {
      @Override
      public void start() {
        chaos.start();
      }

      @Override
      public void stop() throws Exception {
        chaos.close();
        injectors.close();
      }
    });
    environment.healthChecks().register("chaos", new HealthCheck() {
      @Override
      protected Result check() {
        return chaos.killSwitchEngaged()
            ? Result.healthy("kill switch engaged: no chaos runs until it is released")
            : Result.healthy("ok");
      }
    });
    return chaos;
  }

  private static List<BatchIndexer> indexers(BatchIndexer... maybe) {
    List<BatchIndexer> list = new ArrayList<>();
    for (BatchIndexer i : maybe) {
      if (i != null) {
        list.add(i);
      }
    }
    return list;
  }

  private static HealthCheck check(Supplier<Health> health) {
    return new HealthCheck() {
      @Override
      protected Result check() {
        Health h = health.get();
        return h.isHealthy() ? Result.healthy(h.message()) : Result.unhealthy(h.message());
      }
    };
  }

  private static Managed closing(AutoCloseableIo closer) {
    return new Managed() {
      @Override
      public void stop() {
        try {
          closer.close();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }

  @FunctionalInterface
  private interface AutoCloseableIo {
    void close() throws IOException;
  }
}
