/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jetty.HttpConnectorFactory;
import io.dropwizard.jersey.validation.Validators;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A config file laid over the defaults, with the environment's overrides on top. */
class DefaultsFirstSourceProviderTest {
  private static final String PORT = "dw.server.applicationConnectors[0].port";
  @TempDir Path dir;

  @AfterEach
  void clear() {
    System.clearProperty(PORT);
  }

  private FaultlineConfiguration load(String yaml) throws Exception {
    Path file = dir.resolve("config.yml");
    Files.writeString(file, yaml);
    ObjectMapper mapper = Jackson.newObjectMapper();
    YamlConfigurationFactory<FaultlineConfiguration> factory =
        new YamlConfigurationFactory<>(
            FaultlineConfiguration.class, Validators.newValidator(), mapper, "dw");
    return factory.build(
        new DefaultsFirstSourceProvider(
            new FileConfigurationSourceProvider(),
            () -> mapper.valueToTree(new FaultlineConfiguration()),
            mapper),
        file.toString());
  }

  private static HttpConnectorFactory connector(FaultlineConfiguration c, boolean admin) {
    DefaultServerFactory server = (DefaultServerFactory) c.getServerFactory();
    return (HttpConnectorFactory)
        (admin ? server.getAdminConnectors() : server.getApplicationConnectors()).get(0);
  }

  @Test
  void anEnvironmentPortOverridesAFileWithoutAServerSection() throws Exception {
    System.setProperty(PORT, "18123"); // what FAULTLINE_HTTP_PORT becomes
    FaultlineConfiguration c = load("traces:\n  retention: 3 days\n");
    assertThat(connector(c, false).getPort()).isEqualTo(18123);
    assertThat(connector(c, false).getBindHost()).isEqualTo("127.0.0.1");
    assertThat(connector(c, true).getPort()).isEqualTo(8081);
    assertThat(c.getTraces().retention.toJavaDuration()).isEqualTo(Duration.ofDays(3));
    assertThat(c.getLogs().retention.toJavaDuration()).isEqualTo(Duration.ofDays(7));
  }

  @Test
  void whatTheFileSaysWinsOverTheDefaults() throws Exception {
    FaultlineConfiguration c =
        load(
            "server:\n  applicationConnectors:\n    - type: http\n      port: 9999\n"
                + "dataDir: /tmp/elsewhere\n");
    assertThat(connector(c, false).getPort()).isEqualTo(9999);
    assertThat(connector(c, true).getPort()).isEqualTo(8081);
    assertThat(c.getDataDir()).isEqualTo("/tmp/elsewhere");
  }

  @Test
  void anEmptyFileIsTheDefaults() throws Exception {
    FaultlineConfiguration c = load("");
    assertThat(connector(c, false).getPort()).isEqualTo(8080);
    assertThat(c.getDataDir()).isEqualTo("./data");
  }
}
