/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.dashboard;

import static org.awaitility.Awaitility.await;

import io.dropwizard.core.Application;
import io.dropwizard.core.Configuration;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.lifecycle.Managed;
import io.faultline.core.ingest.Signal;
import io.faultline.core.log.LogQuery;
import io.faultline.core.otlp.OtlpIds;
import io.faultline.log.LuceneLogStore;
import io.faultline.store.Batches;
import io.faultline.store.LogTestData;
import io.faultline.store.TestData;
import io.faultline.trace.LuceneTraceStore;
import io.faultline.web.auth.SessionStore;
import io.faultline.web.auth.TokenAuthFilter;
import io.faultline.web.auth.TokenStore;
import io.faultline.web.logs.LogsResource;
import io.faultline.web.resources.AuthResource;
import io.faultline.web.resources.JaegerQueryResource;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.glassfish.jersey.server.filter.RolesAllowedDynamicFeature;

/**
 * What the dashboard needs from a Faultline, wired as the server wires it: the dashboard bundle,
 * token sign-in, and the real query APIs over real Lucene stores seeded with the shared test data
 * (traces and logs around {@link TestData#NOW}). APIs that do not exist in this module yet (metrics,
 * chaos) are absent, so the dashboard's "not available" states are exercised too.
 */
public final class DashboardTestApp extends Application<Configuration> {
  /** The admin token the browser signs in with. */
  static final String ADMIN_TOKEN = "fl_dashboard_test_admin_token";

  /** Random traces on top of the canned ones; the seed makes every run see the same data. */
  static final long TRAFFIC_SEED = 7;

  static final int TRAFFIC_TRACES = 60;

  @Override
  public void initialize(Bootstrap<Configuration> bootstrap) {
    bootstrap.addBundle(new DashboardBundle());
  }

  @Override
  public void run(Configuration configuration, Environment environment) throws Exception {
    Path dir = Files.createTempDirectory("faultline-dashboard-it");
    Clock clock = TestData.CLOCK;
    LuceneTraceStore traces = LuceneTraceStore.builder(dir.resolve("traces")).clock(clock).build();
    LuceneLogStore logs = LuceneLogStore.builder(dir.resolve("logs")).clock(clock).build();
    seed(traces, logs);
    environment.lifecycle().manage(new Managed() {
      @Override
      public void stop() throws Exception {
        traces.close();
        logs.close();
        deleteRecursively(dir);
      }
    });

    TokenStore tokens = TokenStore.open(dir.resolve("auth"));
    tokens.ensureAdmin(ADMIN_TOKEN);
    SessionStore sessions = new SessionStore(Clock.systemUTC(), SessionStore.DEFAULT_TTL);
    environment.jersey().register(new TokenAuthFilter(true, tokens, sessions, Set.of("api/session")));
    environment.jersey().register(RolesAllowedDynamicFeature.class);
    environment.jersey().register(new AuthResource(tokens, sessions));
    environment.jersey().register(new JaegerQueryResource(traces.queries(), clock));
    environment.jersey().register(new LogsResource(logs.queries(), clock));
  }

  private static void seed(LuceneTraceStore traces, LuceneLogStore logs) throws IOException {
    List<ExportTraceServiceRequest> spans = new ArrayList<>();
    spans.add(TestData.checkoutTrace());
    spans.add(TestData.browseTrace());
    spans.add(TestData.splitTrace());
    spans.addAll(TestData.randomTraffic(TRAFFIC_SEED, TRAFFIC_TRACES));
    Batches.applyAndCommit(traces.indexer(), Signal.TRACES, spans);
    List<ExportLogsServiceRequest> records = new ArrayList<>(LogTestData.canned());
    records.addAll(LogTestData.random(TRAFFIC_SEED, 150));
    Batches.applyAndCommit(logs.indexer(), Signal.LOGS, records);
    // searches see what near-real-time readers have refreshed; start serving once they do
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                traces.queries().trace(TestData.CHECKOUT_TRACE_ID).isPresent()
                    && logs.queries().search(checkoutLogs()).logs().size() > 0);
  }

  private static LogQuery checkoutLogs() {
    return LogQuery.of(
        "trace_id:" + OtlpIds.toHex(TestData.CHECKOUT_TRACE_ID),
        TestData.NOW.minus(Duration.ofHours(2)),
        TestData.NOW.plus(Duration.ofMinutes(1)),
        10);
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
