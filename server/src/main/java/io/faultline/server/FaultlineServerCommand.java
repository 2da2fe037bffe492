/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import io.dropwizard.core.Application;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ServerCommand;
import net.sourceforge.argparse4j.inf.Namespace;

/**
 * Dropwizard's {@code server} command, except that a setting that keeps the server from starting
 * ({@link InvalidSettingException}) is reported as its message alone: the operator needs the
 * setting and what to do, not a stack trace.
 */
final class FaultlineServerCommand extends ServerCommand<FaultlineConfiguration> {
  FaultlineServerCommand(Application<FaultlineConfiguration> application) {
    super(application);
  }

  @Override
  public void onError(Cli cli, Namespace namespace, Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof InvalidSettingException invalid) {
        cli.getStdErr().println("faultline: cannot start: " + invalid.getMessage());
        return;
      }
    }
    super.onError(cli, namespace, e);
  }
}
