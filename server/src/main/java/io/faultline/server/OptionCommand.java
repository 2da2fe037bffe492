/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.Command;
import net.sourceforge.argparse4j.inf.Namespace;

/**
 * A command whose bad options and settings ({@link IllegalArgumentException}s, whose messages say
 * which and why) are printed as one line, {@code faultline <command>: <message>}: a stack trace
 * would bury the message.
 */
public abstract class OptionCommand extends Command {
  protected OptionCommand(String name, String description) {
    super(name, description);
  }

  @Override
  public void onError(Cli cli, Namespace namespace, Throwable e) {
    if (e instanceof IllegalArgumentException) {
      cli.getStdErr().println("faultline " + getName() + ": " + e.getMessage());
      return;
    }
    super.onError(cli, namespace, e);
  }
}
