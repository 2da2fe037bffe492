/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.grpc;

import io.faultline.collector.otlp.OtlpCollector;
import io.faultline.collector.otlp.internal.OtlpSignal;
import io.faultline.collector.otlp.internal.OtlpSignals;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerStreamTracer;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OTLP/gRPC receiver: the standard {@code TraceService}, {@code MetricsService} and {@code
 * LogsService} on grpc-java's Netty server.
 *
 * <p>Status codes follow the OTLP specification: OK (with {@code partialSuccess} when items were
 * rejected) only after the sink made the accepted items durable; INVALID_ARGUMENT for an
 * undecodable request or one with nothing valid (do not retry); RESOURCE_EXHAUSTED with a {@code
 * google.rpc.RetryInfo} detail when the platform applies backpressure, and UNAVAILABLE (also with
 * RetryInfo) when storing failed (retry both). Requests compressed with gzip, zstd or snappy are
 * accepted ({@link GrpcDecompressors}); a message
 * over {@link io.faultline.collector.otlp.IngestLimits#maxRequestBytes()}, compressed or not, gets
 * RESOURCE_EXHAUSTED without retry info.
 *
 * <p>Lifecycle: {@link #start()} once, then {@link #close()}; not restartable.
 */
public final class OtlpGrpcReceiver implements AutoCloseable {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 4317;

  private static final Logger LOG = LoggerFactory.getLogger(OtlpGrpcReceiver.class);
  private static final long SHUTDOWN_GRACE_SECONDS = 5;

  private final OtlpCollector collector;
  private final String host;
  private final int requestedPort;
  private final KeyManagerFactory tls;
  private volatile Server server;

  private OtlpGrpcReceiver(Builder b) {
    this.collector = b.collector;
    this.host = b.host;
    this.requestedPort = b.port;
    this.tls = b.tls;
  }

  public static Builder builder(OtlpCollector collector) {
    return new Builder(collector);
  }

  /** Binds the port and starts serving; throws when the port is taken. */
  public synchronized void start() throws IOException {
    if (server != null) {
      throw new IllegalStateException("the OTLP/gRPC receiver is already started");
    }
    InetSocketAddress address = new InetSocketAddress(host, requestedPort);
    NettyServerBuilder builder =
        (tls == null
                ? NettyServerBuilder.forAddress(address)
                : NettyServerBuilder.forAddress(
                    address,
                    TlsServerCredentials.newBuilder().keyManager(tls.getKeyManagers()).build()))
            .maxInboundMessageSize((int) collector.limits().maxRequestBytes())
            .decompressorRegistry(GrpcDecompressors.registry())
            .addStreamTracerFactory(new BytesTracerFactory(collector));
    for (OtlpSignal<?, ?> signal : OtlpSignals.supported()) {
      builder.addService(GrpcBindings.bind(collector, signal));
    }
    Server s = builder.build();
    try {
      s.start();
    } catch (IOException e) {
      throw new IOException(
          "the OTLP/gRPC receiver could not listen on "
              + host
              + ":"
              + requestedPort
              + " ("
              + e.getMessage()
              + "); free the port or configure another one",
          e);
    }
    server = s;
    LOG.info("OTLP/gRPC receiver listening on {}:{}{}", host, port(), tls == null ? "" : " (TLS)");
  }

  /** The bound port (the actual one when configured with 0); only after {@link #start()}. */
  public int port() {
    Server s = server;
    if (s == null) {
      throw new IllegalStateException("the OTLP/gRPC receiver is not started");
    }
    return s.getPort();
  }

  public String host() {
    return host;
  }

  /** Stops accepting calls, lets calls in flight finish for a few seconds, then cancels them. */
  @Override
  public synchronized void close() {
    Server s = server;
    if (s == null) {
      return;
    }
    s.shutdown();
    try {
      if (!s.awaitTermination(SHUTDOWN_GRACE_SECONDS, TimeUnit.SECONDS)) {
        LOG.warn("OTLP/gRPC calls still running after {} s; cancelling them", SHUTDOWN_GRACE_SECONDS);
        s.shutdownNow();
      }
    } catch (InterruptedException e) {
      s.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** Counts request bytes as received on the wire (before decompression). */
  private static final class BytesTracerFactory extends ServerStreamTracer.Factory {
    private final OtlpCollector collector;

    BytesTracerFactory(OtlpCollector collector) {
      this.collector = collector;
    }

    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
      return new ServerStreamTracer() {
        @Override
        public void inboundWireSize(long bytes) {
          collector.metrics().requestBytes(GrpcBindings.TRANSPORT, bytes);
        }
      };
    }
  }

  /** Defaults: {@link #DEFAULT_HOST}, {@link #DEFAULT_PORT}. */
  public static final class Builder {
    private final OtlpCollector collector;
    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private KeyManagerFactory tls;

    private Builder(OtlpCollector collector) {
      this.collector = Objects.requireNonNull(collector, "collector");
    }

    /** The address to bind: loopback by default; {@code 0.0.0.0} for every interface. */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** 0 picks a free port (see {@link OtlpGrpcReceiver#port()}). */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535, got " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Serves TLS only, with the server certificate and key of {@code keyManagers}; plain text when
     * null (the default).
     */
    public Builder tls(KeyManagerFactory keyManagers) {
      this.tls = keyManagers;
      return this;
    }

    public OtlpGrpcReceiver build() {
      return new OtlpGrpcReceiver(this);
    }
  }
}
