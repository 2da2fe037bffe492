/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.dashboard;

import io.dropwizard.core.Configuration;
import io.dropwizard.core.ConfiguredBundle;
import io.dropwizard.core.setup.Environment;

/**
 * Serves the dashboard on the application port: {@code /} answers the index page and {@code
 * /ui/*} the assets. Both are servlet mappings more specific than Jersey's {@code /*}, so every API
 * path ({@code /api/*}, {@code /loki/*}) still reaches Jersey. The assets hold no data and need no
 * credential; the app signs in through {@code /api/session}.
 */
public final class DashboardBundle implements ConfiguredBundle<Configuration> {
  private final DashboardAssets assets;

  /** Loads the assets bundled in this module's jar. */
  public DashboardBundle() {
    this(DashboardAssets.load());
  }

  DashboardBundle(DashboardAssets assets) {
    this.assets = assets;
  }

  @Override
  public void run(Configuration configuration, Environment environment) {
    environment
        .servlets()
        .addServlet("dashboard", new DashboardServlet(assets))
        .addMapping("", DashboardServlet.UI_PREFIX + "*");
  }
}
