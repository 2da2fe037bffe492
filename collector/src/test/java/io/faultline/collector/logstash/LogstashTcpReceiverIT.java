/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.logstash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.faultline.collector.logstash.LogstashMetrics.Outcome;
import io.faultline.core.otlp.OtlpIds;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import net.logstash.logback.appender.LogstashTcpSocketAppender;
import net.logstash.logback.encoder.LogstashEncoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

class LogstashTcpReceiverIT {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private final CapturingSink sink = new CapturingSink();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private LogstashTcpReceiver receiver;

  private LogstashTcpReceiver start(int maxLineBytes) throws Exception {
    receiver =
        LogstashTcpReceiver.builder(sink)
            .host("127.0.0.1")
            .port(0)
            .registry(registry)
            .defaultService("fallback")
            .maxLineBytes(maxLineBytes)
            .build();
    receiver.start();
    return receiver;
  }

  @AfterEach
  void stop() {
    if (receiver != null) {
      receiver.stop();
    }
  }

  @Test
  void theRealLogbackTcpAppenderIsAClient() throws Exception {
    start(LogstashTcpReceiver.DEFAULT_MAX_LINE_BYTES);
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    LogstashEncoder encoder = new LogstashEncoder();
    encoder.setContext(context);
    encoder.setCustomFields("{\"service\":\"orders\",\"region\":\"eu-1\"}");
    encoder.start();
    LogstashTcpSocketAppender appender = new LogstashTcpSocketAppender();
    appender.setContext(context);
    appender.setName("faultline-test");
    appender.addDestination("127.0.0.1:" + receiver.port());
    appender.setEncoder(encoder);
    appender.start();
    Logger logger = context.getLogger("com.example.orders.OrderService");
    logger.setAdditive(false);
    logger.setLevel(Level.DEBUG);
    logger.addAppender(appender);
    try {
      MDC.put("trace_id", "5b8efff798038103d269b633813fc60c");
      MDC.put("span_id", "eee19b7ec3c1b174");
      logger.error("payment for order {} failed", "ord-42", new IllegalStateException("card declined"));
      MDC.clear();
      logger.info("order ord-43 placed");
      await().atMost(DEADLINE).until(() -> sink.records().size() == 2);
    } finally {
      logger.detachAppender(appender);
      appender.stop();
      MDC.clear();
    }
    List<CapturingSink.Stored> records = sink.records();
    CapturingSink.Stored error = records.get(0);
    assertThat(error.service()).isEqualTo("orders");
    assertThat(error.record().getBody().getStringValue()).isEqualTo("payment for order ord-42 failed");
    assertThat(error.record().getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_ERROR);
    assertThat(error.record().getTimeUnixNano()).isPositive();
    assertThat(OtlpIds.toHex(error.record().getTraceId())).isEqualTo("5b8efff798038103d269b633813fc60c");
    assertThat(OtlpIds.toHex(error.record().getSpanId())).isEqualTo("eee19b7ec3c1b174");
    Map<String, String> attrs =
        error.record().getAttributesList().stream()
            .collect(Collectors.toMap(KeyValue::getKey, kv -> kv.getValue().toString()));
    assertThat(attrs).containsKeys("logger_name", "thread_name", "stack_trace", "region");
    String stack =
        error.record().getAttributesList().stream()
            .filter(kv -> kv.getKey().equals("stack_trace"))
            .findFirst()
            .orElseThrow()
            .getValue()
            .getStringValue();
    assertThat(stack).startsWith("java.lang.IllegalStateException: card declined").contains("\tat ");
    assertThat(records.get(1).record().getSeverityText()).isEqualTo("INFO");
    assertThat(records.get(1).record().getTraceId().isEmpty()).isTrue();
    assertThat(receiver.lines(Outcome.ACCEPTED)).isEqualTo(2);
  }

  @Test
  void badLinesAreCountedAndSkippedAndTheConnectionGoesOn() throws Exception {
    start(256);
    try (Socket socket = new Socket("127.0.0.1", receiver.port())) {
      OutputStream out = socket.getOutputStream();
      out.write("{\"message\":\"first\"}\n".getBytes(StandardCharsets.UTF_8));
      out.write("this is not json\n".getBytes(StandardCharsets.UTF_8));
      out.write(("{\"message\":\"" + "x".repeat(1000) + "\"}\n").getBytes(StandardCharsets.UTF_8));
      out.write(new byte[] {'{', '"', 'm', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'});
      out.write("[1,2,3]\r\n\n   \n".getBytes(StandardCharsets.UTF_8));
      out.write("{\"message\":\"caf\u00e9 second\",\"level\":\"WARN\"}\r\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      await().atMost(DEADLINE).until(() -> sink.records().size() == 2);
      out.write("{\"message\":\"third, no newline before close\"}".getBytes(StandardCharsets.UTF_8));
    }
    await().atMost(DEADLINE).until(() -> sink.records().size() == 3);
    assertThat(sink.bodies()).containsExactly("first", "caf\u00e9 second", "third, no newline before close");
    assertThat(sink.records()).allMatch(r -> r.service().equals("fallback"));
    assertThat(receiver.lines(Outcome.MALFORMED)).isEqualTo(2);
    assertThat(receiver.lines(Outcome.TOO_LONG)).isEqualTo(1);
    assertThat(receiver.lines(Outcome.INVALID_UTF8)).isEqualTo(1);
    assertThat(receiver.lines(Outcome.ACCEPTED)).isEqualTo(3);
    assertThat(scraped("malformed")).isEqualTo(2.0);
    assertThat(scraped("too_long")).isEqualTo(1.0);
    assertThat(scraped("invalid_utf8")).isEqualTo(1.0);
  }

  private double scraped(String outcome) {
    for (MetricSnapshot m : registry.scrape()) {
      if (m.getMetadata().getPrometheusName().equals("faultline_logstash_lines")
          && m instanceof CounterSnapshot c) {
        for (CounterSnapshot.CounterDataPointSnapshot p : c.getDataPoints()) {
          if (outcome.equals(p.getLabels().get("outcome"))) {
            return p.getValue();
          }
        }
      }
    }
    return -1;
  }

  @Test
  void noRoomStopsReadingAndNothingIsLost() throws Exception {
    start(LogstashTcpReceiver.DEFAULT_MAX_LINE_BYTES);
    sink.room = false;
    int lines = 5_000;
    Thread writer;
    List<Throwable> failures = new ArrayList<>();
    try (Socket socket = new Socket("127.0.0.1", receiver.port())) {
      writer =
          new Thread(
              () -> {
                try {
                  OutputStream out = socket.getOutputStream();
                  for (int i = 0; i < lines; i++) {
                    out.write(("{\"message\":\"line " + i + "\"}\n").getBytes(StandardCharsets.UTF_8));
                  }
                  out.flush();
                } catch (Exception e) {
                  failures.add(e);
                }
              });
      writer.start();
      await().atMost(DEADLINE).until(() -> receiver.connectionCount() == 1);
      assertThat(sink.records()).isEmpty();
      sink.backpressureRounds.set(3);
      sink.room = true;
      await().atMost(DEADLINE).until(() -> sink.records().size() == lines);
      writer.join(DEADLINE.toMillis());
    }
    assertThat(failures).isEmpty();
    assertThat(sink.refusedAccepts.get()).isEqualTo(3);
    List<String> bodies = sink.bodies();
    for (int i = 0; i < lines; i++) {
      assertThat(bodies.get(i)).isEqualTo("line " + i);
    }
    assertThat(sink.batches.size()).isLessThan(lines);
  }
}
