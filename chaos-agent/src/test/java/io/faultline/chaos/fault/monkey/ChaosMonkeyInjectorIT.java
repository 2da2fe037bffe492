/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.monkey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.faultline.chaos.fault.ActiveFault;
import io.faultline.chaos.fault.FaultContext;
import io.faultline.chaos.fault.FaultException;
import io.faultline.chaos.fault.FaultSpec;
import io.faultline.chaos.fault.LeaseTimer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The injector against the real inventory sample service (Spring Boot with Chaos Monkey for Spring
 * Boot, profile chaos-monkey, actuator behind the chaos user), started once as a child process.
 */
class ChaosMonkeyInjectorIT {
  private static final String USER = "chaos";
  private static final String PASSWORD = "chaos-demo"; // shop.chaos.password in shop-support
  private static Process service;
  private static int port;
  private static final HttpClient http = HttpClient.newHttpClient();
  private static final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  @TempDir static Path logs;

  @BeforeAll
  static void startInventory() throws Exception {
    Path samples = Path.of(System.getProperty("faultline.samples.dir", "../sample-services"));
    Path jar = samples.resolve("inventory/target/inventory.jar");
    Assumptions.assumeTrue(Files.isRegularFile(jar), "skipped: " + jar.toAbsolutePath() + " is missing; build it with "
        + "'cd sample-services && mvn -q -B -o package -DskipTests'");
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    service = new ProcessBuilder(java.toString(), "-Xmx256m", "-jar", jar.toString(), "--server.port=" + port,
        "--otel.sdk.disabled=true", "--shop.logstash.destination=127.0.0.1:1")
        .redirectErrorStream(true).redirectOutput(logs.resolve("inventory.log").toFile()).start();
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
      assertThat(service.isAlive()).as("inventory exited; see %s", logs.resolve("inventory.log")).isTrue();
      return get("/actuator/health", false).statusCode() == 200;
    });
  }

  @AfterAll
  static void stopInventory() {
    if (service != null) {
      service.destroyForcibly();
    }
    scheduler.shutdownNow();
  }

  private static HttpResponse<String> get(String path, boolean auth) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20));
    if (auth) {
      b.header("Authorization", "Basic " + Base64.getEncoder()
          .encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static long timeProducts() throws Exception {
    long t0 = System.nanoTime();
    assertThat(get("/products", false).statusCode()).isEqualTo(200);
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> assaults() throws Exception {
    return new ObjectMapper().readValue(get("/actuator/chaosmonkey/assaults", true).body(), Map.class);
  }

  private static FaultSpec latency(Map<String, Object> extra) {
    Map<String, Object> p = new HashMap<>(Map.of("actuatorUrl", "http://127.0.0.1:" + port + "/actuator",
        "latencyMs", 800, "jitterMs", 100, "level", 1, "watchers", List.of("restController")));
    p.putAll(extra);
    return new FaultSpec("slow-inventory", ChaosMonkeyInjector.TYPE, "inventory", p, Duration.ofSeconds(30));
  }

  @Test
  void latencyAssaultSlowsRequestsAndRevertRestoresTheSettings() throws Exception {
    ChaosMonkeyInjector injector = new ChaosMonkeyInjector(http, new LeaseTimer(scheduler, Clock.systemUTC()), USER, PASSWORD);
    timeProducts(); // warm up
    long before = timeProducts();
    Map<String, Object> settingsBefore = assaults();
    ActiveFault fault = injector.inject(latency(Map.of()), new FaultContext("e", "r", Instant.now().plusSeconds(60)));
    assertThat(timeProducts()).isGreaterThanOrEqualTo(650);
    assertThat(fault.spec().parameters()).containsKey("_restore");
    fault.revert();
    assertThat(assaults()).isEqualTo(settingsBefore);
    assertThat(timeProducts()).isLessThan(Math.max(500, before + 400));
  }

  @Test
  void theLeaseRevertsWhenNotRenewedAndAFreshAgentRevertsOrphans() throws Exception {
    ChaosMonkeyInjector injector = new ChaosMonkeyInjector(http, new LeaseTimer(scheduler, Clock.systemUTC()), USER, PASSWORD);
    Map<String, Object> settingsBefore = assaults();
    injector.inject(latency(Map.of()), new FaultContext("e", "r", Instant.now().plusMillis(500)));
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(assaults()).isEqualTo(settingsBefore));

    Clock frozen = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), java.time.ZoneOffset.UTC);
    ChaosMonkeyInjector crashed = new ChaosMonkeyInjector(http, new LeaseTimer(scheduler, frozen), USER, PASSWORD);
    FaultContext ctx = new FaultContext("e", "r2", frozen.instant().plusSeconds(600));
    ActiveFault left = crashed.inject(latency(Map.of()), ctx);
    assertThat(assaults()).containsEntry("latencyActive", true);
    new ChaosMonkeyInjector(http, new LeaseTimer(scheduler, frozen), USER, PASSWORD).revertOrphan(left.spec(), ctx);
    assertThat(assaults()).isEqualTo(settingsBefore);
  }

  @Test
  void wrongCredentialsAreReportedWithWhatToCheck() {
    ChaosMonkeyInjector injector = new ChaosMonkeyInjector(http, new LeaseTimer(scheduler, Clock.systemUTC()), USER, "wrong");
    assertThatThrownBy(() -> injector.inject(latency(Map.of()), new FaultContext("e", "r", Instant.now().plusSeconds(5))))
        .isInstanceOf(FaultException.class).hasMessageContaining("401").hasMessageContaining("username/password");
  }
}
