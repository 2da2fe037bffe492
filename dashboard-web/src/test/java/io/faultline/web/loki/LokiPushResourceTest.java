/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.dropwizard.testing.junit5.DropwizardClientExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import io.faultline.collector.loki.LokiPushLimits;
import io.faultline.collector.otlp.IngestLimits;
import io.faultline.core.auth.IngestAuthenticator;
import io.faultline.core.auth.TenantMetrics;
import io.faultline.core.ingest.BackpressureException;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.loki.EntryAdapter;
import io.faultline.core.loki.PushRequest;
import io.faultline.core.loki.StreamAdapter;
import io.faultline.web.prometheus.CollectingSink;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import jakarta.ws.rs.client.Entity;
import jakarta.ws.rs.core.Response;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xerial.snappy.Snappy;

/**
 * Loki's push API over Jersey's in-memory connector, and over a real Jetty for the cases that need
 * a socket (the in-memory connector drops {@code Content-Encoding}); the whole-server cases are in
 * the server's LokiPushIT.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class LokiPushResourceTest {
  private static final Instant NOW = Instant.parse("2026-11-25T00:00:00Z");
  private static final long T = (NOW.getEpochSecond() - 60) * 1_000_000_000L;
  private static final CollectingSink SINK = new CollectingSink();
  private static final Map<String, Long> COUNTED = new ConcurrentHashMap<>();
  private static final IngestLimits INGEST =
      IngestLimits.builder().logRetention(Duration.ofDays(7)).clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();

  /** Open, with a 64 KiB body limit. */
  static final ResourceExtension resources =
      ResourceExtension.builder()
          .addResource(
              new LokiPushResource(
                  SINK,
                  new LokiPushLimits(64 << 10, 256 << 10, 1000, 1024),
                  INGEST,
                  IngestAuthenticator.open(),
                  (tenant, signal, items) -> COUNTED.merge(tenant + "/" + signal, items, Long::sum)))
          .build();

  /** Only "Bearer good" may push, as tenant "acme". */
  static final ResourceExtension guarded =
      ResourceExtension.builder()
          .addResource(
              new LokiPushResource(
                  SINK,
                  LokiPushLimits.defaults(),
                  INGEST,
                  authorization -> {
                    if (!"Bearer good".equals(authorization)) {
                      throw new IngestAuthenticator.IngestAuthException("missing or invalid token");
                    }
                    return "acme";
                  },
                  TenantMetrics.NOOP))
          .build();

  /** The open resource over a real socket. */
  static final DropwizardClientExtension socket =
      new DropwizardClientExtension(
          new LokiPushResource(SINK, new LokiPushLimits(64 << 10, 256 << 10, 1000, 1024), INGEST));

  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static HttpResponse<String> send(byte[] body, String type, String encoding) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(socket.baseUri() + "/loki/api/v1/push"))
            .header("Content-Type", type)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (encoding != null) {
      b.header("Content-Encoding", encoding);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @BeforeEach
  void reset() {
    SINK.batches.clear();
    SINK.failure = null;
    SINK.room = true;
    COUNTED.clear();
  }

  private static String json(String labels, String line) {
    return "{\"streams\":[{\"stream\":" + labels + ",\"values\":[[\"" + T + "\",\"" + line + "\"]]}]}";
  }

  private static Response post(ResourceExtension r, byte[] body, String type, String encoding) {
    var request = r.target("/loki/api/v1/push").request();
    if (encoding != null) {
      request = request.header("Content-Encoding", encoding);
    }
    return request.post(Entity.entity(body, type));
  }

  private static Response postJson(String body) {
    return post(resources, body.getBytes(StandardCharsets.UTF_8), "application/json", null);
  }

  private static String line(TelemetryBatch b) {
    return ((ExportLogsServiceRequest) b.message())
        .getResourceLogs(0)
        .getScopeLogs(0)
        .getLogRecords(0)
        .getBody()
        .getStringValue();
  }

  @Test
  void jsonPushIs204AndReachesTheSinkAsOtlpLogs() {
    Response r = postJson(json("{\"app\":\"shop\",\"env\":\"prod\"}", "hello"));
    assertThat(r.getStatus()).isEqualTo(204);
    assertThat(SINK.batches)
        .singleElement()
        .satisfies(
            b -> {
              assertThat(b.signal()).isEqualTo(Signal.LOGS);
              assertThat(line(b)).isEqualTo("hello");
            });
    assertThat(COUNTED).containsExactly(Map.entry("anonymous/logs", 1L));
  }

  @Test
  void protobufSnappyAndGzipJsonPushes() throws Exception {
    PushRequest request =
        PushRequest.newBuilder()
            .addStreams(
                StreamAdapter.newBuilder()
                    .setLabels("{app=\"shop\"}")
                    .addEntries(
                        EntryAdapter.newBuilder()
                            .setTimestamp(Timestamp.newBuilder().setSeconds(T / 1_000_000_000L))
                            .setLine(ByteString.copyFromUtf8("from promtail"))))
            .build();
    assertThat(post(resources, Snappy.compress(request.toByteArray()), "application/x-protobuf", null).getStatus())
        .isEqualTo(204);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(json("{\"app\":\"shop\"}", "from loki4j").getBytes(StandardCharsets.UTF_8));
    }
    HttpResponse<String> zipped = send(gz.toByteArray(), "application/json", "gzip");
    assertThat(zipped.statusCode()).as(zipped.body()).isEqualTo(204);
    assertThat(SINK.batches).extracting(LokiPushResourceTest::line).containsExactly("from promtail", "from loki4j");
  }

  @Test
  void badInputIs400WithTheReason() throws Exception {
    Response bad = postJson("{\"streams\":[{\"stream\":{\"app\":\"x\"},\"values\":[[1,\"x\"]]}]}");
    assertThat(bad.getStatus()).isEqualTo(400);
    assertThat(bad.getMediaType().toString()).startsWith("text/plain");
    assertThat(bad.readEntity(String.class)).contains("timestamp is not a string");

    PushRequest labels =
        PushRequest.newBuilder()
            .addStreams(StreamAdapter.newBuilder().setLabels("{app=shop}").addEntries(EntryAdapter.getDefaultInstance()))
            .build();
    Response r = post(resources, Snappy.compress(labels.toByteArray()), "application/x-protobuf", null);
    assertThat(r.getStatus()).isEqualTo(400);
    assertThat(r.readEntity(String.class)).contains("error parsing labels '{app=shop}'");
    assertThat(SINK.batches).isEmpty();
  }

  @Test
  void tooOldEntriesAre400AndTheRestIsStored() {
    long old = (NOW.getEpochSecond() - 8 * 86_400) * 1_000_000_000L;
    Response r =
        postJson("{\"streams\":[{\"stream\":{\"app\":\"shop\"},\"values\":[[\"" + old + "\",\"old\"],[\"" + T
            + "\",\"new\"]]}]}");
    assertThat(r.getStatus()).isEqualTo(400);
    assertThat(r.readEntity(String.class))
        .contains("entry for stream '{app=\"shop\"}' has timestamp too old: 2026-11-17T00:00:00Z")
        .contains("The other entries were stored");
    assertThat(SINK.batches).singleElement().satisfies(b -> assertThat(line(b)).isEqualTo("new"));
    assertThat(COUNTED).containsExactly(Map.entry("anonymous/logs", 1L));
  }

  @Test
  void oversizedBodiesAre413AndOtherEncodings415() throws Exception {
    byte[] big = new byte[(64 << 10) + 1];
    assertThat(post(resources, big, "application/json", null).getStatus()).isEqualTo(413);
    HttpResponse<String> enc = send(new byte[] {1}, "application/json", "br");
    assertThat(enc.statusCode()).isEqualTo(415);
    assertThat(enc.body()).contains("Content-Encoding 'br' is not accepted");
    assertThat(SINK.batches).isEmpty();
  }

  @Test
  void aFullPipelineIs429WithRetryAfterAndAFailedStore503() {
    SINK.room = false;
    Response full = postJson(json("{\"app\":\"a\"}", "x"));
    assertThat(full.getStatus()).isEqualTo(429);
    assertThat(full.getHeaderString("Retry-After")).isEqualTo("1");
    SINK.room = true;
    SINK.failure = new BackpressureException("queue full", Duration.ofSeconds(3));
    Response later = postJson(json("{\"app\":\"a\"}", "x"));
    assertThat(later.getStatus()).isEqualTo(429);
    assertThat(later.getHeaderString("Retry-After")).isEqualTo("3");
    SINK.failure = new IllegalStateException("disk full");
    Response failed = postJson(json("{\"app\":\"a\"}", "x"));
    assertThat(failed.getStatus()).isEqualTo(503);
    assertThat(failed.readEntity(String.class)).contains("disk full");
    assertThat(COUNTED).isEmpty();
  }

  @Test
  void anEmptyPushIs204() {
    assertThat(postJson("{\"streams\":[]}").getStatus()).isEqualTo(204);
    assertThat(SINK.batches).isEmpty();
  }

  @Test
  void aGuardedResourceWantsAToken() {
    byte[] body = json("{\"app\":\"a\"}", "x").getBytes(StandardCharsets.UTF_8);
    Response none = post(guarded, body, "application/json", null);
    assertThat(none.getStatus()).isEqualTo(401);
    assertThat(none.getHeaderString("WWW-Authenticate")).isNotNull();
    Response ok =
        guarded.target("/loki/api/v1/push").request().header("Authorization", "Bearer good")
            .post(Entity.entity(body, "application/json"));
    assertThat(ok.getStatus()).isEqualTo(204);
  }
}
