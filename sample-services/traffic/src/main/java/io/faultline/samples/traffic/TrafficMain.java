/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.traffic;

import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Starts journeys at a fixed rate against the gateway until the duration or journey count is
 * reached, or the process is stopped (SIGTERM/Ctrl-C: journeys in flight finish their current
 * step, then a summary is printed). Journeys that would exceed {@code --concurrency} are
 * skipped and counted, so a slow shop does not make the generator pile up work.
 */
public final class TrafficMain {
  private TrafficMain() {}

  public static void main(String[] args) throws InterruptedException {
    TrafficOptions options;
    try {
      options = TrafficOptions.parse(args, System.getenv(), System.nanoTime());
    } catch (IllegalArgumentException e) {
      if (!"help".equals(e.getMessage())) {
        System.err.println("traffic: " + e.getMessage());
      }
      System.err.println(TrafficOptions.USAGE);
      System.exit(2);
      return;
    }
    System.out.printf(
        "traffic: %.2f journeys/s against %s (seed %d, duration %ss, journeys %s)%n",
        options.journeysPerSecond(),
        options.gateway(),
        options.seed(),
        options.duration().isZero() ? "unbounded " : options.duration().toSeconds(),
        options.maxJourneys() == 0 ? "unbounded" : options.maxJourneys());
    run(options, new HttpShopApi(options.gateway()));
  }

  static Stats run(TrafficOptions options, ShopApi api) throws InterruptedException {
    Stats stats = new Stats();
    Random seeds = new Random(options.seed());
    AtomicLong started = new AtomicLong();
    AtomicLong skipped = new AtomicLong();
    CountDownLatch done = new CountDownLatch(1);
    ThreadPoolExecutor workers =
        new ThreadPoolExecutor(
            options.concurrency(), options.concurrency(), 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(options.concurrency()),
            r -> {
              Thread t = new Thread(r, "journey");
              t.setDaemon(true);
              return t;
            });
    ScheduledExecutorService ticker = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "traffic-ticker");
      t.setDaemon(true);
      return t;
    });
    Thread hook = new Thread(done::countDown, "traffic-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    long periodMicros = (long) (1_000_000 / options.journeysPerSecond());
    ticker.scheduleAtFixedRate(
        () -> {
          if (options.maxJourneys() > 0 && started.get() >= options.maxJourneys()) {
            done.countDown();
            return;
          }
          long id = started.incrementAndGet();
          Random random = new Random(seeds.nextLong());
          Journey journey =
              new Journey(api, options.apiKey(), random, () -> think(options, random), stats);
          try {
            workers.execute(() -> {
              try {
                journey.run(id);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
          } catch (RejectedExecutionException e) {
            skipped.incrementAndGet();
          }
        },
        0, periodMicros, TimeUnit.MICROSECONDS);
    ticker.scheduleAtFixedRate(
        () -> System.out.printf("traffic: %d journeys started, %d skipped%n%s", started.get(), skipped.get(), stats.summary()),
        10, 10, TimeUnit.SECONDS);
    if (options.duration().isZero()) {
      done.await();
    } else {
      done.await(options.duration().toMillis(), TimeUnit.MILLISECONDS);
    }
    ticker.shutdownNow();
    workers.shutdown();
    if (!workers.awaitTermination(20, TimeUnit.SECONDS)) {
      workers.shutdownNow();
    }
    System.out.printf("traffic: done, %d journeys started, %d skipped%n%s", started.get(), skipped.get(), stats.summary());
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // the hook is what brought us here
    }
    return stats;
  }

  private static void think(TrafficOptions options, Random random) throws InterruptedException {
    long min = options.thinkMin().toMillis();
    long max = options.thinkMax().toMillis();
    // a shopper reading the page: waiting is the point
    Thread.sleep(min + (max > min ? (long) (random.nextDouble() * (max - min)) : 0));
  }
}
