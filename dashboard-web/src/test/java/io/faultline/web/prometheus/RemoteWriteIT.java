/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dropwizard.testing.junit5.DropwizardClientExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.faultline.collector.prometheus.RemoteWriteLimits;
import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.MetricMetadata;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

/**
 * Remote write over a real Jetty: from a real Prometheus server (Debian's {@code prometheus}
 * package; the test is skipped with a message when the binary is not on the PATH), and the cases
 * that need a socket (a 17 MiB Content-Length refused before any body byte, a chunked upload, the
 * encoding check).
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class RemoteWriteIT {
  private static final CollectingSink SINK = new CollectingSink();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  static final DropwizardClientExtension server =
      new DropwizardClientExtension(new RemoteWriteResource(SINK, RemoteWriteLimits.defaults()));

  @TempDir Path dir;

  @BeforeEach
  void reset() {
    SINK.reset();
  }

  @Test
  void aRealPrometheusRemoteWritesItsOwnMetrics() throws Exception {
    Path binary = findOnPath("prometheus");
    Assumptions.assumeTrue(
        binary != null,
        "skipped: no 'prometheus' binary on the PATH (Debian: apt-get install prometheus)");
    int promPort;
    try (ServerSocket s = new ServerSocket(0)) {
      promPort = s.getLocalPort();
    }
    String writeUrl = url("/api/v1/write").toString().replace("localhost", "127.0.0.1");
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "global:",
            "  scrape_interval: 1s",
            "  evaluation_interval: 1s",
            "scrape_configs:",
            "  - job_name: prometheus",
            "    static_configs:",
            "      - targets: ['127.0.0.1:" + promPort + "']",
            "remote_write:",
            "  - url: " + writeUrl,
            "    queue_config:",
            "      batch_send_deadline: 1s",
            "      min_backoff: 100ms",
            "      max_backoff: 1s",
            "    metadata_config:",
            "      send_interval: 1s",
            ""));
    Path log = dir.resolve("prometheus.log");
    Process prometheus =
        new ProcessBuilder(
                binary.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("tsdb"),
                "--web.listen-address=127.0.0.1:" + promPort)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      String instance = "127.0.0.1:" + promPort;
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(200))
          .failFast("prometheus exited; see " + log, () -> !prometheus.isAlive())
          .untilAsserted(
              () -> {
                Map<String, TimeSeries> latest = latest();
                TimeSeries up = latest.get("up{instance=" + instance + ",job=prometheus}");
                assertThat(up).as("up of Prometheus' self-scrape, among %s", latest.keySet().size()).isNotNull();
                assertThat(up.getSamples(up.getSamplesCount() - 1).getValue()).isEqualTo(1);
                assertThat(latest.keySet()).anyMatch(k -> k.startsWith("prometheus_build_info{"));
                assertThat(metadata())
                    .anySatisfy(
                        m -> {
                          assertThat(m.getType()).isEqualTo(MetricMetadata.MetricType.COUNTER);
                          assertThat(m.getHelp()).isNotEmpty();
                        });
              });
      // every request Prometheus sent passed validation as sent: labels sorted and named
      for (WriteRequest w : SINK.writes()) {
        for (TimeSeries ts : w.getTimeseriesList()) {
          assertThat(ts.getLabelsList()).extracting(Label::getName).isSorted().contains("__name__");
        }
      }
    } finally {
      prometheus.destroy();
      if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
        prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aBodyDeclaredOver16MiBIs413BeforeAnyOfItIsSent() throws Exception {
    URI uri = url("/api/v1/write");
    try (Socket socket = new Socket("127.0.0.1", uri.getPort())) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST " + uri.getPath() + " HTTP/1.1\r\nHost: localhost\r\n"
                  + "Content-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\n"
                  + "Content-Length: " + (17 << 20) + "\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      String status = statusLine(socket.getInputStream());
      assertThat(status).contains(" 413 ");
    }
    assertThat(SINK.batches).isEmpty();
  }

  @Test
  void aChunkedUploadIsAccepted() throws Exception {
    WriteRequest w =
        WriteRequest.newBuilder()
            .addTimeseries(RemoteWriteResourceTest.series("chunked", 1, "job", "x"))
            .build();
    byte[] body = Snappy.compress(w.toByteArray());
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(url("/api/v1/write"))
                .header("Content-Type", "application/x-protobuf")
                .header("Content-Encoding", "snappy")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(204);
    assertThat(SINK.writes()).containsExactly(w);
  }

  @Test
  void anotherEncodingIs415() throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(url("/api/v1/write"))
                .header("Content-Type", "application/x-protobuf")
                .header("Content-Encoding", "zstd")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1, 2, 3}))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(415);
    assertThat(r.body()).contains("snappy");
  }

  private static URI url(String path) {
    return URI.create(server.baseUri().toString().replaceAll("/$", "") + path);
  }

  /** Latest sample of every series Prometheus sent, by name{labels}. */
  private static Map<String, TimeSeries> latest() {
    Map<String, TimeSeries> out = new TreeMap<>();
    for (WriteRequest w : SINK.writes()) {
      for (TimeSeries ts : w.getTimeseriesList()) {
        if (ts.getSamplesCount() == 0) {
          continue;
        }
        StringBuilder sb = new StringBuilder();
        String sep = "";
        String name = "";
        for (Label l : ts.getLabelsList()) {
          if (l.getName().equals("__name__")) {
            name = l.getValue();
          } else {
            sb.append(sep).append(l.getName()).append('=').append(l.getValue());
            sep = ",";
          }
        }
        out.put(name + "{" + sb + "}", ts);
      }
    }
    return out;
  }

  private static List<MetricMetadata> metadata() {
    return SINK.writes().stream().flatMap(w -> w.getMetadataList().stream()).toList();
  }

  private static String statusLine(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c; (c = in.read()) != -1 && c != '\n'; ) {
      b.write(c);
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  private static Path findOnPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String d : path.split(File.pathSeparator)) {
      Path p = Path.of(d, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }
}
