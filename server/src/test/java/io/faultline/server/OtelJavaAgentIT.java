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
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real OpenTelemetry Java agent instruments {@link AgentDemoApp}, a separate JVM with no
 * OpenTelemetry code, and exports to a running Faultline over OTLP HTTP/protobuf and gRPC. What the
 * agent produced (HTTP server and client spans, the JVM's own metrics, java.util.logging records
 * with their trace context) is read back through the Jaeger, Prometheus and logs APIs.
 *
 * <p>The agent jar is copied to {@code target/otel-agent} by the build in pre-integration-test.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class OtelJavaAgentIT {
  private static final String TOKEN = "test-admin-token";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int REQUESTS = 3;
  private static final Duration DEADLINE = Duration.ofSeconds(20);
  @TempDir static Path dataDir;

  static final DropwizardAppExtension<FaultlineConfiguration> APP =
      new DropwizardAppExtension<>(
          FaultlineApplication.class,
          ResourceHelpers.resourceFilePath("test-config.yml"),
          ConfigOverride.config("dataDir", () -> dataDir.toString()));

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void agentOverHttpProtobufIsReadBackThroughEveryApi() throws Exception {
    FaultlineApplication app = APP.getApplication();
    String endpoint = "http://127.0.0.1:" + app.otlpHttpPort();
    verifyAgentRun("agent-demo", "http/protobuf", endpoint, "otel-agent-app.log");
  }

  @Test
  void agentOverGrpcIsReadBackThroughEveryApi() throws Exception {
    FaultlineApplication app = APP.getApplication();
    String endpoint = "http://127.0.0.1:" + app.otlpGrpcPort();
    verifyAgentRun("agent-demo-grpc", "grpc", endpoint, "otel-agent-app-grpc.log");
  }

  private void verifyAgentRun(String service, String protocol, String endpoint, String logName)
      throws Exception {
    List<Traceparent> sent = runDemoUnderAgent(service, protocol, endpoint, logName);
    assertThat(sent).as("traceparent lines in target/%s", logName).hasSize(REQUESTS);

    // an exported batch becomes searchable at the next index refresh, not at the acknowledgement
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () ->
                assertThat(JSON.readTree(get("/api/services").body()).get("data").toString())
                    .contains("\"" + service + "\""));
    for (Traceparent tp : sent) {
      assertTraceShape(service, tp);
      assertLogCarriesTraceContext(service, tp);
    }
    JsonNode search =
        JSON.readTree(get("/api/traces?service=" + service + "&lookback=1h&limit=20").body())
            .get("data");
    Set<String> found = new HashSet<>();
    search.forEach(t -> found.add(t.get("traceID").asText()));
    Set<String> expected = new HashSet<>();
    sent.forEach(tp -> expected.add(tp.traceId()));
    assertThat(found).isEqualTo(expected);

    // span metrics derived at ingest: per request two client and two server spans
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () ->
                assertThat(
                        byLabel(
                            "sum by (span_kind) (traces_spanmetrics_calls_total{service=\""
                                + service
                                + "\"})",
                            "span_kind"))
                    .containsExactlyInAnyOrderEntriesOf(
                        Map.of(
                            "SPAN_KIND_CLIENT", 2.0 * REQUESTS,
                            "SPAN_KIND_SERVER", 2.0 * REQUESTS)));

    // the agent's own metrics over OTLP: JVM runtime and HTTP semantic-convention histograms
    // (the agent flushes them as it exits; they are searchable within the refresh interval)
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () -> {
              JsonNode memory = promql("jvm_memory_used_bytes{job=\"" + service + "\"}");
              assertThat(memory).as("jvm_memory_used_bytes for job %s", service).isNotEmpty();
              double total = 0;
              for (JsonNode series : memory) {
                assertThat(series.get("metric").get("jvm_memory_pool_name")).isNotNull();
                // a pool may be empty at the moment it is read (G1's survivor space right after
                // a collection), so only the sum over the pools must be positive
                double used = Double.parseDouble(series.get("value").get(1).asText());
                assertThat(used).as("%s", series).isNotNegative();
                total += used;
              }
              assertThat(total).as("memory used over all pools: %s", memory).isPositive();
            });
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () -> {
              assertThat(scalar("sum(http_server_request_duration_seconds_count{job=\"" + service + "\"})"))
                  .isEqualTo(2.0 * REQUESTS);
              assertThat(scalar("sum(http_client_request_duration_seconds_count{job=\"" + service + "\"})"))
                  .isEqualTo(2.0 * REQUESTS);
            });
  }

  /**
   * client (main) → server /checkout → client → server /charge, linked by CHILD_OF references, the
   * /charge server span's parent being the span id the agent propagated in {@code traceparent}.
   */
  private void assertTraceShape(String service, Traceparent tp) throws Exception {
    JsonNode trace =
        await()
            .atMost(DEADLINE)
            .until(() -> jaegerTrace(tp.traceId()), t -> t != null && t.get("spans").size() == 4);
    Map<String, JsonNode> byId = new HashMap<>();
    trace.get("spans").forEach(s -> byId.put(s.get("spanID").asText(), s));
    trace
        .get("spans")
        .forEach(
            s ->
                assertThat(
                        trace
                            .get("processes")
                            .get(s.get("processID").asText())
                            .get("serviceName")
                            .asText())
                    .isEqualTo(service));

    JsonNode chargeClient = byId.get(tp.parentSpanId());
    assertThat(chargeClient).as("span %s named by the propagated traceparent", tp.parentSpanId()).isNotNull();
    JsonNode chargeServer =
        byId.values().stream()
            .filter(s -> tp.parentSpanId().equals(parentOf(s)))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no child of " + tp.parentSpanId() + " in " + trace));
    JsonNode checkoutServer = byId.get(parentOf(chargeClient));
    assertThat(checkoutServer).as("parent of the /charge client span").isNotNull();
    JsonNode checkoutClient = byId.get(parentOf(checkoutServer));
    assertThat(checkoutClient).as("parent of the /checkout server span").isNotNull();
    assertThat(parentOf(checkoutClient)).as("the root has no parent").isNull();

    String order = "order=" + tp.order();
    assertClientSpan(checkoutClient, "/checkout?" + order);
    assertServerSpan(checkoutServer, "/checkout", order);
    assertClientSpan(chargeClient, "/charge?" + order);
    assertServerSpan(chargeServer, "/charge", order);
  }

  private static void assertClientSpan(JsonNode span, String pathAndQuery) {
    Map<String, JsonNode> tags = tags(span);
    assertThat(tags.get("span.kind").get("value").asText()).isEqualTo("client");
    assertThat(tags.get("http.request.method").get("value").asText()).isEqualTo("GET");
    assertThat(tags.get("url.full").get("value").asText())
        .startsWith("http://127.0.0.1:")
        .endsWith(pathAndQuery);
    assertThat(tags.get("server.address").get("value").asText()).isEqualTo("127.0.0.1");
    assertThat(tags.get("http.response.status_code").get("type").asText()).isEqualTo("int64");
    assertThat(tags.get("http.response.status_code").get("value").asLong()).isEqualTo(200);
  }

  private static void assertServerSpan(JsonNode span, String path, String query) {
    Map<String, JsonNode> tags = tags(span);
    assertThat(tags.get("span.kind").get("value").asText()).isEqualTo("server");
    assertThat(tags.get("http.request.method").get("value").asText()).isEqualTo("GET");
    assertThat(tags.get("url.path").get("value").asText()).isEqualTo(path);
    assertThat(tags.get("url.query").get("value").asText()).isEqualTo(query);
    assertThat(tags.get("http.response.status_code").get("value").asLong()).isEqualTo(200);
  }

  private void assertLogCarriesTraceContext(String service, Traceparent tp) throws Exception {
    JsonNode page =
        await()
            .atMost(DEADLINE)
            .until(
                () -> JSON.readTree(get("/api/logs?query=trace_id:" + tp.traceId()).body()),
                r -> r.get("total").asInt() >= 1);
    assertThat(page.get("total").asInt()).isEqualTo(1);
    JsonNode log = page.get("logs").get(0);
    assertThat(log.get("service").asText()).isEqualTo(service);
    assertThat(log.get("body").asText()).isEqualTo("charging card for order=" + tp.order());
    assertThat(log.get("severityText").asText()).isEqualTo("INFO");
    assertThat(log.get("traceId").asText()).isEqualTo(tp.traceId());
    JsonNode trace = jaegerTrace(tp.traceId());
    JsonNode span = null;
    for (JsonNode s : trace.get("spans")) {
      if (s.get("spanID").asText().equals(log.get("spanId").asText())) {
        span = s;
      }
    }
    assertThat(span).as("span %s of the log record", log.get("spanId")).isNotNull();
    assertThat(parentOf(span)).as("logged inside the /charge server span").isEqualTo(tp.parentSpanId());
  }

  private List<Traceparent> runDemoUnderAgent(
      String service, String protocol, String endpoint, String logName) throws Exception {
    Path agent = Path.of("target", "otel-agent", "opentelemetry-javaagent.jar").toAbsolutePath();
    if (!Files.exists(agent)) {
      throw new IllegalStateException(
          agent + " is missing: run 'mvn verify' so pre-integration-test copies the agent");
    }
    Path classes = Path.of(AgentDemoApp.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path log = Path.of("target", logName).toAbsolutePath();
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-javaagent:" + agent,
            "-Xmx128m",
            // the agent's startup is mostly class transformation: C1 alone is quicker on 2 cores
            "-XX:TieredStopAtLevel=1",
            "-cp",
            classes.toString(),
            AgentDemoApp.class.getName(),
            Integer.toString(REQUESTS));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("OTEL_"));
    env.put("OTEL_SERVICE_NAME", service);
    env.put("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint);
    env.put("OTEL_EXPORTER_OTLP_PROTOCOL", protocol);
    env.put("OTEL_METRIC_EXPORT_INTERVAL", "1000");
    env.put("OTEL_BSP_SCHEDULE_DELAY", "200");
    env.put("OTEL_TRACES_EXPORTER", "otlp");
    env.put("OTEL_METRICS_EXPORTER", "otlp");
    env.put("OTEL_LOGS_EXPORTER", "otlp");
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    Process process = pb.start();
    try {
      // the agent flushes every signal in its shutdown hook, so an exited demo has exported all
      assertThat(process.waitFor(30, TimeUnit.SECONDS))
          .as("the instrumented demo exits within 30 s, see %s", log)
          .isTrue();
      assertThat(process.exitValue()).as("exit code of the demo, see %s", log).isZero();
    } finally {
      if (process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
    List<Traceparent> sent = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      if (line.startsWith("traceparent ")) {
        sent.add(Traceparent.parse(line));
      }
    }
    return sent;
  }

  /** A W3C traceparent header as the /charge handler received it, with the order it served. */
  private record Traceparent(int order, String traceId, String parentSpanId) {
    static Traceparent parse(String line) {
      String[] words = line.split(" ");
      String[] parts = words[2].split("-");
      if (parts.length != 4 || parts[1].length() != 32 || parts[2].length() != 16) {
        throw new AssertionError("not a W3C traceparent: " + line);
      }
      return new Traceparent(Integer.parseInt(words[1]), parts[1], parts[2]);
    }
  }

  private static String parentOf(JsonNode span) {
    for (JsonNode r : span.get("references")) {
      if (r.get("refType").asText().equals("CHILD_OF")) {
        return r.get("spanID").asText();
      }
    }
    return null;
  }

  private static Map<String, JsonNode> tags(JsonNode span) {
    Map<String, JsonNode> tags = new HashMap<>();
    span.get("tags").forEach(t -> tags.put(t.get("key").asText(), t));
    return tags;
  }

  private JsonNode jaegerTrace(String traceId) throws Exception {
    HttpResponse<String> r = get("/api/traces/" + traceId);
    if (r.statusCode() == 404) {
      return null;
    }
    assertThat(r.statusCode()).isEqualTo(200);
    return JSON.readTree(r.body()).get("data").get(0);
  }

  private JsonNode promql(String query) throws Exception {
    HttpResponse<String> r =
        get("/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
    assertThat(r.statusCode()).as("%s: %s", query, r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).get("data").get("result");
  }

  private double scalar(String query) throws Exception {
    JsonNode result = promql(query);
    assertThat(result).as(query).hasSize(1);
    return Double.parseDouble(result.get(0).get("value").get(1).asText());
  }

  private Map<String, Double> byLabel(String query, String label) throws Exception {
    Map<String, Double> out = new HashMap<>();
    for (JsonNode s : promql(query)) {
      out.put(s.get("metric").get(label).asText(), Double.parseDouble(s.get("value").get(1).asText()));
    }
    return out;
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + APP.getLocalPort() + path))
            .header("Authorization", "Bearer " + TOKEN)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
