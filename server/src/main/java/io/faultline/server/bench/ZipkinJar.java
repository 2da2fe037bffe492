/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Finds Zipkin's executable jar in the local Maven repository, or fetches it there with Maven
 * ({@code dependency:copy}). It is a benchmark tool, not a dependency of any module.
 */
final class ZipkinJar {
  static final String ARTIFACT = "io.zipkin:zipkin-server:" + ZipkinTarget.VERSION + ":jar:exec";
  private static final String FILE = "zipkin-server-" + ZipkinTarget.VERSION + "-exec.jar";

  private ZipkinJar() {}

  static Path locate(ChildProcesses children, Path toolsDir, Path log)
      throws IOException, InterruptedException {
    String repo = System.getProperty("maven.repo.local");
    Path local =
        (repo != null
                ? Path.of(repo)
                : Path.of(System.getProperty("user.home"), ".m2", "repository"))
            .resolve(Path.of("io", "zipkin", "zipkin-server", ZipkinTarget.VERSION, FILE));
    if (Files.isRegularFile(local)) {
      return local;
    }
    Path fetched = toolsDir.resolve(FILE);
    if (Files.isRegularFile(fetched)) {
      return fetched;
    }
    Files.createDirectories(toolsDir);
    System.out.println("fetching " + ARTIFACT + " with Maven into " + toolsDir + " ...");
    Process mvn =
        children.start(
            List.of(
                "mvn",
                "-q",
                "-B",
                "dependency:copy",
                "-Dartifact=" + ARTIFACT,
                "-DoutputDirectory=" + toolsDir.toAbsolutePath()),
            Map.of(),
            log);
    if (!mvn.waitFor(10, TimeUnit.MINUTES)
        || mvn.exitValue() != 0
        || !Files.isRegularFile(fetched)) {
      children.stop(mvn, java.time.Duration.ofSeconds(5));
      throw new IOException(
          "could not get the Zipkin server jar ("
              + ARTIFACT
              + "): Maven failed,"
              + " see "
              + log
              + ". Fetch it by hand with 'mvn dependency:copy -Dartifact="
              + ARTIFACT
              + " -DoutputDirectory="
              + toolsDir
              + "', pass --zipkin-jar FILE, or run with"
              + " --zipkin false.");
    }
    children.stop(mvn, java.time.Duration.ofSeconds(5));
    return fetched;
  }
}
