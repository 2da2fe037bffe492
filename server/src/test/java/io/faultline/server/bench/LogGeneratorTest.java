/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LogGeneratorTest {
  private static final long SEED = 7;
  private static final long HOUR = 3_600_000_000_000L;

  @Test
  void recordsAreAPureFunctionOfSeedAndNumber() {
    LogGenerator a = new LogGenerator(SEED, 10_000, 0, HOUR);
    LogGenerator b = new LogGenerator(SEED, 10_000, 0, HOUR);
    for (long i = 0; i < 100; i++) {
      assertThat(a.line(i).text()).isEqualTo(b.line(i).text());
    }
    assertThat(new LogGenerator(SEED + 1, 10_000, 0, HOUR).line(5).text())
        .isNotEqualTo(a.line(5).text());
  }

  @Test
  void recordsLookLikeApplicationLogsOfAboutTwoHundredBytes() {
    LogGenerator generator = new LogGenerator(SEED, 20_000, 1_000 * HOUR, HOUR);
    long bytes = 0;
    Set<String> severities = new HashSet<>();
    Set<String> services = new HashSet<>();
    long previous = 0;
    for (long i = 0; i < generator.records(); i++) {
      LogGenerator.Line line = generator.line(i);
      bytes += line.body().length();
      severities.add(line.severity());
      services.add(line.service());
      assertThat(line.timeNanos()).isBetween(generator.startNanos(), generator.endNanos() + 1000);
      assertThat(line.timeNanos()).isGreaterThanOrEqualTo(previous - 1000);
      previous = line.timeNanos();
    }
    assertThat(bytes / (double) generator.records()).isBetween(120.0, 220.0);
    assertThat(severities).containsExactlyInAnyOrder("DEBUG", "INFO", "WARN", "ERROR");
    assertThat(services).hasSameSizeAs(LogGenerator.SERVICES);
  }

  @Test
  void orderIdsAreSelectiveAndFoundInTheirRecord() {
    LogGenerator generator = new LogGenerator(SEED, 100_000, 0, HOUR);
    int mentioning = 0;
    String id = LogGenerator.orderId(generator.orderNumber(1234));
    for (long i = 0; i < generator.records(); i++) {
      if (generator.line(i).body().contains(id)) {
        mentioning++;
      }
    }
    // about 70 % of records name an order, and there is one order id per ten records
    assertThat(mentioning).isBetween(1, 60);
    assertThat(id).matches("ord[0-9a-z]+");
  }

  @Test
  void encodesOneRequestGroupedByService() {
    LogGenerator generator = new LogGenerator(SEED, 10_000, 0, HOUR);
    ExportLogsServiceRequest request = LogBench.encode(generator, 100, 300);
    long records =
        request.getResourceLogsList().stream()
            .flatMap(r -> r.getScopeLogsList().stream())
            .mapToLong(s -> s.getLogRecordsCount())
            .sum();
    assertThat(records).isEqualTo(200);
    assertThat(request.getResourceLogsCount()).isLessThanOrEqualTo(LogGenerator.SERVICES.size());
    LogRecord first = request.getResourceLogs(0).getScopeLogs(0).getLogRecords(0);
    assertThat(first.getTraceId().size()).isEqualTo(16);
    assertThat(first.getSpanId().size()).isEqualTo(8);
    assertThat(first.getBody().getStringValue()).isNotBlank();
  }
}
