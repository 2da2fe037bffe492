/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The chaos agent's {@code ScheduledRunIT} fires a copy of the demo's experiment through the real
 * scheduler; this keeps the copy equal to what the demo registers.
 */
class DemoChaosTest {
  private static final Path AGENT_COPY =
      Path.of("../chaos-agent/src/test/resources/io/faultline/chaos/demo-slow-inventory.json");

  @Test
  void theChaosAgentsCopyOfTheDemoExperimentIsTheDemosExperiment() throws Exception {
    String controlUrl = "http://127.0.0.1:7474";
    String cron = DemoChaos.cron(Instant.parse("2026-11-24T10:02:30Z"));
    JsonNode demo = DemoChaos.slowInventory(controlUrl, DemoChaos.FAULT, cron);
    String copy =
        Files.readString(AGENT_COPY, StandardCharsets.UTF_8)
            .replace("${controlUrl}", controlUrl)
            .replace("${cron}", cron)
            .replace("${duration}", demo.at("/method/0/duration").asText());
    ObjectMapper json = new ObjectMapper();
    // compared as parsed JSON: the demo builds some numbers as longs, a parser reads them as ints
    assertThat(json.readTree(copy)).isEqualTo(json.readTree(json.writeValueAsString(demo)));
    assertThat(cron).isEqualTo("30 2/15 * * * *");
    assertThat(DemoChaos.FAULT).isEqualTo(Duration.ofSeconds(60));
  }
}
