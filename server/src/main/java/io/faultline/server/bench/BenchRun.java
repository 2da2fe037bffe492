/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * What every workload starts with: when it began, the stamp its report and logs are named with, and
 * the output directory (created).
 */
record BenchRun(Instant began, String stamp, Path dir) {
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  static BenchRun start(Path out) throws IOException {
    Instant began = Instant.now();
    Path dir = out.toAbsolutePath().normalize();
    Files.createDirectories(dir);
    return new BenchRun(began, STAMP.format(began), dir);
  }

  /**
   * The client every workload talks to the servers with: HTTP/1.1 (no h2c upgrade attempts),
   * connections kept alive between requests.
   */
  static HttpClient httpClient() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }
}
