/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.logstash;

import io.faultline.collector.logstash.LogstashMetrics.Outcome;
import io.faultline.core.ingest.BackpressureException;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Logstash-style TCP input (default port {@value #DEFAULT_PORT}): newline-delimited JSON
 * events as logstash-logback-encoder's TCP appender writes them, mapped by {@link LogstashEvents}
 * onto OTLP log records and handed to the {@link TelemetrySink} as {@code LOGS} batches.
 *
 * <p>Behaviour:
 *
 * <ul>
 *   <li><b>Group commit.</b> Each connection collects the lines it can read without blocking, up to
 *       {@link Builder#maxBatchLines} lines, into one batch and waits until the sink has made it
 *       durable before reading on. An idle connection's line is committed at once; a busy one's
 *       batches grow while the previous one is being written. There is no acknowledgement on this
 *       protocol: a kill -9 may lose only the lines of the batch being written.
 *   <li><b>Backpressure.</b> While the sink has no room, the connection stops reading, so the
 *       kernel's buffers fill and TCP slows the sender; nothing is dropped.
 *   <li><b>Bad lines</b> (not a JSON object, over {@link Builder#maxLineBytes}, not UTF-8) are
 *       counted in {@code faultline_logstash_lines_total{outcome}} and skipped; the connection and
 *       the other lines go on.
 * </ul>
 *
 * <p>One thread per connection, at most {@link Builder#maxConnections} connections. With {@link
 * Builder#tls} the input accepts TLS connections only (as the appender's {@code <ssl>} setting
 * opens them); the handshake runs on the connection's thread, so a slow client never holds up
 * accepting others.
 */
public final class LogstashTcpReceiver implements AutoCloseable {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 5044;
  public static final int DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
  public static final int DEFAULT_MAX_BATCH_LINES = 1000;
  public static final int DEFAULT_MAX_CONNECTIONS = 1000;
  public static final String DEFAULT_SERVICE = LogstashEvents.UNKNOWN_SERVICE;

  private static final Logger LOG = LoggerFactory.getLogger(LogstashTcpReceiver.class);
  private static final int MAX_BATCH_BYTES = 8 * 1024 * 1024;
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(1);
  private static final long ERROR_LOG_INTERVAL_MILLIS = 10_000;

  private final TelemetrySink sink;
  private final String host;
  private final int requestedPort;
  private final String defaultService;
  private final int maxLineBytes;
  private final int maxBatchLines;
  private final int maxConnections;
  private final Clock clock;
  private final KeyManagerFactory tls;
  private final LogstashMetrics metrics;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicLong lastErrorLog = new AtomicLong(Long.MIN_VALUE);
  private volatile boolean running;
  private ServerSocket server;
  private Thread acceptor;

  private LogstashTcpReceiver(Builder b) {
    this.sink = b.sink;
    this.host = b.host;
    this.requestedPort = b.port;
    this.defaultService = b.defaultService;
    this.maxLineBytes = b.maxLineBytes;
    this.maxBatchLines = b.maxBatchLines;
    this.maxConnections = b.maxConnections;
    this.clock = b.clock;
    this.tls = b.tls;
    this.metrics = new LogstashMetrics(b.registry, connections::size);
  }

  public static Builder builder(TelemetrySink sink) {
    return new Builder(sink);
  }

  /** Binds and starts accepting connections. */
  public synchronized void start() throws IOException {
    if (server != null) {
      throw new IllegalStateException("the Logstash input is already started");
    }
    ServerSocket s =
        tls == null
            ? new ServerSocket()
            : sslContext(tls).getServerSocketFactory().createServerSocket();
    try {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getByName(host), requestedPort));
    } catch (IOException e) {
      s.close();
      throw new IOException(
          "cannot listen for Logstash TCP input on "
              + host
              + ":"
              + requestedPort
              + " ("
              + e.getMessage()
              + "); is another process using the port? Configure another port or stop it",
          e);
    }
    server = s;
    running = true;
    acceptor = new Thread(this::acceptLoop, "faultline-logstash-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
    LOG.info("Logstash TCP input listening on {}:{}{}", host, port(), tls == null ? "" : " (TLS)");
  }

  private static SSLContext sslContext(KeyManagerFactory keyManagers) throws IOException {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keyManagers.getKeyManagers(), null, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IOException("the Logstash input could not set up TLS: " + e.getMessage(), e);
    }
  }

  /** The bound port (useful with port 0); -1 before {@link #start()}. */
  public synchronized int port() {
    return server == null ? -1 : server.getLocalPort();
  }

  /**
   * Stops accepting, closes every connection and waits briefly for their threads; a batch being
   * written when this is called is finished or counted as dropped. Idempotent.
   */
  public void stop() {
    Thread accepting;
    synchronized (this) {
      if (!running) {
        return;
      }
      running = false;
      accepting = acceptor;
      try {
        server.close();
      } catch (IOException e) {
        LOG.debug("closing the Logstash listener failed", e);
      }
    }
    for (Connection c : connections) {
      c.close();
      c.thread.interrupt();
    }
    try {
      accepting.join(5_000);
      for (Connection c : connections) {
        c.thread.join(5_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }

  long lines(Outcome outcome) {
    return metrics.count(outcome);
  }

  int connectionCount() {
    return connections.size();
  }

  private void acceptLoop() {
    while (running) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        if (running) {
          LOG.error("accepting a Logstash connection failed; the input keeps listening", e);
        }
        continue;
      }
      if (connections.size() >= maxConnections) {
        LOG.warn(
            "refusing a Logstash connection from {}: {} connections are open (maxConnections)",
            socket.getRemoteSocketAddress(),
            maxConnections);
        closeQuietly(socket);
        continue;
      }
      Connection c = new Connection(socket);
      connections.add(c);
      c.thread.start();
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  private boolean shouldLogError() {
    long now = System.nanoTime() / 1_000_000L;
    long last = lastErrorLog.get();
    return (last == Long.MIN_VALUE || now - last >= ERROR_LOG_INTERVAL_MILLIS)
        && lastErrorLog.compareAndSet(last, now);
  }

  /** One client connection, read on its own thread. */
  private final class Connection implements Runnable {
    final Socket socket;
    final Thread thread;
    private final byte[] chunk = new byte[64 * 1024];
    private int pos;
    private int limit;
    private byte[] line = new byte[1024];
    private int lineLength;
    private boolean discarding;
    private final CharsetDecoder utf8 =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final Map<String, List<LogRecord>> batch = new LinkedHashMap<>();
    private int batchLines;
    private long batchBytes;

    Connection(Socket socket) {
      this.socket = socket;
      this.thread = new Thread(this, "faultline-logstash-" + socket.getRemoteSocketAddress());
      this.thread.setDaemon(true);
    }

    void close() {
      closeQuietly(socket);
    }

    @Override
    public void run() {
      try (socket) {
        InputStream in = socket.getInputStream();
        while (true) {
          int status = nextLine(in);
          if (status == EOF) {
            break;
          }
          if (status == TOO_LONG) {
            metrics.count(Outcome.TOO_LONG, 1);
          } else {
            handle();
          }
          if (batchLines >= maxBatchLines || batchBytes >= MAX_BATCH_BYTES || !pending(in)) {
            flush();
          }
        }
      } catch (SocketException e) {
        // the client went away, or stop() closed the socket
      } catch (SSLException e) {
        if (running) {
          LOG.warn(
              "TLS with Logstash client {} failed ({}); the input accepts TLS connections only",
              socket.getRemoteSocketAddress(),
              e.getMessage());
        }
      } catch (IOException e) {
        if (running) {
          LOG.warn("reading from Logstash client {} failed: {}", socket.getRemoteSocketAddress(), e.toString());
        }
      } finally {
        flush();
        connections.remove(this);
      }
    }

    private static final int LINE = 0;
    private static final int TOO_LONG = 1;
    private static final int EOF = 2;

    private boolean pending(InputStream in) throws IOException {
      return pos < limit || in.available() > 0;
    }

    private int nextLine(InputStream in) throws IOException {
      while (true) {
        if (pos == limit) {
          int n = in.read(chunk);
          if (n < 0) {
            if (discarding) {
              discarding = false;
              lineLength = 0;
              return TOO_LONG;
            }
            return lineLength > 0 ? LINE : EOF;
          }
          pos = 0;
          limit = n;
        }
        int newline = -1;
        for (int i = pos; i < limit; i++) {
          if (chunk[i] == '\n') {
            newline = i;
            break;
          }
        }
        int end = newline < 0 ? limit : newline;
        append(pos, end - pos);
        pos = newline < 0 ? limit : newline + 1;
        if (newline >= 0) {
          if (discarding) {
            discarding = false;
            lineLength = 0;
            return TOO_LONG;
          }
          return LINE;
        }
      }
    }

    private void append(int from, int n) {
      if (discarding || n == 0) {
        return;
      }
      if (lineLength + n > maxLineBytes) {
        discarding = true;
        lineLength = 0;
        return;
      }
      if (lineLength + n > line.length) {
        byte[] bigger = new byte[Math.min(maxLineBytes, Math.max(line.length * 2, lineLength + n))];
        System.arraycopy(line, 0, bigger, 0, lineLength);
        line = bigger;
      }
      System.arraycopy(chunk, from, line, lineLength, n);
      lineLength += n;
    }

    private void handle() {
      int n = lineLength;
      lineLength = 0;
      if (n > 0 && line[n - 1] == '\r') {
        n--;
      }
      String text;
      try {
        text = utf8.decode(ByteBuffer.wrap(line, 0, n)).toString();
      } catch (CharacterCodingException e) {
        metrics.count(Outcome.INVALID_UTF8, 1);
        return;
      }
      if (text.isBlank()) {
        return;
      }
      Instant now = clock.instant();
      long observed = now.getEpochSecond() * 1_000_000_000L + now.getNano();
      LogstashEvents.Event event;
      try {
        event = LogstashEvents.parse(text, defaultService, observed);
      } catch (LogstashEvents.MalformedEventException e) {
        metrics.count(Outcome.MALFORMED, 1);
        if (LOG.isDebugEnabled()) {
          LOG.debug("skipped a malformed line from {}: {}", socket.getRemoteSocketAddress(), e.getMessage());
        }
        return;
      }
      batch.computeIfAbsent(event.service(), k -> new ArrayList<>()).add(event.record());
      batchLines++;
      batchBytes += n;
    }

    private void flush() {
      if (batchLines == 0) {
        return;
      }
      int lines = batchLines;
      ExportLogsServiceRequest.Builder request = ExportLogsServiceRequest.newBuilder();
      batch.forEach(
          (service, records) ->
              request.addResourceLogs(
                  ResourceLogs.newBuilder()
                      .setResource(
                          Resource.newBuilder()
                              .addAttributes(
                                  KeyValue.newBuilder()
                                      .setKey("service.name")
                                      .setValue(AnyValue.newBuilder().setStringValue(service))))
                      .addScopeLogs(ScopeLogs.newBuilder().addAllLogRecords(records))));
      batch.clear();
      batchLines = 0;
      batchBytes = 0;
      TelemetryBatch telemetry = TelemetryBatch.of(Signal.LOGS, request.build());
      metrics.count(submit(telemetry) ? Outcome.ACCEPTED : Outcome.DROPPED, lines);
    }

    /** Blocks until the batch is durable; false if it could not be stored. */
    private boolean submit(TelemetryBatch telemetry) {
      long backoffMillis = 5;
      try {
        while (true) {
          if (!sink.hasRoomFor(telemetry.bytes().length)) {
            backoffMillis = pause(backoffMillis);
            continue;
          }
          try {
            sink.accept(telemetry).get();
            return true;
          } catch (ExecutionException e) {
            if (!(e.getCause() instanceof BackpressureException bp)) {
              logDropped(e.getCause());
              return false;
            }
            backoffMillis = pause(Math.max(backoffMillis, bp.retryAfter().toMillis()));
          } catch (RuntimeException e) {
            logDropped(e);
            return false;
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }

    private void logDropped(Throwable cause) {
      if (shouldLogError()) {
        LOG.error(
            "storing Logstash lines from {} failed; they are dropped and counted in"
                + " faultline_logstash_lines_total{{outcome=\"dropped\"}}. Check the ingest"
                + " pipeline's health",
            socket.getRemoteSocketAddress(),
            cause);
      }
    }

    // Waiting is the point here: not reading is how TCP pushes back on the sender.
    private long pause(long millis) throws InterruptedException {
      if (!running) {
        throw new InterruptedException("the Logstash input is stopping");
      }
      TimeUnit.MILLISECONDS.sleep(millis);
      return Math.min(millis * 2, MAX_BACKOFF.toMillis());
    }
  }

  /** Configures a {@link LogstashTcpReceiver}; every setting has a default. */
  public static final class Builder {
    private final TelemetrySink sink;
    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private String defaultService = DEFAULT_SERVICE;
    private int maxLineBytes = DEFAULT_MAX_LINE_BYTES;
    private int maxBatchLines = DEFAULT_MAX_BATCH_LINES;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private PrometheusRegistry registry;
    private Clock clock = Clock.systemUTC();
    private KeyManagerFactory tls;

    private Builder(TelemetrySink sink) {
      this.sink = Objects.requireNonNull(sink, "sink");
    }

    /** The address to listen on; default loopback ({@value #DEFAULT_HOST}). */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** Default {@value #DEFAULT_PORT}; 0 picks a free port. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
      }
      this.port = port;
      return this;
    }

    /** The service of events that name none; default {@value #DEFAULT_SERVICE}. */
    public Builder defaultService(String defaultService) {
      Objects.requireNonNull(defaultService, "defaultService");
      if (defaultService.isBlank()) {
        throw new IllegalArgumentException("defaultService must not be blank");
      }
      this.defaultService = defaultService;
      return this;
    }

    /** Longer lines are skipped and counted; default 1 MiB. */
    public Builder maxLineBytes(int maxLineBytes) {
      if (maxLineBytes < 64) {
        throw new IllegalArgumentException("maxLineBytes must be at least 64, was " + maxLineBytes);
      }
      this.maxLineBytes = maxLineBytes;
      return this;
    }

    /** Lines per batch at most; default {@value #DEFAULT_MAX_BATCH_LINES}. */
    public Builder maxBatchLines(int maxBatchLines) {
      if (maxBatchLines < 1) {
        throw new IllegalArgumentException("maxBatchLines must be at least 1, was " + maxBatchLines);
      }
      this.maxBatchLines = maxBatchLines;
      return this;
    }

    /** Open connections at most; more are closed at once. Default {@value #DEFAULT_MAX_CONNECTIONS}. */
    public Builder maxConnections(int maxConnections) {
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections must be at least 1, was " + maxConnections);
      }
      this.maxConnections = maxConnections;
      return this;
    }

    /** Where the input's self-metrics go; none when null (the default). */
    public Builder registry(PrometheusRegistry registry) {
      this.registry = registry;
      return this;
    }

    /** The observed time of records; default the system clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Accepts TLS connections only, with the server certificate and key of {@code keyManagers};
     * plain TCP when null (the default).
     */
    public Builder tls(KeyManagerFactory keyManagers) {
      this.tls = keyManagers;
      return this;
    }

    public LogstashTcpReceiver build() {
      return new LogstashTcpReceiver(this);
    }
  }
}
