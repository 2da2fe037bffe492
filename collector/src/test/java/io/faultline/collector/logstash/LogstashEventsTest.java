/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.logstash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.faultline.core.otlp.OtlpIds;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LogstashEventsTest {
  private static final long OBSERVED = 1_795_000_000_000_000_000L;

  private static Map<String, AnyValue> attributes(LogRecord r) {
    return r.getAttributesList().stream().collect(Collectors.toMap(KeyValue::getKey, KeyValue::getValue));
  }

  @Test
  void mapsTheEncodersStandardFields() throws Exception {
    String line =
        "{\"@timestamp\":\"2026-11-24T11:00:00.123+01:00\",\"@version\":\"1\",\"message\":\"card"
            + " declined\",\"logger_name\":\"com.example.Pay\",\"thread_name\":\"main\",\"level\":\"ERROR\","
            + "\"level_value\":40000,\"stack_trace\":\"java.lang.IllegalStateException: x\\n\\tat"
            + " a.B.c(B.java:1)\\n\",\"trace_id\":\"5b8efff798038103d269b633813fc60c\","
            + "\"span_id\":\"eee19b7ec3c1b174\",\"service\":\"payments\",\"order\":{\"id\":42,\"vip\":true},"
            + "\"ratio\":0.5,\"tags\":[\"a\",\"b\"],\"nothing\":null}";
    LogstashEvents.Event e = LogstashEvents.parse(line, "default", OBSERVED);
    LogRecord r = e.record();
    assertThat(e.service()).isEqualTo("payments");
    Instant t = Instant.parse("2026-11-24T10:00:00.123Z");
    assertThat(r.getTimeUnixNano()).isEqualTo(t.getEpochSecond() * 1_000_000_000L + t.getNano());
    assertThat(r.getObservedTimeUnixNano()).isEqualTo(OBSERVED);
    assertThat(r.getBody().getStringValue()).isEqualTo("card declined");
    assertThat(r.getSeverityText()).isEqualTo("ERROR");
    assertThat(r.getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_ERROR);
    assertThat(OtlpIds.toHex(r.getTraceId())).isEqualTo("5b8efff798038103d269b633813fc60c");
    assertThat(OtlpIds.toHex(r.getSpanId())).isEqualTo("eee19b7ec3c1b174");
    Map<String, AnyValue> attrs = attributes(r);
    assertThat(attrs).doesNotContainKeys("message", "level", "service", "trace_id", "span_id", "@timestamp", "nothing");
    assertThat(attrs.get("stack_trace").getStringValue()).isEqualTo("java.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)\n");
    assertThat(attrs.get("logger_name").getStringValue()).isEqualTo("com.example.Pay");
    assertThat(attrs.get("level_value").getIntValue()).isEqualTo(40000);
    assertThat(attrs.get("ratio").getDoubleValue()).isEqualTo(0.5);
    assertThat(attrs.get("order").getKvlistValue().getValues(0).getValue().getIntValue()).isEqualTo(42);
    assertThat(attrs.get("order").getKvlistValue().getValues(1).getValue().getBoolValue()).isTrue();
    assertThat(attrs.get("tags").getArrayValue().getValuesCount()).isEqualTo(2);
  }

  @Test
  void micrometerIdsServiceNameAndDefaults() throws Exception {
    LogstashEvents.Event e =
        LogstashEvents.parse(
            "{\"message\":\"hi\",\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"zz\","
                + "\"service.name\":\"orders\",\"@timestamp\":1795000000123}",
            "default",
            OBSERVED);
    assertThat(e.service()).isEqualTo("orders");
    assertThat(e.record().getTraceId().size()).isEqualTo(16);
    assertThat(e.record().getSpanId().isEmpty()).isTrue();
    assertThat(attributes(e.record()).get("spanId").getStringValue()).isEqualTo("zz");
    assertThat(e.record().getTimeUnixNano()).isEqualTo(1_795_000_000_123_000_000L);

    LogstashEvents.Event d = LogstashEvents.parse("{\"message\":\"x\",\"@timestamp\":\"yesterday\"}", "default", OBSERVED);
    assertThat(d.service()).isEqualTo("default");
    assertThat(d.record().getTimeUnixNano()).isZero();
    assertThat(attributes(d.record()).get("@timestamp").getStringValue()).isEqualTo("yesterday");
  }

  @Test
  void aServiceTooLongToIndexStaysAnAttribute() throws Exception {
    // the log store indexes the service as one Lucene term of at most 32766 bytes; a longer one
    // would have the record dropped there
    String huge = "s".repeat(40_000);
    LogstashEvents.Event e =
        LogstashEvents.parse("{\"message\":\"x\",\"service\":\"" + huge + "\"}", "default", OBSERVED);
    assertThat(e.service()).isEqualTo("default");
    assertThat(attributes(e.record()).get("service").getStringValue()).isEqualTo(huge);
  }

  @Test
  void levelsMapToSeverityNumbers() {
    assertThat(LogstashEvents.severity("TRACE")).isEqualTo(SeverityNumber.SEVERITY_NUMBER_TRACE);
    assertThat(LogstashEvents.severity("debug")).isEqualTo(SeverityNumber.SEVERITY_NUMBER_DEBUG);
    assertThat(LogstashEvents.severity("INFO")).isEqualTo(SeverityNumber.SEVERITY_NUMBER_INFO);
    assertThat(LogstashEvents.severity("WARNING")).isEqualTo(SeverityNumber.SEVERITY_NUMBER_WARN);
    assertThat(LogstashEvents.severity("SEVERE")).isEqualTo(SeverityNumber.SEVERITY_NUMBER_ERROR);
    assertThat(LogstashEvents.severity("FATAL")).isEqualTo(SeverityNumber.SEVERITY_NUMBER_FATAL);
    assertThat(LogstashEvents.severity("chatty")).isEqualTo(SeverityNumber.SEVERITY_NUMBER_UNSPECIFIED);
  }

  @Test
  void linesThatAreNotOneJsonObjectAreMalformed() {
    for (String bad : new String[] {"{", "[1,2]", "\"text\"", "42", "{\"a\":1} {\"b\":2}", "plain text"}) {
      assertThatThrownBy(() -> LogstashEvents.parse(bad, "d", OBSERVED))
          .as(bad)
          .isInstanceOf(LogstashEvents.MalformedEventException.class);
    }
  }
}
