/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp;

import static io.faultline.collector.otlp.TestSpans.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import io.faultline.collector.otlp.grpc.OtlpGrpcReceiver;
import io.faultline.collector.otlp.http.OtlpHttpReceiver;
import io.grpc.Compressor;
import io.grpc.CompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xerial.snappy.Snappy;
import org.xerial.snappy.SnappyFramedOutputStream;

/**
 * Every request compression an OpenTelemetry Collector exporter can be set to (OTLP/HTTP {@code
 * Content-Encoding}: gzip, zstd, zlib, deflate, snappy block or framed, x-snappy-framed; OTLP/gRPC
 * {@code grpc-encoding}: gzip, zstd, snappy) is decoded, a damaged body of each is a 400, and a
 * body that decodes past the limit is a 413 without being decoded whole.
 */
class OtlpCompressionIT {
  private static final String PROTOBUF = "application/x-protobuf";
  private static final long MAX_REQUEST = 8L << 20;
  private static final long MAX_DECOMPRESSED = 4L << 20;
  private static final RecordingSink SINK = new RecordingSink();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static OtlpGrpcReceiver grpc;
  private static OtlpHttpReceiver http;
  private static ManagedChannel channel;

  private final TestSpans spans = TestSpans.seeded();

  @BeforeAll
  static void start() throws Exception {
    OtlpCollector collector =
        OtlpCollector.builder(SINK)
            .limits(
                IngestLimits.builder()
                    .maxRequestBytes(MAX_REQUEST)
                    .maxDecompressedBytes(MAX_DECOMPRESSED)
                    .build())
            .build();
    grpc = OtlpGrpcReceiver.builder(collector).port(0).build();
    http = OtlpHttpReceiver.builder(collector).port(0).build();
    grpc.start();
    http.start();
    CompressorRegistry compressors = CompressorRegistry.getDefaultInstance();
    compressors.register(new Named("zstd", ZstdOutputStreamNoFinalizer::new));
    compressors.register(new Named("snappy", SnappyFramedOutputStream::new));
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", grpc.port())
            .usePlaintext()
            .compressorRegistry(compressors)
            .build();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (grpc != null) {
      grpc.close();
    }
    if (http != null) {
      http.close();
    }
  }

  @BeforeEach
  void clearSink() {
    SINK.reset();
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip", "zstd", "zlib", "deflate", "snappy", "snappy-framed", "x-snappy-framed", "identity", "ZSTD"})
  void httpBodyInEveryCollectorEncodingIsDecoded(String encoding) throws Exception {
    ExportTraceServiceRequest sent = request("compressed", spans.span("GET /" + encoding).build());
    String header = encoding.equals("snappy-framed") ? "snappy" : encoding;

    HttpResponse<byte[]> response = post(header, encode(encoding, sent.toByteArray()));

    assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
    assertThat(ExportTraceServiceResponse.parseFrom(response.body()).hasPartialSuccess()).isFalse();
    assertThat(SINK.spans()).singleElement().satisfies(s -> assertThat(s.getName()).isEqualTo("GET /" + encoding));
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip", "zstd", "zlib", "snappy", "x-snappy-framed"})
  void damagedBodyIs400NamingTheEncoding(String encoding) throws Exception {
    byte[] body = encode(encoding, request("compressed", spans.span("x").build()).toByteArray());
    byte[] damaged = Arrays.copyOf(body, body.length / 2);
    damaged[damaged.length - 1] ^= 0x55;

    HttpResponse<byte[]> response = post(encoding, damaged);

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(com.google.rpc.Status.parseFrom(response.body()).getMessage()).contains(encoding);
    assertThat(SINK.calls()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip", "zstd", "deflate", "snappy", "x-snappy-framed"})
  void bodyDecodingPastTheLimitIs413(String encoding) throws Exception {
    byte[] zeros = new byte[(int) MAX_DECOMPRESSED * 2];

    HttpResponse<byte[]> response = post(encoding, encode(encoding, zeros));

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(com.google.rpc.Status.parseFrom(response.body()).getMessage())
        .contains("more than " + MAX_DECOMPRESSED + " bytes");
    assertThat(SINK.calls()).isZero();
  }

  @Test
  void unknownEncodingIs415ListingTheAcceptedOnes() throws Exception {
    HttpResponse<byte[]> response = post("br", new byte[] {1, 2, 3});

    assertThat(response.statusCode()).isEqualTo(415);
    assertThat(com.google.rpc.Status.parseFrom(response.body()).getMessage())
        .contains("'br'")
        .contains("gzip, zstd, deflate, zlib, snappy, x-snappy-framed or none");
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip", "zstd", "snappy"})
  void grpcCallInEveryCollectorEncodingIsDecoded(String encoding) {
    ExportTraceServiceRequest sent = request("grpc", spans.span("rpc " + encoding).build());

    ExportTraceServiceResponse answer =
        TraceServiceGrpc.newBlockingStub(channel)
            .withCompression(encoding)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .export(sent);

    assertThat(answer.hasPartialSuccess()).isFalse();
    assertThat(SINK.spans()).singleElement().satisfies(s -> assertThat(s.getName()).isEqualTo("rpc " + encoding));
  }

  @Test
  void grpcZstdBombIsResourceExhausted() {
    // a few kilobytes as sent, more than the request limit once decoded
    ExportTraceServiceRequest huge =
        request("grpc", spans.span("x".repeat((int) MAX_REQUEST + 1)).build());

    StatusRuntimeException e =
        catchThrowableOfType(
            () ->
                TraceServiceGrpc.newBlockingStub(channel)
                    .withCompression("zstd")
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .export(huge),
            StatusRuntimeException.class);

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(SINK.calls()).isZero();
  }

  private static HttpResponse<byte[]> post(String encoding, byte[] body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/v1/traces"))
            .header("Content-Type", PROTOBUF)
            .header("Content-Encoding", encoding)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private static byte[] encode(String encoding, byte[] raw) throws IOException {
    switch (encoding) {
      case "identity":
        return raw;
      case "zstd":
      case "ZSTD":
        return Zstd.compress(raw);
      case "snappy":
        return Snappy.compress(raw);
      default:
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream o = wrap(encoding, out)) {
          o.write(raw);
        }
        return out.toByteArray();
    }
  }

  private static OutputStream wrap(String encoding, OutputStream out) throws IOException {
    switch (encoding) {
      case "gzip":
        return new GZIPOutputStream(out);
      case "zlib":
      case "deflate":
        return new DeflaterOutputStream(out);
      case "snappy-framed":
      case "x-snappy-framed":
        return new SnappyFramedOutputStream(out);
      default:
        throw new IllegalArgumentException(encoding);
    }
  }

  /** Opens a compressing stream over the wire. */
  private interface Encoder {
    OutputStream open(OutputStream wire) throws IOException;
  }

  /**
   * What the Collector's gRPC exporters send with {@code compression: zstd}, or {@code snappy}
   * (the snappy framing format).
   */
  private record Named(String getMessageEncoding, Encoder encoder) implements Compressor {
    @Override
    public OutputStream compress(OutputStream os) throws IOException {
      return encoder.open(os);
    }
  }
}
