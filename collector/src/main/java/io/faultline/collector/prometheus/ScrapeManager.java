/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import io.faultline.core.ingest.TelemetrySink;
import java.io.Closeable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scrapes Prometheus endpoints on their intervals and hands the samples to the {@link
 * TelemetrySink} as remote-write batches; see {@link ScrapeTarget} for the labels and {@code
 * ScrapeLoop} for the report series and staleness. Targets come from configuration ({@link
 * Builder#targets}) and can be added and removed while running (the demo registers its services);
 * a removed target's series are marked stale at once.
 *
 * <p>Each target's first scrape is spread over its first interval by a hash of the target, so
 * many targets do not all fire at the same instant; afterwards it runs at a fixed rate. Scrapes
 * run on a small pool of daemon threads; a slow target holds one thread for at most its timeout.
 *
 * <p>Thread-safe. {@link #start()} once, {@link #close()} once (it marks every series stale).
 */
public final class ScrapeManager implements Closeable {
  /** Threads scraping concurrently by default. */
  public static final int DEFAULT_THREADS = 4;

  private static final Logger LOG = LoggerFactory.getLogger(ScrapeManager.class);

  private final TelemetrySink sink;
  private final Clock clock;
  private final ScrapeLimits limits;
  private final Fetcher fetcher;
  private final ScheduledThreadPoolExecutor executor;
  private final Map<String, Running> running = new ConcurrentHashMap<>();
  private final Object lifecycle = new Object();
  private boolean started;
  private boolean closed;

  /** How one target is doing, for operators and the status API. */
  public record TargetStatus(
      ScrapeTarget target, boolean up, Instant lastScrape, String lastError, Duration lastDuration) {}

  private record Running(ScrapeLoop loop, ScheduledFuture<?> future) {}

  private ScrapeManager(Builder b) {
    this.sink = b.sink;
    this.clock = b.clock;
    this.limits = b.limits;
    this.fetcher = b.fetcher != null ? b.fetcher : new HttpFetcher();
    AtomicInteger n = new AtomicInteger();
    this.executor =
        new ScheduledThreadPoolExecutor(
            b.threads,
            r -> {
              Thread t = new Thread(r, "faultline-scrape-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    for (ScrapeTarget t : b.targets) {
      running.put(t.key(), new Running(newLoop(t), null));
    }
  }

  public static Builder builder(TelemetrySink sink) {
    return new Builder(sink);
  }

  /** Starts scraping the configured targets and any added before. */
  public void start() {
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("the scrape manager is closed");
      }
      if (started) {
        return;
      }
      started = true;
      for (Map.Entry<String, Running> e : running.entrySet()) {
        e.setValue(new Running(e.getValue().loop(), schedule(e.getValue().loop())));
      }
      LOG.info("scraping {} Prometheus targets", running.size());
    }
  }

  /**
   * Adds a target, or replaces the one with the same {@link ScrapeTarget#key()} when its settings
   * changed (its series carry on without stale markers).
   *
   * @return false when the same target with the same settings is already scraped
   */
  public boolean addTarget(ScrapeTarget target) {
    Objects.requireNonNull(target, "target");
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("the scrape manager is closed");
      }
      Running old = running.get(target.key());
      if (old != null && old.loop().target().equals(target)) {
        return false;
      }
      ScrapeLoop loop = newLoop(target);
      if (old != null) {
        cancel(old);
        loop.inherit(old.loop());
      }
      running.put(target.key(), new Running(loop, started ? schedule(loop) : null));
      LOG.info("scraping {} every {} (job {})", target.uri(), target.interval(), target.job());
      return true;
    }
  }

  /**
   * Stops scraping a target and marks its series stale.
   *
   * @return false when it was not scraped
   */
  public boolean removeTarget(ScrapeTarget target) {
    Objects.requireNonNull(target, "target");
    Running r;
    synchronized (lifecycle) {
      r = running.remove(target.key());
    }
    if (r == null) {
      return false;
    }
    cancel(r);
    r.loop().stop();
    LOG.info("stopped scraping {} (job {})", target.uri(), target.job());
    return true;
  }

  public List<ScrapeTarget> targets() {
    List<ScrapeTarget> out = new ArrayList<>();
    for (Running r : running.values()) {
      out.add(r.loop().target());
    }
    out.sort((a, b) -> a.key().compareTo(b.key()));
    return out;
  }

  /** One entry per target; {@code up} false and times null before its first scrape. */
  public List<TargetStatus> status() {
    List<TargetStatus> out = new ArrayList<>();
    for (Running r : running.values()) {
      ScrapeLoop.Status s = r.loop().status();
      out.add(
          s == null
              ? new TargetStatus(r.loop().target(), false, null, null, null)
              : new TargetStatus(r.loop().target(), s.up(), s.lastScrape(), s.lastError(), s.lastDuration()));
    }
    out.sort((a, b) -> a.target().key().compareTo(b.target().key()));
    return out;
  }

  /** Stops every scrape and marks every series stale. */
  @Override
  public void close() {
    List<Running> all;
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      all = new ArrayList<>(running.values());
      running.clear();
    }
    for (Running r : all) {
      cancel(r);
    }
    executor.shutdown();
    try {
      if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("scrapes still running after 30 s at shutdown; abandoning them");
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      executor.shutdownNow();
    }
    for (Running r : all) {
      r.loop().stop();
    }
  }

  private ScrapeLoop newLoop(ScrapeTarget t) {
    return new ScrapeLoop(t, fetcher, sink, clock, limits);
  }

  private ScheduledFuture<?> schedule(ScrapeLoop loop) {
    long interval = loop.target().interval().toMillis();
    long offset = Math.floorMod((long) loop.target().key().hashCode(), interval);
    return executor.scheduleAtFixedRate(
        () -> {
          try {
            loop.scrape();
          } catch (Throwable t) {
            // a throw would cancel the schedule for good; scrape() is meant never to throw
            LOG.error("scrape loop of {} failed unexpectedly", loop.target().uri(), t);
          }
        },
        offset,
        interval,
        TimeUnit.MILLISECONDS);
  }

  private static void cancel(Running r) {
    if (r.future() != null) {
      r.future().cancel(false);
    }
  }

  /** Checks its inputs when set. Defaults: system clock, {@link ScrapeLimits#defaults()}. */
  public static final class Builder {
    private final TelemetrySink sink;
    private Clock clock = Clock.systemUTC();
    private ScrapeLimits limits = ScrapeLimits.defaults();
    private int threads = DEFAULT_THREADS;
    private List<ScrapeTarget> targets = List.of();
    private Fetcher fetcher;

    private Builder(TelemetrySink sink) {
      this.sink = Objects.requireNonNull(sink, "sink");
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder limits(ScrapeLimits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    public Builder threads(int threads) {
      if (threads <= 0) {
        throw new IllegalArgumentException("threads must be positive, got " + threads);
      }
      this.threads = threads;
      return this;
    }

    /** The configured targets; two with the same key are a configuration error. */
    public Builder targets(List<ScrapeTarget> targets) {
      List<ScrapeTarget> copy = List.copyOf(targets);
      java.util.Set<String> keys = new java.util.HashSet<>();
      for (ScrapeTarget t : copy) {
        if (!keys.add(t.key())) {
          throw new IllegalArgumentException(
              "scrape target " + t.uri() + " is listed twice in job " + t.job());
        }
      }
      this.targets = copy;
      return this;
    }

    Builder fetcher(Fetcher fetcher) {
      this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
      return this;
    }

    public ScrapeManager build() {
      return new ScrapeManager(this);
    }
  }
}
