/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chaos run against the demo's shop, end to end: the demo (as a user starts it) puts the fault
 * proxy between gateway and inventory and registers its scheduled experiment; the test does not
 * wait for the schedule but creates a short variant through the API and runs it at once, then
 * checks that what the run reports (verdict, effect, blast radius) matches what the telemetry and
 * the shop itself show: requests were slower during the fault, the proxy's spans carry the run id,
 * the fault gauge was 1, the report and its charts are served, and afterwards nothing is slow.
 */
class ChaosDemoIT {
  static final String TOKEN = "chaos-demo-it-admin-token";
  static final Duration START = Duration.ofSeconds(170);
  static final Duration FAULT = Duration.ofSeconds(25);
  static final Set<String> OUTCOMES = Set.of("completed", "deviated", "aborted", "failed");
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir static Path dir;
  static Process demo;
  static Path out;
  static int httpPort;
  static int base;

  @BeforeAll
  static void startDemo() throws Exception {
    Path built = Path.of("target", "faultline.jar").toAbsolutePath();
    assertThat(built).as("the server jar (mvn verify packages it first)").exists();
    // a copy: a build running meanwhile in this tree must not swap the jar under the running demo
    Path jar = Files.copy(built, dir.resolve("faultline.jar"));
    Path services = Path.of("..", "sample-services").toAbsolutePath().normalize();
    long seed = System.nanoTime();
    DemoIT.RANDOM.setSeed(seed);
    System.out.println("ChaosDemoIT seed " + seed);
    httpPort = DemoIT.freePort();
    base = DemoIT.freeRange(DemoPlan.PORTS);
    out = dir.resolve("demo.out");
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m", "-jar", jar.toString(), "demo",
        "--data-dir", dir.resolve("data").toString(),
        "--http-port", Integer.toString(httpPort),
        "--admin-port", Integer.toString(DemoIT.freePort()),
        "--otlp-grpc-port", Integer.toString(DemoIT.freePort()),
        "--otlp-http-port", Integer.toString(DemoIT.freePort()),
        "--logstash-port", Integer.toString(DemoIT.freePort()),
        "--service-port-base", Integer.toString(base),
        "--services-dir", services.toString(),
        "--traffic-rate", "4",
        "--start-timeout", Long.toString(START.toSeconds() - 10)));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().put("FAULTLINE_ADMIN_TOKEN", TOKEN);
    long t0 = System.nanoTime();
    demo = pb.start();
    await().atMost(START).pollInterval(Duration.ofMillis(500)).until(() -> {
      if (!demo.isAlive()) {
        throw new AssertionError("demo exited with " + demo.exitValue() + ":\n" + Files.readString(out));
      }
      return Files.readString(out).contains("Ctrl-C stops everything");
    });
    System.out.printf("ChaosDemoIT: demo up in %.1f s%n%s%n", (System.nanoTime() - t0) / 1e9, Files.readString(out));
  }

  @AfterAll
  static void stopDemo() throws InterruptedException {
    if (demo != null && demo.isAlive()) {
      demo.destroy();
      if (!demo.waitFor(30, TimeUnit.SECONDS)) {
        demo.descendants().forEach(ProcessHandle::destroyForcibly);
        demo.destroyForcibly();
        demo.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aRunAgainstTheShopReportsTheLatencyTheTelemetryShowsAndLeavesNoFaultBehind() throws Exception {
    // the demo registered its scheduled experiment and says how to watch it
    Matcher registered = Pattern.compile("Chaos: experiment (\\S+) ").matcher(Files.readString(out));
    assertThat(registered.find()).as("banner names the scheduled experiment:\n" + Files.readString(out)).isTrue();
    JsonNode scheduled = api("/api/chaos/experiments/" + registered.group(1));
    assertThat(scheduled.toString()).contains("gateway-inventory", "http_delay");
    Matcher cron = Pattern.compile("^(\\d+) (\\d+)/15 \\* \\* \\* \\*$").matcher(scheduled.at("/schedule/cron").asText());
    assertThat(cron.matches()).as("cron " + scheduled.at("/schedule/cron")).isTrue();
    Instant created = Instant.parse(scheduled.path("createdAt").asText());
    Instant firstRun = created.truncatedTo(ChronoUnit.SECONDS);
    while (!(firstRun.isAfter(created) && firstRun.atZone(ZoneOffset.UTC).getSecond() == Integer.parseInt(cron.group(1))
        && firstRun.atZone(ZoneOffset.UTC).getMinute() % 15 == Integer.parseInt(cron.group(2)))) {
      firstRun = firstRun.plusSeconds(1);
    }
    assertThat(Duration.between(created, firstRun)).as("a first-time user sees the first run within a few minutes")
        .isBetween(Duration.ofMinutes(1), Duration.ofMinutes(3));

    // the steady state the experiment checks first: the services are past their warm-up
    String gatewayP95 = "histogram_quantile(0.95, sum by (le) (rate(traces_spanmetrics_latency_bucket"
        + "{service=\"gateway\",span_kind=\"SPAN_KIND_SERVER\"}[1m])))";
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).until(() ->
        value(api("/api/v1/query?query=" + enc(gatewayP95))) < 1.2);

    // the steady-state check and the effect check need span metrics from before the fault window
    String gatewayCalls = "sum(rate(traces_spanmetrics_calls_total{service=\"gateway\",span_kind=\"SPAN_KIND_SERVER\"}[10s]))";
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).until(() ->
        value(api("/api/v1/query?time=" + (Instant.now().getEpochSecond() - FAULT.toSeconds()) + "&query=" + enc(gatewayCalls))) > 0);

    double before = medianProductsSeconds(7);
    String experiment = JSON.readTree(send("POST", "/api/chaos/experiments",
        DemoChaos.slowInventory("http://127.0.0.1:" + (base + DemoPlan.SERVICES.size() + DemoPlan.PROXIES.size()), FAULT, null)
            .toString(), 201)).get("id").asText();
    String runId = JSON.readTree(send("POST", "/api/chaos/experiments/" + experiment + "/runs", "", 202)).get("runId").asText();
    long t0 = System.nanoTime();

    // the shop itself is slower while the fault is on
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() ->
        api("/api/chaos/runs/" + runId).path("faults").size() > 0 || isFinal(runId));
    double during = medianProductsSeconds(5);
    JsonNode proxies = JSON.readTree(control("/proxies"));
    System.out.printf("ChaosDemoIT: GET /api/products median %.3f s before, %.3f s during; proxies %s%n", before, during, proxies);
    assertThat(during).as("the proxy delays gateway->inventory by %d ms", DemoChaos.DELAY_MS)
        .isGreaterThan(before + DemoChaos.DELAY_MS / 1000.0 * 0.8);

    JsonNode run = await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
        .until(() -> api("/api/chaos/runs/" + runId), r -> isFinalStatus(r.path("status").asText()));
    System.out.printf("ChaosDemoIT: run %s ended %s after %.1f s%n  verdict: %s%n  reason: %s%n  effects: %s%n  blastRadius: %s%n"
            + "  hypothesis: %s%n", runId, run.path("status").asText(), (System.nanoTime() - t0) / 1e9, run.path("verdict").asText(),
        run.path("reason").asText(), run.path("effects"), run.path("blastRadius"), run.path("hypothesis"));

    // a defined outcome, and a sentence saying why
    assertThat(run.path("status").asText()).isIn(OUTCOMES);
    assertThat(run.path("verdict").asText()).isNotBlank();
    if (!run.path("status").asText().equals("completed")) {
      assertThat(run.path("reason").asText()).as("a run that did not complete says why").isNotBlank();
    }
    JsonNode fault = run.path("faults").get(0);
    assertThat(fault.path("revertedAt").isTextual()).as("fault reverted: " + fault).isTrue();
    assertThat(fault.path("revertError").isNull()).isTrue();

    // the effect check saw the delay the way the telemetry shows it
    JsonNode effect = run.path("effects").get(0);
    assertThat(effect.path("observed").asBoolean()).as(effect.toString()).isTrue();
    Matcher latency = Pattern.compile("p95 latency (?:to )?inventory ([0-9.]+)s -> ([0-9.]+)s").matcher(effect.path("evidence").asText());
    assertThat(latency.find()).as("the latency to inventory rose, as span metrics show: " + effect).isTrue();
    assertThat(Double.parseDouble(latency.group(2))).isGreaterThan(Double.parseDouble(latency.group(1)));
    JsonNode gatewayGets = null;
    for (JsonNode row : run.path("blastRadius")) {
      if (row.path("service").asText().equals("gateway") && row.path("operation").asText().equals("GET /api/**")) {
        gatewayGets = row;
      }
    }
    assertThat(gatewayGets).as("the blast radius lists the gateway's GETs (products go to inventory): " + run.path("blastRadius"))
        .isNotNull();
    assertThat(gatewayGets.path("p95During").asDouble())
        .isGreaterThan(gatewayGets.path("p95Before").asDouble(0))
        .isGreaterThan(DemoChaos.DELAY_MS / 1000.0 * 0.8);

    // trace search finds the requests the fault hit, by the run id on the proxy's spans
    String tags = enc("{\"chaos.run\":\"" + runId + "\"}");
    JsonNode traces = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(() ->
        api("/api/traces?service=faultline-chaos-proxy&lookback=15m&limit=20&tags=" + tags), t -> t.path("data").size() > 0);
    System.out.printf("ChaosDemoIT: %d traces with chaos.run=%s%n", traces.path("data").size(), runId);
    assertThat(traces.path("data").get(0).toString()).contains(runId, "gateway");

    // the fault gauge was 1 while the fault was on, and is 0 now
    String gauge = "faultline_chaos_fault_active{run=\"" + runId + "\"}";
    assertThat(value(api("/api/v1/query?query=" + enc("max_over_time(" + gauge + "[10m])")))).isEqualTo(1.0);
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
        assertThat(value(api("/api/v1/query?query=" + enc(gauge)))).isEqualTo(0.0));

    // the report is served, with its charts embedded as PNG data URIs and also served on their own
    HttpResponse<String> report = get("/api/chaos/runs/" + runId + "/report");
    assertThat(report.statusCode()).isEqualTo(200);
    assertThat(report.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    Matcher img = Pattern.compile("<img src=\"data:image/png;base64,([^\"]+)\"").matcher(report.body());
    List<byte[]> charts = new ArrayList<>();
    while (img.find()) {
      charts.add(java.util.Base64.getDecoder().decode(img.group(1)));
    }
    assertThat(charts).as("charts in the report").isNotEmpty();
    for (byte[] chart : charts) {
      assertThat(Arrays.copyOf(chart, 4)).isEqualTo(new byte[] {(byte) 0x89, 'P', 'N', 'G'});
    }
    HttpResponse<byte[]> png = HTTP.send(HttpRequest.newBuilder(URI.create(
            "http://127.0.0.1:" + httpPort + "/api/chaos/runs/" + runId + "/report/probe-0.png"))
        .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(png.statusCode()).isEqualTo(200);
    assertThat(png.headers().firstValue("Content-Type").orElse("")).isEqualTo("image/png");
    assertThat(png.body()).isEqualTo(charts.get(0));

    // nothing is left behind: no toxic on the proxy, and the shop is fast again
    assertThat(JSON.readTree(control("/proxies")).toString()).doesNotContain("http_delay");
    double after = medianProductsSeconds(7);
    System.out.printf("ChaosDemoIT: GET /api/products median %.3f s after the run; %d charts%n", after, charts.size());
    assertThat(after).isLessThan(DemoChaos.DELAY_MS / 1000.0);
  }

  private static boolean isFinal(String runId) throws Exception {
    return isFinalStatus(api("/api/chaos/runs/" + runId).path("status").asText());
  }

  private static boolean isFinalStatus(String status) {
    return OUTCOMES.contains(status) || status.equals("skipped");
  }

  /** Median seconds of {@code GET /api/products} through the gateway (and so through the proxy). */
  private static double medianProductsSeconds(int n) throws Exception {
    double[] s = new double[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + base + "/api/products"))
          .header("X-Api-Key", DemoPlan.API_KEY).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      s[i] = (System.nanoTime() - t0) / 1e9;
      assertThat(r.statusCode()).as(r.body()).isIn(200, 429);
    }
    Arrays.sort(s);
    return s[n / 2];
  }

  private static double value(JsonNode promResponse) {
    JsonNode result = promResponse.path("data").path("result");
    return result.isEmpty() ? Double.NaN : Double.parseDouble(result.get(0).path("value").get(1).asText());
  }

  private static String control(String path) throws IOException, InterruptedException {
    int controlPort = base + DemoPlan.SERVICES.size() + DemoPlan.PROXIES.size();
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controlPort + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  private static String send(String method, String path, String body, int expected) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(expected);
    return r.body();
  }

  private static JsonNode api(String pathAndQuery) throws Exception {
    HttpResponse<String> r = get(pathAndQuery);
    assertThat(r.statusCode()).as(pathAndQuery + ": " + r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private static HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + pathAndQuery))
        .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
