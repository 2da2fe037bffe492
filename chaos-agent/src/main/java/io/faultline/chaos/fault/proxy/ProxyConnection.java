/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied connection: per direction a reader that timestamps chunks as they arrive and a
 * writer that applies the toxics, so latency is added per chunk from its arrival, not stacked.
 */
final class ProxyConnection {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyConnection.class);
  private static final int CHUNK = 16 * 1024;
  private static final int QUEUED_CHUNKS = 32;

  private final FaultProxy proxy;
  private final Socket client;
  private volatile Socket upstream;
  private final Map<ActiveToxic, Boolean> rolls = new ConcurrentHashMap<>();
  private final Object clientWrite = new Object();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger halfClosed = new AtomicInteger();
  private final List<Thread> workers = new java.util.concurrent.CopyOnWriteArrayList<>();

  ProxyConnection(FaultProxy proxy, Socket client) {
    this.proxy = proxy;
    this.client = client;
  }

  void start(String host, int port, int connectTimeoutMs, List<ActiveToxic> existing) {
    Socket up = new Socket();
    try {
      client.setTcpNoDelay(true);
      up.setTcpNoDelay(true);
      up.connect(new InetSocketAddress(host, port), connectTimeoutMs);
    } catch (IOException e) {
      LOG.warn("proxy {}: cannot reach upstream {}:{} ({}); closing the client connection",
          proxy.name(), host, port, e.toString());
      closeQuietly(up);
      close();
      return;
    }
    upstream = up;
    if (closed.get()) {
      closeQuietly(up);
      return;
    }
    for (ActiveToxic at : existing) {
      onToxic(at);
    }
    try {
      Pipe toUpstream = new Pipe(Direction.UPSTREAM, up.getOutputStream(), up, false);
      Pipe toClient = new Pipe(Direction.DOWNSTREAM, client.getOutputStream(), client, true);
      InputStream clientIn = client.getInputStream();
      InputStream upstreamIn = up.getInputStream();
      spawn(toUpstream::writeLoop);
      spawn(toClient::writeLoop);
      spawn(() -> toClient.readLoop(upstreamIn));
      if (proxy.protocol() == FaultProxy.Protocol.HTTP) {
        spawn(() -> toUpstream.readHttp(clientIn));
      } else {
        spawn(() -> toUpstream.readLoop(clientIn));
      }
    } catch (IOException e) {
      close();
    }
  }

  /** A toxic became known to this connection: start the timers of connection-wide toxics. */
  void onToxic(ActiveToxic at) {
    ToxicKind kind = at.toxic.kind();
    if ((kind != ToxicKind.TIMEOUT && kind != ToxicKind.RESET_PEER) || !applies(at)) {
      return;
    }
    long timeout = at.toxic.setting("timeoutMs");
    at.hits.incrementAndGet();
    if (kind == ToxicKind.TIMEOUT && timeout == 0) {
      return; // a blackhole never closes: data is dropped while it lasts
    }
    proxy.scheduler().schedule(() -> {
      if (proxy.isLive(at)) {
        if (kind == ToxicKind.RESET_PEER) {
          reset();
        } else {
          close();
        }
      }
    }, timeout, TimeUnit.MILLISECONDS);
  }

  boolean applies(ActiveToxic at) {
    return rolls.computeIfAbsent(at, t -> proxy.chance(t.toxic.toxicity()));
  }

  FaultProxy proxy() {
    return proxy;
  }

  /** Writes an answer of the proxy's own to the client, between two forwarded responses. */
  void writeToClient(byte[] bytes) throws IOException {
    synchronized (clientWrite) {
      client.getOutputStream().write(bytes);
      client.getOutputStream().flush();
    }
  }

  /** Ends the connection with TCP RST on both sides, as a crashed peer would. */
  void reset() {
    try {
      client.setSoLinger(true, 0);
      Socket up = upstream;
      if (up != null) {
        up.setSoLinger(true, 0);
      }
    } catch (IOException e) {
      LOG.debug("set linger for reset", e);
    }
    close();
  }

  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closeQuietly(client);
    closeQuietly(upstream);
    for (Thread t : workers) {
      t.interrupt();
    }
    proxy.forget(this);
  }

  private void spawn(Runnable r) {
    proxy.threads().execute(() -> {
      workers.add(Thread.currentThread());
      try {
        if (!closed.get()) {
          r.run();
        }
      } finally {
        workers.remove(Thread.currentThread());
        Thread.interrupted();
      }
    });
  }

  private static void closeQuietly(Socket s) {
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        // nothing left to do with a socket that will not close
      }
    }
  }

  /** Waits until {@code deadlineNanos} (System.nanoTime); false if interrupted (closing). */
  static boolean waitUntil(long deadlineNanos) {
    long left;
    while ((left = deadlineNanos - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
      if (Thread.currentThread().isInterrupted()) {
        return false;
      }
    }
    return true;
  }

  private record Chunk(byte[] data, long arrivedNanos) {
    boolean eof() {
      return data == null;
    }
  }

  /** One direction: bytes read from one socket are written, toxics applied, to the other. */
  final class Pipe {
    private final Direction direction;
    private final OutputStream out;
    private final Socket destination;
    private final boolean toClient;
    private final BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUED_CHUNKS);
    private long passed;

    Pipe(Direction direction, OutputStream out, Socket destination, boolean toClient) {
      this.direction = direction;
      this.out = out;
      this.destination = destination;
      this.toClient = toClient;
    }

    void readLoop(InputStream in) {
      byte[] buf = new byte[CHUNK];
      try {
        int n;
        while ((n = in.read(buf)) >= 0) {
          if (n > 0) {
            forward(java.util.Arrays.copyOf(buf, n));
          }
        }
        endOfStream();
      } catch (IOException e) {
        // the peer reset or the connection was closed: end both sides
        close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
      }
    }

    void readHttp(InputStream in) {
      try {
        new HttpRequestReader(ProxyConnection.this, in, this).run();
        endOfStream();
      } catch (IOException e) {
        close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
      }
    }

    void forward(byte[] data) throws InterruptedException {
      queue.put(new Chunk(data, System.nanoTime()));
    }

    void endOfStream() throws InterruptedException {
      queue.put(new Chunk(null, System.nanoTime()));
    }

    void writeLoop() {
      try {
        while (!closed.get()) {
          Chunk c = queue.take();
          List<ActiveToxic> active = proxy.tcpToxics(direction);
          active.removeIf(at -> !applies(at));
          if (c.eof()) {
            slowClose(active);
            halfClose();
            return;
          }
          if (!writeChunk(c, active)) {
            return;
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (IOException e) {
        close();
      }
    }

    private void slowClose(List<ActiveToxic> active) {
      for (ActiveToxic at : active) {
        if (at.toxic.kind() == ToxicKind.SLOW_CLOSE) {
          at.hits.incrementAndGet();
          waitUntil(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(at.toxic.setting("delayMs")));
        }
      }
    }

    private void halfClose() {
      try {
        destination.shutdownOutput();
      } catch (IOException e) {
        close();
        return;
      }
      if (halfClosed.incrementAndGet() == 2) {
        close();
      }
    }

    /** False when the connection ended (data limit reached, closing). */
    private boolean writeChunk(Chunk c, List<ActiveToxic> active) throws IOException {
      long delayNanos = 0;
      long limit = Long.MAX_VALUE;
      ActiveToxic slicer = null;
      long rate = 0;
      for (ActiveToxic at : active) {
        Toxic t = at.toxic;
        switch (t.kind()) {
          case TIMEOUT -> {
            return true; // dropped; the toxic's timer closes the connection
          }
          case LATENCY -> {
            long jitter = t.setting("jitterMs");
            double ms = t.setting("latencyMs") + (jitter == 0 ? 0 : jitter * proxy.signedUnit());
            delayNanos += (long) (ms * 1_000_000);
            at.hits.incrementAndGet();
          }
          case LIMIT_DATA -> limit = Math.min(limit, t.setting("bytes"));
          case SLICER -> slicer = at;
          case BANDWIDTH -> rate = rate == 0 ? t.setting("rateKbps") : Math.min(rate, t.setting("rateKbps"));
          default -> { }
        }
      }
      if (delayNanos > 0 && !waitUntil(c.arrivedNanos() + delayNanos)) {
        return false;
      }
      byte[] data = c.data();
      int len = data.length;
      boolean limitReached = false;
      if (limit != Long.MAX_VALUE && passed + len >= limit) {
        len = (int) Math.max(0, limit - passed);
        limitReached = true;
      }
      int off = 0;
      long paceNanos = System.nanoTime();
      while (off < len) {
        int piece = len - off;
        long pause = 0;
        if (slicer != null) {
          Toxic t = slicer.toxic;
          long avg = t.setting("averageSize");
          long var = t.setting("sizeVariation");
          long size = var == 0 ? avg : avg + proxy.nextInt((int) (2 * var + 1)) - var;
          piece = (int) Math.min(piece, Math.max(1, size));
          pause = TimeUnit.MICROSECONDS.toNanos(t.setting("delayMicros"));
          slicer.hits.incrementAndGet();
        }
        if (rate > 0) {
          long bytesPerSecond = rate * 1024;
          piece = (int) Math.min(piece, Math.max(1, bytesPerSecond / 20)); // ~50 ms per write
          paceNanos += piece * 1_000_000_000L / bytesPerSecond;
        }
        write(data, off, piece);
        off += piece;
        if (rate > 0 && !waitUntil(paceNanos)) {
          return false;
        }
        if (pause > 0 && off < len && !waitUntil(System.nanoTime() + pause)) {
          return false;
        }
      }
      passed += len;
      if (limitReached) {
        for (ActiveToxic at : active) {
          if (at.toxic.kind() == ToxicKind.LIMIT_DATA) {
            at.hits.incrementAndGet();
          }
        }
        close();
        return false;
      }
      return true;
    }

    private void write(byte[] data, int off, int len) throws IOException {
      if (toClient) {
        synchronized (clientWrite) {
          out.write(data, off, len);
          out.flush();
        }
      } else {
        out.write(data, off, len);
        out.flush();
      }
    }
  }
}
