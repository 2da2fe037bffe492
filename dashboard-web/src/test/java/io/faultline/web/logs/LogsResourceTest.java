/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import io.faultline.core.otlp.OtlpIds;
import io.faultline.log.LuceneLogStore;
import io.faultline.store.LogTestData;
import io.faultline.store.TestData;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import jakarta.ws.rs.client.WebTarget;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(DropwizardExtensionsSupport.class)
class LogsResourceTest {
  private static final String HOUR = "&start=2026-11-24T09:00:00Z&end=2026-11-24T10:00:00Z";
  /** LogTestData.invalidTraceContext's records lie before {@link #HOUR}, apart from the rest. */
  private static final Duration LEGACY_AGO = Duration.ofMinutes(90);

  @TempDir static Path dataDir;
  private static LuceneLogStore store;

  static final ResourceExtension resources =
      ResourceExtension.builder()
          .addResource(
              () -> {
                List<ExportLogsServiceRequest> more = new ArrayList<>(LogTestData.random(42, 120));
                more.add(LogTestData.invalidTraceContext(LEGACY_AGO));
                store = LogsResourceTestSupport.seeded(dataDir, more);
                return new LogsResource(store.queries(), TestData.CLOCK);
              })
          .build();

  @AfterAll
  static void close() throws IOException {
    store.close();
  }

  private static JsonNode get(WebTarget target, int status) {
    return LogsResourceTestSupport.get(target, status);
  }

  private WebTarget target(String pathAndQuery) {
    int q = pathAndQuery.indexOf('?');
    WebTarget t = resources.target(q < 0 ? pathAndQuery : pathAndQuery.substring(0, q));
    if (q >= 0) {
      for (String kv : pathAndQuery.substring(q + 1).split("&")) {
        int eq = kv.indexOf('=');
        t = t.queryParam(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    return t;
  }

  @Test
  void searchAnswersTheDocumentedShape() {
    JsonNode body =
        get(target("/api/logs?query=service:payments AND severity:ERROR AND body:\"card declined\"" + HOUR), 200);
    assertThat(body.get("total").asLong()).isEqualTo(1);
    JsonNode log = body.get("logs").get(0);
    assertThat(log.get("timestamp").asText()).isEqualTo("2026-11-24T09:30:00.000000000Z");
    assertThat(log.get("severityText").asText()).isEqualTo("ERROR");
    assertThat(log.get("severityNumber").asInt()).isEqualTo(17);
    assertThat(log.get("service").asText()).isEqualTo("payments");
    assertThat(log.get("body").asText()).isEqualTo("PaymentService failed: card declined for order ord-42");
    assertThat(log.get("traceId").asText()).hasSize(32);
    assertThat(log.get("spanId").asText()).hasSize(16);
    assertThat(log.get("attributes").get("payment.amount").isDouble()).isTrue();
    assertThat(log.get("attributes").get("retry").isBoolean()).isTrue();
    assertThat(log.get("resource").get("service.namespace").asText()).isEqualTo("shop");
    assertThat(body.get("nextCursor").isNull()).isTrue();
  }

  @Test
  void invalidTraceAndSpanIdsAreShownAsAbsent() {
    JsonNode body =
        get(target("/api/logs?query=service:legacy&direction=forward&start=2026-11-24T08:00:00Z&end=2026-11-24T09:00:00Z"), 200);
    assertThat(body.get("logs")).extracting(log -> log.get("body").asText())
        .containsExactly("zero ids", "odd ids", "trace without span");
    JsonNode traceOnly = body.get("logs").get(2);
    assertThat(traceOnly.get("traceId").asText()).isEqualTo(OtlpIds.toHex(LogTestData.LEGACY_TRACE_ID));
    assertThat(traceOnly.get("spanId").isNull()).isTrue();
    for (JsonNode log : List.of(body.get("logs").get(0), body.get("logs").get(1))) {
      assertThat(log.get("traceId").isNull()).as(log.toString()).isTrue();
      assertThat(log.get("spanId").isNull()).as(log.toString()).isTrue();
    }
  }

  @Test
  void pagesFollowTheCursorWithoutDuplicatesOrGaps() {
    Set<String> seen = new HashSet<>();
    String cursor = null;
    long total = -1;
    int pages = 0;
    do {
      WebTarget t = target("/api/logs?query=request&limit=7&direction=forward" + HOUR);
      if (cursor != null) {
        t = t.queryParam("cursor", cursor);
      }
      JsonNode body = get(t, 200);
      total = body.get("total").asLong();
      for (JsonNode log : body.get("logs")) {
        assertThat(seen.add(log.get("body").asText())).isTrue();
      }
      cursor = body.get("nextCursor").isNull() ? null : body.get("nextCursor").asText();
      pages++;
    } while (cursor != null && pages < 100);
    assertThat(total).isEqualTo(120);
    assertThat(seen).hasSize(120);
  }

  @Test
  void histogramCountsAddUpToTheTotal() {
    String range = "&start=2026-11-24T09:57:00Z&end=2026-11-24T10:00:00Z";
    long total = get(target("/api/logs?query=alpha OR beta" + range), 200).get("total").asLong();
    JsonNode body = get(target("/api/logs/histogram?query=alpha OR beta&step=30s" + range), 200);
    long sum = 0;
    for (JsonNode b : body.get("buckets")) {
      sum += b.get("count").asLong();
    }
    assertThat(body.get("buckets")).hasSize(6);
    assertThat(body.get("buckets").get(0).get("start").asLong())
        .isEqualTo(TestData.NOW.minusSeconds(180).toEpochMilli());
    assertThat(total).isPositive();
    assertThat(sum).isEqualTo(total);
  }

  @Test
  void fieldsAnswerTopValuesWithTheirTypes() {
    JsonNode body = get(target("/api/logs/fields?query=NOT request" + HOUR), 200);
    JsonNode status = null;
    JsonNode service = null;
    for (JsonNode f : body.get("fields")) {
      if (f.get("name").asText().equals("attributes.http.response.status_code")) {
        status = f.get("values");
      }
      if (f.get("name").asText().equals("service")) {
        service = f.get("values");
      }
    }
    assertThat(service.get(0).get("value").asText()).isIn("frontend", "payments");
    assertThat(service.get(0).get("count").asLong()).isEqualTo(3);
    assertThat(status.get(0).get("value").isIntegralNumber()).isTrue();
    assertThat(status.get(0).get("value").asInt()).isEqualTo(200);
    assertThat(status.get(0).get("count").asInt()).isEqualTo(2);
  }

  @Test
  void mistakesAre400WithAMessage() {
    JsonNode syntax = get(target("/api/logs?query=service:payments AND"), 400);
    assertThat(syntax.get("error").asText()).contains("position");
    assertThat(syntax.get("position").asInt()).isGreaterThan(0);
    assertThat(get(target("/api/logs?query=bogus:1"), 400).get("error").asText()).contains("bogus");
    assertThat(get(target("/api/logs?start=yesterday"), 400).get("error").asText()).contains("start");
    assertThat(get(target("/api/logs?start=2026-01-01T00:00:00Z"), 400).get("error").asText()).contains("wider");
    assertThat(get(target("/api/logs?limit=0"), 400).get("error").asText()).contains("limit");
    assertThat(get(target("/api/logs?direction=sideways"), 400).get("error").asText()).contains("direction");
    assertThat(get(target("/api/logs?cursor=abc"), 400).get("error").asText()).contains("cursor");
    assertThat(get(target("/api/logs/histogram?step=fortnight"), 400).get("error").asText()).contains("step");
    assertThat(get(target("/api/logs/histogram?step=1ms"), 400).get("error").asText()).contains("buckets");
  }

  @Test
  void timesAndStepsBeyondTheStoresNanosecondsAre400() {
    // these were a 500: NegativeArraySizeException, OutOfMemoryError, ArithmeticException
    assertThat(get(target("/api/logs/histogram?end=9223372036854775807"), 400).get("error").asText())
        .isEqualTo(
            "end must be between 1677-09-21T00:12:44Z and 2262-04-11T23:47:15Z, got"
                + " '9223372036854775807'");
    assertThat(get(target("/api/logs/histogram?end=9999-12-31T23:59:59Z"), 400).get("error").asText())
        .startsWith("end must be between");
    assertThat(get(target("/api/logs?start=-9223372036854775808"), 400).get("error").asText())
        .startsWith("start must be between");
    assertThat(get(target("/api/logs/histogram?step=1000000000y"), 400).get("error").asText())
        .isEqualTo("step is too long to count in milliseconds: '1000000000y'");
  }
}
