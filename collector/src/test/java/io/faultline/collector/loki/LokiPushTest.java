/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.loki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.faultline.collector.otlp.IngestLimits;
import io.faultline.core.loki.EntryAdapter;
import io.faultline.core.loki.LabelPairAdapter;
import io.faultline.core.loki.PushRequest;
import io.faultline.core.loki.StreamAdapter;
import io.faultline.core.otlp.OtlpIds;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

class LokiPushTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final long T = NOW.minusSeconds(60).getEpochSecond() * 1_000_000_000L + 123;
  private static final IngestLimits INGEST =
      IngestLimits.builder()
          .logRetention(Duration.ofDays(7))
          .clock(Clock.fixed(NOW, ZoneOffset.UTC))
          .build();
  private static final LokiPushLimits LIMITS = LokiPushLimits.defaults();
  private static final String TRACE = "5b8efff798038103d269b633813fc60c";
  private static final String SPAN = "eee19b7ec3c1b174";

  static Map<String, String> attributes(List<KeyValue> kvs) {
    Map<String, String> m = new LinkedHashMap<>();
    kvs.forEach(kv -> m.put(kv.getKey(), kv.getValue().getStringValue()));
    return m;
  }

  private static LokiPush.Decoded json(String body) {
    return LokiPush.decode(body.getBytes(StandardCharsets.UTF_8), "application/json", null, LIMITS, INGEST);
  }

  static byte[] snappy(PushRequest request) throws IOException {
    return Snappy.compress(request.toByteArray());
  }

  static EntryAdapter entry(long nanos, String line, String... metadata) {
    EntryAdapter.Builder e =
        EntryAdapter.newBuilder()
            .setTimestamp(Timestamp.newBuilder().setSeconds(nanos / 1_000_000_000L).setNanos((int) (nanos % 1_000_000_000L)))
            .setLine(ByteString.copyFromUtf8(line));
    for (int i = 0; i < metadata.length; i += 2) {
      e.addStructuredMetadata(LabelPairAdapter.newBuilder().setName(metadata[i]).setValue(metadata[i + 1]));
    }
    return e.build();
  }

  private static LokiPush.Decoded protobuf(PushRequest request) throws IOException {
    return LokiPush.decode(snappy(request), "application/x-protobuf", null, LIMITS, INGEST);
  }

  @Test
  void jsonWithoutMetadata() {
    LokiPush.Decoded d =
        json("{\"streams\":[{\"stream\":{\"app\":\"shop\",\"env\":\"prod\",\"level\":\"warn\"},"
            + "\"values\":[[\"" + T + "\",\"first line\"],[\"" + (T + 1) + "\",\"second line\"]]}]}");
    assertThat(d.problem()).isEmpty();
    assertThat(d.records()).isEqualTo(2);
    ResourceLogs rl = d.request().getResourceLogs(0);
    assertThat(attributes(rl.getResource().getAttributesList()))
        .containsExactly(
            Map.entry("service.name", "shop"),
            Map.entry("app", "shop"),
            Map.entry("env", "prod"),
            Map.entry("level", "warn"));
    LogRecord r = rl.getScopeLogs(0).getLogRecords(0);
    assertThat(r.getTimeUnixNano()).isEqualTo(T);
    assertThat(r.getObservedTimeUnixNano()).isZero();
    assertThat(r.getBody().getStringValue()).isEqualTo("first line");
    assertThat(r.getSeverityText()).isEqualTo("warn");
    assertThat(r.getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_WARN);
    assertThat(r.getAttributesList()).isEmpty();
    assertThat(rl.getScopeLogs(0).getLogRecords(1).getBody().getStringValue()).isEqualTo("second line");
    assertThat(d.batch().signal()).isEqualTo(io.faultline.core.ingest.Signal.LOGS);
  }

  @Test
  void jsonWithStructuredMetadata() {
    LokiPush.Decoded d =
        json("{\"streams\":[{\"values\":[[\"" + T + "\",\"card declined\",{\"trace_id\":\"" + TRACE
            + "\",\"span_id\":\"" + SPAN + "\",\"order_id\":\"42\",\"detected_level\":\"error\"}],"
            + "[\"" + T + "\",\"bad ids\",{\"trace_id\":\"xyz\",\"span_id\":\"00\"}]],"
            + "\"stream\":{\"job\":\"payments\",\"level\":\"info\"}, \"ignored\": [1, {\"x\": 2}]}],"
            + " \"other\": true}");
    assertThat(d.problem()).isEmpty();
    ResourceLogs rl = d.request().getResourceLogs(0);
    assertThat(attributes(rl.getResource().getAttributesList())).containsEntry("service.name", "payments");
    LogRecord r = rl.getScopeLogs(0).getLogRecords(0);
    assertThat(OtlpIds.toHex(r.getTraceId())).isEqualTo(TRACE);
    assertThat(OtlpIds.toHex(r.getSpanId())).isEqualTo(SPAN);
    assertThat(attributes(r.getAttributesList()))
        .containsExactly(Map.entry("order_id", "42"), Map.entry("detected_level", "error"));
    // the entry's metadata wins over the stream's level label
    assertThat(r.getSeverityText()).isEqualTo("error");
    assertThat(r.getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_ERROR);
    LogRecord bad = rl.getScopeLogs(0).getLogRecords(1);
    assertThat(bad.getTraceId()).isEmpty();
    assertThat(attributes(bad.getAttributesList())).containsEntry("trace_id", "xyz").containsEntry("span_id", "00");
    assertThat(bad.getSeverityText()).isEqualTo("info");
  }

  @Test
  void protobufWithSnappy() throws Exception {
    PushRequest request =
        PushRequest.newBuilder()
            .addStreams(
                StreamAdapter.newBuilder()
                    .setLabels("{service_name=\"checkout\", app=\"shop\", severity=\"debug\"}")
                    .addEntries(entry(T, "hello", "trace_id", TRACE, "user", "ann"))
                    .addEntries(entry(T + 5, "world")))
            .addStreams(
                StreamAdapter.newBuilder()
                    .setLabels("{filename=\"/var/log/x.log\"}")
                    .addEntries(entry(T, "no service")))
            .build();
    LokiPush.Decoded d = protobuf(request);
    assertThat(d.problem()).isEmpty();
    assertThat(d.records()).isEqualTo(3);
    ResourceLogs first = d.request().getResourceLogs(0);
    assertThat(attributes(first.getResource().getAttributesList()))
        .containsExactly(
            Map.entry("service.name", "checkout"),
            Map.entry("app", "shop"),
            Map.entry("service_name", "checkout"),
            Map.entry("severity", "debug"));
    LogRecord r = first.getScopeLogs(0).getLogRecords(0);
    assertThat(r.getTimeUnixNano()).isEqualTo(T);
    assertThat(OtlpIds.toHex(r.getTraceId())).isEqualTo(TRACE);
    assertThat(attributes(r.getAttributesList())).containsExactly(Map.entry("user", "ann"));
    assertThat(r.getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_DEBUG);
    ResourceLogs second = d.request().getResourceLogs(1);
    assertThat(attributes(second.getResource().getAttributesList()))
        .containsEntry("service.name", "unknown_service");
    // with Content-Encoding: snappy, or without any Content-Type, it is the same request
    assertThat(LokiPush.decode(snappy(request), null, "snappy", LIMITS, INGEST).request())
        .isEqualTo(d.request());
  }

  @Test
  void invalidUtf8InAProtobufLineIsReplacedNotFatal() throws Exception {
    PushRequest request =
        PushRequest.newBuilder()
            .addStreams(
                StreamAdapter.newBuilder()
                    .setLabels("{app=\"a\"}")
                    .addEntries(entry(T, "x").toBuilder().setLine(ByteString.copyFrom(new byte[] {'o', 'k', (byte) 0xff}))))
            .build();
    assertThat(protobuf(request).request().getResourceLogs(0).getScopeLogs(0).getLogRecords(0).getBody().getStringValue())
        .isEqualTo("ok\uFFFD");
  }

  @Test
  void serviceNameComesFromTheFirstOfItsLabels() {
    assertThat(LokiPush.service(Map.of("job", "j", "app", "a"))).isEqualTo("a");
    assertThat(LokiPush.service(Map.of("job", "j", "app", "a", "service", "s"))).isEqualTo("s");
    assertThat(LokiPush.service(Map.of("service_name", "n", "service", "s"))).isEqualTo("n");
    assertThat(LokiPush.service(Map.of("job", "j"))).isEqualTo("j");
    assertThat(LokiPush.service(Map.of("host", "h"))).isEqualTo("unknown_service");
  }

  @Test
  void gzipAndDeflateBodies() throws Exception {
    String body = "{\"streams\":[{\"stream\":{\"app\":\"z\"},\"values\":[[\"" + T + "\",\"zipped\"]]}]}";
    byte[] raw = body.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(raw);
    }
    assertThat(line(LokiPush.decode(gz.toByteArray(), "application/json; charset=utf-8", "gzip", LIMITS, INGEST)))
        .isEqualTo("zipped");
    for (boolean nowrap : new boolean[] {true, false}) {
      ByteArrayOutputStream df = new ByteArrayOutputStream();
      try (DeflaterOutputStream out = new DeflaterOutputStream(df, new Deflater(6, nowrap))) {
        out.write(raw);
      }
      assertThat(line(LokiPush.decode(df.toByteArray(), "application/json", "deflate", LIMITS, INGEST)))
          .isEqualTo("zipped");
    }
    // protobuf bodies may be gzipped as well: gzip, then snappy inside
    PushRequest request =
        PushRequest.newBuilder()
            .addStreams(StreamAdapter.newBuilder().setLabels("{app=\"z\"}").addEntries(entry(T, "zipped")))
            .build();
    ByteArrayOutputStream pb = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(pb)) {
      out.write(snappy(request));
    }
    assertThat(line(LokiPush.decode(pb.toByteArray(), "application/x-protobuf", "gzip", LIMITS, INGEST)))
        .isEqualTo("zipped");
    // JSON with snappy: a snappy block
    assertThat(line(LokiPush.decode(Snappy.compress(raw), "application/json", "snappy", LIMITS, INGEST)))
        .isEqualTo("zipped");
    assertThatThrownBy(() -> LokiPush.decode(raw, "application/json", "gzip", LIMITS, INGEST))
        .isInstanceOfSatisfying(LokiPushException.class, e -> assertThat(e.httpStatus()).isEqualTo(400))
        .hasMessageContaining("not gzip-compressed");
  }

  private static String line(LokiPush.Decoded d) {
    return d.request().getResourceLogs(0).getScopeLogs(0).getLogRecords(0).getBody().getStringValue();
  }

  @Test
  void otherEncodingsAre415() {
    assertThatThrownBy(() -> LokiPush.checkHeaders("application/json", "br"))
        .isInstanceOfSatisfying(LokiPushException.class, e -> assertThat(e.httpStatus()).isEqualTo(415))
        .hasMessageContaining("gzip");
    assertThat(LokiPush.checkHeaders(null, null)).isEqualTo(LokiPush.Format.PROTOBUF);
    assertThat(LokiPush.checkHeaders("Application/JSON;charset=utf-8", "GZIP")).isEqualTo(LokiPush.Format.JSON);
  }

  @Test
  void badLabelsRejectTheirStreamOnly() throws Exception {
    PushRequest request =
        PushRequest.newBuilder()
            .addStreams(StreamAdapter.newBuilder().setLabels("{app=\"shop\"").addEntries(entry(T, "lost")))
            .addStreams(StreamAdapter.newBuilder().setLabels("{app=\"shop\"}").addEntries(entry(T, "kept")))
            .build();
    LokiPush.Decoded d = protobuf(request);
    assertThat(d.records()).isEqualTo(1);
    assertThat(d.rejected()).isEqualTo(1);
    assertThat(d.problem())
        .startsWith("rejected 1 of 2 entries: error parsing labels '{app=\"shop\"'")
        .endsWith("The other entries were stored");
    assertThat(line(d)).isEqualTo("kept");

    PushRequest allBad =
        PushRequest.newBuilder()
            .addStreams(StreamAdapter.newBuilder().setLabels("{app!=\"shop\"}").addEntries(entry(T, "x")))
            .build();
    assertThatThrownBy(() -> protobuf(allBad))
        .isInstanceOfSatisfying(LokiPushException.class, e -> assertThat(e.httpStatus()).isEqualTo(400))
        .hasMessageContaining("error parsing labels");
    assertThatThrownBy(() -> json("{\"streams\":[{\"stream\":{\"a.b\":\"c\"},\"values\":[[\"" + T + "\",\"x\"]]}]}"))
        .hasMessageContaining("invalid label name 'a.b'");
    assertThatThrownBy(() -> json("{\"streams\":[{\"stream\":{},\"values\":[[\"" + T + "\",\"x\"]]}]}"))
        .hasMessageContaining("at least one label pair is required");
  }

  @Test
  void malformedBodiesAre400() {
    for (String body :
        List.of(
            "not json",
            "[]",
            "{\"streams\":{}}",
            "{\"streams\":[{\"stream\":{\"a\":1},\"values\":[]}]}",
            "{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[" + T + ",\"number ts\"]]}]}",
            "{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"12:00\",\"bad ts\"]]}]}",
            "{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"" + T + "\"]]}]}",
            "{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"" + T + "\",\"x\",{},\"y\"]]}]}",
            "{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"" + T + "\",\"x\",{\"n\":1}]]}]}",
            "{\"streams\":[]} trailing")) {
      assertThatThrownBy(() -> json(body))
          .as(body)
          .isInstanceOfSatisfying(LokiPushException.class, e -> assertThat(e.httpStatus()).isEqualTo(400))
          .hasMessageStartingWith("the body is not a Loki push request in JSON");
    }
    assertThatThrownBy(() -> json("{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"12:00\",\"bad ts\"]]}]}"))
        .hasMessageContaining("streams[0].values[0]: the timestamp '12:00' is not an integer");
    assertThatThrownBy(() -> LokiPush.decode(new byte[] {1, 2, 3}, null, null, LIMITS, INGEST))
        .isInstanceOfSatisfying(LokiPushException.class, e -> assertThat(e.httpStatus()).isEqualTo(400))
        .hasMessageContaining("snappy");
    assertThatThrownBy(() -> LokiPush.decode(Snappy.compress(new byte[] {(byte) 0xff, 1}), null, null, LIMITS, INGEST))
        .hasMessageContaining("not a Loki PushRequest");
  }

  @Test
  void emptyRequestsStoreNothing() {
    assertThat(json("{}").isEmpty()).isTrue();
    assertThat(json("{\"streams\":[]}").problem()).isEmpty();
    assertThat(json("{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[]}]}").isEmpty()).isTrue();
  }

  @Test
  void timestampsOutsideTheRetentionAreRejectedAndNamed() throws Exception {
    long old = NOW.minus(Duration.ofDays(8)).getEpochSecond() * 1_000_000_000L;
    long future = NOW.plus(Duration.ofDays(2)).getEpochSecond() * 1_000_000_000L;
    LokiPush.Decoded d =
        json("{\"streams\":[{\"stream\":{\"app\":\"shop\"},\"values\":[[\"" + old + "\",\"old\"],[\""
            + T + "\",\"fine\"],[\"" + future + "\",\"future\"]]}]}");
    assertThat(d.records()).isEqualTo(1);
    assertThat(line(d)).isEqualTo("fine");
    assertThat(d.problem())
        .contains("rejected 2 of 3 entries")
        .contains("entry for stream '{app=\"shop\"}' has timestamp too old: 2026-02-21T12:00:00Z,"
            + " oldest acceptable timestamp is: 2026-02-22T12:00:00Z (the log retention is 7 days)")
        .contains("entry for stream '{app=\"shop\"}' has timestamp too new: 2026-03-03T12:00:00Z");
    assertThatThrownBy(() -> json("{\"streams\":[{\"stream\":{\"app\":\"shop\"},\"values\":[[\"0\",\"epoch\"]]}]}"))
        .isInstanceOfSatisfying(LokiPushException.class, e -> assertThat(e.httpStatus()).isEqualTo(400))
        .hasMessageContaining("timestamp too old: 1970-01-01T00:00:00Z");
    // a protobuf timestamp past what nanoseconds hold
    PushRequest far =
        PushRequest.newBuilder()
            .addStreams(
                StreamAdapter.newBuilder()
                    .setLabels("{app=\"a\"}")
                    .addEntries(EntryAdapter.newBuilder().setTimestamp(Timestamp.newBuilder().setSeconds(Long.MAX_VALUE / 10)).setLine(ByteString.copyFromUtf8("x"))))
            .build();
    assertThatThrownBy(() -> protobuf(far)).hasMessageContaining("timestamp out of range");
  }

  @Test
  void linesOverTheLimitAreRejected() {
    LokiPushLimits small = new LokiPushLimits(1 << 20, 1 << 20, 10, 8);
    String body =
        "{\"streams\":[{\"stream\":{\"app\":\"a\"},\"values\":[[\"" + T + "\",\"12345678\"],[\"" + T
            + "\",\"123456789\"],[\"" + T + "\",\"ééééé\"]]}]}";
    LokiPush.Decoded d = LokiPush.decode(body.getBytes(StandardCharsets.UTF_8), "application/json", null, small, INGEST);
    assertThat(d.records()).isEqualTo(1);
    assertThat(d.problem())
        .contains("max entry size '8' bytes exceeded for stream '{app=\"a\"}' while adding an entry with length '9' bytes")
        .contains("with length '10' bytes");
  }

  @Test
  void sizeAndEntryLimitsAre413() throws Exception {
    LokiPushLimits small = new LokiPushLimits(100, 1000, 2, 1000);
    byte[] big = new byte[101];
    assertThatThrownBy(() -> LokiPush.decode(big, "application/json", null, small, INGEST))
        .isInstanceOfSatisfying(LokiPushException.class, e -> assertThat(e.httpStatus()).isEqualTo(413));
    // snappy declares 2^32-1 bytes: refused before decoding
    byte[] bomb = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0, 0};
    assertThatThrownBy(() -> LokiPush.decode(bomb, "application/x-protobuf", null, small, INGEST))
        .isInstanceOfSatisfying(LokiPushException.class, e -> assertThat(e.httpStatus()).isEqualTo(413))
        .hasMessageContaining("decompresses to 4294967295 bytes; the limit is 1000 bytes");
    // a gzip body that inflates past the limit
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(new byte[5000]);
    }
    assertThat(gz.size()).isLessThan(100);
    assertThatThrownBy(() -> LokiPush.decode(gz.toByteArray(), "application/json", "gzip", small, INGEST))
        .isInstanceOfSatisfying(LokiPushException.class, e -> assertThat(e.httpStatus()).isEqualTo(413))
        .hasMessageContaining("more than 1000 bytes");
    // entries over the limit, in either form
    String three = "{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"1\",\"x\"],[\"1\",\"x\"],[\"1\",\"x\"]]}]}";
    assertThatThrownBy(
            () -> LokiPush.decode(three.getBytes(StandardCharsets.UTF_8), "application/json", null, new LokiPushLimits(1000, 1000, 2, 1000), INGEST))
        .isInstanceOfSatisfying(LokiPushException.class, e -> assertThat(e.httpStatus()).isEqualTo(413))
        .hasMessageContaining("more than 2 entries");
    PushRequest request =
        PushRequest.newBuilder()
            .addStreams(StreamAdapter.newBuilder().setLabels("{a=\"b\"}").addEntries(entry(T, "1")).addEntries(entry(T, "2")))
            .addStreams(StreamAdapter.newBuilder().setLabels("{a=\"c\"}").addEntries(entry(T, "3")))
            .build();
    assertThatThrownBy(() -> LokiPush.decode(snappy(request), null, null, new LokiPushLimits(1000, 1000, 2, 1000), INGEST))
        .isInstanceOfSatisfying(LokiPushException.class, e -> assertThat(e.httpStatus()).isEqualTo(413));
  }

  @Test
  void otlpLimitsApplyToo() {
    String longName = "s".repeat(16_001);
    LokiPush.Decoded d =
        json("{\"streams\":[{\"stream\":{\"app\":\"" + longName + "\"},\"values\":[[\"" + T + "\",\"x\"]]},"
            + "{\"stream\":{\"app\":\"ok\"},\"values\":[[\"" + T + "\",\"y\"]]}]}");
    assertThat(d.records()).isEqualTo(1);
    assertThat(d.rejected()).isEqualTo(1);
    assertThat(d.problem()).contains("service.name of 16001 bytes; the limit is 16000 bytes");
    assertThat(line(d)).isEqualTo("y");

    StringBuilder many = new StringBuilder("{\"streams\":[{\"stream\":{");
    for (int i = 0; i < 130; i++) {
      many.append(i == 0 ? "" : ",").append("\"l").append(i).append("\":\"v\"");
    }
    many.append("},\"values\":[[\"").append(T).append("\",\"x\"]]}]}");
    assertThatThrownBy(() -> json(many.toString()))
        .isInstanceOfSatisfying(LokiPushException.class, e -> assertThat(e.httpStatus()).isEqualTo(400))
        .hasMessageContaining("attributes; the limit is 128");
  }
}
