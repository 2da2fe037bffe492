/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code tls.enabled}, every listener serves TLS only, with the configured key store: the real
 * OpenTelemetry SDK exporters (gRPC and HTTP/protobuf) export over TLS trusting the server's
 * certificate, the trace is found through the Jaeger API over https, the Logstash input reads a
 * line over TLS, the admin port answers over https, and plain text gets no answer anywhere.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class TlsIT {
  private static final String TOKEN = "test-admin-token";
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path dir;
  private static Path keyStore;

  static final DropwizardAppExtension<FaultlineConfiguration> APP =
      new DropwizardAppExtension<>(
          FaultlineApplication.class,
          ResourceHelpers.resourceFilePath("test-config.yml"),
          ConfigOverride.config("dataDir", () -> dir.resolve("data").toString()),
          ConfigOverride.config("tls.enabled", "true"),
          ConfigOverride.config("tls.keyStorePath", () -> keyStore().toString()),
          ConfigOverride.config("tls.keyStorePassword", TestKeyStores.PASSWORD));

  // the overrides are read when the extension starts the app, after @TempDir is set
  private static synchronized Path keyStore() {
    if (keyStore == null) {
      try {
        keyStore = TestKeyStores.generate(dir);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    return keyStore;
  }

  private static HttpClient https() throws Exception {
    return HttpClient.newBuilder()
        .sslContext(TestKeyStores.trusting(keyStore()))
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  @Test
  void grpcExporterOverTlsSpanFoundThroughJaegerOverHttps() throws Exception {
    SpanExporter exporter =
        OtlpGrpcSpanExporter.builder()
            .setEndpoint("https://127.0.0.1:" + APP.<FaultlineApplication>getApplication().otlpGrpcPort())
            .setTrustedCertificates(TestKeyStores.pem(keyStore()))
            .build();
    exportAndFind(exporter, "tls-grpc");
  }

  @Test
  void httpProtobufExporterOverTlsSpanFoundThroughJaegerOverHttps() throws Exception {
    SpanExporter exporter =
        OtlpHttpSpanExporter.builder()
            .setEndpoint(
                "https://127.0.0.1:"
                    + APP.<FaultlineApplication>getApplication().otlpHttpPort()
                    + "/v1/traces")
            .setTrustedCertificates(TestKeyStores.pem(keyStore()))
            .build();
    exportAndFind(exporter, "tls-http");
  }

  private void exportAndFind(SpanExporter exporter, String service) throws Exception {
    InMemorySpanExporter recorded = InMemorySpanExporter.create();
    SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .setResource(
                Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), service)))
            .addSpanProcessor(SimpleSpanProcessor.create(exporter))
            .addSpanProcessor(SimpleSpanProcessor.create(recorded))
            .build();
    Span span = provider.get("tls-test").spanBuilder("GET /secure").startSpan();
    span.end();
    assertThat(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    SpanData sent = recorded.getFinishedSpanItems().get(0);
    provider.shutdown().join(10, TimeUnit.SECONDS);

    HttpClient client = https();
    JsonNode trace =
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () -> getJson(client, "/api/traces/" + sent.getTraceId()),
                t -> t != null && t.path("data").path(0).path("spans").size() == 1);
    JsonNode stored = trace.at("/data/0/spans/0");
    assertThat(stored.get("spanID").asText()).isEqualTo(sent.getSpanId());
    assertThat(stored.get("operationName").asText()).isEqualTo("GET /secure");
  }

  private static JsonNode getJson(HttpClient client, String path) throws Exception {
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + APP.getLocalPort() + path))
                .header("Authorization", "Bearer " + TOKEN)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
  }

  @Test
  void logstashInputReadsAJsonLineOverTls() throws Exception {
    int port = APP.<FaultlineApplication>getApplication().logstashPort();
    try (SSLSocket socket =
        (SSLSocket)
            TestKeyStores.trusting(keyStore())
                .getSocketFactory()
                .createSocket("127.0.0.1", port)) {
      socket.startHandshake();
      socket
          .getOutputStream()
          .write(
              ("{\"@timestamp\":\"" + Instant.now() + "\",\"message\":\"sealed over tls\","
                      + "\"level\":\"INFO\",\"service\":\"tls-logstash\"}\n")
                  .getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
    }
    HttpClient client = https();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              JsonNode logs = getJson(client, "/api/logs?query=service:tls-logstash");
              assertThat(logs).isNotNull();
              assertThat(logs.get("total").asInt()).isEqualTo(1);
              assertThat(logs.at("/logs/0/body").asText()).isEqualTo("sealed over tls");
            });
  }

  @Test
  void adminHealthcheckAnswersOverHttps() throws Exception {
    HttpResponse<String> health =
        https()
            .send(
                HttpRequest.newBuilder(
                        URI.create("https://127.0.0.1:" + APP.getAdminPort() + "/healthcheck"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("\"ingest\"");
  }

  @Test
  void plainHttpIsNotServedOnAnyHttpListener() {
    FaultlineApplication app = APP.getApplication();
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    for (String url :
        List.of(
            "http://127.0.0.1:" + APP.getLocalPort() + "/api/services",
            "http://127.0.0.1:" + APP.getAdminPort() + "/healthcheck",
            "http://127.0.0.1:" + app.otlpHttpPort() + "/v1/traces")) {
      assertThatThrownBy(
              () ->
                  plain.send(
                      HttpRequest.newBuilder(URI.create(url))
                          .timeout(Duration.ofSeconds(10))
                          .build(),
                      HttpResponse.BodyHandlers.ofString()))
          .as(url)
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void plainGrpcIsNotServed() {
    SpanExporter plain =
        OtlpGrpcSpanExporter.builder()
            .setEndpoint("http://127.0.0.1:" + APP.<FaultlineApplication>getApplication().otlpGrpcPort())
            .setTimeout(Duration.ofSeconds(5))
            .build();
    SdkTracerProvider provider =
        SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(plain)).build();
    provider.get("tls-test").spanBuilder("plain").startSpan().end();
    assertThat(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isFalse();
    provider.shutdown().join(10, TimeUnit.SECONDS);
  }

  @Test
  void plainTcpToTheLogstashInputIsHungUpOn() throws Exception {
    int port = APP.<FaultlineApplication>getApplication().logstashPort();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write("{\"message\":\"plain\",\"service\":\"tls-plain\"}\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      // the server fails the handshake: at most a TLS alert record (content type 21), then EOF
      InputStream in = socket.getInputStream();
      byte[] answer = in.readAllBytes();
      if (answer.length > 0) {
        assertThat(answer[0]).isEqualTo((byte) 21);
      }
    }
  }
}
