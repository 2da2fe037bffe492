/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.demo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything the demo needs to know: where data and logs go, where the built jars are, and the
 * loopback ports. Services take consecutive ports from {@code servicePortBase} in the order of
 * {@link DemoPlan#SERVICES}, then the fault proxies and their control endpoint ({@link
 * DemoPlan#PORTS} in all).
 */
record DemoOptions(
    Path dataDir,
    Path serverJar,
    Path servicesDir,
    Path javaBin,
    int httpPort,
    int adminPort,
    int otlpGrpcPort,
    int otlpHttpPort,
    int logstashPort,
    int servicePortBase,
    String adminToken,
    String chaosPassword,
    double trafficRate,
    Duration trafficDuration,
    Duration startTimeout) {

  DemoOptions {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(serverJar, "serverJar");
    Objects.requireNonNull(servicesDir, "servicesDir");
    Objects.requireNonNull(javaBin, "javaBin");
    for (int port : new int[] {httpPort, adminPort, otlpGrpcPort, otlpHttpPort, logstashPort}) {
      checkPort(port);
    }
    checkPort(servicePortBase);
    checkPort(servicePortBase + DemoPlan.PORTS - 1);
    if (adminToken == null || adminToken.isBlank()) {
      throw new IllegalArgumentException("the admin token (FAULTLINE_ADMIN_TOKEN) must not be empty");
    }
    if (chaosPassword == null || chaosPassword.isBlank()) {
      throw new IllegalArgumentException("the chaos password must not be empty");
    }
    if (!(trafficRate >= 0 && trafficRate <= 100)) {
      throw new IllegalArgumentException("--traffic-rate must be in [0, 100] journeys per second (0: no traffic), got " + trafficRate);
    }
    if (trafficDuration.isNegative() || startTimeout.isNegative() || startTimeout.isZero()) {
      throw new IllegalArgumentException("durations must be positive");
    }
  }

  private static void checkPort(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 1-65535");
    }
  }

  Path logDir() {
    return dataDir.resolve("demo-logs");
  }

  int servicePort(String service) {
    int i = DemoPlan.SERVICES.indexOf(service);
    if (i < 0) {
      throw new IllegalArgumentException("no service " + service);
    }
    return servicePortBase + i;
  }
}
