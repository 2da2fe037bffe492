/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.faultline.collector.otlp.IngestLimits;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogsSignalTest {
  private static final Instant NOW = Instant.parse("2025-01-02T03:04:05.678Z");
  private static final long NOW_NANOS = 1_735_787_045_678_000_000L;
  private static final LogsSignal SIGNAL = new LogsSignal(Clock.fixed(NOW, ZoneOffset.UTC));
  private static final IngestLimits LIMITS = IngestLimits.defaults();

  @Test
  void aValidTimedRequestIsKeptAsIs() {
    ExportLogsServiceRequest r = request(scope("s", record("a", 5, 0), record("b", 0, 6)));
    Validation<ExportLogsServiceRequest> v = SIGNAL.validate(r, LIMITS);
    assertThat(v.request()).isSameAs(r);
    assertThat(v.accepted()).isEqualTo(2);
    assertThat(v.rejected()).isEmpty();
    assertThat(v.errorMessage()).isEmpty();
  }

  @Test
  void aRecordWithoutAnyTimeGetsTheReceiptTimeAsObservedTime() {
    ExportLogsServiceRequest r = request(scope("s", record("a", 5, 0), record("untimed", 0, 0)));
    Validation<ExportLogsServiceRequest> v = SIGNAL.validate(r, LIMITS);
    assertThat(v.accepted()).isEqualTo(2);
    assertThat(v.rejected()).isEmpty();
    assertThat(v.errorMessage()).isEmpty();
    List<LogRecord> kept = records(v.request());
    assertThat(kept).extracting(rec -> rec.getBody().getStringValue()).containsExactly("a", "untimed");
    assertThat(kept.get(0)).isEqualTo(record("a", 5, 0));
    assertThat(kept.get(1).getObservedTimeUnixNano()).isEqualTo(NOW_NANOS);
    assertThat(kept.get(1).getTimeUnixNano()).isZero();
  }

  @Test
  void invalidTraceAndSpanIdsAreAcceptedAsSent() {
    // logs.proto: such a record is "not associated with a trace", not malformed
    LogRecord shortIds =
        record("short", 1, 0).toBuilder()
            .setTraceId(ByteString.copyFrom(new byte[5]))
            .setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3}))
            .build();
    LogRecord zeroIds =
        record("zero", 1, 0).toBuilder()
            .setTraceId(ByteString.copyFrom(new byte[16]))
            .setSpanId(ByteString.copyFrom(new byte[8]))
            .build();
    LogRecord longTraceId =
        record("long", 1, 0).toBuilder().setTraceId(ByteString.copyFrom(new byte[40])).build();
    ExportLogsServiceRequest r = request(scope("s", shortIds, zeroIds, longTraceId));
    Validation<ExportLogsServiceRequest> v = SIGNAL.validate(r, LIMITS);
    assertThat(v.request()).isSameAs(r);
    assertThat(v.accepted()).isEqualTo(3);
    assertThat(v.rejected()).isEmpty();
    assertThat(v.errorMessage()).isEmpty();
    assertThat(v.malformed()).isFalse();
  }

  @Test
  void aRecordOlderThanTheLogRetentionIsRejectedByTheTimeTheStoreFilesItUnder() {
    IngestLimits limits =
        IngestLimits.builder()
            .logRetention(Duration.ofDays(7))
            .clock(Clock.fixed(NOW, ZoneOffset.UTC))
            .build();
    long cutoff = NOW_NANOS - Duration.ofDays(7).toNanos();
    long old = cutoff - 1;
    long recent = cutoff + 1;
    ExportLogsServiceRequest r =
        request(
            scope(
                "s",
                record("old time", old, 0),
                record("old observed time only", 0, old),
                record("old time, recent observed time", old, recent),
                record("recent time, old observed time", recent, old),
                record("at the cutoff", cutoff, 0),
                record("untimed", 0, 0)));
    Validation<ExportLogsServiceRequest> v = SIGNAL.validate(r, limits);
    assertThat(v.accepted()).isEqualTo(3);
    assertThat(v.rejected()).containsExactlyEntriesOf(Map.of(RejectReason.LOG_RECORD_TOO_OLD, 3L));
    assertThat(v.errorMessage())
        .isEqualTo(
            "rejected 3 of 6 log records: 3 log_record_too_old (first: a log record is at"
                + " 2024-12-26T03:04:05.677999999Z (time_unix_nano), longer ago than the log"
                + " retention of 7 days, so it would be deleted at once; check the sender's clock"
                + " and timestamps)");
    assertThat(v.malformed()).isFalse();
    assertThat(records(v.request()))
        .extracting(rec -> rec.getBody().getStringValue())
        .containsExactly("recent time, old observed time", "at the cutoff", "untimed");

    Validation<ExportLogsServiceRequest> off = SIGNAL.validate(r, LIMITS);
    assertThat(off.accepted()).isEqualTo(6);
  }

  @Test
  void aRecordMoreThanADayAheadIsRejectedAsTooNew() {
    IngestLimits limits =
        IngestLimits.builder()
            .logRetention(Duration.ofDays(7))
            .clock(Clock.fixed(NOW, ZoneOffset.UTC))
            .build();
    long limit = NOW_NANOS + Duration.ofDays(1).toNanos();
    Validation<ExportLogsServiceRequest> v =
        SIGNAL.validate(
            request(scope("s", record("ahead", limit + 1, 0), record("at the limit", limit, 0))),
            limits);
    assertThat(v.rejected()).containsExactlyEntriesOf(Map.of(RejectReason.LOG_RECORD_TOO_NEW, 1L));
    assertThat(v.errorMessage()).contains("log_record_too_new", "more than 1 day ahead");
    assertThat(records(v.request()))
        .extracting(rec -> rec.getBody().getStringValue())
        .containsExactly("at the limit");
  }

  @Test
  void aRecordWithOnlyAnOldObservedTimeIsToldSo() {
    IngestLimits limits =
        IngestLimits.builder().logRetention(Duration.ofHours(1)).clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
    Validation<ExportLogsServiceRequest> v = SIGNAL.validate(request(scope("s", record("a", 0, 5))), limits);
    assertThat(v.rejected()).containsExactlyEntriesOf(Map.of(RejectReason.LOG_RECORD_TOO_OLD, 1L));
    assertThat(v.errorMessage())
        .contains(
            "a log record is at 1970-01-01T00:00:00.000000005Z (observed_time_unix_nano; it has no"
                + " time_unix_nano), longer ago than the log retention of 1 h");
  }

  @Test
  void recordsBeyondTheRequestLimitAndUnderABadScopeAreRejected() {
    IngestLimits limits = IngestLimits.builder().maxSpansPerRequest(2).maxAttributesPerItem(1).build();
    ScopeLogs crowded =
        scope("crowded", record("x", 1, 0)).toBuilder()
            .setScope(
                InstrumentationScope.newBuilder()
                    .setName("crowded")
                    .addAttributes(attribute("k1"))
                    .addAttributes(attribute("k2")))
            .build();
    ExportLogsServiceRequest r =
        request(scope("s", record("a", 1, 0)), crowded, scope("s", record("b", 1, 0), record("c", 1, 0)));
    Validation<ExportLogsServiceRequest> v = SIGNAL.validate(r, limits);
    assertThat(v.accepted()).isEqualTo(1);
    assertThat(v.rejected())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(RejectReason.TOO_MANY_ATTRIBUTES, 1L, RejectReason.TOO_MANY_LOG_RECORDS, 2L));
    assertThat(v.errorMessage())
        .startsWith("rejected 3 of 4 log records: ")
        .contains(
            "2 too_many_log_records (first: a request may carry 2 log records; send the rest in"
                + " another request)",
            "1 too_many_attributes (first: scope 'crowded' has 2 attributes; the limit is 1");
    assertThat(records(v.request())).extracting(rec -> rec.getBody().getStringValue()).containsExactly("a");
  }

  private static ExportLogsServiceRequest request(ScopeLogs... scopes) {
    return ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(ResourceLogs.newBuilder().addAllScopeLogs(List.of(scopes)))
        .build();
  }

  private static ScopeLogs scope(String name, LogRecord... records) {
    return ScopeLogs.newBuilder()
        .setScope(InstrumentationScope.newBuilder().setName(name))
        .addAllLogRecords(List.of(records))
        .build();
  }

  private static LogRecord record(String body, long time, long observed) {
    return LogRecord.newBuilder()
        .setBody(AnyValue.newBuilder().setStringValue(body))
        .setTimeUnixNano(time)
        .setObservedTimeUnixNano(observed)
        .build();
  }

  private static KeyValue attribute(String key) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue("v")).build();
  }

  private static List<LogRecord> records(ExportLogsServiceRequest r) {
    return r.getResourceLogsList().stream()
        .flatMap(rl -> rl.getScopeLogsList().stream())
        .flatMap(sl -> sl.getLogRecordsList().stream())
        .toList();
  }
}
