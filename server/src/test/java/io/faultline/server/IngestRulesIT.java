/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.Sample;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

/**
 * Rules of ingest over the real server. Every sample acknowledged is kept, also one that arrives
 * late (behind its series' newest sample). Ingest tokens (interfaces.md, Security): once a tenant's ingest token is configured, OTLP/gRPC,
 * OTLP/HTTP and remote write need a token, as the real OTel SDK exporters and a real Prometheus
 * send it (bearer header, basic auth); an ingest token reads nothing. Query APIs also take basic
 * auth with the token as the password, which is how promtool (2.42 has no header flag) and
 * Grafana's basic auth send it.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class IngestRulesIT {
  private static final String ADMIN = "test-admin-token";
  private static final String TEAM_A = "ingest-secret-of-team-a";
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path dataDir;
  @TempDir Path dir;

  static final DropwizardAppExtension<FaultlineConfiguration> APP =
      new DropwizardAppExtension<>(
          FaultlineApplication.class,
          ResourceHelpers.resourceFilePath("test-config.yml"),
          ConfigOverride.config("dataDir", () -> dataDir.toString()),
          ConfigOverride.config("auth.ingestTokens.team-a", TEAM_A));

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void otelSdkExportersNeedTheTenantsTokenOverGrpcAndHttp() throws Exception {
    FaultlineApplication app = APP.getApplication();
    String grpc = "http://127.0.0.1:" + app.otlpGrpcPort();
    String httpUrl = "http://127.0.0.1:" + app.otlpHttpPort() + "/v1/traces";
    double teamA = tenantItems("traces", "team-a");
    double admin = tenantItems("traces", "admin");

    assertThat(export(OtlpGrpcSpanExporter.builder().setEndpoint(grpc).build(), "anon-grpc")).isFalse();
    assertThat(export(OtlpHttpSpanExporter.builder().setEndpoint(httpUrl).build(), "anon-http")).isFalse();
    assertThat(export(OtlpGrpcSpanExporter.builder().setEndpoint(grpc)
        .addHeader("Authorization", "Bearer wrong").build(), "wrong-grpc")).isFalse();

    assertThat(export(OtlpGrpcSpanExporter.builder().setEndpoint(grpc)
        .addHeader("Authorization", "Bearer " + TEAM_A).build(), "tenant-grpc")).isTrue();
    assertThat(export(OtlpHttpSpanExporter.builder().setEndpoint(httpUrl)
        .addHeader("Authorization", basic("team-a", TEAM_A)).build(), "tenant-http")).isTrue();
    // a query token may ingest too
    assertThat(export(OtlpHttpSpanExporter.builder().setEndpoint(httpUrl)
        .addHeader("Authorization", "Bearer " + ADMIN).build(), "admin-http")).isTrue();

    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(JSON.readTree(get("/api/services", "Bearer " + ADMIN).body()).path("data").toString())
            .contains("tenant-grpc", "tenant-http", "admin-http")
            .doesNotContain("anon-grpc", "anon-http", "wrong-grpc"));

    HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(httpUrl))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"resourceSpans\":[]}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"faultline\"");
    assertThat(JSON.readTree(refused.body()).path("message").asText()).contains("ingest requires a token");

    String metrics = http.send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + APP.getAdminPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics).containsPattern("faultline_receiver_requests_total\\{[^}]*outcome=\"unauthenticated\"[^}]*transport=\"grpc\"")
        .containsPattern("faultline_receiver_requests_total\\{[^}]*outcome=\"unauthenticated\"[^}]*transport=\"http\"");
    // what each tenant stored: team-a one span over gRPC and one over HTTP, admin one
    assertThat(tenantItems("traces", "team-a")).isEqualTo(teamA + 2);
    assertThat(tenantItems("traces", "admin")).isEqualTo(admin + 1);
  }

  @Test
  void anIngestTokenReadsNothingAndQueryApisTakeBasicAuth() throws Exception {
    assertThat(get("/api/services", "Bearer " + TEAM_A).statusCode()).isEqualTo(403);
    assertThat(get("/api/v1/query?query=vector(1)", basic("team-a", TEAM_A)).statusCode()).isEqualTo(403);
    HttpResponse<String> signIn = http.send(HttpRequest.newBuilder(uri("/api/session"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + TEAM_A + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(signIn.statusCode()).isEqualTo(403);

    assertThat(get("/api/services", basic("grafana", ADMIN)).statusCode()).isEqualTo(200);
    assertThat(get("/api/services", basic(ADMIN, "")).statusCode()).isEqualTo(200);
    assertThat(get("/api/services", basic("grafana", "wrong")).statusCode()).isEqualTo(401);
  }

  @Test
  void remoteWriteNeedsAnIngestOrQueryTokenAndARealPrometheusSendsItWithBasicAuth() throws Exception {
    // Prometheus also scrapes Faultline's own metrics with native histograms on and remote-writes
    // them back: the write-ahead log's fsync histogram arrives as a native histogram
    assertThat(write(null).statusCode()).isEqualTo(401);
    assertThat(write("Bearer wrong").statusCode()).isEqualTo(401);
    assertThat(write("Bearer " + TEAM_A).statusCode()).isEqualTo(204);
    assertThat(write("Bearer " + ADMIN).statusCode()).isEqualTo(204);

    Path prometheus = onPath("prometheus");
    Path promtool = onPath("promtool");
    Assumptions.assumeTrue(prometheus != null && promtool != null,
        "skipped: no 'prometheus'/'promtool' on the PATH (Debian: apt-get install prometheus)");
    int promPort;
    try (ServerSocket s = new ServerSocket(0)) {
      promPort = s.getLocalPort();
    }
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, String.join("\n",
        "global:",
        "  scrape_interval: 1s",
        "scrape_configs:",
        "  - job_name: ingest-auth-it",
        "    static_configs:",
        "      - targets: ['127.0.0.1:" + promPort + "']",
        "  - job_name: faultline-self",
        "    static_configs:",
        "      - targets: ['127.0.0.1:" + APP.getAdminPort() + "']",
        "remote_write:",
        "  - url: http://127.0.0.1:" + APP.getLocalPort() + "/api/v1/write",
        "    basic_auth:",
        "      username: team-a",
        "      password: " + TEAM_A,
        "    queue_config:",
        "      batch_send_deadline: 1s",
        "      min_backoff: 100ms",
        "      max_backoff: 1s",
        "    send_native_histograms: true",
        ""));
    Path log = dir.resolve("prometheus.log");
    Process p = new ProcessBuilder(prometheus.toString(), "--config.file=" + config,
            "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + promPort,
            "--enable-feature=native-histograms")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      // promtool 2.42 sends the URL's user info as basic auth: the admin token is the password
      String server = "http://admin:" + ADMIN + "@127.0.0.1:" + APP.getLocalPort();
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
          .failFast("prometheus exited; see " + log, () -> !p.isAlive())
          .untilAsserted(() -> assertThat(run(promtool.toString(), "query", "instant", server,
              "up{job=\"ingest-auth-it\"}")).contains("up{instance=\"127.0.0.1:" + promPort + "\", job=\"ingest-auth-it\"} => 1"));
      // the native histogram became classic series: a +Inf bucket equal to the count
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> {
            JsonNode r = JSON.readTree(get("/api/v1/query?query="
                + java.net.URLEncoder.encode("faultline_wal_fsync_seconds_bucket{job=\"faultline-self\",le=\"+Inf\"}"
                    + " - on(instance) faultline_wal_fsync_seconds_count{job=\"faultline-self\"}", StandardCharsets.UTF_8),
                "Bearer " + ADMIN).body());
            assertThat(r.at("/data/result/0/value/1").asText()).isEqualTo("0");
            JsonNode n = JSON.readTree(get("/api/v1/query?query="
                + java.net.URLEncoder.encode("count(faultline_wal_fsync_seconds_bucket{job=\"faultline-self\"})", StandardCharsets.UTF_8),
                "Bearer " + ADMIN).body());
            assertThat(n.at("/data/result/0/value/1").asDouble()).isGreaterThan(2);
          });
      // Prometheus logs a refused write as "server returned HTTP status 401 Unauthorized"; a bare
      // "401" also matches its random queue names (remote_name=bef401)
      assertThat(Files.readString(log)).doesNotContain("HTTP status 401");
    } finally {
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aRemoteWrittenSampleAnHourLateIsAcknowledgedAndKept() throws Exception {
    long now = System.currentTimeMillis();
    double before = tenantItems("metrics", "team-a");
    assertThat(write("Bearer " + TEAM_A, series("late_sample_test", now, 1)).statusCode()).isEqualTo(204);
    assertThat(tenantItems("metrics", "team-a")).as("the sample counts for its tenant").isEqualTo(before + 1);
    assertThat(write("Bearer " + ADMIN, series("late_sample_test", now - 3_600_000, 2)).statusCode()).isEqualTo(204);
    String at = Double.toString((now - 3_600_000) / 1000.0);
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      JsonNode late = JSON.readTree(get("/api/v1/query?query=late_sample_test&time=" + at, "Bearer " + ADMIN).body());
      assertThat(late.at("/data/result/0/value/1").asText()).isEqualTo("2");
      JsonNode both = JSON.readTree(get("/api/v1/query?query=count_over_time(late_sample_test%5B2h%5D)&time="
          + (now / 1000.0), "Bearer " + ADMIN).body());
      assertThat(both.at("/data/result/0/value/1").asText()).isEqualTo("2");
    });
  }

  @Test
  void aLabelLuceneCannotIndexIsDroppedAndTheMetricStoreGoesOnIndexing() throws Exception {
    // peer.service becomes the service graph's server label: 40,000 bytes are over Lucene's
    // 32,766-byte term limit, which used to stop the metric store for good (replay included)
    FaultlineApplication app = APP.getApplication();
    String httpUrl = "http://127.0.0.1:" + app.otlpHttpPort() + "/v1/traces";
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "immense-caller")))
        .addSpanProcessor(SimpleSpanProcessor.create(OtlpHttpSpanExporter.builder().setEndpoint(httpUrl)
            .addHeader("Authorization", "Bearer " + ADMIN).build()))
        .build();
    provider.get("ingest-rules-it").spanBuilder("call").setSpanKind(io.opentelemetry.api.trace.SpanKind.CLIENT)
        .setAttribute("peer.service", "p".repeat(40_000)).startSpan().end();
    assertThat(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    provider.shutdown().join(10, TimeUnit.SECONDS);
    String admin = "http://127.0.0.1:" + APP.getAdminPort();
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(http.send(HttpRequest.newBuilder(URI.create(admin + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body())
            .containsPattern("faultline_store_unindexable_documents_total\\{store=\"metrics\"} [1-9]"));

    long now = System.currentTimeMillis();
    assertThat(write("Bearer " + ADMIN, series("after_immense_label", now, 7)).statusCode()).isEqualTo(204);
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(JSON.readTree(get("/api/v1/query?query=after_immense_label&time=" + now / 1000.0,
            "Bearer " + ADMIN).body()).at("/data/result/0/value/1").asText()).isEqualTo("7"));
    HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(admin + "/healthcheck")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
  }

  @Test
  void aCharsetTheServerDoesNotKnowIs415NotAServerError() throws Exception {
    for (String path : new String[] {"/api/chaos/experiments", "/api/chaos/switch"}) {
      for (String charset : new String[] {"nope", "\"a b\""}) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(path))
            .header("Authorization", "Bearer " + ADMIN)
            .header("Content-Type", "application/json; charset=" + charset)
            .POST(HttpRequest.BodyPublishers.ofString("{\"engaged\": false}")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(415);
        assertThat(r.body()).contains("unsupported charset").doesNotContain("Exception");
      }
    }
  }

  @Test
  void aBodyThatIsNotTheGzipItsContentEncodingSaysIs400NotAServerError() throws Exception {
    for (String path : new String[] {"/api/v1/write", "/api/session"}) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(path))
          .header("Authorization", "Bearer " + ADMIN)
          .header("Content-Type", path.endsWith("write") ? "application/x-protobuf" : "application/json")
          .header("Content-Encoding", "gzip")
          .POST(HttpRequest.BodyPublishers.ofString("not gzip at all")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(400);
      assertThat(r.body()).contains("not valid gzip");
    }
    HttpResponse<String> unknown = get("/api/no-such-endpoint", "Bearer " + ADMIN);
    assertThat(unknown.statusCode()).as("other errors keep their answers").isEqualTo(404);
    assertThat(JSON.readTree(unknown.body()).path("code").asInt()).isEqualTo(404);
  }

  @Test
  void aJsonBodyThatCannotBeReadIsA400SayingWhatAndWhere() throws Exception {
    String[][] cases = {
        // path, body, the message expected
        {"/api/session", "{\"token\": \"abc", "invalid JSON at line 1, column 15: unexpected end of input in a string"},
        {"/api/admin/tokens", "{\"name\": \"ci\", \"role\"", "invalid JSON at line 1, column 22: unexpected end of input"},
        {"/api/session", "not json at all", "invalid JSON at line 1, column 1: unrecognized token 'not'"},
        {"/api/session", "{\"token\": 42}", "field 'token': expected a string, not the number 42 at line 1, column 11"},
        {"/api/admin/tokens", "{\"name\": \"ci\", \"role\": 5}", "field 'role': expected a string, not the number 5"},
        {"/api/admin/tokens", "{\"name\": [\"ci\"], \"role\": \"viewer\"}", "field 'name': expected a string, not an array"},
        {"/api/admin/tokens", "[1, 2", "the body: expected an object, not an array at line 1, column 1"},
        {"/api/admin/tokens", "", "body must be"},
        {"/api/session", "", "the request body is empty"},
    };
    SoftAssertions soft = new SoftAssertions();
    for (String[] c : cases) {
      HttpResponse<String> r = post(c[0], c[1]);
      soft.assertThat(r.statusCode()).as(c[0] + " " + c[1] + ": " + r.body()).isEqualTo(400);
      JsonNode error = JSON.readTree(r.body());
      soft.assertThat(error.path("code").asInt()).as(c[1]).isEqualTo(400);
      soft.assertThat(error.path("message").asText()).as(c[1]).startsWith(c[2])
          .doesNotContainPattern("(?i)java|jackson|fasterxml|faultline|Source:|\\$|`|Exception");
    }
    soft.assertAll();
    // unknown fields are ignored, as before: this signs in
    HttpResponse<String> extra = post("/api/session", "{\"token\": \"" + ADMIN + "\", \"remember\": true}");
    assertThat(extra.statusCode()).as(extra.body()).isEqualTo(200);
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path))
        .header("Authorization", "Bearer " + ADMIN)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** {@code faultline_ingest_tenant_items_total} of a tenant and signal on the admin port; 0 when absent. */
  private double tenantItems(String signal, String tenant) throws Exception {
    String metrics = http.send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + APP.getAdminPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    String prefix = "faultline_ingest_tenant_items_total{signal=\"" + signal + "\",tenant=\"" + tenant + "\"} ";
    return metrics.lines().filter(l -> l.startsWith(prefix))
        .mapToDouble(l -> Double.parseDouble(l.substring(prefix.length()))).findFirst().orElse(0);
  }

  private static byte[] series(String name, long t, double v) throws Exception {
    return Snappy.compress(WriteRequest.newBuilder().addTimeseries(TimeSeries.newBuilder()
            .addLabels(Label.newBuilder().setName("__name__").setValue(name))
            .addSamples(Sample.newBuilder().setTimestamp(t).setValue(v)))
        .build().toByteArray());
  }

  /** Exports one span of {@code service} and says whether the exporter reported success. */
  private static boolean export(SpanExporter exporter, String service) {
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), service)))
        .addSpanProcessor(SimpleSpanProcessor.create(exporter))
        .build();
    provider.get("ingest-auth-it").spanBuilder("op").startSpan().end();
    boolean ok = provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess();
    provider.shutdown().join(10, TimeUnit.SECONDS);
    return ok;
  }

  private HttpResponse<String> write(String authorization) throws Exception {
    // an empty WriteRequest, snappy-compressed: zero length, no literal
    return write(authorization, new byte[] {0});
  }

  private HttpResponse<String> write(String authorization, byte[] body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri("/api/v1/write"))
        .header("Content-Type", "application/x-protobuf")
        .header("Content-Encoding", "snappy")
        .header("X-Prometheus-Remote-Write-Version", "0.1.0")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return IngestPosts.send(http, b.build());
  }

  private HttpResponse<String> get(String path, String authorization) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).header("Authorization", authorization).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + APP.getLocalPort() + path);
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(30, TimeUnit.SECONDS);
    return out;
  }

  private static Path onPath(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(d, name);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }
}
