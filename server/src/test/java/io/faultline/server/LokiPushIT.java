/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.faultline.core.loki.EntryAdapter;
import io.faultline.core.loki.LabelPairAdapter;
import io.faultline.core.loki.PushRequest;
import io.faultline.core.loki.StreamAdapter;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

/**
 * Loki's push API over the real server, as Promtail, Grafana Alloy's {@code loki.write}, the Loki
 * Docker driver (snappy-compressed protobuf) and loki4j (JSON, or protobuf) send it — built by
 * hand here, loki4j not being available offline — and read back through Faultline's Loki read API
 * and {@code /api/logs}. Ingest tokens are configured, so a push needs an ingest or query token
 * (bearer, or basic auth with the token as password, as Promtail's {@code basic_auth} sends it).
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class LokiPushIT {
  private static final String ADMIN = "test-admin-token";
  private static final String TEAM_A = "ingest-secret-of-team-a";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TRACE = "5b8efff798038103d269b633813fc60c";
  @TempDir static Path dataDir;

  static final DropwizardAppExtension<FaultlineConfiguration> APP =
      new DropwizardAppExtension<>(
          FaultlineApplication.class,
          ResourceHelpers.resourceFilePath("test-config.yml"),
          ConfigOverride.config("dataDir", () -> dataDir.toString()),
          ConfigOverride.config("auth.ingestTokens.team-a", TEAM_A));

  private final HttpClient http = HttpClient.newHttpClient();

  private static long nowNanos() {
    Instant t = Instant.now();
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  @Test
  void promtailStyleProtobufIsStoredAndReadBackByItsLabels() throws Exception {
    long t = nowNanos();
    double before = tenantItems("logs", "team-a");
    PushRequest request =
        PushRequest.newBuilder()
            .addStreams(
                StreamAdapter.newBuilder()
                    .setLabels("{app=\"shop\", env=\"prod\", job=\"promtail\"}")
                    .addEntries(entry(t, "protobuf line one", "trace_id", TRACE, "user", "ann"))
                    .addEntries(entry(t + 1, "protobuf line two")))
            .build();
    HttpResponse<String> r =
        push(Snappy.compress(request.toByteArray()), "application/x-protobuf", null, "Bearer " + TEAM_A);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
    assertThat(tenantItems("logs", "team-a")).isEqualTo(before + 2);

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              JsonNode body = queryRange("{app=\"shop\"} |= \"protobuf line\"", t);
              assertThat(lines(body)).containsExactly("protobuf line two", "protobuf line one");
              JsonNode stream = body.at("/data/result/0/stream");
              assertThat(stream.get("app").asText()).isEqualTo("shop");
              assertThat(stream.get("env").asText()).isEqualTo("prod");
              assertThat(stream.get("job").asText()).isEqualTo("promtail");
              assertThat(stream.get("service_name").asText()).isEqualTo("shop");
            });
    JsonNode withMetadata = queryRange("{app=\"shop\", env=\"prod\"} | user=\"ann\"", t);
    assertThat(lines(withMetadata)).containsExactly("protobuf line one");
    assertThat(withMetadata.at("/data/result/0/stream/trace_id").asText()).isEqualTo(TRACE);

    JsonNode logs = JSON.readTree(get("/api/logs?query=" + enc("service:shop AND body:protobuf") + "&start="
        + (t / 1_000_000 - 60_000), "Bearer " + ADMIN).body());
    List<String> bodies = new ArrayList<>();
    logs.path("logs").forEach(l -> bodies.add(l.path("body").asText()));
    assertThat(bodies).containsExactlyInAnyOrder("protobuf line one", "protobuf line two");
    assertThat(logs.path("logs").findValuesAsText("traceId")).contains(TRACE);

    JsonNode labels = JSON.readTree(get("/loki/api/v1/labels", "Bearer " + ADMIN).body());
    assertThat(labels.path("data").toString()).contains("\"app\"", "\"env\"", "\"job\"", "\"service_name\"");
    JsonNode values = JSON.readTree(get("/loki/api/v1/label/app/values", "Bearer " + ADMIN).body());
    assertThat(values.path("data").toString()).contains("\"shop\"");
  }

  @Test
  void loki4jStyleGzippedJsonWithBasicAuth() throws Exception {
    long t = nowNanos();
    String json =
        "{\"streams\":[{\"stream\":{\"app\":\"billing\",\"level\":\"error\"},\"values\":["
            + "[\"" + t + "\",\"json line with metadata\",{\"order_id\":\"o-7\"}],"
            + "[\"" + (t + 1) + "\",\"json line plain\"]]}]}";
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(json.getBytes(StandardCharsets.UTF_8));
    }
    HttpResponse<String> r = push(gz.toByteArray(), "application/json", "gzip", basic("promtail", TEAM_A));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              JsonNode body = queryRange("{app=\"billing\", level=\"error\"}", t);
              assertThat(lines(body)).containsExactly("json line plain", "json line with metadata");
            });
    assertThat(lines(queryRange("{app=\"billing\"} | order_id=\"o-7\"", t))).containsExactly("json line with metadata");
    JsonNode logs = JSON.readTree(get("/api/logs?query=" + enc("service:billing AND severity:error") + "&start="
        + (t / 1_000_000 - 60_000), "Bearer " + ADMIN).body());
    assertThat(logs.path("total").asLong()).isEqualTo(2);
  }

  @Test
  void pushNeedsATokenOnceIngestTokensExist() throws Exception {
    byte[] body = ("{\"streams\":[{\"stream\":{\"app\":\"anon\"},\"values\":[[\"" + nowNanos() + "\",\"x\"]]}]}")
        .getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> none = push(body, "application/json", null, null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).isPresent();
    assertThat(push(body, "application/json", null, "Bearer wrong").statusCode()).isEqualTo(401);
    // a query token may push too, as with remote write
    assertThat(push(body, "application/json", null, "Bearer " + ADMIN).statusCode()).isEqualTo(204);
    // and an ingest token reads nothing
    assertThat(get("/loki/api/v1/labels", "Bearer " + TEAM_A).statusCode()).isEqualTo(403);
  }

  @Test
  void entriesOutsideTheRetentionAre400AndTheRestIsStored() throws Exception {
    long t = nowNanos();
    long old = t - Duration.ofDays(30).toNanos();
    String json =
        "{\"streams\":[{\"stream\":{\"app\":\"late\"},\"values\":[[\"" + old + "\",\"too old\"],[\"" + t
            + "\",\"in time\"]]},{\"stream\":{\"app.name\":\"x\"},\"values\":[[\"" + t + "\",\"bad label\"]]}]}";
    HttpResponse<String> r =
        push(json.getBytes(StandardCharsets.UTF_8), "application/json", null, "Bearer " + TEAM_A);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body())
        .contains("rejected 2 of 3 entries")
        .contains("entry for stream '{app=\"late\"}' has timestamp too old")
        .contains("invalid label name 'app.name'")
        .contains("The other entries were stored");
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(lines(queryRange("{app=\"late\"}", t))).containsExactly("in time"));
  }

  private static EntryAdapter entry(long nanos, String line, String... metadata) {
    EntryAdapter.Builder e =
        EntryAdapter.newBuilder()
            .setTimestamp(Timestamp.newBuilder().setSeconds(nanos / 1_000_000_000L).setNanos((int) (nanos % 1_000_000_000L)))
            .setLine(ByteString.copyFromUtf8(line));
    for (int i = 0; i < metadata.length; i += 2) {
      e.addStructuredMetadata(LabelPairAdapter.newBuilder().setName(metadata[i]).setValue(metadata[i + 1]));
    }
    return e.build();
  }

  private JsonNode queryRange(String query, long aroundNanos) throws Exception {
    HttpResponse<String> r =
        get(
            "/loki/api/v1/query_range?query=" + enc(query)
                + "&start=" + (aroundNanos - 60_000_000_000L)
                + "&end=" + (aroundNanos + 60_000_000_000L),
            "Bearer " + ADMIN);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private static List<String> lines(JsonNode body) {
    List<String> out = new ArrayList<>();
    for (JsonNode stream : body.at("/data/result")) {
      stream.get("values").forEach(v -> out.add(v.get(1).asText()));
    }
    return out;
  }

  private HttpResponse<String> push(byte[] body, String type, String encoding, String authorization)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri("/loki/api/v1/push"))
            .header("Content-Type", type)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (encoding != null) {
      b.header("Content-Encoding", encoding);
    }
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return IngestPosts.send(http, b.build());
  }

  private HttpResponse<String> get(String path, String authorization) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path)).header("Authorization", authorization).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private double tenantItems(String signal, String tenant) throws Exception {
    String metrics = http.send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + APP.getAdminPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    String prefix = "faultline_ingest_tenant_items_total{signal=\"" + signal + "\",tenant=\"" + tenant + "\"} ";
    return metrics.lines().filter(l -> l.startsWith(prefix))
        .mapToDouble(l -> Double.parseDouble(l.substring(prefix.length()))).findFirst().orElse(0);
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + APP.getLocalPort() + path);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }
}
