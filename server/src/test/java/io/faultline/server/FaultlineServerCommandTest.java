/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.util.JarLocation;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code faultline server} with a bad {@code tls} setting stops before anything binds and prints
 * what to do, without a stack trace.
 */
class FaultlineServerCommandTest {
  @TempDir Path dir;

  private String start(String tlsYaml) throws Exception {
    Path config =
        Files.writeString(
            dir.resolve("config.yml"),
            "dataDir: " + dir.resolve("data") + "\n"
                + "logging:\n  level: WARN\n"
                + "tls:\n" + tlsYaml);
    FaultlineApplication app = new FaultlineApplication();
    Bootstrap<FaultlineConfiguration> bootstrap = new Bootstrap<>(app);
    app.addDefaultCommands(bootstrap);
    app.initialize(bootstrap);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Optional<Throwable> failure =
        new Cli(new JarLocation(FaultlineApplication.class), bootstrap, out, err)
            .run("server", config.toString());
    assertThat(failure).isPresent();
    assertThat(Files.exists(dir.resolve("data"))).as("nothing opened").isFalse();
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aWrongPasswordIsOneLineNamingTheSetting() throws Exception {
    Path keyStore = TestKeyStores.generate(dir);
    String err =
        start("  enabled: true\n  keyStorePath: " + keyStore + "\n  keyStorePassword: wrong\n");
    assertThat(err)
        .startsWith("faultline: cannot start: tls.keyStorePassword does not open the key store")
        .contains("FAULTLINE_TLS_KEY_STORE_PASSWORD")
        .doesNotContain("\tat ")
        .doesNotContain("Exception");
  }

  @Test
  void aMissingKeyStoreIsOneLineNamingTheSetting() throws Exception {
    String err =
        start("  enabled: true\n  keyStorePath: " + dir.resolve("missing.p12") + "\n  keyStorePassword: x\n");
    assertThat(err)
        .startsWith("faultline: cannot start: tls.keyStorePath: ")
        .contains("missing.p12 does not exist")
        .doesNotContain("\tat ");
  }
}
