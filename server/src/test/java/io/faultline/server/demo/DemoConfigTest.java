/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DemoConfigTest {
  static DemoOptions options(int base) {
    return new DemoOptions(Path.of("/tmp/d"), Path.of("/r/server/target/faultline.jar"), Path.of("/r/sample-services"),
        Path.of("/jdk/bin/java"), 8080, 8081, 4317, 4318, 5044, base, "a-secret-token", "pw",
        2.0, Duration.ZERO, Duration.ofSeconds(100));
  }

  @Test
  void scrapeJobsAreOnePerServiceOnItsPort() {
    List<Map<String, Object>> jobs = DemoConfig.scrapeJobs(options(18101));
    assertThat(jobs).extracting(j -> j.get("job")).containsExactly("gateway", "orders", "inventory", "payments", "notifications");
    assertThat(jobs.get(1)).containsEntry("targets", List.of("127.0.0.1:18102"))
        .containsEntry("metricsPath", "/actuator/prometheus").containsEntry("interval", "10s").containsEntry("timeout", "5s");
  }

  @Test
  void generatedConfigCarriesPortsAndTokenAndOnlySectionsThePlatformKnows() {
    DemoConfig.Generated g = DemoConfig.generate(options(18101));
    String yaml = g.yaml();
    assertThat(yaml).contains("adminToken: \"a-secret-token\"", "grpcPort: 4317", "httpPort: 4318", "port: 8080");
    for (String section : List.of("scrape", "logstash")) {
      assertThat(g.tree().containsKey(section) != g.omitted().contains(section)).as(section).isTrue();
      assertThat(g.tree().containsKey(section)).isEqualTo(DemoConfig.accepted(section, section.equals("scrape")
          ? DemoConfig.scrapeJobs(options(18101)) : Map.of("bindHost", "127.0.0.1", "port", 5044)));
    }
    assertThat(DemoConfig.accepted("noSuchSetting", Map.of())).as("unknown settings are refused, as the platform does").isFalse();
  }

  @Test
  void servicesGetTheirPortsDownstreamsAndTelemetryEndpoints() {
    DemoPlan plan = new DemoPlan(options(30000));
    Map<String, String> orders = plan.serviceArgs("orders");
    assertThat(orders).containsEntry("server.port", "30001").containsEntry("shop.inventory.url", "http://127.0.0.1:30002")
        .containsEntry("shop.payments.url", "http://127.0.0.1:30006").as("orders->payments through the fault proxy").containsEntry("shop.notifications.url", "http://127.0.0.1:30004")
        .containsEntry("otel.exporter.otlp.endpoint", "http://127.0.0.1:4318").containsEntry("shop.logstash.destination", "127.0.0.1:5044");
    assertThat(plan.serviceArgs("gateway")).as("gateway->inventory through the fault proxy")
        .containsEntry("shop.gateway.routes.products", "http://127.0.0.1:30005")
        .containsEntry("shop.gateway.routes.orders", "http://127.0.0.1:30001");
    DemoPlan.Child proxy = plan.faultProxy();
    assertThat(proxy.command()).containsSubsequence("-cp", "/r/server/target/faultline.jar", "io.faultline.chaos.fault.proxy.FaultProxyMain")
        .containsSubsequence("--proxy", "gateway-inventory,http,30005,127.0.0.1:30002")
        .containsSubsequence("--proxy", "orders-payments,http,30006,127.0.0.1:30003")
        .containsSubsequence("--control", "127.0.0.1:30007", "--otlp", "http://127.0.0.1:4318/v1/traces");
    assertThat(proxy.healthUrl()).isEqualTo("http://127.0.0.1:30007/proxies");
    DemoPlan.Child gateway = plan.services().get(0);
    assertThat(gateway.command()).containsSubsequence(DemoPlan.SERVICE_JVM_FLAGS).contains("--server.port=30000");
    assertThat(gateway.command()).noneMatch(a -> a.contains("pw")).as("no secret on the command line");
    assertThat(gateway.env()).containsEntry("SHOP_CHAOS_PASSWORD", "pw");
    assertThat(gateway.healthUrl()).isEqualTo("http://127.0.0.1:30000/actuator/health");
    assertThat(plan.traffic().command()).containsSubsequence("--gateway", "http://127.0.0.1:30000");
  }

  @Test
  void theDemoExperimentIsValidAndItsScheduleFiresAtTheGivenTimeThenEveryQuarterHour() {
    assertThat(DemoChaos.cron(java.time.Instant.parse("2026-11-24T21:47:05Z"))).isEqualTo("5 2/15 * * * *");
    com.fasterxml.jackson.databind.JsonNode e = DemoChaos.slowInventory("http://127.0.0.1:30007", Duration.ofSeconds(60), "5 2/15 * * * *");
    assertThat(e.at("/method/0/parameters/controlUrl").asText()).isEqualTo("http://127.0.0.1:30007");
    assertThat(e.at("/method/0/parameters/proxy").asText()).isEqualTo("gateway-inventory");
    assertThat(e.at("/method/0/duration").asText()).isEqualTo("60s");
    assertThat(e.at("/schedule/cron").asText()).isEqualTo("5 2/15 * * * *");
    assertThat(DemoChaos.slowInventory("http://x:1", Duration.ofSeconds(20), null).has("schedule")).isFalse();
  }

  @Test
  void nonsenseOptionsAreRefusedWithTheReason() {
    assertThatThrownBy(() -> options(65530)).as("services, proxies and control need 8 ports").hasMessageContaining("outside 1-65535");
    assertThatThrownBy(() -> new DemoOptions(Path.of("/d"), Path.of("/j"), Path.of("/s"), Path.of("/java"), 8080, 8081,
        4317, 4318, 5044, 18101, " ", "pw", 1, Duration.ZERO, Duration.ofSeconds(1))).hasMessageContaining("must not be empty");
    assertThatThrownBy(() -> new DemoOptions(Path.of("/d"), Path.of("/j"), Path.of("/s"), Path.of("/java"), 8080, 8081,
        4317, 4318, 5044, 18101, "long-enough", "pw", -1, Duration.ZERO, Duration.ofSeconds(1))).hasMessageContaining("--traffic-rate");
  }
}
