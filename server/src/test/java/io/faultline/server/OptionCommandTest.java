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
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import net.sourceforge.argparse4j.inf.Namespace;
import org.junit.jupiter.api.Test;

class OptionCommandTest {
  @Test
  void aBadOptionIsOneLineNamingTheCommandAndAnythingElseKeepsItsStackTrace() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Cli cli =
        new Cli(
            new JarLocation(getClass()),
            new Bootstrap<>(new FaultlineApplication()),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    OptionCommand command = new BenchCommandStub();
    command.onError(cli, new Namespace(java.util.Map.of()), new IllegalArgumentException("--history takes one duration"));
    assertThat(err.toString(StandardCharsets.UTF_8))
        .isEqualTo("faultline bench: --history takes one duration" + System.lineSeparator());
    err.reset();
    command.onError(cli, new Namespace(java.util.Map.of()), new IllegalStateException("broken"));
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("IllegalStateException: broken").contains("\tat ");
  }

  private static final class BenchCommandStub extends OptionCommand {
    BenchCommandStub() {
      super("bench", "a stub");
    }

    @Override
    public void configure(net.sourceforge.argparse4j.inf.Subparser subparser) {}

    @Override
    public void run(Bootstrap<?> bootstrap, Namespace namespace) {}
  }
}
