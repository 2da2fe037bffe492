/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns {@code FAULTLINE_*} environment variables and the {@code --data-dir} flag into
 * Dropwizard's {@code dw.*} system-property overrides, which win over {@code config.yml}.
 */
final class EnvironmentOverrides {
  /** Environment variable to configuration path. Documented in the README. */
  static final Map<String, String> VARIABLES =
      Map.ofEntries(
          Map.entry("FAULTLINE_DATA_DIR", "dataDir"),
          Map.entry("FAULTLINE_AUTH_ENABLED", "auth.enabled"),
          Map.entry("FAULTLINE_ADMIN_TOKEN", "auth.adminToken"),
          Map.entry("FAULTLINE_TLS_ENABLED", "tls.enabled"),
          Map.entry("FAULTLINE_TLS_KEY_STORE_PATH", "tls.keyStorePath"),
          Map.entry("FAULTLINE_TLS_KEY_STORE_PASSWORD", "tls.keyStorePassword"),
          Map.entry("FAULTLINE_TLS_KEY_STORE_TYPE", "tls.keyStoreType"),
          Map.entry("FAULTLINE_HTTP_PORT", "server.applicationConnectors[0].port"),
          Map.entry("FAULTLINE_ADMIN_PORT", "server.adminConnectors[0].port"),
          Map.entry("FAULTLINE_OTLP_BIND_HOST", "otlp.bindHost"),
          Map.entry("FAULTLINE_OTLP_GRPC_PORT", "otlp.grpcPort"),
          Map.entry("FAULTLINE_OTLP_HTTP_PORT", "otlp.httpPort"),
          Map.entry("FAULTLINE_TRACE_RETENTION", "traces.retention"),
          Map.entry("FAULTLINE_LOG_RETENTION", "logs.retention"),
          Map.entry("FAULTLINE_LOGSTASH_PORT", "logstash.port"));

  private EnvironmentOverrides() {}

  /**
   * Applies the environment to system properties and returns the arguments without the flags
   * handled here ({@code --data-dir DIR} or {@code --data-dir=DIR}, anywhere before the config
   * file).
   */
  static String[] apply(String[] args, Map<String, String> env) {
    VARIABLES.forEach(
        (var, path) -> {
          String value = env.get(var);
          if (value != null && !value.isEmpty() && System.getProperty("dw." + path) == null) {
            System.setProperty("dw." + path, value);
          }
        });
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--data-dir")) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("--data-dir needs a directory");
        }
        System.setProperty("dw.dataDir", args[++i]);
      } else if (a.startsWith("--data-dir=")) {
        System.setProperty("dw.dataDir", a.substring("--data-dir=".length()));
      } else {
        rest.add(a);
      }
    }
    return rest.toArray(String[]::new);
  }
}
