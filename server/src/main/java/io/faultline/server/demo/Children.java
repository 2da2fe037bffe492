/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.demo;

import io.faultline.server.demo.DemoPlan.Child;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The processes the demo started, each with its output in {@code <logDir>/<name>.log}. Stopping
 * is SIGTERM to all of them (newest first), then SIGKILL for whatever still runs after the
 * grace period, so nothing the demo started outlives it.
 */
final class Children {
  record Running(Child spec, Process process, Path log) {
    String name() {
      return spec.name();
    }
  }

  private final Path logDir;
  private final List<Running> running = new CopyOnWriteArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  Children(Path logDir) {
    this.logDir = logDir;
  }

  Running start(Child child) throws IOException {
    Files.createDirectories(logDir);
    Path log = logDir.resolve(child.name() + ".log");
    ProcessBuilder pb = new ProcessBuilder(child.command());
    // the generated config and flags decide; a stray OTEL_* or FAULTLINE_* in the shell must not
    pb.environment().keySet().removeIf(k -> k.startsWith("FAULTLINE_") || k.startsWith("OTEL_"));
    pb.environment().putAll(child.env());
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Running r = new Running(child, pb.start(), log);
    running.add(r);
    return r;
  }

  List<Running> running() {
    return List.copyOf(running);
  }

  /**
   * Waits until the child's health URL answers 200, or fails naming its log when it exits or
   * the deadline ({@link System#nanoTime()}) passes.
   */
  void awaitHealthy(Running r, long deadlineNanos) throws IOException, InterruptedException {
    URI url = URI.create(r.spec().healthUrl());
    while (true) {
      if (!r.process().isAlive()) {
        throw new DemoException(
            r.name() + " exited with status " + r.process().exitValue() + " while starting; see " + r.log()
                + ", which ends with:\n" + tail(r.log(), 25));
      }
      try {
        HttpResponse<Void> response =
            http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (System.nanoTime() - deadlineNanos > 0) {
        throw new DemoException(
            r.name() + " was not healthy at " + url + " in time; see " + r.log() + ", which ends with:\n"
                + tail(r.log(), 25));
      }
      // a child has no readiness signal but its health endpoint, so poll it at a modest pace
      Thread.sleep(250);
    }
  }

  /** The first child that is no longer running, if any. */
  Optional<Running> firstExited() {
    return running.stream().filter(r -> !r.process().isAlive()).findFirst();
  }

  void forget(Running r) {
    running.remove(r);
  }

  /**
   * SIGTERM to every child, newest first (traffic before the services before the platform, so
   * telemetry in flight still lands), SIGKILL after {@code grace}.
   *
   * @return the names of the children that had to be killed
   */
  List<String> stopAll(Duration grace) {
    List<Running> all = new ArrayList<>(running);
    java.util.Collections.reverse(all);
    List<String> killed = new ArrayList<>();
    for (Running r : all) {
      r.process().descendants().forEach(ProcessHandle::destroy);
      r.process().destroy();
    }
    long deadline = System.nanoTime() + grace.toNanos();
    for (Running r : all) {
      try {
        long left = Math.max(0, deadline - System.nanoTime());
        if (!r.process().waitFor(left, TimeUnit.NANOSECONDS)) {
          killed.add(r.name());
          r.process().descendants().forEach(ProcessHandle::destroyForcibly);
          r.process().destroyForcibly();
          r.process().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        r.process().destroyForcibly();
        Thread.currentThread().interrupt();
      }
      running.remove(r);
    }
    return killed;
  }

  /** Resident memory of the running children, from /proc (0 where it cannot be read). */
  long residentBytes() {
    return running.stream().mapToLong(r -> residentBytes(r.process().pid())).sum();
  }

  static long residentBytes(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | UncheckedIOException | NumberFormatException notLinux) {
      // no /proc: memory is reported as unknown
    }
    return 0;
  }

  static String tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log, java.nio.charset.StandardCharsets.ISO_8859_1);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(log not readable: " + e.getMessage() + ")";
    }
  }

  /** The demo cannot go on; the message says which child and where its log is. */
  static final class DemoException extends IOException {
    DemoException(String message) {
      super(message);
    }
  }
}
