/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.http;

import io.faultline.collector.otlp.OtlpCollector;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OTLP/HTTP receiver: {@code POST /v1/traces}, {@code /v1/metrics} and {@code /v1/logs} on its
 * own Jetty server.
 *
 * <p>Requests are {@code application/x-protobuf} or {@code application/json} (OTLP/JSON), plain or
 * compressed as any OpenTelemetry Collector exporter compresses them ({@code Content-Encoding}
 * gzip, zstd, deflate, zlib, snappy or x-snappy-framed: {@link ContentEncoding}), with a {@code
 * Content-Length} or chunked. Answers, each in the
 * request's encoding (JSON when that is unknown): 200 with the {@code Export*ServiceResponse}
 * (with {@code partialSuccess} when items were rejected) only once the accepted items are durable;
 * 400 with a {@code google.rpc.Status} for an undecodable body or one with nothing valid; 413 for a
 * body over the size limits (as sent or inflated; never read or inflated whole); 415 for another
 * content type or encoding; 429 with {@code Retry-After} under backpressure; 503 with {@code
 * Retry-After} when storing failed; 404 for another path, 405 for another method.
 *
 * <p>Lifecycle: {@link #start()} once, then {@link #close()}; not restartable.
 */
public final class OtlpHttpReceiver implements AutoCloseable {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 4318;

  /** Enough for many concurrent exporters; each thread holds at most one bounded request body. */
  public static final int DEFAULT_MAX_THREADS = 64;

  private static final Logger LOG = LoggerFactory.getLogger(OtlpHttpReceiver.class);
  private static final long IDLE_TIMEOUT_MILLIS = 30_000;
  private static final long STOP_TIMEOUT_MILLIS = 5_000;

  private final OtlpCollector collector;
  private final String host;
  private final int requestedPort;
  private final int maxThreads;
  private final KeyManagerFactory tls;
  private Server server;
  private ServerConnector connector;

  private OtlpHttpReceiver(Builder b) {
    this.collector = b.collector;
    this.host = b.host;
    this.requestedPort = b.port;
    this.maxThreads = b.maxThreads;
    this.tls = b.tls;
  }

  public static Builder builder(OtlpCollector collector) {
    return new Builder(collector);
  }

  /** Binds the port and starts serving; throws when the port is taken. */
  public synchronized void start() throws IOException {
    if (server != null) {
      throw new IllegalStateException("the OTLP/HTTP receiver is already started");
    }
    QueuedThreadPool threads = new QueuedThreadPool(maxThreads, Math.min(4, maxThreads));
    threads.setName("otlp-http");
    Server s = new Server(threads);
    HttpConfiguration config = new HttpConfiguration();
    config.setSendServerVersion(false);
    ServerConnector c =
        tls == null
            ? new ServerConnector(s, new HttpConnectionFactory(config))
            : new ServerConnector(
                s,
                new SslConnectionFactory(sslContextFactory(tls), HttpVersion.HTTP_1_1.asString()),
                new HttpConnectionFactory(secure(config)));
    c.setHost(host);
    c.setPort(requestedPort);
    c.setIdleTimeout(IDLE_TIMEOUT_MILLIS);
    s.addConnector(c);
    s.setHandler(new OtlpHttpHandler(collector));
    s.setStopTimeout(STOP_TIMEOUT_MILLIS);
    try {
      s.start();
    } catch (Exception e) {
      try {
        s.stop();
      } catch (Exception suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new IOException(
          "the OTLP/HTTP receiver could not listen on "
              + host
              + ":"
              + requestedPort
              + " ("
              + e.getMessage()
              + "); free the port or configure another one",
          e);
    }
    server = s;
    connector = c;
    LOG.info("OTLP/HTTP receiver listening on {}:{}{}", host, port(), tls == null ? "" : " (TLS)");
  }

  private static SslContextFactory.Server sslContextFactory(KeyManagerFactory keyManagers)
      throws IOException {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keyManagers.getKeyManagers(), null, null);
      SslContextFactory.Server factory = new SslContextFactory.Server();
      factory.setSslContext(context);
      return factory;
    } catch (GeneralSecurityException e) {
      throw new IOException("the OTLP/HTTP receiver could not set up TLS: " + e.getMessage(), e);
    }
  }

  private static HttpConfiguration secure(HttpConfiguration config) {
    // Requests are https to the handler; the host name check is off because exporters often
    // reach the receiver under a name or address its certificate does not list (sidecars,
    // port forwards), and they choose what they trust themselves.
    config.addCustomizer(new SecureRequestCustomizer(false));
    return config;
  }

  /** The bound port (the actual one when configured with 0); only after {@link #start()}. */
  public synchronized int port() {
    if (connector == null) {
      throw new IllegalStateException("the OTLP/HTTP receiver is not started");
    }
    return connector.getLocalPort();
  }

  public String host() {
    return host;
  }

  /** Stops accepting requests and gives those in flight a few seconds to finish. */
  @Override
  public synchronized void close() {
    if (server == null) {
      return;
    }
    try {
      server.stop();
    } catch (Exception e) {
      LOG.warn("stopping the OTLP/HTTP receiver failed", e);
    }
  }

  /** Defaults: {@link #DEFAULT_HOST}, {@link #DEFAULT_PORT}, {@link #DEFAULT_MAX_THREADS}. */
  public static final class Builder {
    private final OtlpCollector collector;
    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private int maxThreads = DEFAULT_MAX_THREADS;
    private KeyManagerFactory tls;

    private Builder(OtlpCollector collector) {
      this.collector = Objects.requireNonNull(collector, "collector");
    }

    /** The address to bind: loopback by default; {@code 0.0.0.0} for every interface. */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** 0 picks a free port (see {@link OtlpHttpReceiver#port()}). */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535, got " + port);
      }
      this.port = port;
      return this;
    }

    /** Request threads; bounds the memory held by bodies being read at once. */
    public Builder maxThreads(int maxThreads) {
      if (maxThreads < 8) {
        throw new IllegalArgumentException(
            "maxThreads must be at least 8 (Jetty needs some for accepting and selecting), got "
                + maxThreads);
      }
      this.maxThreads = maxThreads;
      return this;
    }

    /**
     * Serves HTTPS only (HTTP/1.1 over TLS), with the server certificate and key of {@code
     * keyManagers}; plain HTTP when null (the default).
     */
    public Builder tls(KeyManagerFactory keyManagers) {
      this.tls = keyManagers;
      return this;
    }

    public OtlpHttpReceiver build() {
      return new OtlpHttpReceiver(this);
    }
  }
}
