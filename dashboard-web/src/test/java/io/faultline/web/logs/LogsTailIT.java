/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dropwizard.testing.junit5.DropwizardClientExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.log.LuceneLogStore;
import io.faultline.store.LogTestData;
import io.faultline.store.TestData;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Live tail over real HTTP: Server-Sent Events from a Jetty-served resource. */
@ExtendWith(DropwizardExtensionsSupport.class)
class LogsTailIT {
  private static final Path DIR = tempDir();
  private static final LuceneLogStore STORE = open(DIR);

  static final DropwizardClientExtension app =
      new DropwizardClientExtension(new LogsResource(STORE.queries(), TestData.CLOCK));

  private static Path tempDir() {
    try {
      return Files.createTempDirectory("faultline-tail");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static LuceneLogStore open(Path dir) {
    try {
      return LuceneLogStore.builder(dir).clock(TestData.CLOCK).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @AfterAll
  static void close() throws IOException {
    STORE.close();
    try (Stream<Path> files = Files.walk(DIR)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Test
  void newMatchingRecordsArriveOnTheOpenStream() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    HttpClient http = HttpClient.newHttpClient();
    URI uri = URI.create(app.baseUri() + "/api/logs/tail?query=severity:error");
    CompletableFuture<HttpResponse<Stream<String>>> response =
        http.sendAsync(
            HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").build(),
            HttpResponse.BodyHandlers.ofLines());
    HttpResponse<Stream<String>> r = response.get();
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
    Thread reader = new Thread(() -> r.body().forEach(lines::add), "sse-reader");
    reader.setDaemon(true);
    reader.start();

    ExportLogsServiceRequest batch =
        LogTestData.request(
            LogTestData.resourceLogs(
                LogTestData.payments(),
                LogTestData.record(Duration.ofSeconds(1), SeverityNumber.SEVERITY_NUMBER_ERROR, "ERROR", "tail me"),
                LogTestData.record(Duration.ofSeconds(1), SeverityNumber.SEVERITY_NUMBER_INFO, "INFO", "not me")));
    long position = STORE.indexer().checkpoint();
    STORE.indexer().apply(position, position + 100, TelemetryBatch.of(Signal.LOGS, batch));

    // by design a record reaches the tail within the 1 s refresh; the deadline is wider so that a
    // loaded CI machine does not fail the test (speed is the benches' business, not a timed test)
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .untilAsserted(() -> assertThat(lines).anyMatch(l -> l.startsWith("data:") && l.contains("tail me")));
    assertThat(lines).contains("event: log");
    assertThat(lines).anyMatch(l -> l.startsWith("id:"));
    assertThat(lines).noneMatch(l -> l.contains("not me"));

    Response400 bad = new Response400(http, URI.create(app.baseUri() + "/api/logs/tail?query=service:payments%20AND"));
    assertThat(bad.status).isEqualTo(400);
    assertThat(bad.body).contains("position");
  }

  private static final class Response400 {
    final int status;
    final String body;

    Response400(HttpClient http, URI uri) throws Exception {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      status = r.statusCode();
      body = r.body();
    }
  }
}
