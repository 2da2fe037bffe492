/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.store;

import static io.faultline.store.TestData.NOW;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.resource.v1.Resource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Canned log records for the log contract suite and log tests, relative to {@link TestData#NOW}.
 *
 * <p>{@link #canned()} holds these eight records (newest last), from three resources:
 *
 * <ol>
 *   <li>{@code NOW - 50 min}, frontend (resource {@code deployment.environment.name=prod}), INFO 9:
 *       {@code GET /api/v1/orders from 10.0.0.17 took 35ms}, {@code http.response.status_code=200}
 *       (int), {@code http.route=/api/v1/orders}.
 *   <li>{@code NOW - 40 min}, checkout (resource {@code service.namespace=shop}), DEBUG 5: {@code
 *       Validating cart for user_id=u-1 in com.example.checkout.CartValidator}.
 *   <li>{@code NOW - 30 min}, payments ({@code service.namespace=shop}, {@code
 *       deployment.environment.name=prod}), ERROR 17, in {@link TestData#CHECKOUT_TRACE_ID} span 5:
 *       {@code PaymentService failed: card declined for order ord-42}, {@code order.id=ord-42},
 *       {@code payment.amount=100.0} (double), {@code retry=false} (bool), {@code
 *       exception.type=CardDeclinedException}.
 *   <li>{@code NOW - 20 min}, payments, WARN 13: {@code Retrying charge
 *       550e8400-e29b-41d4-a716-446655440000 after card_declined}, {@code attempt=2}.
 *   <li>{@code NOW - 10 min}, payments, ERROR 17 (text {@code error}): {@code Timeout calling
 *       https://bank.example.com/v2/charge}, {@code http.response.status_code=504}.
 *   <li>{@code NOW - 5 min}, frontend, INFO 9: {@code GET /products took 12ms}, {@code
 *       http.response.status_code=200}.
 *   <li>{@code NOW - 2 min}, checkout, FATAL 21 without text: {@code OutOfMemoryError in worker
 *       pool}, a map attribute {@code user={"tier":"gold"}}, an array {@code tags=["a","b"]}.
 *   <li>{@code NOW - 1 min}, frontend, no severity, a kvlist body {@code {"event":"page_view",
 *       "path":"/cart"}}, only an observed time.
 * </ol>
 */
public final class LogTestData {
  public static final InstrumentationScope SCOPE =
      InstrumentationScope.newBuilder().setName("com.example.logging").setVersion("1.0").build();

  private LogTestData() {}

  public static Resource frontend() {
    return TestData.resource("frontend", TestData.string("deployment.environment.name", "prod"));
  }

  public static Resource checkout() {
    return TestData.resource("checkout", TestData.string("service.namespace", "shop"));
  }

  public static Resource payments() {
    return TestData.resource(
        "payments",
        TestData.string("service.namespace", "shop"),
        TestData.string("deployment.environment.name", "prod"));
  }

  public static long nanos(Instant t) {
    return TestData.nanos(t);
  }

  /** A record at {@code NOW - ago} with a string body and the given severity. */
  public static LogRecord.Builder record(
      Duration ago, SeverityNumber severity, String severityText, String body) {
    long t = nanos(NOW.minus(ago));
    return LogRecord.newBuilder()
        .setTimeUnixNano(t)
        .setObservedTimeUnixNano(t + 1_000)
        .setSeverityNumber(severity)
        .setSeverityText(severityText)
        .setBody(AnyValue.newBuilder().setStringValue(body));
  }

  public static ResourceLogs resourceLogs(Resource resource, LogRecord.Builder... records) {
    ScopeLogs.Builder sl =
        ScopeLogs.newBuilder().setScope(SCOPE).setSchemaUrl(TestData.SCOPE_SCHEMA_URL);
    for (LogRecord.Builder r : records) {
      sl.addLogRecords(r);
    }
    return ResourceLogs.newBuilder()
        .setResource(resource)
        .setSchemaUrl(TestData.RESOURCE_SCHEMA_URL)
        .addScopeLogs(sl)
        .build();
  }

  public static ExportLogsServiceRequest request(ResourceLogs... resourceLogs) {
    return ExportLogsServiceRequest.newBuilder().addAllResourceLogs(List.of(resourceLogs)).build();
  }

  /** The eight records described in the class comment, in two requests. */
  public static List<ExportLogsServiceRequest> canned() {
    LogRecord.Builder r1 =
        record(Duration.ofMinutes(50), SeverityNumber.SEVERITY_NUMBER_INFO, "INFO",
                "GET /api/v1/orders from 10.0.0.17 took 35ms")
            .addAttributes(TestData.integer("http.response.status_code", 200))
            .addAttributes(TestData.string("http.route", "/api/v1/orders"));
    LogRecord.Builder r2 =
        record(Duration.ofMinutes(40), SeverityNumber.SEVERITY_NUMBER_DEBUG, "DEBUG",
            "Validating cart for user_id=u-1 in com.example.checkout.CartValidator");
    LogRecord.Builder r3 =
        record(Duration.ofMinutes(30), SeverityNumber.SEVERITY_NUMBER_ERROR, "ERROR",
                "PaymentService failed: card declined for order ord-42")
            .setTraceId(ByteString.copyFrom(TestData.CHECKOUT_TRACE_ID))
            .setSpanId(TestData.spanId(1, 5))
            .addAttributes(TestData.string("order.id", "ord-42"))
            .addAttributes(TestData.dbl("payment.amount", 100.0))
            .addAttributes(TestData.bool("retry", false))
            .addAttributes(TestData.string("exception.type", "CardDeclinedException"));
    LogRecord.Builder r4 =
        record(Duration.ofMinutes(20), SeverityNumber.SEVERITY_NUMBER_WARN, "WARN",
                "Retrying charge 550e8400-e29b-41d4-a716-446655440000 after card_declined")
            .addAttributes(TestData.integer("attempt", 2));
    LogRecord.Builder r5 =
        record(Duration.ofMinutes(10), SeverityNumber.SEVERITY_NUMBER_ERROR, "error",
                "Timeout calling https://bank.example.com/v2/charge")
            .addAttributes(TestData.integer("http.response.status_code", 504));
    LogRecord.Builder r6 =
        record(Duration.ofMinutes(5), SeverityNumber.SEVERITY_NUMBER_INFO, "INFO",
                "GET /products took 12ms")
            .addAttributes(TestData.integer("http.response.status_code", 200));
    LogRecord.Builder r7 =
        record(Duration.ofMinutes(2), SeverityNumber.SEVERITY_NUMBER_FATAL, "",
                "OutOfMemoryError in worker pool")
            .addAttributes(TestData.map("user", TestData.string("tier", "gold")))
            .addAttributes(
                TestData.array(
                    "tags",
                    AnyValue.newBuilder().setStringValue("a").build(),
                    AnyValue.newBuilder().setStringValue("b").build()));
    LogRecord.Builder r8 =
        LogRecord.newBuilder()
            .setObservedTimeUnixNano(nanos(NOW.minus(Duration.ofMinutes(1))))
            .setBody(
                AnyValue.newBuilder()
                    .setKvlistValue(
                        io.opentelemetry.proto.common.v1.KeyValueList.newBuilder()
                            .addValues(TestData.string("event", "page_view"))
                            .addValues(TestData.string("path", "/cart"))));
    return List.of(
        request(
            resourceLogs(frontend(), r1),
            resourceLogs(checkout(), r2),
            resourceLogs(payments(), r3, r4)),
        request(
            resourceLogs(payments(), r5),
            resourceLogs(frontend(), r6),
            resourceLogs(checkout(), r7),
            resourceLogs(frontend(), r8)));
  }

  /** The trace id of the third {@link #invalidTraceContext} record, the one valid id there. */
  public static final byte[] LEGACY_TRACE_ID = TestData.traceId(8);

  /**
   * Three records of service {@code legacy}, at {@code NOW - ago} and one and two seconds later,
   * whose ids OTLP calls invalid and so not associating them with a trace or span: {@code zero
   * ids} (an all-zero trace id and span id), {@code odd ids} (a 5-byte trace id and a 3-byte span
   * id), and {@code trace without span} ({@link #LEGACY_TRACE_ID} with an all-zero span id).
   */
  public static ExportLogsServiceRequest invalidTraceContext(Duration ago) {
    SeverityNumber info = SeverityNumber.SEVERITY_NUMBER_INFO;
    return request(
        resourceLogs(
            TestData.resource("legacy"),
            record(ago, info, "INFO", "zero ids")
                .setTraceId(ByteString.copyFrom(new byte[16]))
                .setSpanId(ByteString.copyFrom(new byte[8])),
            record(ago.minusSeconds(1), info, "INFO", "odd ids")
                .setTraceId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5}))
                .setSpanId(ByteString.copyFrom(new byte[] {6, 7, 8})),
            record(ago.minusSeconds(2), info, "INFO", "trace without span")
                .setTraceId(ByteString.copyFrom(LEGACY_TRACE_ID))
                .setSpanId(ByteString.copyFrom(new byte[8]))));
  }

  /**
   * {@code count} records spread over the hour before {@link TestData#NOW}, many sharing a
   * timestamp (to second precision), from five services, each with {@code seq=<n>} (int) and a
   * body {@code "request <n> <word>"}. The same seed gives the same data. Batches of 50.
   */
  public static List<ExportLogsServiceRequest> random(long seed, int count) {
    Random random = new Random(seed);
    String[] services = {"frontend", "checkout", "payments", "catalog", "mailer"};
    String[] words = {"alpha", "beta", "gamma", "delta"};
    SeverityNumber[] severities = {
      SeverityNumber.SEVERITY_NUMBER_DEBUG, SeverityNumber.SEVERITY_NUMBER_INFO,
      SeverityNumber.SEVERITY_NUMBER_WARN, SeverityNumber.SEVERITY_NUMBER_ERROR
    };
    List<ExportLogsServiceRequest> out = new ArrayList<>();
    ExportLogsServiceRequest.Builder batch = ExportLogsServiceRequest.newBuilder();
    for (int n = 0; n < count; n++) {
      Duration ago = Duration.ofSeconds(1 + random.nextInt(120));
      SeverityNumber severity = severities[random.nextInt(severities.length)];
      LogRecord.Builder r =
          record(ago, severity, severity.name().substring("SEVERITY_NUMBER_".length()),
                  "request " + n + " " + words[random.nextInt(words.length)])
              .addAttributes(TestData.integer("seq", n));
      batch.addResourceLogs(
          resourceLogs(TestData.resource(services[random.nextInt(services.length)]), r));
      if (batch.getResourceLogsCount() == 50) {
        out.add(batch.build());
        batch = ExportLogsServiceRequest.newBuilder();
      }
    }
    if (batch.getResourceLogsCount() > 0) {
      out.add(batch.build());
    }
    return out;
  }

  /** All records of the requests, each as a single-record {@code ResourceLogs} (stored form). */
  public static List<ResourceLogs> flatten(List<ExportLogsServiceRequest> requests) {
    List<ResourceLogs> out = new ArrayList<>();
    for (ExportLogsServiceRequest req : requests) {
      for (ResourceLogs rl : req.getResourceLogsList()) {
        for (ScopeLogs sl : rl.getScopeLogsList()) {
          for (LogRecord r : sl.getLogRecordsList()) {
            out.add(
                ResourceLogs.newBuilder()
                    .setResource(rl.getResource())
                    .setSchemaUrl(rl.getSchemaUrl())
                    .addScopeLogs(
                        ScopeLogs.newBuilder()
                            .setScope(sl.getScope())
                            .setSchemaUrl(sl.getSchemaUrl())
                            .addLogRecords(r))
                    .build());
          }
        }
      }
    }
    return out;
  }
}
