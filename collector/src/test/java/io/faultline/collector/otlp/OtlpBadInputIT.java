/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp;

import static io.faultline.collector.otlp.TestSpans.attr;
import static io.faultline.collector.otlp.TestSpans.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import com.google.rpc.RetryInfo;
import io.faultline.collector.otlp.grpc.OtlpGrpcReceiver;
import io.faultline.collector.otlp.http.OtlpHttpReceiver;
import io.faultline.core.ingest.BackpressureException;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.otlp.OtlpJson;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile and broken requests get a clear 4xx (or gRPC status) with a reason, never a crash, hang
 * or OOM; and the receivers still serve valid requests afterwards.
 */
class OtlpBadInputIT {
  private static final int MIB = 1 << 20;
  private static final String PROTOBUF = "application/x-protobuf";
  private static final RecordingSink SINK = new RecordingSink();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static OtlpGrpcReceiver grpc;
  private static OtlpHttpReceiver http;
  private static ManagedChannel channel;

  private final TestSpans spans = TestSpans.seeded();

  @BeforeAll
  static void start() throws Exception {
    OtlpCollector collector = OtlpCollector.builder(SINK).build();
    grpc = OtlpGrpcReceiver.builder(collector).port(0).build();
    http = OtlpHttpReceiver.builder(collector).port(0).build();
    grpc.start();
    http.start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
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

  /** Whatever came before, a valid request still goes through. */
  @AfterEach
  void validRequestStillSucceeds() throws Exception {
    SINK.reset();
    ExportTraceServiceRequest valid = request("after", spans.span("still fine").build());
    HttpResponse<byte[]> response = post("/v1/traces", PROTOBUF, null, valid.toByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(ExportTraceServiceResponse.parseFrom(response.body()).hasPartialSuccess()).isFalse();
    assertThat(TraceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .export(valid).hasPartialSuccess()).isFalse();
    assertThat(SINK.spans()).hasSize(2);
  }

  @Test
  void garbageProtobufIs400WithAStatusInProtobuf() throws Exception {
    HttpResponse<byte[]> response =
        post("/v1/traces", PROTOBUF, null, new byte[] {(byte) 0xFF, (byte) 0xFF, 0x01, 0x02, 0x03});

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.headers().firstValue("content-type")).hasValue(PROTOBUF);
    com.google.rpc.Status status = com.google.rpc.Status.parseFrom(response.body());
    assertThat(status.getCode()).isEqualTo(com.google.rpc.Code.INVALID_ARGUMENT_VALUE);
    assertThat(status.getMessage()).startsWith("the body is not a valid protobuf ExportTraceServiceRequest");
    assertThat(SINK.calls()).isZero();
  }

  @Test
  void invalidJsonIs400WithAStatusInJson() throws Exception {
    HttpResponse<byte[]> response = post("/v1/traces", "application/json", null,
        "{\"resourceSpans\": [ {\"scopeSpans\": ".getBytes(StandardCharsets.UTF_8));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    com.google.rpc.Status status =
        OtlpJson.parse(response.body(), com.google.rpc.Status.getDefaultInstance());
    assertThat(status.getMessage()).startsWith("the body is not a valid OTLP/JSON ExportTraceServiceRequest");
  }

  @Test
  void truncatedGzipIs400() throws Exception {
    byte[] gz = ItSupport.gzip(request("a", spans.span("x").build()).toByteArray());

    HttpResponse<byte[]> response =
        post("/v1/traces", PROTOBUF, "gzip", Arrays.copyOf(gz, gz.length - 10));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(com.google.rpc.Status.parseFrom(response.body()).getMessage())
        .startsWith("the body is not valid gzip or is truncated");
    assertThat(SINK.calls()).isZero();
  }

  @Test
  void gzipBodyThatIsNotGzipIs400() throws Exception {
    HttpResponse<byte[]> response = post("/v1/traces", PROTOBUF, "gzip",
        request("a", spans.span("x").build()).toByteArray());

    assertThat(response.statusCode()).isEqualTo(400);
  }

  @Test
  void contentLengthOverTheLimitIs413WithoutReadingTheBody() throws Exception {
    ItSupport.RawResponse response = ItSupport.raw(http.port(),
        "POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + PROTOBUF
            + "\r\nContent-Length: " + (16 * MIB + 1),
        out -> { /* no body: the answer must come without it */ });

    assertThat(response.status()).isEqualTo(413);
    assertThat(com.google.rpc.Status.parseFrom(response.body()).getMessage())
        .contains("the limit is 16777216 bytes as sent");
  }

  @Test
  void chunkedBodyOverTheLimitIs413() throws Exception {
    ItSupport.RawResponse response = ItSupport.raw(http.port(),
        "POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + PROTOBUF
            + "\r\nTransfer-Encoding: chunked",
        out -> {
          // a decodable start (an unknown 32 MiB field) so only the size can stop the parser
          writeChunk(out, ItSupport.unknownFieldHeader(32 * MIB));
          byte[] zeros = new byte[64 * 1024];
          for (int sent = 0; sent < 20 * MIB; sent += zeros.length) {
            writeChunk(out, zeros);
          }
          out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        });

    assertThat(response.status()).isEqualTo(413);
    assertThat(com.google.rpc.Status.parseFrom(response.body()).getMessage())
        .contains("over the limit of 16777216 bytes as sent");
  }

  @Test
  void smallChunkedBodyIsAccepted() throws Exception {
    byte[] body = request("chunked", spans.span("c").build()).toByteArray();

    HttpResponse<byte[]> response = HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/v1/traces"))
            .header("Content-Type", PROTOBUF)
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(SINK.spans()).extracting(Span::getName).containsExactly("c");
  }

  @Test
  void gzipBombIs413FastAndNeverInflatedWhole() throws Exception {
    // 100 MiB once inflated, about 100 KiB as sent; decodable until the size limit stops it
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(compressed, 64 * 1024)) {
      gz.write(ItSupport.unknownFieldHeader(100 * MIB));
      byte[] zeros = new byte[MIB];
      for (int i = 0; i < 100; i++) {
        gz.write(zeros);
      }
    }
    assertThat(compressed.size()).isLessThan(MIB);
    long before = System.nanoTime();

    HttpResponse<byte[]> response = post("/v1/traces", PROTOBUF, "gzip", compressed.toByteArray());

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(com.google.rpc.Status.parseFrom(response.body()).getMessage())
        .contains("the gzip body decodes to more than 67108864 bytes");
    assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(10));
    assertThat(SINK.calls()).isZero();
  }

  @Test
  void unknownContentTypeIs415() throws Exception {
    HttpResponse<byte[]> response = post("/v1/traces", "text/plain", null, "hello".getBytes(StandardCharsets.UTF_8));

    assertThat(response.statusCode()).isEqualTo(415);
    assertThat(OtlpJson.parse(response.body(), com.google.rpc.Status.getDefaultInstance()).getMessage())
        .contains("unsupported Content-Type 'text/plain'");
  }

  @Test
  void unknownContentEncodingIs415() throws Exception {
    HttpResponse<byte[]> response = post("/v1/traces", PROTOBUF, "br", new byte[] {1});

    assertThat(response.statusCode()).isEqualTo(415);
  }

  @Test
  void attributeFloodIsAPartialSuccess() throws Exception {
    List<KeyValue> flood = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      flood.add(attr("k" + i, "v" + i));
    }
    Span kept = spans.span("kept").build();
    ExportTraceServiceRequest r =
        request("flood", spans.span("flood").addAllAttributes(flood).build(), kept);

    HttpResponse<byte[]> response = post("/v1/traces", PROTOBUF, null, r.toByteArray());

    assertThat(response.statusCode()).isEqualTo(200);
    ExportTraceServiceResponse answer = ExportTraceServiceResponse.parseFrom(response.body());
    assertThat(answer.getPartialSuccess().getRejectedSpans()).isEqualTo(1);
    assertThat(answer.getPartialSuccess().getErrorMessage())
        .contains("too_many_attributes (first: span 'flood' has 10000 attributes; the limit is 128");
    assertThat(SINK.spans()).containsExactly(kept);
  }

  @Test
  void wrongMethodUnknownPathAndUnsupportedSignals() throws Exception {
    HttpResponse<byte[]> get = HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/v1/traces")).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("allow")).hasValue("POST");

    assertThat(post("/v2/traces", PROTOBUF, null, new byte[0]).statusCode()).isEqualTo(404);

    // logs (#3) and metrics (#4) are ingested: an empty request is a success with nothing to store
    assertThat(post("/v1/logs", PROTOBUF, null, new byte[0]).statusCode()).isEqualTo(200);
    assertThat(post("/v1/metrics", "application/json", null, "{}".getBytes(StandardCharsets.UTF_8)).statusCode())
        .isEqualTo(200);
    assertThat(
            LogsServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .export(ExportLogsServiceRequest.getDefaultInstance())
                .hasPartialSuccess())
        .isFalse();
  }

  @Test
  void logRecordsWithInvalidTraceContextAreAcceptedAsSent() throws Exception {
    // logs.proto: a record whose ids are invalid is not associated with a trace, not malformed
    ExportLogsServiceRequest request =
        ExportLogsServiceRequest.newBuilder()
            .addResourceLogs(
                io.opentelemetry.proto.logs.v1.ResourceLogs.newBuilder()
                    .addScopeLogs(
                        io.opentelemetry.proto.logs.v1.ScopeLogs.newBuilder()
                            .addLogRecords(
                                io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
                                    .setTimeUnixNano(1)
                                    .setTraceId(com.google.protobuf.ByteString.copyFrom(new byte[5]))
                                    .setBody(io.opentelemetry.proto.common.v1.AnyValue.newBuilder().setStringValue("short")))
                            .addLogRecords(
                                io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
                                    .setTimeUnixNano(1)
                                    .setTraceId(com.google.protobuf.ByteString.copyFrom(new byte[16]))
                                    .setSpanId(com.google.protobuf.ByteString.copyFrom(new byte[8]))
                                    .setBody(io.opentelemetry.proto.common.v1.AnyValue.newBuilder().setStringValue("zero")))))
            .build();
    HttpResponse<byte[]> response = post("/v1/logs", PROTOBUF, null, request.toByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    var answer = io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse.parseFrom(response.body());
    assertThat(answer.hasPartialSuccess()).isFalse();
    // a request of nothing else is no INVALID_ARGUMENT either
    assertThat(
            LogsServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .export(request)
                .hasPartialSuccess())
        .isFalse();
    assertThat(SINK.batches()).extracting(TelemetryBatch::message).containsExactly(request, request);
  }

  @Test
  void backpressureIs429WithRetryAfterAndResourceExhaustedWithRetryInfo() throws Exception {
    SINK.failWith(new BackpressureException("the write-ahead log is full", Duration.ofSeconds(3)));
    ExportTraceServiceRequest r = request("a", spans.span("x").build());

    HttpResponse<byte[]> response = post("/v1/traces", PROTOBUF, null, r.toByteArray());
    assertThat(response.statusCode()).isEqualTo(429);
    assertThat(response.headers().firstValue("retry-after")).hasValue("3");
    assertThat(com.google.rpc.Status.parseFrom(response.body()).getMessage()).isEqualTo("the write-ahead log is full");

    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> TraceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).export(r));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(retryDelay(e)).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void hasRoomForSayingNoIs429BeforeTheBodyIsRead() throws Exception {
    SINK.noRoom();

    HttpResponse<byte[]> response =
        post("/v1/traces", PROTOBUF, null, request("a", spans.span("x").build()).toByteArray());

    assertThat(response.statusCode()).isEqualTo(429);
    assertThat(response.headers().firstValue("retry-after")).hasValue("1");
    assertThat(SINK.calls()).isZero();
  }

  @Test
  void sinkFailureIs503WithRetryAfterAndUnavailable() throws Exception {
    SINK.failWith(new IOException("disk on fire"));
    ExportTraceServiceRequest r = request("a", spans.span("x").build());

    HttpResponse<byte[]> response = post("/v1/traces", "application/json", null,
        OtlpJson.printBytes(r));
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.headers().firstValue("retry-after")).hasValue("1");
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");

    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> TraceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).export(r));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(retryDelay(e)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void grpcInvalidIdsAndGarbageAreInvalidArgument() {
    ExportTraceServiceRequest zeroIds = request("a",
        spans.span("zero").setTraceId(ByteString.copyFrom(new byte[16])).build());
    StatusRuntimeException invalid = catchThrowableOfType(StatusRuntimeException.class,
        () -> TraceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).export(zeroIds));
    assertThat(invalid.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(invalid.getStatus().getDescription()).contains("invalid_trace_id");

    MethodDescriptor<byte[], byte[]> raw = ItSupport.rawMethod(
        TraceServiceGrpc.getExportMethod().getFullMethodName(), MethodDescriptor.MethodType.UNARY);
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, raw,
            CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[] {(byte) 0xFF, 0x01}))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).startsWith("the request is not a valid ExportTraceServiceRequest");
        });
    assertThat(SINK.calls()).isZero();
  }

  @Test
  void grpcMessageOverTheLimitIsResourceExhaustedWithoutRetryInfoEvenWhenGzipped() {
    // 17 MiB once decompressed, a few KiB as sent: grpc-java applies the limit to both
    ExportTraceServiceRequest big = request("a", spans.span("x".repeat(17 * MIB)).build());

    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> TraceServiceGrpc.newBlockingStub(channel).withCompression("gzip")
            .withDeadlineAfter(30, TimeUnit.SECONDS).export(big));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    assertThat(status == null || status.getDetailsList().stream().noneMatch(d -> d.is(RetryInfo.class)))
        .as("no RetryInfo: the client must not retry an oversized request").isTrue();
    assertThat(SINK.calls()).isZero();
  }

  private static Duration retryDelay(StatusRuntimeException e) throws Exception {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    assertThat(status).isNotNull();
    for (com.google.protobuf.Any detail : status.getDetailsList()) {
      if (detail.is(RetryInfo.class)) {
        com.google.protobuf.Duration d = detail.unpack(RetryInfo.class).getRetryDelay();
        return Duration.ofSeconds(d.getSeconds(), d.getNanos());
      }
    }
    throw new AssertionError("no RetryInfo in " + status);
  }

  private static HttpResponse<byte[]> post(String path, String contentType, String encoding, byte[] body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (encoding != null) {
      b.header("Content-Encoding", encoding);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static void writeChunk(OutputStream out, byte[] data) throws IOException {
    out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.write(data);
    out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
  }
}
