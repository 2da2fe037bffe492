/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.demo;

import io.faultline.server.demo.Children.DemoException;
import io.faultline.server.demo.Children.Running;
import io.faultline.server.demo.DemoPlan.Child;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs the demo: writes the platform's config, starts the platform, then the fault proxies and
 * the services (all at once, they do not need each other to start), then traffic; registers the
 * scheduled chaos experiment ({@link DemoChaos}); prints where to look; then watches the children
 * until Ctrl-C or until one of them dies, and stops all of them either way.
 */
final class Demo {
  static final Duration STOP_GRACE = Duration.ofSeconds(15);

  private final DemoOptions options;
  private final DemoPlan plan;
  private final PrintStream out;
  private final Children children;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean stopping;

  Demo(DemoOptions options, PrintStream out) {
    this.options = options;
    this.plan = new DemoPlan(options);
    this.out = out;
    this.children = new Children(options.logDir());
  }

  void run() throws Exception {
    List<Path> missing = plan.jars().stream().filter(p -> !Files.isRegularFile(p)).toList();
    if (!missing.isEmpty()) {
      throw new DemoException(
          "missing jars " + missing + ": build them with './faultline demo' (it builds what is missing) or"
              + " 'mvn -B package -DskipTests' in the repository root");
    }
    Files.createDirectories(options.logDir());
    DemoConfig.Generated config = DemoConfig.generate(options);
    Files.writeString(plan.configFile(), config.yaml());
    Files.writeString(DemoConfig.sloFile(options), DemoConfig.SLOS);
    for (String section : config.omitted()) {
      out.println("demo: note: this build of the platform has no '" + section + "' setting yet; "
          + ("scrape".equals(section) ? "services' /actuator/prometheus are not scraped" : "JSON logs over TCP are not received"));
    }

    Thread hook = new Thread(this::stopFromSignal, "demo-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    long t0 = System.nanoTime();
    try {
      long deadline = t0 + options.startTimeout().toNanos();
      out.println("demo: starting the platform (logs in " + options.logDir() + ")");
      children.awaitHealthy(children.start(plan.platform()), deadline);
      double platformSeconds = (System.nanoTime() - t0) / 1e9;
      out.printf(Locale.ROOT, "demo: platform up in %.1f s; starting %s%n", platformSeconds, String.join(", ", DemoPlan.SERVICES));
      List<Running> services = new ArrayList<>();
      // first, so the proxies listen before any service calls through them
      services.add(children.start(plan.faultProxy()));
      for (Child c : plan.services()) {
        services.add(children.start(c));
      }
      for (Running r : services) {
        children.awaitHealthy(r, deadline);
        String where = r.name().equals(DemoPlan.FAULT_PROXY) ? plan.controlUrl() + "/proxies" : plan.url(r.name());
        out.printf(Locale.ROOT, "demo: %-13s up at %s (%.1f s)%n", r.name(), where, (System.nanoTime() - t0) / 1e9);
      }
      double startSeconds = (System.nanoTime() - t0) / 1e9;
      Running traffic = options.trafficRate() > 0 ? children.start(plan.traffic()) : null;
      Scheduled chaos = registerExperiment();
      printBanner(startSeconds, chaos);
      watch(traffic);
    } catch (Exception e) {
      if (!stopping) {
        stopChildren();
      }
      throw e;
    } finally {
      if (!stopping) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // the hook runs and stops the children
        }
      }
    }
  }

  /** The registered experiment, or why there is none. */
  private record Scheduled(String id, Instant firstRun, String problem) {}

  private Scheduled registerExperiment() {
    Instant first = Instant.now().plus(DemoChaos.FIRST_RUN).truncatedTo(ChronoUnit.SECONDS);
    try {
      String id = DemoChaos.register(HttpClient.newHttpClient(), "http://127.0.0.1:" + options.httpPort(), options.adminToken(),
          DemoChaos.slowInventory(plan.controlUrl(), DemoChaos.FAULT, DemoChaos.cron(first)));
      return new Scheduled(id, first, null);
    } catch (IOException e) {
      // the shop and the platform work without it; say why and go on
      return new Scheduled(null, null, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Scheduled(null, null, "interrupted");
    }
  }

  /** Returns when stopped by a signal; throws when a child dies. */
  private void watch(Running traffic) throws Exception {
    while (!stopping) {
      Optional<Running> exited = children.firstExited();
      if (exited.isPresent() && !stopping) {
        Running r = exited.get();
        int status = r.process().exitValue();
        if (r == traffic && status == 0) {
          out.println("demo: traffic finished (its summary is at the end of " + r.log() + "); the shop keeps running");
          children.forget(r);
          continue;
        }
        String message =
            r.name() + " exited with status " + status + "; see " + r.log() + ", which ends with:\n" + Children.tail(r.log(), 25);
        out.println("demo: " + message);
        stopChildren();
        throw new DemoException(message);
      }
      if (stopped.await(500, TimeUnit.MILLISECONDS)) {
        return;
      }
    }
    stopped.await();
  }

  private void stopFromSignal() {
    stopping = true;
    stopChildren();
    stopped.countDown();
  }

  private synchronized void stopChildren() {
    int n = children.running().size();
    if (n == 0) {
      return;
    }
    out.println("demo: stopping " + n + " processes...");
    List<String> killed = children.stopAll(STOP_GRACE);
    out.println(
        "demo: stopped" + (killed.isEmpty() ? "" : "; killed after " + STOP_GRACE.toSeconds() + " s: " + killed));
  }

  private void printBanner(double startSeconds, Scheduled chaos) {
    long rss = children.residentBytes();
    String api = "http://127.0.0.1:" + options.httpPort();
    String gateway = plan.url("gateway");
    out.println();
    out.printf(Locale.ROOT, "Faultline demo is running: started in %.1f s, %d processes, %.0f MiB resident%n",
        startSeconds, children.running().size(), rss / 1048576.0);
    out.println();
    out.println("  dashboard and APIs  " + api + "/");
    out.println("  admin token         " + options.adminToken());
    out.println("  OTLP                grpc 127.0.0.1:" + options.otlpGrpcPort() + ", http 127.0.0.1:" + options.otlpHttpPort()
        + "; JSON logs tcp 127.0.0.1:" + options.logstashPort());
    out.println("  shop                " + gateway + "/api/products  (header X-Api-Key: " + DemoPlan.API_KEY + ")");
    out.println("  fault proxies       gateway->inventory " + plan.via("gateway", "inventory") + ", orders->payments "
        + plan.via("orders", "payments") + "; control " + plan.controlUrl() + "/proxies");
    out.println("  logs of each process " + options.logDir());
    out.println();
    out.println("What to look at first:");
    out.println("  export AUTH='Authorization: Bearer " + options.adminToken() + "'");
    out.println("  curl -s -H \"$AUTH\" " + api + "/api/services");
    out.println("  curl -s -H \"$AUTH\" '" + api + "/api/traces?service=gateway&lookback=5m&limit=5'");
    out.println("  curl -s -H \"$AUTH\" '" + api + "/api/traces?service=payments&lookback=15m&tags=%7B%22error%22%3A%22true%22%7D'   # declined cards");
    out.println("  curl -s -H \"$AUTH\" '" + api + "/api/dependencies?lookback=900000'");
    out.println("  curl -s -H \"$AUTH\" '" + api + "/api/logs?query=service:payments%20AND%20severity:ERROR'");
    out.println("  curl -s -H \"$AUTH\" '" + api + "/api/v1/query?query=sum%20by%20(job)(rate(http_server_requests_seconds_count%5B1m%5D))'");
    out.println("  curl -s -u chaos:" + options.chaosPassword() + " -H 'Content-Type: application/json' -d '{\"level\":3,\"latencyActive\":true}' "
        + plan.url("payments") + "/actuator/chaosmonkey/assaults   # slow payments down");
    out.println();
    if (chaos.id() != null) {
      out.println("Chaos: experiment " + chaos.id() + " \"" + DemoChaos.TITLE + "\"");
      out.println("  delays gateway->inventory by " + DemoChaos.DELAY_MS + " ms for " + DemoChaos.FAULT.toSeconds() + " s; first run at "
          + DateTimeFormatter.ISO_LOCAL_TIME.format(chaos.firstRun().atZone(ZoneOffset.UTC)) + " UTC, then every "
          + DemoChaos.EVERY_MINUTES + " min");
      out.println("  curl -s -H \"$AUTH\" '" + api + "/api/chaos/runs?experiment=" + chaos.id() + "'   # its runs: status, verdict");
      out.println("  curl -s -H \"$AUTH\" " + api + "/api/chaos/runs/RUN_ID            # hypothesis, effects, blast radius, journal");
      out.println("  curl -s -H \"$AUTH\" -o report.html " + api + "/api/chaos/runs/RUN_ID/report");
      out.println("  curl -s -H \"$AUTH\" -X POST " + api + "/api/chaos/experiments/" + chaos.id() + "/runs   # run it now");
    } else {
      out.println("Chaos: the demo experiment was not registered (" + chaos.problem() + "); the shop runs without it;"
          + " see " + options.logDir().resolve(DemoPlan.PLATFORM + ".log") + " and create experiments with POST " + api + "/api/chaos/experiments");
    }
    out.println();
    out.println("Ctrl-C stops everything the demo started.");
    out.flush();
  }
}
