/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Every process the benchmark starts, so that all of them are stopped when it ends: normally, on an
 * exception, or on Ctrl-C (a JVM shutdown hook). A benchmark that leaves a 12 GB Zipkin behind
 * would spoil the next run's figures.
 */
final class ChildProcesses implements AutoCloseable {
  private static final Duration GRACE = Duration.ofSeconds(60);

  private final List<Process> live = new CopyOnWriteArrayList<>();
  private final List<Runnable> cleanups = new CopyOnWriteArrayList<>();
  private final Thread hook = new Thread(this::stopAll, "bench-stop-children");

  ChildProcesses() {
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * Runs {@code cleanup} after the processes are stopped, unless {@link #done} was called first.
   */
  void onStop(Runnable cleanup) {
    cleanups.add(cleanup);
  }

  void done(Runnable cleanup) {
    cleanups.remove(cleanup);
  }

  /** Starts a process whose output (stdout and stderr) is appended to {@code log}. */
  Process start(List<String> command, Map<String, String> env, Path log) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    Process process = pb.start();
    live.add(process);
    return process;
  }

  /**
   * SIGTERM, so the server shuts down cleanly (and commits); SIGKILL if it has not exited after
   * {@code grace}.
   *
   * @return true if the process exited by itself within the grace period
   */
  boolean stop(Process process, Duration grace) throws InterruptedException {
    try {
      if (!process.isAlive()) {
        return true;
      }
      process.destroy();
      if (process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        return true;
      }
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
      return false;
    } finally {
      live.remove(process);
    }
  }

  /**
   * Waits until {@code url} answers 200, failing early (with the log's tail) if the process dies.
   */
  static void awaitReady(Process process, URI url, Duration timeout, Path log, String what)
      throws IOException, InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException(
            what
                + " exited with status "
                + process.exitValue()
                + " before it was ready; its log "
                + log
                + " ends with:\n"
                + tail(log, 30));
      }
      try {
        HttpResponse<Void> response =
            client.send(
                HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IOException(
        what
            + " did not answer "
            + url
            + " within "
            + timeout.toSeconds()
            + " s; see its log "
            + log
            + ", which ends with:\n"
            + tail(log, 30));
  }

  static String tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(log not readable: " + e.getMessage() + ")";
    }
  }

  static int freePort() throws IOException {
    return freePorts(1)[0];
  }

  /**
   * {@code n} distinct free ports: every socket stays open until all are chosen, since a port
   * closed before the next is asked for may be handed out again.
   */
  static int[] freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>(n);
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket socket = new ServerSocket(0);
        sockets.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }

  private void stopAll() {
    for (Process process : live) {
      process.destroy();
    }
    for (Process process : live) {
      try {
        if (!process.waitFor(GRACE.toSeconds(), TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(30, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    live.clear();
    for (Runnable cleanup : cleanups) {
      cleanup.run();
    }
    cleanups.clear();
  }

  @Override
  public void close() {
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or about to: it stops the same processes
    }
  }
}
