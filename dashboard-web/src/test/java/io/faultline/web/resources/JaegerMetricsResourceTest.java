/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.resources;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.Sample;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import io.faultline.metric.LuceneMetricStore;
import jakarta.ws.rs.client.WebTarget;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jaeger's SPM endpoints over the real {@link LuceneMetricStore} in a temporary folder, seeded with
 * span metrics named as Faultline derives them (Tempo's names). Counters rise at a constant rate
 * on a one-minute grid for 15 minutes, so every {@code rate(...[5m])} is that constant exactly
 * (four minutes of samples extrapolated by 300/240 = 1.25, which binary floating point holds):
 *
 * <ul>
 *   <li>frontend {@code GET /checkout} (server): 2 calls/s unset, 0.5 calls/s error;
 *   <li>frontend {@code GET /home} (server): 1 call/s; frontend {@code POST /pay} (client): 1/s;
 *   <li>backend {@code charge} (server): 0.25 calls/s, never an error;
 *   <li>latency of frontend {@code GET /checkout}: 20 observations/s, 12/s of them ≤ 250 ms, all
 *       ≤ 500 ms; backend's buckets exist but never grow (no observations: NaN quantile).
 * </ul>
 *
 * Queries ask for two points, {@code endTs} and one minute before it.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class JaegerMetricsResourceTest {
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final long END = NOW.toEpochMilli();
  private static final String T1 = "2026-06-01T11:59:00Z";
  private static final String T2 = "2026-06-01T12:00:00Z";

  @TempDir static Path dataDir;
  private static LuceneMetricStore store;

  static final ResourceExtension resources =
      ResourceExtension.builder()
          .addResource(
              () ->
                  new JaegerMetricsResource(
                      openSeededStore().queries(), Clock.fixed(NOW, ZoneOffset.UTC)))
          .build();

  @AfterAll
  static void close() throws IOException {
    if (store != null) {
      store.close();
    }
  }

  private static LuceneMetricStore openSeededStore() {
    try {
      store =
          LuceneMetricStore.builder(dataDir)
              .clock(Clock.fixed(NOW, ZoneOffset.UTC))
              .refreshInterval(Duration.ofMillis(100))
              .build();
      WriteRequest.Builder w = WriteRequest.newBuilder();
      w.addTimeseries(counter(calls("frontend", "GET /checkout", "SPAN_KIND_SERVER", "STATUS_CODE_UNSET"), 2));
      w.addTimeseries(counter(calls("frontend", "GET /checkout", "SPAN_KIND_SERVER", "STATUS_CODE_ERROR"), 0.5));
      w.addTimeseries(counter(calls("frontend", "GET /home", "SPAN_KIND_SERVER", "STATUS_CODE_UNSET"), 1));
      w.addTimeseries(counter(calls("frontend", "POST /pay", "SPAN_KIND_CLIENT", "STATUS_CODE_UNSET"), 1));
      w.addTimeseries(counter(calls("backend", "charge", "SPAN_KIND_SERVER", "STATUS_CODE_UNSET"), 0.25));
      w.addTimeseries(counter(bucket("frontend", "GET /checkout", "0.25"), 12));
      w.addTimeseries(counter(bucket("frontend", "GET /checkout", "0.5"), 20));
      w.addTimeseries(counter(bucket("frontend", "GET /checkout", "+Inf"), 20));
      w.addTimeseries(counter(bucket("backend", "charge", "0.1"), 0));
      w.addTimeseries(counter(bucket("backend", "charge", "+Inf"), 0));
      store.indexer().apply(0, 1, TelemetryBatch.of(Signal.PROMETHEUS_WRITE, w.build()));
      // a commit makes the series searchable at once (no waiting for the refresh interval)
      store.indexer().commit();
      return store;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- calls ----

  @Test
  void callRatePerServiceOfServerSpans() {
    assertThat(get(metrics("calls").queryParam("service", "frontend"), 200))
        .isEqualTo(
            "{\"name\":\"service_call_rate\",\"type\":\"GAUGE\",\"help\":\"calls/sec, grouped by service\",\"metrics\":["
                + "{\"labels\":[{\"name\":\"service_name\",\"value\":\"frontend\"}],\"metricPoints\":["
                + point("3.5", T1) + "," + point("3.5", T2) + "]}]}");
  }

  @Test
  void callRateOfSeveralServicesByOperation() {
    assertThat(
            get(
                metrics("calls")
                    .queryParam("service", "frontend")
                    .queryParam("service", "backend")
                    .queryParam("groupByOperation", "true"),
                200))
        .isEqualTo(
            "{\"name\":\"service_operation_call_rate\",\"type\":\"GAUGE\","
                + "\"help\":\"calls/sec, grouped by service \\u0026 operation\",\"metrics\":["
                + "{\"labels\":[{\"name\":\"service_name\",\"value\":\"backend\"},{\"name\":\"operation\",\"value\":\"charge\"}],"
                + "\"metricPoints\":[" + point("0.25", T1) + "," + point("0.25", T2) + "]},"
                + "{\"labels\":[{\"name\":\"service_name\",\"value\":\"frontend\"},{\"name\":\"operation\",\"value\":\"GET /checkout\"}],"
                + "\"metricPoints\":[" + point("2.5", T1) + "," + point("2.5", T2) + "]},"
                + "{\"labels\":[{\"name\":\"service_name\",\"value\":\"frontend\"},{\"name\":\"operation\",\"value\":\"GET /home\"}],"
                + "\"metricPoints\":[" + point("1", T1) + "," + point("1", T2) + "]}]}");
  }

  @Test
  void spanKindSelectsClientSpans() {
    String client =
        get(
            metrics("calls")
                .queryParam("service", "frontend")
                .queryParam("groupByOperation", "1")
                .queryParam("spanKind", "client"),
            200);
    assertThat(client)
        .contains("\"value\":\"POST /pay\"")
        .doesNotContain("GET /checkout")
        .contains("\"metricPoints\":[" + point("1", T1) + "," + point("1", T2) + "]");
    // several kinds: server and client calls together (2 + 0.5 + 1 + 1)
    assertThat(
            get(
                metrics("calls")
                    .queryParam("service", "frontend")
                    .queryParam("spanKind", "server")
                    .queryParam("spanKind", "client"),
                200))
        .contains("\"metricPoints\":[" + point("4.5", T1) + "," + point("4.5", T2) + "]");
    // no consumer spans: an empty family, as Prometheus answers an empty matrix
    assertThat(get(metrics("calls").queryParam("service", "frontend").queryParam("spanKind", "consumer"), 200))
        .isEqualTo(
            "{\"name\":\"service_call_rate\",\"type\":\"GAUGE\",\"help\":\"calls/sec, grouped by service\",\"metrics\":[]}");
  }

  // ---- errors ----

  @Test
  void errorRateIsErrorsOverCalls() {
    // 0.5 / (2 + 0.5 + 1)
    assertThat(get(metrics("errors").queryParam("service", "frontend"), 200))
        .isEqualTo(
            "{\"name\":\"service_error_rate\",\"type\":\"GAUGE\","
                + "\"help\":\"error rate, computed as a fraction of errors/sec over calls/sec, grouped by service\",\"metrics\":["
                + "{\"labels\":[{\"name\":\"service_name\",\"value\":\"frontend\"}],\"metricPoints\":["
                + point("0.14285714285714285", T1) + "," + point("0.14285714285714285", T2) + "]}]}");
  }

  @Test
  void errorRateByOperationShowsOnlyOperationsWithErrors() {
    // 0.5 / 2.5 for GET /checkout; GET /home has no error series, so Jaeger's division has none
    assertThat(
            get(metrics("errors").queryParam("service", "frontend").queryParam("groupByOperation", "true"), 200))
        .isEqualTo(
            "{\"name\":\"service_operation_error_rate\",\"type\":\"GAUGE\","
                + "\"help\":\"error rate, computed as a fraction of errors/sec over calls/sec, grouped by service \\u0026 operation\",\"metrics\":["
                + "{\"labels\":[{\"name\":\"service_name\",\"value\":\"frontend\"},{\"name\":\"operation\",\"value\":\"GET /checkout\"}],"
                + "\"metricPoints\":[" + point("0.2", T1) + "," + point("0.2", T2) + "]}]}");
  }

  @Test
  void errorRateIsZeroForAServiceWithCallsButNoErrors() {
    assertThat(get(metrics("errors").queryParam("service", "backend"), 200))
        .isEqualTo(
            "{\"name\":\"service_error_rate\",\"type\":\"GAUGE\","
                + "\"help\":\"error rate, computed as a fraction of errors/sec over calls/sec, grouped by service\",\"metrics\":["
                + "{\"labels\":[{\"name\":\"service_name\",\"value\":\"backend\"}],\"metricPoints\":["
                + point("0", T1) + "," + point("0", T2) + "]}]}");
    assertThat(get(metrics("errors").queryParam("service", "nobody"), 200))
        .isEqualTo(
            "{\"name\":\"service_error_rate\",\"type\":\"GAUGE\","
                + "\"help\":\"error rate, computed as a fraction of errors/sec over calls/sec, grouped by service\",\"metrics\":[]}");
  }

  // ---- latencies ----

  @Test
  void latencyQuantileInMilliseconds() {
    // rank 0.95 * 20 = 19 lies in (0.25, 0.5] holding 8 of 20: 0.25 + 0.25 * (19 - 12) / 8 = 0.46875 s
    assertThat(get(metrics("latencies").queryParam("service", "frontend").queryParam("quantile", "0.95"), 200))
        .isEqualTo(
            "{\"name\":\"service_latencies\",\"type\":\"GAUGE\",\"help\":\"0.95th quantile latency, grouped by service\",\"metrics\":["
                + "{\"labels\":[{\"name\":\"service_name\",\"value\":\"frontend\"}],\"metricPoints\":["
                + point("468.75", T1) + "," + point("468.75", T2) + "]}]}");
  }

  @Test
  void latencyByOperationAndWithoutObservations() {
    // the 0.6 quantile: rank 12 is the whole first bucket, its upper bound: 250 ms
    assertThat(
            get(
                metrics("latencies")
                    .queryParam("service", "frontend")
                    .queryParam("service", "backend")
                    .queryParam("quantile", "0.6")
                    .queryParam("groupByOperation", "true"),
                200))
        .isEqualTo(
            "{\"name\":\"service_operation_latencies\",\"type\":\"GAUGE\","
                + "\"help\":\"0.60th quantile latency, grouped by service \\u0026 operation\",\"metrics\":["
                + "{\"labels\":[{\"name\":\"service_name\",\"value\":\"backend\"},{\"name\":\"operation\",\"value\":\"charge\"}],"
                + "\"metricPoints\":[" + point("\"NaN\"", T1) + "," + point("\"NaN\"", T2) + "]},"
                + "{\"labels\":[{\"name\":\"service_name\",\"value\":\"frontend\"},{\"name\":\"operation\",\"value\":\"GET /checkout\"}],"
                + "\"metricPoints\":[" + point("250", T1) + "," + point("250", T2) + "]}]}");
  }

  @Test
  void defaultsAndMillisecondTimestamps() {
    // endTs 12:00:00.500, default step 5 s over a lookback of 10 s: three points
    String body =
        get(
            resources
                .target("/api/metrics/calls")
                .queryParam("service", "backend")
                .queryParam("endTs", END + 500)
                .queryParam("lookback", 10_000),
            200);
    assertThat(body)
        .contains(
            "\"metricPoints\":["
                + point("0.25", "2026-06-01T11:59:50.500Z") + ","
                + point("0.25", "2026-06-01T11:59:55.500Z") + ","
                + point("0.25", "2026-06-01T12:00:00.500Z") + "]");
  }

  @Test
  void minStepIsOneMillisecond() {
    assertThat(get(resources.target("/api/metrics/minstep"), 200))
        .isEqualTo("{\"data\":1,\"total\":0,\"limit\":0,\"offset\":0,\"errors\":null}");
  }

  // ---- errors ----

  @Test
  void badParametersGetJaegersMessages() {
    assertBad(resources.target("/api/metrics/calls"), "unable to parse param 'service': please provide at least one service name");
    assertBad(resources.target("/api/metrics/errors").queryParam("step", "1"), "unable to parse param 'service': please provide at least one service name");
    assertBad(
        resources.target("/api/metrics/latencies").queryParam("service", "frontend"),
        "unable to parse param 'quantile': strconv.ParseFloat: parsing \\\"\\\": invalid syntax");
    assertBad(
        resources.target("/api/metrics/latencies").queryParam("service", "frontend").queryParam("quantile", "p95"),
        "unable to parse param 'quantile': strconv.ParseFloat: parsing \\\"p95\\\": invalid syntax");
    assertBad(
        resources.target("/api/metrics/latencies").queryParam("service", "frontend").queryParam("quantile", "1.5"),
        "unable to parse param 'quantile': quantile must be greater than 0 and at most 1, got 1.5");
    assertBad(
        resources.target("/api/metrics/latencies").queryParam("service", "frontend").queryParam("quantile", "0"),
        "unable to parse param 'quantile': quantile must be greater than 0 and at most 1, got 0");
    assertBad(
        metrics("calls").queryParam("service", "frontend").queryParam("spanKind", "SPAN_KIND_SERVER"),
        "unable to parse param 'spanKind': unsupported span kind: 'SPAN_KIND_SERVER'");
    assertBad(
        metrics("calls").queryParam("service", "frontend").queryParam("groupByOperation", "yes"),
        "unable to parse param 'groupByOperation': strconv.ParseBool: parsing \\\"yes\\\": invalid syntax");
    assertBad(
        resources.target("/api/metrics/calls").queryParam("service", "frontend").queryParam("step", "5s"),
        "unable to parse param 'step': strconv.ParseInt: parsing \\\"5s\\\": invalid syntax");
    assertBad(
        resources.target("/api/metrics/calls").queryParam("service", "frontend").queryParam("endTs", "99999999999999999999"),
        "unable to parse param 'endTs': strconv.ParseInt: parsing \\\"99999999999999999999\\\": value out of range");
    assertBad(
        resources.target("/api/metrics/errors").queryParam("service", "frontend").queryParam("ratePer", "1.5"),
        "unable to parse param 'ratePer': strconv.ParseInt: parsing \\\"1.5\\\": invalid syntax");
    assertBad(
        resources.target("/api/metrics/calls").queryParam("service", "frontend").queryParam("lookback", "x"),
        "unable to parse param 'lookback': strconv.ParseInt: parsing \\\"x\\\": invalid syntax");
    assertBad(
        resources.target("/api/metrics/calls").queryParam("service", "frontend").queryParam("step", "-1000"),
        "unable to parse param 'step': must be a positive number of milliseconds, got -1000");
    assertBad(
        resources.target("/api/metrics/calls").queryParam("service", "frontend").queryParam("ratePer", "0"),
        "unable to parse param 'ratePer': must be a positive number of milliseconds, got 0");
  }

  @Test
  void aQueryTheEngineRefusesAsBadDataIs400() {
    // Jaeger answers these with a 500; they are the request's mistake
    Response r =
        resources
            .target("/api/metrics/calls")
            .queryParam("service", "frontend")
            .queryParam("lookback", "3600000")
            .queryParam("step", "1")
            .request()
            .get();
    String body = r.readEntity(String.class);
    assertThat(r.getStatus()).as(body).isEqualTo(400);
    assertThat(body)
        .startsWith("{\"data\":null,\"total\":0,\"limit\":0,\"offset\":0,\"errors\":[{\"code\":400,\"msg\":\"failed executing metrics query: bad_data: exceeded maximum resolution");
    // the service names are a regex
    assertThat(get(metrics("errors").queryParam("service", "("), 400))
        .contains("failed getting error metrics: failed executing metrics query: bad_data: ")
        .contains("error parsing regexp");
    // an end so late that stepping past it overflows int64 milliseconds
    assertThat(
            get(
                resources
                    .target("/api/metrics/latencies")
                    .queryParam("service", "frontend")
                    .queryParam("quantile", "0.95")
                    .queryParam("endTs", Long.MAX_VALUE),
                400))
        .contains("bad_data: end timestamp plus the step overflows int64");
    assertBad(
        resources.target("/api/metrics/calls").queryParam("service", "frontend").queryParam("ratePer", Long.MAX_VALUE),
        "unable to parse param 'ratePer': must be at most 9223372036854 milliseconds, got 9223372036854775807");
  }

  @Test
  void goFormatting() {
    assertThat(JaegerMetricsResource.goDuration(600_000_000_000L)).isEqualTo("10m0s");
    assertThat(JaegerMetricsResource.goDuration(3_600_000_000_000L)).isEqualTo("1h0m0s");
    assertThat(JaegerMetricsResource.goDuration(90_000_000_000L)).isEqualTo("1m30s");
    assertThat(JaegerMetricsResource.goDuration(1_500_000_000L)).isEqualTo("1.5s");
    assertThat(JaegerMetricsResource.goDuration(500_000_000L)).isEqualTo("500ms");
    assertThat(JaegerMetricsResource.goDuration(-60_000_000_000L)).isEqualTo("-1m0s");
    assertThat(JaegerMetricsResource.goFixed2(0.95)).isEqualTo("0.95");
    assertThat(JaegerMetricsResource.goFixed2(0.125)).isEqualTo("0.12");
    assertThat(JaegerMetricsResource.goFixed2(1)).isEqualTo("1.00");
    assertThat(JaegerMetricsResource.timestamp(END + 7)).isEqualTo("2026-06-01T12:00:00.007Z");
  }

  // ---- helpers ----

  private static WebTarget metrics(String endpoint) {
    return resources
        .target("/api/metrics/" + endpoint)
        .queryParam("endTs", END)
        .queryParam("lookback", 60_000)
        .queryParam("step", 60_000)
        .queryParam("ratePer", 300_000);
  }

  private static String point(String value, String time) {
    return "{\"gaugeValue\":{\"doubleValue\":" + value + "},\"timestamp\":\"" + time + "\"}";
  }

  private static String get(WebTarget target, int status) {
    Response r = target.request().get();
    String body = r.readEntity(String.class);
    assertThat(r.getStatus()).as(body).isEqualTo(status);
    assertThat(r.getMediaType().toString()).startsWith("application/json");
    return body;
  }

  private static void assertBad(WebTarget target, String message) {
    assertThat(get(target, 400))
        .isEqualTo(
            "{\"data\":null,\"total\":0,\"limit\":0,\"offset\":0,\"errors\":[{\"code\":400,\"msg\":\""
                + message
                + "\"}]}");
  }

  private static TimeSeries.Builder calls(String service, String span, String kind, String status) {
    return series(
        "traces_spanmetrics_calls_total",
        "service", service, "span_kind", kind, "span_name", span, "status_code", status);
  }

  private static TimeSeries.Builder bucket(String service, String span, String le) {
    return series(
        "traces_spanmetrics_latency_bucket",
        "le", le, "service", service, "span_kind", "SPAN_KIND_SERVER", "span_name", span,
        "status_code", "STATUS_CODE_UNSET");
  }

  /** Samples every minute over the 15 minutes before NOW, rising at {@code perSecond}. */
  private static TimeSeries.Builder counter(TimeSeries.Builder b, double perSecond) {
    for (int i = 0; i <= 15; i++) {
      b.addSamples(
          Sample.newBuilder()
              .setTimestamp(NOW.minusSeconds(900 - 60L * i).toEpochMilli())
              .setValue(100 + perSecond * 60 * i));
    }
    return b;
  }

  private static TimeSeries.Builder series(String name, String... labels) {
    TimeSeries.Builder b =
        TimeSeries.newBuilder().addLabels(Label.newBuilder().setName("__name__").setValue(name));
    for (int i = 0; i < labels.length; i += 2) {
      b.addLabels(Label.newBuilder().setName(labels[i]).setValue(labels[i + 1]));
    }
    return b;
  }
}
