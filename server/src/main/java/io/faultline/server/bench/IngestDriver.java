/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sends the generator's whole stream to a target from {@code clients} concurrent senders, each
 * waiting for its acknowledgement before sending the next batch, as OTLP exporters do. Backpressure
 * (429, 503) is honoured: the sender waits as long as {@code Retry-After} says and sends the same
 * batch again.
 */
final class IngestDriver {
  private static final int MAX_NETWORK_FAILURES = 5;
  private static final Duration MAX_BACKOFF_PER_BATCH = Duration.ofMinutes(10);
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(10);

  /** What the ingest phase did; {@code seconds} is wall clock from first send to last ack. */
  record Result(
      long spansSent,
      long spansRejected,
      long batches,
      long retries,
      double backoffSeconds,
      double seconds) {
    long spansAcknowledged() {
      return spansSent - spansRejected;
    }
  }

  private final HttpClient client = BenchRun.httpClient();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong backoffMillis = new AtomicLong();
  private final AtomicReference<Exception> failure = new AtomicReference<>();

  Result run(
      BenchTarget target,
      TraceGenerator generator,
      int clients,
      int batchSize,
      PrintStream progress)
      throws Exception {
    long start = System.nanoTime();
    List<Thread> senders = new ArrayList<>(clients);
    for (int i = 0; i < clients; i++) {
      Thread sender = new Thread(() -> sendAll(target, generator, batchSize), "bench-sender-" + i);
      senders.add(sender);
      sender.start();
    }
    Thread reporter = new Thread(() -> report(target, progress, start), "bench-progress");
    reporter.setDaemon(true);
    reporter.start();
    for (Thread sender : senders) {
      sender.join();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    reporter.interrupt();
    if (failure.get() != null) {
      throw failure.get();
    }
    return new Result(
        sent.get(),
        rejected.get(),
        batches.get(),
        retries.get(),
        backoffMillis.get() / 1000.0,
        seconds);
  }

  private void sendAll(BenchTarget target, TraceGenerator generator, int batchSize) {
    try {
      while (failure.get() == null) {
        List<TraceGenerator.SpanRef> batch = generator.nextBatch(batchSize);
        if (batch.isEmpty()) {
          return;
        }
        HttpRequest request = target.ingest(generator, batch);
        long rejectedHere = send(target, request, batch.size());
        rejected.addAndGet(rejectedHere);
        sent.addAndGet(batch.size());
        batches.incrementAndGet();
      }
    } catch (Exception e) {
      failure.compareAndSet(null, e);
    }
  }

  private long send(BenchTarget target, HttpRequest request, int spans)
      throws IOException, InterruptedException {
    int networkFailures = 0;
    long waitedMillis = 0;
    while (true) {
      HttpResponse<byte[]> response;
      try {
        response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException e) {
        if (++networkFailures >= MAX_NETWORK_FAILURES) {
          throw new IOException(
              "sending a batch to "
                  + target.name()
                  + " failed "
                  + networkFailures
                  + " times in a row ("
                  + e
                  + "); is the server still running?",
              e);
        }
        Thread.sleep(1000);
        continue;
      }
      int status = response.statusCode();
      if (status / 100 == 2) {
        return target.rejectedSpans(response.body());
      }
      if (status == 429 || status == 503) {
        long waitMillis = retryAfterMillis(response);
        waitedMillis += waitMillis;
        if (waitedMillis > MAX_BACKOFF_PER_BATCH.toMillis()) {
          throw new IOException(
              target.name()
                  + " kept answering "
                  + status
                  + " to one batch for "
                  + MAX_BACKOFF_PER_BATCH.toMinutes()
                  + " minutes; it is not draining its backlog");
        }
        retries.incrementAndGet();
        backoffMillis.addAndGet(waitMillis);
        Thread.sleep(waitMillis);
        continue;
      }
      String body = new String(response.body(), StandardCharsets.UTF_8);
      throw new IOException(
          target.name()
              + " answered "
              + status
              + " to a batch of "
              + spans
              + " spans: "
              + body.substring(0, Math.min(500, body.length())));
    }
  }

  /**
   * {@code Retry-After} in seconds (the HTTP-date form is not used by either server): 1 s if
   * absent.
   */
  static long retryAfterMillis(HttpResponse<?> response) {
    return response
        .headers()
        .firstValue("Retry-After")
        .map(
            v -> {
              try {
                return Math.max(0, Math.min(60, Long.parseLong(v.trim()))) * 1000;
              } catch (NumberFormatException e) {
                return 1000L;
              }
            })
        .orElse(1000L);
  }

  private void report(BenchTarget target, PrintStream progress, long start) {
    try {
      while (true) {
        Thread.sleep(PROGRESS_EVERY.toMillis());
        double seconds = (System.nanoTime() - start) / 1e9;
        progress.printf(
            "  %s: %,d spans acknowledged, %,.0f spans/s, %d retries%n",
            target.name(), sent.get() - rejected.get(), sent.get() / seconds, retries.get());
      }
    } catch (InterruptedException done) {
      Thread.currentThread().interrupt();
    }
  }
}
