/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.junit5.ResourceExtension;
import io.faultline.log.LuceneLogStore;
import io.faultline.store.LogTestData;
import io.faultline.store.TestData;
import io.faultline.web.logs.LogsResourceTestSupport;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import jakarta.ws.rs.client.Invocation;
import jakarta.ws.rs.client.WebTarget;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link LokiResource} over a real Lucene log store holding {@code LogTestData.canned()} (plus
 * what a test class adds), served in memory by Dropwizard's {@link ResourceExtension}. Register it
 * as a static {@code @RegisterExtension} field: the store is seeded on a temporary folder once per
 * class, and closed and deleted after the class; no {@code DropwizardExtensionsSupport} needed.
 * The static helpers read Loki's answers and build its requests.
 */
final class LokiFixture implements BeforeAllCallback, AfterAllCallback {
  static final String QUERY_RANGE = "/loki/api/v1/query_range";
  static final String QUERY = "/loki/api/v1/query";
  /** {@code TestData.NOW} and an hour before it, in unix nanoseconds. */
  static final String NOW_NS = ns(TestData.NOW);
  static final String HOUR_AGO_NS = ns(TestData.NOW.minusSeconds(3600));

  private Supplier<List<ExportLogsServiceRequest>> moreLogs = List::of;
  private String version;
  private final List<Supplier<Object>> moreResources = new ArrayList<>();
  private Path dir;
  private LuceneLogStore store;
  private ResourceExtension resources;

  /** Stores {@code logs} after {@code LogTestData.canned()}; asked once, before the first test. */
  LokiFixture withLogs(Supplier<List<ExportLogsServiceRequest>> logs) {
    this.moreLogs = logs;
    return this;
  }

  /** The Faultline version the Loki resource reports (otherwise its own default). */
  LokiFixture withVersion(String faultlineVersion) {
    this.version = faultlineVersion;
    return this;
  }

  /** Serves {@code resource} too, next to the Loki resource. */
  LokiFixture withResource(Supplier<Object> resource) {
    moreResources.add(resource);
    return this;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    dir = Files.createTempDirectory("loki-fixture");
    store = LogsResourceTestSupport.seeded(dir, moreLogs.get());
    LokiResource loki =
        version == null
            ? new LokiResource(store.queries(), TestData.CLOCK)
            : new LokiResource(store.queries(), TestData.CLOCK, version);
    ResourceExtension.Builder builder = ResourceExtension.builder().addResource(loki);
    moreResources.forEach(r -> builder.addResource(r.get()));
    resources = builder.build();
    lifecycle(resources::before);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try {
      if (resources != null) {
        lifecycle(resources::after);
      }
    } finally {
      try {
        if (store != null) {
          store.close();
        }
      } finally {
        deleteRecursively(dir);
      }
    }
  }

  private interface Step {
    void run() throws Throwable;
  }

  // Dropwizard's before() and after() declare Throwable; JUnit's callbacks take Exception.
  private static void lifecycle(Step step) throws Exception {
    try {
      step.run();
    } catch (Exception | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  private static void deleteRecursively(Path root) throws IOException {
    if (root == null) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  WebTarget target(String path) {
    return resources.target(path);
  }

  /** {@code path} with a LogQL {@code query} parameter. */
  WebTarget target(String path, String query) {
    return target(path).queryParam("query", encoded(query));
  }

  WebTarget queryRange(String query) {
    return target(QUERY_RANGE, query);
  }

  WebTarget query(String query) {
    return target(QUERY, query);
  }

  /** A range query over the last hour before {@code TestData.NOW}, at most {@code limit} lines. */
  WebTarget lastHour(String query, String limit) {
    return queryRange(query).queryParam("start", HOUR_AGO_NS).queryParam("end", NOW_NS).queryParam("limit", limit);
  }

  // Jersey reads { } in query parameters as URI templates, so the query goes pre-encoded.
  static String encoded(String query) {
    return URLEncoder.encode(query, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String ns(Instant t) {
    return String.valueOf(LogTestData.nanos(t));
  }

  static JsonNode ok(WebTarget t) {
    return LogsResourceTestSupport.get(t, 200);
  }

  static JsonNode ok(Invocation.Builder request) {
    return LogsResourceTestSupport.get(request, 200);
  }

  /** The text of an answer that must be a 400. */
  static String bad(WebTarget t) {
    return text(t.request().get(), 400);
  }

  /** The text of an answer that must be a 400 in plain text, as Loki's errors are. */
  static String error(WebTarget t) {
    Response r = t.request().get();
    String text = text(r, 400);
    assertThat(r.getMediaType().toString()).startsWith("text/plain");
    return text;
  }

  private static String text(Response r, int status) {
    String text = r.readEntity(String.class);
    assertThat(r.getStatus()).as(text).isEqualTo(status);
    return text;
  }

  /** The lines of all streams of a log query's answer, in order. */
  static List<String> lines(JsonNode body) {
    List<String> out = new ArrayList<>();
    for (JsonNode stream : body.at("/data/result")) {
      stream.get("values").forEach(v -> out.add(v.get(1).asText()));
    }
    return out;
  }

  /** {@link #lines}, checking Loki's stream shape first. */
  static List<String> checkedLines(JsonNode body) {
    assertThat(body.get("status").asText()).isEqualTo("success");
    assertThat(body.get("data").get("resultType").asText()).isEqualTo("streams");
    for (JsonNode stream : body.get("data").get("result")) {
      assertThat(stream.get("stream").isObject()).isTrue();
      stream.get("stream").fields().forEachRemaining(f -> assertThat(f.getValue().isTextual()).isTrue());
      for (JsonNode v : stream.get("values")) {
        assertThat(v.size()).isEqualTo(2);
        assertThat(v.get(0).isTextual()).isTrue();
        assertThat(v.get(0).asText()).matches("\\d{19}");
        assertThat(v.get(1).isTextual()).isTrue();
      }
    }
    return lines(body);
  }
}
