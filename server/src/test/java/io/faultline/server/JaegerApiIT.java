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
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jaeger's query API through the whole server (Jetty, Jersey, the stores and the span-derived
 * metrics), for what only the real stack shows: how Jetty treats the request path, and which
 * computation answers {@code /api/dependencies}.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class JaegerApiIT {
  private static final String TOKEN = "test-admin-token";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  @TempDir static Path dataDir;

  static final DropwizardAppExtension<FaultlineConfiguration> APP =
      new DropwizardAppExtension<>(
          FaultlineApplication.class,
          ResourceHelpers.resourceFilePath("test-config.yml"),
          ConfigOverride.config("dataDir", () -> dataDir.toString()));

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /**
   * One trace: {@code web} (a root server span) calls {@code api} over HTTP and a PostgreSQL
   * database; {@code api} calls itself. Services named {@code slash/svc} and {@code pct%svc} send a
   * span each.
   */
  @BeforeAll
  static void sendSpans() throws Exception {
    long start = Instant.now().minusSeconds(30).toEpochMilli() * 1_000_000;
    String body =
        "{\"resourceSpans\":["
            + resourceSpans(
                "web",
                span("1000000000000001", "", "GET /", 2, start)
                    + ","
                    + span("1000000000000002", "1000000000000001", "GET api", 3, start + 1_000)
                    + ","
                    + span(
                        "1000000000000003",
                        "1000000000000001",
                        "SELECT orders",
                        3,
                        start + 2_000,
                        "{\"key\":\"db.system\",\"value\":{\"stringValue\":\"postgresql\"}},"
                            + "{\"key\":\"db.name\",\"value\":{\"stringValue\":\"orders\"}}"))
            + ","
            + resourceSpans(
                "api",
                span("2000000000000001", "1000000000000002", "GET /api", 2, start + 1_500)
                    + ","
                    + span("2000000000000002", "2000000000000001", "load", 1, start + 1_600))
            + ","
            + resourceSpans("slash/svc", span("3000000000000001", "", "op/1", 2, start))
            + ","
            + resourceSpans("pct%svc", span("4000000000000001", "", "op%1", 2, start))
            + "]}";
    HttpResponse<String> sent =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + APP.<FaultlineApplication>getApplication().otlpHttpPort()
                            + "/v1/traces"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(sent.statusCode()).as(sent.body()).isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> get("/api/traces/" + TRACE_ID).statusCode() == 200);
  }

  @Test
  void dependenciesCountStoredSpansAsJaegerDoesEvenWhenTheServiceGraphHasSeries()
      throws Exception {
    // the service graph (Tempo's model: a "user" node for the root, the database as a node)
    // exists for the same spans; Jaeger's answer must not come from it
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                JSON.readTree(
                            get("/api/v1/query?query="
                                    + URLEncoder.encode(
                                        "traces_service_graph_request_total",
                                        StandardCharsets.UTF_8))
                                .body())
                        .at("/data/result")
                        .size()
                    > 0);

    JsonNode deps = JSON.readTree(get("/api/dependencies").body());

    assertThat(deps.get("data").toString())
        .isEqualTo("[{\"parent\":\"web\",\"child\":\"api\",\"callCount\":1}]");
  }

  @Test
  void serviceNamesWithAnEncodedSlashOrPercentSignReachTheResourceDecoded() throws Exception {
    HttpResponse<String> slash = get("/api/services/slash%2Fsvc/operations");
    HttpResponse<String> percent = get("/api/services/pct%25svc/operations");

    assertThat(slash.statusCode()).as(slash.body()).isEqualTo(200);
    assertThat(JSON.readTree(slash.body()).get("data").toString()).isEqualTo("[\"op/1\"]");
    assertThat(percent.statusCode()).as(percent.body()).isEqualTo(200);
    assertThat(JSON.readTree(percent.body()).get("data").toString()).isEqualTo("[\"op%1\"]");
    assertThat(JSON.readTree(get("/api/services").body()).get("data").toString())
        .contains("\"slash/svc\"", "\"pct%svc\"");
  }

  @Test
  void encodedSeparatorsOutsideTheApiAndEncodedDotSegmentsAreStillRefused() throws Exception {
    assertThat(get("/ui%2F..%2Findex.html").statusCode()).isEqualTo(400);
    assertThat(get("/api/%2e%2e/services").statusCode()).isEqualTo(400);
    assertThat(get("/api/services/..%2F..%2Fui/operations").statusCode())
        .as("a decoded separator is a value to the resource, never a path")
        .isEqualTo(200);
  }

  private static String resourceSpans(String service, String spans) {
    return "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\""
        + service
        + "\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"it\"},\"spans\":["
        + spans
        + "]}]}";
  }

  private static String span(String id, String parent, String name, int kind, long startNanos) {
    return span(id, parent, name, kind, startNanos, "");
  }

  private static String span(
      String id, String parent, String name, int kind, long startNanos, String attributes) {
    return "{\"traceId\":\""
        + TRACE_ID
        + "\",\"spanId\":\""
        + id
        + "\",\"parentSpanId\":\""
        + parent
        + "\",\"name\":\""
        + name
        + "\",\"kind\":"
        + kind
        + ",\"startTimeUnixNano\":\""
        + startNanos
        + "\",\"endTimeUnixNano\":\""
        + (startNanos + 5_000_000)
        + "\",\"attributes\":["
        + attributes
        + "]}";
  }

  private static HttpResponse<String> get(String pathAndQuery) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + APP.getLocalPort() + pathAndQuery))
            .header("Authorization", "Bearer " + TOKEN)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
