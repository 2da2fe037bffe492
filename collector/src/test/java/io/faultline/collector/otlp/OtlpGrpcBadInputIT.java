/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp;

import static io.faultline.collector.otlp.TestSpans.NOW_NANOS;
import static io.faultline.collector.otlp.TestSpans.attr;
import static io.faultline.collector.otlp.TestSpans.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.luben.zstd.ZstdOutputStream;
import com.google.protobuf.ByteString;
import com.google.rpc.RetryInfo;
import io.faultline.collector.otlp.grpc.OtlpGrpcReceiver;
import io.faultline.core.auth.Credentials;
import io.faultline.core.auth.IngestAuthenticator;
import io.faultline.core.compress.ZstdLibrary;
import io.faultline.core.ingest.BackpressureException;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Compressor;
import io.grpc.CompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.SnappyFramedOutputStream;

/**
 * Hostile and broken OTLP/gRPC calls get the status the OTLP specification asks for
 * (INVALID_ARGUMENT for what the client got wrong, RESOURCE_EXHAUSTED or UNAVAILABLE with
 * RetryInfo when it should retry, UNAUTHENTICATED without a token), with a description that is a
 * sentence, not a stack trace; never UNKNOWN, a hang or a broken connection, so a valid export on
 * the same channel succeeds after each case.
 *
 * <p>A few breaches of the gRPC protocol itself are answered by grpc-java before any Faultline
 * code sees the call, and keep grpc-java's codes: an unknown grpc-encoding is UNIMPLEMENTED (as
 * gRPC's compression spec says), a frame flagged compressed under {@code identity} and a unary
 * call with zero or two messages are INTERNAL. The tests pin only that these end at once and leave
 * the channel working.
 */
class OtlpGrpcBadInputIT {
  /** Small, so a message at and just over the limit is cheap to send. */
  private static final int LIMIT = 64 * 1024;
  private static final RecordingSink SINK = new RecordingSink();
  private static final String TRACES = TraceServiceGrpc.getExportMethod().getFullMethodName();
  private static final String METRICS = MetricsServiceGrpc.getExportMethod().getFullMethodName();
  private static final String LOGS = LogsServiceGrpc.getExportMethod().getFullMethodName();
  private static OtlpGrpcReceiver grpc;
  private static ManagedChannel channel;

  private final TestSpans spans = TestSpans.seeded();
  private final Random random = new Random(spans.traceId().hashCode());

  @BeforeAll
  static void start() throws Exception {
    OtlpCollector collector =
        OtlpCollector.builder(SINK)
            .limits(IngestLimits.builder().maxRequestBytes(LIMIT).build())
            .build();
    grpc = OtlpGrpcReceiver.builder(collector).port(0).build();
    grpc.start();
    channel = channel(grpc.port());
  }

  /**
   * A channel whose compressors send the bytes as they are, so a test can put any payload (its own
   * compressed bytes, garbage, a bomb) in a frame flagged as compressed with any grpc-encoding.
   */
  private static ManagedChannel channel(int port) {
    CompressorRegistry asIs = CompressorRegistry.newEmptyInstance();
    for (String encoding : List.of("gzip", "zstd", "snappy", "br", "GZIP", "identity")) {
      asIs.register(new AsIs(encoding));
    }
    return NettyChannelBuilder.forAddress("127.0.0.1", port)
        .usePlaintext()
        .compressorRegistry(asIs)
        .maxInboundMessageSize(4 * LIMIT)
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
  }

  @BeforeEach
  void clearSink() {
    SINK.reset();
  }

  /** Whatever came before, valid exports on the same channel still go through. */
  @AfterEach
  void validExportStillSucceeds() {
    SINK.reset();
    ExportTraceServiceRequest valid = request("after", spans.span("still fine").build());
    assertThat(TraceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .export(valid).hasPartialSuccess()).isFalse();
    assertThat(SINK.spans()).hasSize(1);
    assertThat(LogsServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .export(logs()).hasPartialSuccess()).isFalse();
    assertThat(SINK.calls()).isEqualTo(2);
  }

  @Test
  void garbageIsInvalidArgumentOnEveryMethod() {
    for (String method : List.of(TRACES, METRICS, LOGS)) {
      Status s = raw(method, new byte[] {(byte) 0xFF, (byte) 0xFF, 0x01, 0x02, 0x03});
      assertThat(s.getCode()).as(method).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(s.getDescription()).startsWith("the request is not a valid Export");
      assertClean(s);
      // a length prefix far past the end, and a field number 0
      assertThat(raw(method, new byte[] {0x0A, (byte) 0xFF, (byte) 0xFF, 0x7F}).getCode())
          .isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(raw(method, new byte[] {0x00, 0x01}).getCode())
          .isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
    for (int i = 0; i < 300; i++) {
      byte[] noise = new byte[1 + random.nextInt(256)];
      random.nextBytes(noise);
      assertOkOrInvalid(raw(List.of(TRACES, METRICS, LOGS).get(i % 3), noise));
    }
    assertThat(SINK.calls()).isZero();
  }

  @Test
  void truncatedAndMutatedRequestsAreInvalidArgumentOrAccepted() {
    byte[] traces = request("t", spans.span("a").addAttributes(attr("k", "v")).build()).toByteArray();
    byte[] metrics = metrics().toByteArray();
    byte[] logs = logs().toByteArray();
    for (int cut = 1; cut < traces.length; cut++) {
      assertOkOrInvalid(raw(TRACES, Arrays.copyOf(traces, cut)));
    }
    for (int cut = 1; cut < metrics.length; cut += 3) {
      assertOkOrInvalid(raw(METRICS, Arrays.copyOf(metrics, cut)));
    }
    for (int cut = 1; cut < logs.length; cut += 3) {
      assertOkOrInvalid(raw(LOGS, Arrays.copyOf(logs, cut)));
    }
    for (int i = 0; i < 300; i++) {
      String method = List.of(TRACES, METRICS, LOGS).get(i % 3);
      byte[] b = (method == TRACES ? traces : method == METRICS ? metrics : logs).clone();
      for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
        b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
      }
      assertOkOrInvalid(raw(method, b));
    }
  }

  @Test
  void aRequestOfAnotherSignalIsNotAccepted() {
    // a logs request on the trace method decodes (field numbers overlap) into spans without ids
    Status logsAsTraces = raw(TRACES, logs().toByteArray());
    assertThat(logsAsTraces.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertClean(logsAsTraces);
    assertOkOrInvalid(raw(LOGS, metrics().toByteArray()));
    assertOkOrInvalid(raw(METRICS, request("t", spans.span("a").build()).toByteArray()));
  }

  @Test
  void emptyRequestsAreASuccessWithNothingStored() {
    for (String method : List.of(TRACES, METRICS, LOGS)) {
      assertThat(raw(method, new byte[0]).getCode()).as(method).isEqualTo(Status.Code.OK);
    }
    assertThat(TraceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .export(ExportTraceServiceRequest.newBuilder()
            .addResourceSpans(io.opentelemetry.proto.trace.v1.ResourceSpans.getDefaultInstance())
            .build())
        .hasPartialSuccess()).isFalse();
    assertThat(SINK.calls()).isZero();
  }

  @Test
  void nestingWithinProtobufsRecursionLimitIsStoredAndDeeperIsInvalidArgument() {
    // each kvlist level is three messages deep (AnyValue, KeyValueList, KeyValue), each array two
    ExportTraceServiceRequest shallow =
        request("deep", spans.span("kv").addAttributes(KeyValue.newBuilder().setKey("k")
            .setValue(nested(25, false))).build(),
            spans.span("arr").addAttributes(KeyValue.newBuilder().setKey("k")
                .setValue(nested(40, true))).build());
    assertThat(TraceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .export(shallow).hasPartialSuccess()).isFalse();
    assertThat(SINK.spans()).hasSize(2);

    for (boolean arrays : new boolean[] {false, true}) {
      ExportTraceServiceRequest deep = request("deep", spans.span("x").addAttributes(
          KeyValue.newBuilder().setKey("k").setValue(nested(200, arrays))).build());
      Status s = raw(TRACES, deep.toByteArray());
      assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(s.getDescription()).contains("too many levels of nesting");
      assertClean(s);
      // as a log body too, on the logs method
      ExportLogsServiceRequest deepLog = logs(LogRecord.newBuilder().setTimeUnixNano(NOW_NANOS)
          .setBody(nested(200, arrays)).build());
      assertThat(raw(LOGS, deepLog.toByteArray()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
    assertThat(SINK.calls()).isEqualTo(1);
  }

  @Test
  void invalidUtf8InAStringFieldIsInvalidArgument() {
    byte[] name = invalidUtf8(request("svc", spans.span("XXXX").build()).toByteArray());
    byte[] key = invalidUtf8(request("svc", spans.span("n").addAttributes(attr("XXXX", "v")).build())
        .toByteArray());
    byte[] value = invalidUtf8(request("svc", spans.span("n").addAttributes(attr("k", "XXXX")).build())
        .toByteArray());
    byte[] body = invalidUtf8(logs(LogRecord.newBuilder().setTimeUnixNano(NOW_NANOS)
        .setBody(AnyValue.newBuilder().setStringValue("XXXX")).build()).toByteArray());
    for (byte[] request : List.of(name, key, value)) {
      Status s = raw(TRACES, request);
      assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(s.getDescription()).contains("invalid UTF-8");
      assertClean(s);
    }
    assertThat(raw(LOGS, body).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(SINK.calls()).isZero();
  }

  @Test
  void invalidIdsAreRejectedPerSpanAndAllInvalidIsInvalidArgument() {
    List<Span> bad = List.of(
        spans.span("zero trace").setTraceId(ByteString.copyFrom(new byte[16])).build(),
        spans.span("empty trace").clearTraceId().build(),
        spans.span("short trace").setTraceId(ByteString.copyFrom(new byte[] {1, 2, 3})).build(),
        spans.span("long trace").setTraceId(ByteString.copyFrom(filled(4096))).build(),
        spans.span("zero span").setSpanId(ByteString.copyFrom(new byte[8])).build(),
        spans.span("empty span").clearSpanId().build(),
        spans.span("short span").setSpanId(ByteString.copyFrom(new byte[] {1})).build(),
        spans.span("long span").setSpanId(ByteString.copyFrom(filled(9))).build(),
        spans.span("short parent").setParentSpanId(ByteString.copyFrom(new byte[] {1, 2})).build(),
        spans.span("bad link").addLinks(Span.Link.newBuilder()
            .setTraceId(ByteString.copyFrom(new byte[] {7})).setSpanId(spans.spanId())).build());
    for (Span span : bad) {
      StatusRuntimeException e = export(request("ids", span));
      assertThat(e).as(span.getName()).isNotNull();
      assertThat(e.getStatus().getCode()).as(span.getName()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(e.getStatus().getDescription()).startsWith("no valid spans: ");
      assertThat(e.getStatus().getDescription().length()).isLessThan(1024);
      assertClean(e.getStatus());
    }
    Span good = spans.span("good").build();
    List<Span> mixed = new ArrayList<>(bad);
    mixed.add(good);
    ExportTraceServiceResponse response = TraceServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS).export(request("ids", mixed.toArray(Span[]::new)));
    assertThat(response.getPartialSuccess().getRejectedSpans()).isEqualTo(bad.size());
    assertThat(response.getPartialSuccess().getErrorMessage()).contains("invalid_trace_id");
    assertThat(SINK.spans()).containsExactly(good);
  }

  @Test
  void aMessageAtTheLimitIsAcceptedAndOneByteOverIsResourceExhaustedWithoutRetryInfo() {
    byte[] atLimit = padded(request("limit", spans.span("at").build()).toByteArray(), LIMIT);
    byte[] overLimit = padded(request("limit", spans.span("over").build()).toByteArray(), LIMIT + 1);
    assertThat(atLimit).hasSize(LIMIT);
    assertThat(overLimit).hasSize(LIMIT + 1);

    assertThat(raw(TRACES, atLimit).getCode()).isEqualTo(Status.Code.OK);
    assertThat(SINK.spans()).extracting(Span::getName).containsExactly("at");

    assertTooLarge(raw(TRACES, overLimit));
    assertThat(SINK.calls()).isEqualTo(1);
  }

  @Test
  void compressedRequestsAreDecodedAndCompressedGarbageIsInvalidArgument() throws Exception {
    byte[] valid = request("compressed", spans.span("c").build()).toByteArray();
    assertThat(raw(TRACES, ItSupport.gzip(valid), "gzip").getCode()).isEqualTo(Status.Code.OK);
    assertThat(raw(TRACES, snappy(valid), "snappy").getCode()).isEqualTo(Status.Code.OK);
    List<String> encodings = new ArrayList<>(List.of("gzip", "snappy"));
    if (ZstdLibrary.unavailable() == null) {
      assertThat(raw(TRACES, zstd(valid), "zstd").getCode()).isEqualTo(Status.Code.OK);
      encodings.add("zstd");
    }
    assertThat(SINK.calls()).isEqualTo(encodings.size());

    byte[] gz = ItSupport.gzip(valid);
    byte[] snappy = snappy(valid);
    for (String encoding : encodings) {
      // none is a whole stream of this encoding
      List<byte[]> payloads = new ArrayList<>(List.of(
          valid, // not compressed at all
          new byte[] {1, 2, 3},
          new byte[] {0},
          Arrays.copyOf(gz, gz.length - 6), // truncated gzip
          Arrays.copyOf(gz, 10), // a gzip header only
          Arrays.copyOf(snappy, snappy.length - 3)));
      for (int i = 0; i < 10; i++) {
        byte[] noise = new byte[1 + random.nextInt(64)];
        random.nextBytes(noise);
        payloads.add(noise);
      }
      for (byte[] payload : payloads) {
        Status s = raw(TRACES, payload, encoding);
        assertThat(s.getCode()).as(encoding + " " + Arrays.toString(Arrays.copyOf(payload, 8)))
            .isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).as(encoding)
            .startsWith("the request is not a valid stream of its grpc-encoding (decompressing failed: ")
            .doesNotContain("null");
        assertClean(s);
      }
    }
    // a gzip header and nothing else: the decoder's EOF has no message of its own
    assertThat(raw(TRACES, Arrays.copyOf(gz, 10), "gzip").getDescription())
        .isEqualTo("the request is not a valid stream of its grpc-encoding (decompressing failed:"
            + " the compressed bytes end early)");
    assertThat(SINK.calls()).isEqualTo(encodings.size());

    // valid streams with bits flipped past their headers, to reach the decoders' insides
    byte[] big = request("compressed", spans.span("c").addAttributes(attr("k", "v".repeat(300)))
        .addAttributes(attr("rnd", Long.toHexString(random.nextLong()).repeat(40))).build()).toByteArray();
    for (String encoding : encodings) {
      byte[] stream = encoding.equals("gzip") ? ItSupport.gzip(big) : encoding.equals("snappy") ? snappy(big) : zstd(big);
      for (int i = 0; i < 150; i++) {
        byte[] b = stream.clone();
        for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
          int at = 10 + random.nextInt(b.length - 10);
          b[at] ^= (byte) (1 << random.nextInt(8));
        }
        Status s = raw(TRACES, b, encoding);
        assertThat(s.getCode()).as(encoding + " " + s)
            .isIn(Status.Code.OK, Status.Code.INVALID_ARGUMENT, Status.Code.RESOURCE_EXHAUSTED);
        assertClean(s);
      }
    }
  }

  @Test
  void compressionBombsAreResourceExhaustedFastWithoutRetryInfo() throws Exception {
    // decodable until the size limit stops it: an unknown field far longer than the limit
    int inflated = 32 << 20;
    byte[] zeros = new byte[1 << 20];
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(gz, 64 * 1024)) {
      out.write(ItSupport.unknownFieldHeader(inflated));
      for (int i = 0; i < inflated / zeros.length; i++) {
        out.write(zeros);
      }
    }
    ByteArrayOutputStream sn = new ByteArrayOutputStream();
    try (OutputStream out = new SnappyFramedOutputStream(sn)) {
      out.write(ItSupport.unknownFieldHeader(inflated));
      out.write(zeros);
    }
    long before = System.nanoTime();
    assertThat(gz.size()).isLessThan(LIMIT);
    assertTooLarge(raw(TRACES, gz.toByteArray(), "gzip"));
    assertTooLarge(raw(LOGS, Arrays.copyOf(sn.toByteArray(), LIMIT - 1), "snappy"));
    if (ZstdLibrary.unavailable() == null) {
      ByteArrayOutputStream zs = new ByteArrayOutputStream();
      try (OutputStream out = new ZstdOutputStream(zs)) {
        out.write(ItSupport.unknownFieldHeader(Integer.MAX_VALUE));
        for (int i = 0; i < 256; i++) {
          out.write(zeros);
        }
      }
      assertThat(zs.size()).isLessThan(LIMIT);
      assertTooLarge(raw(METRICS, zs.toByteArray(), "zstd"));
    }
    assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(10));
    assertThat(SINK.calls()).isZero();
  }

  @Test
  void anUnknownGrpcEncodingIsUnimplemented() throws Exception {
    Status s = raw(TRACES, request("br", spans.span("x").build()).toByteArray(), "br");
    assertThat(s.getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
    assertClean(s);
    // names are case-sensitive
    assertThat(raw(TRACES, ItSupport.gzip(request("GZIP", spans.span("x").build()).toByteArray()), "GZIP").getCode())
        .isEqualTo(Status.Code.UNIMPLEMENTED);
    // a frame flagged compressed under "identity" breaks the gRPC protocol; grpc-java's deframer
    // answers it (see the class comment)
    assertThat(raw(TRACES, request("id", spans.span("x").build()).toByteArray(), "identity").getCode())
        .isIn(Status.Code.INTERNAL, Status.Code.INVALID_ARGUMENT);
    assertThat(SINK.calls()).isZero();
  }

  @Test
  void withIngestTokensAMissingOrGarbledAuthorizationIsUnauthenticated() throws Exception {
    IngestAuthenticator tokens = authorization -> {
      String token = Credentials.token(authorization);
      if (token == null) {
        throw new IngestAuthenticator.IngestAuthException("ingest requires a token");
      }
      if (!token.equals("s3cret")) {
        throw new IngestAuthenticator.IngestAuthException("unknown or revoked token");
      }
      return "team";
    };
    OtlpGrpcReceiver secured = OtlpGrpcReceiver.builder(
        OtlpCollector.builder(SINK).authenticator(tokens).build()).port(0).build();
    secured.start();
    ManagedChannel ch = channel(secured.port());
    try {
      ExportTraceServiceRequest r = request("auth", spans.span("x").build());
      List<String> refused = new ArrayList<>(List.of(
          "", "Bearer", "Bearer ", "Bearer wrong", "s3cret", "Basic !!!not-base64!!!",
          "Basic " + java.util.Base64.getEncoder().encodeToString("user:wrong".getBytes(StandardCharsets.UTF_8)),
          "Bearer " + "x".repeat(4000), "Digest s3cret", "Bearer s3cret s3cret"));
      refused.add(null);
      for (String authorization : refused) {
        for (String method : List.of(TRACES, METRICS, LOGS)) {
          Status s = raw(ch, method, r.toByteArray(), null, authorization);
          assertThat(s.getCode()).as(String.valueOf(authorization)).isEqualTo(Status.Code.UNAUTHENTICATED);
          assertClean(s);
        }
      }
      assertThat(SINK.calls()).isZero();
      for (String authorization : List.of("Bearer s3cret", "bearer   s3cret ",
          "Basic " + java.util.Base64.getEncoder().encodeToString("otel:s3cret".getBytes(StandardCharsets.UTF_8)))) {
        assertThat(raw(ch, TRACES, r.toByteArray(), null, authorization).getCode())
            .as(authorization).isEqualTo(Status.Code.OK);
      }
      assertThat(SINK.calls()).isEqualTo(3);
    } finally {
      ch.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      secured.close();
    }
  }

  @Test
  void streamingOnAUnaryMethodIsRefusedAndDoesNotBreakTheChannel() throws Exception {
    byte[] valid = request("stream", spans.span("s").build()).toByteArray();
    MethodDescriptor<byte[], byte[]> streaming = ItSupport.rawMethod(TRACES, MethodDescriptor.MethodType.BIDI_STREAMING);

    // two requests on a unary call
    Recorder two = new Recorder();
    StreamObserver<byte[]> out = ClientCalls.asyncBidiStreamingCall(
        channel.newCall(streaming, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)), two);
    out.onNext(valid);
    out.onNext(valid);
    out.onCompleted();
    assertCardinalityViolation(two.status.get(10, TimeUnit.SECONDS));

    // none
    Recorder none = new Recorder();
    ClientCalls.asyncBidiStreamingCall(
        channel.newCall(streaming, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)), none)
        .onCompleted();
    assertCardinalityViolation(none.status.get(10, TimeUnit.SECONDS));
    assertThat(SINK.calls()).isZero();
  }

  @Test
  void aCallCancelledWhileTheSinkStoresIsNotAnsweredAndOthersAre() throws Exception {
    SINK.hold();
    ExportTraceServiceRequest r = request("cancel", spans.span("c").build());
    ClientCall<byte[], byte[]> call = channel.newCall(ItSupport.rawMethod(TRACES, MethodDescriptor.MethodType.UNARY),
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
    Recorder cancelled = new Recorder();
    ClientCalls.asyncUnaryCall(call, r.toByteArray(), cancelled);
    List<CompletableFuture<Answer>> others = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      others.add(rawAsync(TRACES, r.toByteArray()));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> SINK.heldCount() == 21);
    call.cancel("the client gave up", null);
    assertThat(cancelled.status.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);
    // OK only once durable: nothing is answered while the sink still holds the batches
    await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1))
        .until(() -> others.stream().noneMatch(CompletableFuture::isDone));
    SINK.release();
    for (CompletableFuture<Answer> f : others) {
      assertThat(f.get(10, TimeUnit.SECONDS).status().getCode()).isEqualTo(Status.Code.OK);
    }
  }

  @Test
  void underBackpressureManyConcurrentCallsAreResourceExhaustedWithRetryInfo() throws Exception {
    SINK.failWith(new BackpressureException("the write-ahead log is full", Duration.ofSeconds(3)));
    byte[] r = request("bp", spans.span("x").build()).toByteArray();
    List<CompletableFuture<Answer>> calls = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      calls.add(rawAsync(List.of(TRACES, LOGS).get(i % 2), i % 2 == 0 ? r : logs().toByteArray()));
    }
    for (CompletableFuture<Answer> f : calls) {
      Answer a = f.get(10, TimeUnit.SECONDS);
      assertThat(a.status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(retryDelay(a)).isEqualTo(Duration.ofSeconds(3));
    }

    SINK.reset();
    SINK.noRoom();
    Answer noRoom = rawAsync(METRICS, metrics().toByteArray()).get(10, TimeUnit.SECONDS);
    assertThat(noRoom.status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(retryDelay(noRoom)).isEqualTo(OtlpCollector.DEFAULT_RETRY_AFTER);

    SINK.reset();
    SINK.failWith(new IOException("disk on fire"));
    Answer failed = rawAsync(TRACES, r).get(10, TimeUnit.SECONDS);
    assertThat(failed.status().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(retryDelay(failed)).isEqualTo(OtlpCollector.DEFAULT_RETRY_AFTER);
  }

  // ---- helpers

  private static void assertOkOrInvalid(Status s) {
    assertThat(s.getCode()).as(String.valueOf(s)).isIn(Status.Code.OK, Status.Code.INVALID_ARGUMENT);
    assertClean(s);
  }

  /** A description is a sentence for the user: no stack trace, no Java class names. */
  private static void assertClean(Status s) {
    String d = s.getDescription();
    if (d != null) {
      assertThat(d).as(d).doesNotContain("\tat ").doesNotContain("java.").doesNotContain("Exception")
          .doesNotContain("io.grpc.");
    }
    assertThat(s.getCause()).isNull();
  }

  private static void assertTooLarge(Status s) {
    assertThat(s.getCode()).as(String.valueOf(s)).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(s.getDescription()).contains(String.valueOf(LIMIT));
    assertThat(retryDelayOrNull(s, TRAILERS.get())).as("no RetryInfo: an oversized request must not be retried").isNull();
  }

  /**
   * grpc-java's unary handler answers a cardinality violation itself, before the request reaches
   * Faultline: INTERNAL ("Too many requests", "Half-closed without a request"; gRPC's status code
   * table says UNIMPLEMENTED, grpc-java keeps INTERNAL). A second message arriving before the
   * half-close makes the server end the stream early, which a grpc-java client reports as
   * CANCELLED. Either way the call ends at once, without a hang, and stores nothing.
   */
  private static void assertCardinalityViolation(Status s) {
    assertThat(s.getCode()).as(String.valueOf(s))
        .isIn(Status.Code.INTERNAL, Status.Code.UNIMPLEMENTED, Status.Code.CANCELLED);
  }

  private static Duration retryDelay(Answer a) {
    Duration d = retryDelayOrNull(a.status(), a.trailers());
    assertThat(d).as("RetryInfo in " + a.status()).isNotNull();
    return d;
  }

  private static Duration retryDelayOrNull(Status s, Metadata trailers) {
    com.google.rpc.Status status = StatusProto.fromStatusAndTrailers(s, trailers);
    if (status == null) {
      return null;
    }
    for (com.google.protobuf.Any detail : status.getDetailsList()) {
      if (detail.is(RetryInfo.class)) {
        try {
          com.google.protobuf.Duration d = detail.unpack(RetryInfo.class).getRetryDelay();
          return Duration.ofSeconds(d.getSeconds(), d.getNanos());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          throw new AssertionError(e);
        }
      }
    }
    return null;
  }

  /** The trailers of the last call this thread made through {@link #raw}. */
  private static final ThreadLocal<Metadata> TRAILERS = new ThreadLocal<>();

  private StatusRuntimeException export(ExportTraceServiceRequest r) {
    try {
      TraceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).export(r);
      return null;
    } catch (StatusRuntimeException e) {
      return e;
    }
  }

  private static Status raw(String method, byte[] body) {
    return raw(channel, method, body, null, null);
  }

  private static Status raw(String method, byte[] body, String encoding) {
    return raw(channel, method, body, encoding, null);
  }

  /** Sends {@code body} as it is (flagged compressed with {@code encoding} when not null). */
  private static Status raw(ManagedChannel ch, String method, byte[] body, String encoding,
      String authorization) {
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    if (encoding != null) {
      options = options.withCompression(encoding);
    }
    Metadata headers = new Metadata();
    if (authorization != null) {
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
    }
    io.grpc.Channel intercepted =
        io.grpc.ClientInterceptors.intercept(ch, MetadataUtils.newAttachHeadersInterceptor(headers));
    Recorder recorder = new Recorder();
    ClientCalls.asyncUnaryCall(
        intercepted.newCall(ItSupport.rawMethod(method, MethodDescriptor.MethodType.UNARY), options), body, recorder);
    try {
      Status s = recorder.status.get(15, TimeUnit.SECONDS);
      TRAILERS.set(recorder.trailers);
      return s;
    } catch (Exception e) {
      throw new AssertionError("no answer to " + method, e);
    }
  }

  /** How a call ended, with its trailers. */
  private record Answer(Status status, Metadata trailers) {}

  private static CompletableFuture<Answer> rawAsync(String method, byte[] body) {
    Recorder recorder = new Recorder();
    ClientCalls.asyncUnaryCall(channel.newCall(ItSupport.rawMethod(method, MethodDescriptor.MethodType.UNARY),
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)), body, recorder);
    return recorder.status.thenApply(s -> new Answer(s, recorder.trailers));
  }

  /** Records how a call ended (OK when it completed) and the trailers it ended with. */
  private static final class Recorder implements StreamObserver<byte[]> {
    final CompletableFuture<Status> status = new CompletableFuture<>();
    volatile Metadata trailers;

    @Override
    public void onNext(byte[] value) {}

    @Override
    public void onError(Throwable t) {
      trailers = Status.trailersFromThrowable(t);
      status.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      status.complete(Status.OK);
    }
  }

  private static ExportLogsServiceRequest logs(LogRecord... records) {
    if (records.length == 0) {
      records = new LogRecord[] {LogRecord.newBuilder().setTimeUnixNano(NOW_NANOS)
          .setBody(AnyValue.newBuilder().setStringValue("hello")).build()};
    }
    return ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(ResourceLogs.newBuilder()
            .setResource(io.opentelemetry.proto.resource.v1.Resource.newBuilder()
                .addAttributes(attr("service.name", "logs")))
            .addScopeLogs(ScopeLogs.newBuilder().addAllLogRecords(List.of(records))))
        .build();
  }

  private static ExportMetricsServiceRequest metrics() {
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(ResourceMetrics.newBuilder()
            .setResource(io.opentelemetry.proto.resource.v1.Resource.newBuilder()
                .addAttributes(attr("service.name", "metrics")))
            .addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(Metric.newBuilder()
                .setName("room.temperature")
                .setGauge(Gauge.newBuilder().addDataPoints(NumberDataPoint.newBuilder()
                    .setTimeUnixNano(NOW_NANOS).setAsDouble(21.5).addAttributes(attr("room", "a")))))))
        .build();
  }

  /** {@code depth} levels of kvlists (or arrays) around a string. */
  private static AnyValue nested(int depth, boolean arrays) {
    AnyValue v = AnyValue.newBuilder().setStringValue("bottom").build();
    for (int i = 0; i < depth; i++) {
      v = arrays
          ? AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder().addValues(v)).build()
          : AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder()
              .addValues(KeyValue.newBuilder().setKey("k" + i).setValue(v))).build();
    }
    return v;
  }

  /** The encoded request with its one "XXXX" replaced by bytes that are not UTF-8. */
  private static byte[] invalidUtf8(byte[] encoded) {
    byte[] marker = "XXXX".getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i + marker.length <= encoded.length; i++) {
      if (Arrays.equals(encoded, i, i + marker.length, marker, 0, marker.length)) {
        byte[] out = encoded.clone();
        out[i] = (byte) 0xC3;
        out[i + 1] = 0x28; // a lead byte without its continuation
        out[i + 2] = (byte) 0xFF;
        out[i + 3] = (byte) 0xED; // and the start of a surrogate
        return out;
      }
    }
    throw new AssertionError("no marker");
  }

  private static byte[] filled(int n) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) 0x5A);
    return b;
  }

  /** {@code request} followed by an unknown field that brings it to exactly {@code size} bytes. */
  private static byte[] padded(byte[] request, int size) {
    for (int payload = size - request.length - 2; payload > 0; payload--) {
      byte[] header = ItSupport.unknownFieldHeader(payload);
      if (request.length + header.length + payload == size) {
        byte[] out = Arrays.copyOf(request, size);
        System.arraycopy(header, 0, out, request.length, header.length);
        return out;
      }
    }
    throw new AssertionError("cannot pad to " + size);
  }

  private static byte[] snappy(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (SnappyFramedOutputStream s = new SnappyFramedOutputStream(out)) {
      s.write(bytes);
    }
    return out.toByteArray();
  }

  private static byte[] zstd(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZstdOutputStream z = new ZstdOutputStream(out)) {
      z.write(bytes);
    }
    return out.toByteArray();
  }

  /** A "compressor" that writes the bytes as they are, under the name of a real encoding. */
  private record AsIs(String getMessageEncoding) implements Compressor {
    @Override
    public OutputStream compress(OutputStream os) {
      return os;
    }
  }
}
