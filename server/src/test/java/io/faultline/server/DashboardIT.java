/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.faultline.web.testing.HeadlessChromium;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The dashboard in a headless Chromium against the whole {@link FaultlineApplication}, seeded
 * through the real OpenTelemetry SDK ({@link DashboardSeed}): every page shows what the real APIs
 * answer, span metrics included; the SLO page shows billing's SLO (declared in {@code
 * slos/dashboard-slos.yml}) from the generated rules and {@code /api/v1/alerts}; the chaos page
 * creates and dry-runs experiments through the real chaos agent, and watches a real run (a process
 * fault on a {@code sleep} the test owns) live, its fault window shaded on the charts; lists an
 * experiment's validation problems one per item, and keeps unsaved editor text across an ended
 * session. Charts span the chosen time range even for a service seen at one moment. Each page is
 * saved to {@code target/screenshots/server-*.png}. Skipped (not failed) when Debian's {@code
 * chromium} and {@code chromium-driver} are not installed.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class DashboardIT {
  private static final String TOKEN = "test-admin-token";
  private static final Path SCREENSHOTS = HeadlessChromium.SCREENSHOTS;
  private static final Duration PAGE_WAIT = HeadlessChromium.PAGE_WAIT;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String RANGE = "from=now-15m&to=now";
  @TempDir static Path dataDir;

  static final DropwizardAppExtension<FaultlineConfiguration> APP =
      new DropwizardAppExtension<>(
          FaultlineApplication.class,
          ResourceHelpers.resourceFilePath("test-config.yml"),
          ConfigOverride.config("dataDir", () -> dataDir.toString()),
          ConfigOverride.config("alerting.sloFiles", ResourceHelpers.resourceFilePath("slos/dashboard-slos.yml")),
          ConfigOverride.config("alerting.sloEvaluationInterval", "1s"));

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static WebDriver driver;
  private static DashboardSeed.Seeded seeded;

  @BeforeAll
  static void seedAndStartBrowser() throws Exception {
    FaultlineApplication app = APP.getApplication();
    seeded = DashboardSeed.seed(app.otlpHttpPort(), DashboardIT::api);
    driver = HeadlessChromium.startOrSkip();
  }

  @AfterAll
  static void stopBrowser() {
    if (driver != null) {
      driver.quit();
    }
  }

  @BeforeEach
  void signedIn() {
    driver.get(base() + "/#/signin");
    // every test starts without the unsaved editor drafts an earlier one left in this tab
    ((JavascriptExecutor) driver).executeScript("sessionStorage.clear();");
    waitFor(By.id("token")).sendKeys(TOKEN, Keys.ENTER);
    waitFor(By.id("who"));
  }

  @Test
  void signInIsRequired() throws Exception {
    driver.manage().deleteAllCookies();
    // a fresh page load: the signed-in user a running page holds is gone with its cookie
    driver.get("about:blank");
    open("#/metrics?" + RANGE);
    WebElement token = waitFor(By.id("token"));
    assertThat(driver.getCurrentUrl()).contains("#/signin");
    token.sendKeys("not-the-token", Keys.ENTER);
    assertThat(waitFor(By.cssSelector(".state.error")).getText()).contains("unknown token");
    screenshot("signin");
    token.clear();
    token.sendKeys(TOKEN, Keys.ENTER);
    await().atMost(PAGE_WAIT).until(() -> driver.getCurrentUrl().contains("#/metrics"));
    assertThat(waitFor(By.id("who")).getText()).isEqualTo("admin (admin)");
  }

  @Test
  void overviewShowsRedNumbersFromSpanMetrics() throws Exception {
    open("#/?" + RANGE);
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElements(By.cssSelector("#services tbody tr")))
            .extracting(r -> r.getAttribute("data-service"))
            .contains(DashboardSeed.SERVICES));
    for (String service : DashboardSeed.SERVICES) {
      List<String> cells = cells("#services tbody tr[data-service='" + service + "'] td");
      assertThat(cells.get(1)).as("rate of %s", service).matches("[0-9.]+[kM]?/s").isNotEqualTo("0/s");
      assertThat(cells.get(6)).as("p95 of %s", service).isNotEqualTo("—");
    }
    // billing failed in one trace of every round: its error ratio is above zero
    assertThat(cells("#services tbody tr[data-service='billing'] td").get(3)).isNotIn("0%", "—");
    assertThat(cells("#services tbody tr[data-service='shop-web'] td").get(3)).matches("0(\\.0+)?%");
    screenshot("overview");
  }

  @Test
  void serviceMapShowsWhoCallsWhom() throws Exception {
    open("#/map?" + RANGE);
    for (String edge : List.of("shop-web->orders", "orders->billing")) {
      waitFor(By.cssSelector("#service-map g.edgegroup[data-edge='" + edge + "']"));
    }
    screenshot("service-map");
  }

  @Test
  void serviceDetailChartsSpanMetricsAndListsOperations() throws Exception {
    open("#/service?name=orders&" + RANGE);
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElement(By.id("operations")).getText()).contains("create order"));
    waitFor(By.cssSelector("#chart-rate canvas"));
    waitFor(By.cssSelector("#chart-latency canvas"));
    screenshot("service-detail");
  }

  @Test
  void traceSearchOpensTheTraceAndItsLogs() throws Exception {
    open("#/traces?service=shop-web&" + RANGE);
    int found = api("/api/traces?service=shop-web&lookback=15m&limit=50").get("data").size();
    assertThat(found).isEqualTo(seeded.traces());
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElements(By.cssSelector("#trace-results tbody tr"))).hasSize(found));
    waitFor(By.cssSelector("#trace-scatter canvas"));
    screenshot("trace-search");

    String failed = seeded.failedTraceId();
    waitFor(By.cssSelector("#trace-results tr[data-trace='" + failed + "'] a")).click();
    await().atMost(PAGE_WAIT).until(() -> driver.getCurrentUrl().contains("#/trace/" + failed));
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElements(By.cssSelector("#waterfall .wf-row"))).hasSize(DashboardSeed.SPANS_PER_TRACE));
    assertThat(driver.findElement(By.id("waterfall")).getText()).contains("shop-web", "orders", "billing", "charge card");
    // the caller's client span and billing's server span failed; billing's carries the exception
    List<WebElement> failedRows = driver.findElements(By.cssSelector("#waterfall .wf-row.err"));
    assertThat(failedRows).hasSize(2);
    failedRows.stream().filter(r -> r.getText().contains("charge card")).findFirst().orElseThrow().click();
    assertThat(waitFor(By.cssSelector("#waterfall .span-detail")).getText())
        .contains("charge card", "exception.message", "card declined");
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElements(By.cssSelector("#trace-logs tr.log-row"))).hasSize(2));
    assertThat(driver.findElement(By.id("trace-logs")).getText())
        .contains(DashboardSeed.ERROR_LOG, DashboardSeed.INFO_LOG);
    screenshot("trace-view");
  }

  @Test
  void aLogLinesTraceLinkOpensItsTrace() throws Exception {
    open("#/logs?query=" + enc("service:billing AND severity:ERROR") + "&" + RANGE);
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElements(By.cssSelector("#log-results tr.log-row"))).hasSize(1));
    assertThat(driver.findElement(By.id("log-results")).getText()).contains(DashboardSeed.ERROR_LOG);
    screenshot("logs");
    waitFor(By.cssSelector("#log-results a.trace-link")).click();
    await().atMost(PAGE_WAIT).until(() -> driver.getCurrentUrl().contains("#/trace/" + seeded.failedTraceId()));
    waitFor(By.cssSelector("#waterfall .wf-row.err"));
  }

  @Test
  void aPromqlQueryDrawsAChart() throws Exception {
    String query = "sum by (service) (rate(traces_spanmetrics_calls_total[1m]))";
    open("#/metrics?q=" + enc(query) + "&" + RANGE);
    waitFor(By.cssSelector("#metrics-chart canvas"));
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElements(By.cssSelector("#metrics-chart .u-legend .u-series .u-label")))
            .extracting(WebElement::getText)
            .contains("#1 {service=\"shop-web\"}", "#1 {service=\"orders\"}", "#1 {service=\"billing\"}"));
    assertThat(driver.findElement(By.id("series-table")).getText()).contains("{service=\"billing\"}");
    screenshot("metrics");
  }

  @Test
  void aBadPromqlQueryShowsTheApisError() throws Exception {
    String bad = "sum(rate(traces_spanmetrics_calls_total[1m])";
    HttpResponse<String> direct = get("/api/v1/query?query=" + enc(bad));
    assertThat(direct.statusCode()).isEqualTo(400);
    String message = JSON.readTree(direct.body()).get("error").asText();
    assertThat(message).isNotBlank();
    open("#/metrics?" + RANGE);
    WebElement q = waitFor(By.id("q0"));
    q.sendKeys(bad);
    driver.findElement(By.id("run-queries")).click();
    assertThat(waitFor(By.cssSelector("#q0-error .state.error")).getText()).contains(message);
    screenshot("metrics-bad-query");
  }

  @Test
  void chaosExperimentIsCreatedInTheEditorAndDryRun() throws Exception {
    open("#/chaos?" + RANGE);
    WebElement editor = waitFor(By.id("experiment-yaml"));
    String template = editor.getAttribute("value");
    assertThat(template).contains("type: proxy-http");
    // the template, aimed at the services this server has seen
    String yaml = template.replace("payments", "billing").replace("checkout", "orders")
        // scheduled once a year, so that the list shows when it runs next (and it does not run here)
        + "\nschedule:\n  cron: \"0 0 3 1 1 *\"\n  timeZone: UTC\n";
    setValue(editor, yaml);
    driver.findElement(By.id("save-experiment")).click();
    await().atMost(PAGE_WAIT).until(() -> driver.getCurrentUrl().contains("experiment="));
    String id = driver.getCurrentUrl().replaceAll(".*experiment=([^&]+).*", "$1");
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElement(By.id("experiments")).getText()).contains("orders survives a slow billing service"));
    assertThat(driver.findElement(By.id("experiments")).getText()).contains("0 0 3 1 1 *", "next ");
    assertThat(api("/api/chaos/experiments/" + id).get("method").get(0).get("type").asText()).isEqualTo("proxy-http");

    waitFor(By.id("dry-run")).click();
    WebElement plan = waitFor(By.id("dry-run-plan"));
    assertThat(waitFor(By.id("plan-faults")).getText()).contains("slow-billing", "proxy-http", "billing", "2m", "http_delay");
    assertThat(plan.findElements(By.cssSelector("#plan-ok, #plan-refused"))).hasSize(1);
    assertThat(waitFor(By.id("plan-probes")).getText()).contains("orders p95 under 1s");
    screenshot("chaos-dry-run");

    // a fault the server cannot inject: its message names the field
    open("#/chaos?" + RANGE);
    WebElement fresh = waitFor(By.id("experiment-yaml"));
    setValue(fresh, yaml.replace("type: proxy-http", "type: teleport"));
    driver.findElement(By.id("save-experiment")).click();
    assertThat(waitFor(By.cssSelector("#chaos-result .state.error")).getText())
        .contains("method[0].type: unknown fault type 'teleport'");
    screenshot("chaos-invalid");
  }

  @Test
  void sloPageShowsErrorBudgetBurnRatesAndAlertStates() throws Exception {
    // the generated rules have run and the fast-burn page alert fires (billing fails 1 call in 3)
    await().atMost(PAGE_WAIT).until(() -> api("/api/slos").at("/slos/0/burnRates/1h").isNumber());
    await().atMost(PAGE_WAIT).until(() -> burnAlert("1h") != null);
    JsonNode slo = api("/api/slos").at("/slos/0");
    assertThat(slo.get("errorBudgetRemaining").asDouble()).as("overspent").isNegative();

    open("#/slos?" + RANGE);
    assertThat(waitFor(By.cssSelector("#nav a[aria-current='page']")).getText()).isEqualTo("SLOs");
    assertThat(waitFor(By.cssSelector("#slo-table tr[data-slo='availability']")).getText())
        .contains("availability", "billing", "99.5%", "4w", "overspent");
    assertThat(waitFor(By.id("slo-budget")).getText()).contains("overspent");
    assertThat(driver.findElement(By.id("slo-error-budget")).getText()).contains("0.5%");
    // one row per window the API reports
    List<String> windows = new ArrayList<>();
    slo.get("errorRatios").fieldNames().forEachRemaining(windows::add);
    assertThat(windows).contains("5m", "1h", "4w");
    assertThat(driver.findElements(By.cssSelector("#slo-windows tbody tr")))
        .extracting(r -> r.getAttribute("data-window"))
        .containsExactlyElementsOf(windows);
    // each burn-rate alert shows the state /api/v1/alerts reports for it
    for (String window : List.of("1h", "6h", "1d", "3d")) {
      JsonNode live = burnAlert(window);
      String expected = live == null ? "inactive" : live.get("state").asText();
      await().atMost(PAGE_WAIT).untilAsserted(() ->
          assertThat(driver.findElement(By.cssSelector("#slo-alerts tr[data-long='" + window + "']"))
              .getAttribute("data-state")).isEqualTo(expected));
    }
    assertThat(driver.findElement(By.cssSelector("#slo-alerts tr[data-long='1h']")).getText()).contains("page", "14.4×", "firing");
    // the burn-rate chart, one series per window from the recording rules, and the budget chart
    waitFor(By.cssSelector("#slo-burn-chart canvas"));
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElements(By.cssSelector("#slo-burn-chart .u-legend .u-series .u-label")))
            .extracting(WebElement::getText)
            .contains("5m", "1h", "4w", "1× budget"));
    waitFor(By.cssSelector("#slo-budget-chart canvas"));
    fullPageScreenshot("slos");

    open("#/slos?slo=nope&" + RANGE);
    assertThat(waitFor(By.cssSelector("#slo-detail .state.error")).getText()).contains("no SLO named \"nope\"");
  }

  @Test
  void theEditorKnowsAlertAndSloHaltConditionsAndShowsPlanWarnings() throws Exception {
    open("#/chaos?" + RANGE);
    WebElement editor = waitFor(By.id("experiment-yaml"));
    setValue(editor, editor.getAttribute("value").replace("payments", "billing").replace("checkout", "orders"));
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElement(By.id("known-slos")).getAttribute("textContent")).contains("availability (billing)"));
    assertThat(driver.findElement(By.id("known-alerts")).getAttribute("textContent")).contains("AlwaysFiring", "ErrorBudgetBurn");
    driver.findElement(By.id("add-halt-slo")).click();
    driver.findElement(By.id("add-halt-alert")).click();
    String yaml = editor.getAttribute("value");
    assertThat(yaml).contains("type: sloBurnRate\n    slo: availability\n    window: 5m\n    above: 14.4",
        "type: alert\n    alert: ErrorBudgetBurn\n    labels: {slo: availability, severity: page}");
    // an hour rather than five minutes: the seeded traffic is minutes old when this test runs
    setValue(editor, yaml.replace("window: 5m", "window: 1h"));
    driver.findElement(By.id("save-experiment")).click();
    await().atMost(PAGE_WAIT).until(() -> driver.getCurrentUrl().contains("experiment="));
    String id = driver.getCurrentUrl().replaceAll(".*experiment=([^&]+).*", "$1");
    JsonNode halts = api("/api/chaos/experiments/" + id).get("haltWhen");
    assertThat(halts.findValuesAsText("type")).containsExactly("promql", "sloBurnRate", "alert");

    waitFor(By.id("dry-run")).click();
    WebElement planHalts = waitFor(By.id("plan-halts"));
    // the server's verdict on each halt condition now: billing burns its budget far above 14.4x
    assertThat(planHalts.findElement(By.cssSelector("tr[data-halt='availability budget burning fast']")).getText())
        .contains("would halt");
    assertThat(planHalts.findElement(By.cssSelector("tr[data-halt='availability paging']")).getText())
        .contains("would halt");
    assertThat(driver.findElements(By.id("plan-warnings"))).isEmpty();
    ((JavascriptExecutor) driver).executeScript("arguments[0].scrollIntoView({block: 'center'});", planHalts);
    screenshot("chaos-halt-conditions");

    // an SLO this server does not declare: the plan says it can never halt the run
    WebElement again = waitFor(By.id("experiment-yaml"));
    setValue(again, again.getAttribute("value").replace("slo: availability", "slo: latency"));
    driver.findElement(By.id("dry-run")).click();
    assertThat(waitFor(By.id("plan-warnings")).getText())
        .contains("no SLO named latency is declared (declared: availability), so it never halts the run");
    screenshot("chaos-plan-warning");
  }

  @Test
  void aLiveRunUpdatesWithoutReloadingAndItsFaultWindowIsShaded() throws Exception {
    // the target the test controls: a process it started, paused by the run for a few seconds
    Process worker = new ProcessBuilder("sleep", "600").start();
    try {
      String yaml = """
          title: billing worker survives a pause
          description: the test's own process is paused (SIGSTOP) and resumed
          targets:
            - service: billing
          steadyState:
            - name: billing calls per second
              type: promql
              query: sum(rate(traces_spanmetrics_calls_total{service="billing"}[5m])) or vector(0)
              tolerance: {max: 1000}
          method:
            - name: pause-worker
              type: process
              target: billing
              duration: 8s
              parameters: {pid: %d, action: pause}
          haltWhen:
            - name: never fires
              type: alert
              alert: NoSuchAlertAnywhere
            - name: budget gone
              type: sloBurnRate
              slo: availability
              window: 5m
              above: 1000
          recoveryDeadline: 30s
          """.formatted(worker.pid());
      open("#/chaos?" + RANGE);
      setValue(waitFor(By.id("experiment-yaml")), yaml);
      JavascriptExecutor js = (JavascriptExecutor) driver;
      js.executeScript("window.__sameDocument = 'yes';");
      driver.findElement(By.id("run-now")).click();
      await().atMost(PAGE_WAIT).until(() -> driver.getCurrentUrl().contains("run="));
      String runId = driver.getCurrentUrl().replaceAll(".*run=([^&]+).*", "$1");

      // the fault is on: the view says so, and the process really is stopped
      await().atMost(PAGE_WAIT).until(() -> "faults".equals(attribute("#run-phase", "data-phase")));
      assertThat(attribute("#run-status", "data-status")).isEqualTo("running");
      assertThat(journalEvents()).contains("run.started", "hypothesis.before", "fault.injected");
      assertThat(processState(worker)).isEqualTo("T");
      assertThat(driver.findElement(By.id("run-faults")).getText()).contains("pause-worker", "process", "active");
      screenshot("chaos-live-run");
      assertFaultWindowShaded("#run-chart-0");

      // then it ends by itself: reverted, checked, finished, all seen without a reload
      await().atMost(Duration.ofSeconds(60)).until(() -> "completed".equals(attribute("#run-status", "data-status")));
      assertThat(api("/api/chaos/runs/" + runId).get("status").asText()).isEqualTo("completed");
      assertThat(journalEvents()).contains("fault.reverted", "faults.ended", "run.finished");
      assertThat(attribute("#run-phase", "data-phase")).isEqualTo("done");
      assertThat(js.executeScript("return window.__sameDocument;")).isEqualTo("yes");
      assertThat(processState(worker)).isNotEqualTo("T");
      await().atMost(PAGE_WAIT).untilAsserted(() ->
          assertThat(driver.findElement(By.cssSelector("#runs tr[data-run='" + runId + "']")).getText()).contains("completed"));
      assertFaultWindowShaded("#run-chart-0");
      fullPageScreenshot("chaos-run-done");

      // the service detail page over a range that covers the run shades the same window
      open("#/service?name=billing&" + RANGE);
      assertThat(waitFor(By.cssSelector("#fault-windows .fault-legend")).getText()).contains("pause-worker", "on billing");
      assertFaultWindowShaded("#chart-rate");
      screenshot("service-fault-window");
    } finally {
      worker.destroyForcibly();
    }
  }

  @Test
  void chartsSpanTheChosenRangeForAServiceSeenAtOneMoment() throws Exception {
    // three traces of a new service, all at the same instant: one moment of data
    String service = "lone-moment";
    long at = System.currentTimeMillis() * 1_000_000L;
    String resource = "{\"attributes\": [{\"key\": \"service.name\", \"value\": {\"stringValue\": \"" + service + "\"}}]}";
    StringBuilder spans = new StringBuilder();
    for (int i = 1; i <= 3; i++) {
      spans.append(i > 1 ? "," : "").append("{\"traceId\": \"5e").append("0".repeat(28)).append('0').append(i)
          .append("\", \"spanId\": \"00000000000000b").append(i).append("\", \"name\": \"GET /once\", \"kind\": 2,")
          .append("\"startTimeUnixNano\": \"").append(at).append("\", \"endTimeUnixNano\": \"").append(at + 40_000_000L).append("\"}");
    }
    postOtlp("/v1/traces", "{\"resourceSpans\": [{\"resource\": " + resource + ", \"scopeSpans\": [{\"spans\": [" + spans + "]}]}]}");
    // the pages are opened once their data is there: the traces searchable, and the span metrics'
    // rate (the service page's query, a 1m window) answering for the service
    await().atMost(PAGE_WAIT).until(() -> answer("/api/traces?service=" + service).path("data").size() == 3);
    String rate = "sum by (status_code) (rate(traces_spanmetrics_calls_total{span_kind=~\"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER\", "
        + "service=\"" + service + "\"}[1m]))";
    await().atMost(PAGE_WAIT).until(() -> {
      long now = System.currentTimeMillis() / 1000;
      return answer("/api/v1/query_range?query=" + enc(rate) + "&start=" + (now - 3600) + "&end=" + now + "&step=10")
          .at("/data/result").size() > 0;
    });
    String lastHour = "from=now-1h&to=now";

    // the service page's charts, the metrics explorer and the trace search's scatter plot
    // (three points at one time, which uPlot alone stretches to a day) all span the hour asked for
    assertChartSpansTheLastHour("#/service?name=" + service + "&" + lastHour, "#chart-rate");
    assertChartSpansTheLastHour("#/metrics?q=" + enc(rate) + "&" + lastHour, "#metrics-chart");
    assertChartSpansTheLastHour("#/traces?service=" + service + "&" + lastHour, "#trace-scatter");
    screenshot("one-moment-scatter");

    // the overview's sparkline places the minute-old series at the right end of its cell,
    // rather than in the middle (one point) or stretched over the whole hour
    open("#/?" + lastHour);
    String cell = "#services tbody tr[data-service='" + service + "'] td:nth-child(3) svg.spark";
    waitFor(By.cssSelector(cell + " path, " + cell + " circle"));
    @SuppressWarnings("unchecked")
    List<Number> extent = (List<Number>) ((JavascriptExecutor) driver).executeScript(
        "const svg = document.querySelector(arguments[0]);"
            + "const marks = [...svg.querySelectorAll('path, circle')].map(m => m.getBBox());"
            + "return [Math.min(...marks.map(b => b.x)), svg.viewBox.baseVal.width];", cell);
    assertThat(extent.get(0).doubleValue()).as("left edge of the sparkline's marks in a %s wide cell", extent.get(1))
        .isGreaterThan(0.9 * extent.get(1).doubleValue());
    screenshot("one-moment-overview");
  }

  /** Opens the page and checks that the chart in css has an x axis of the hour before now. */
  private static void assertChartSpansTheLastHour(String hash, String css) throws Exception {
    double before = System.currentTimeMillis() / 1000.0;
    open(hash);
    await(css + " drawn").atMost(PAGE_WAIT).until(() -> attribute(css, "data-x-range") != null);
    double after = System.currentTimeMillis() / 1000.0;
    JsonNode x = JSON.readTree(attribute(css, "data-x-range"));
    double min = x.get(0).asDouble();
    double max = x.get(1).asDouble();
    assertThat(max).as("end of the x axis of %s on %s", css, hash).isBetween(before - 1, after + 1);
    assertThat(max - min).as("seconds the x axis of %s spans on %s", css, hash).isCloseTo(3600.0, within(1.0));
  }

  @Test
  void experimentValidationProblemsAreListedOnePerItem() throws Exception {
    String yaml = """
        title: several problems at once
        targets:
          - service: billing
        steadyState:
          - name: calls
            type: graphite
        method:
          - name: slow
            type: teleport
            target: payments
            duration: soon
        colour: red
        """;
    // what the server says about it, as the page receives it
    HttpResponse<String> direct = post("/api/chaos/experiments", yaml, "application/yaml");
    assertThat(direct.statusCode()).isEqualTo(400);
    List<String> problems = new ArrayList<>();
    JSON.readTree(direct.body()).get("errors").forEach(e -> problems.add(e.asText()));
    assertThat(problems).hasSizeGreaterThanOrEqualTo(4)
        .contains("method[0].duration: must be a positive duration like 2m (got 'soon')");

    open("#/chaos?" + RANGE);
    setValue(waitFor(By.id("experiment-yaml")), yaml);
    driver.findElement(By.id("save-experiment")).click();
    WebElement box = waitFor(By.cssSelector("#chaos-result .state.error"));
    assertThat(box.getText()).contains("Validating the experiment failed (HTTP 400): " + problems.size() + " problems");
    List<WebElement> items = box.findElements(By.cssSelector("ul.problems > li"));
    assertThat(items).extracting(WebElement::getText).containsExactlyElementsOf(problems);
    // each keeps the field it is about, set apart from its message
    assertThat(items).extracting(li -> li.findElement(By.cssSelector("code.problem-at")).getText())
        .containsExactlyElementsOf(problems.stream().map(p -> p.substring(0, p.indexOf(": "))).toList());
    assertThat(items).extracting(li -> li.getAttribute("data-where")).contains("method[0].type", "steadyState[0].type", "colour");
    screenshot("chaos-problem-list");

    // one problem (a YAML syntax error, located by line) stays a sentence, not a list of one
    setValue(driver.findElement(By.id("experiment-yaml")), "title: [unclosed\n");
    driver.findElement(By.id("save-experiment")).click();
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElement(By.cssSelector("#chaos-result .state.error")).getText())
            .contains("Validating the experiment failed (HTTP 400): body: not valid YAML at line"));
    assertThat(driver.findElements(By.cssSelector("#chaos-result ul.problems"))).isEmpty();
    assertThat(driver.findElement(By.cssSelector("#chaos-result code.problem-at")).getText()).isEqualTo("body");
  }

  @Test
  void anUnsavedExperimentSurvivesAnEndedSession() throws Exception {
    open("#/chaos?" + RANGE);
    WebElement editor = waitFor(By.id("experiment-yaml"));
    String template = editor.getAttribute("value");
    String draft = template.replace("checkout survives a slow payments service", "drafted before the session ended")
        .replace("payments", "billing").replace("checkout", "orders");
    setValue(editor, draft);
    // as if signed out in another tab; saving then meets a 401 and the sign-in page
    ((JavascriptExecutor) driver).executeAsyncScript(
        "const done = arguments[0]; fetch('/api/session', {method: 'DELETE'}).then(() => done(), () => done());");
    driver.findElement(By.id("save-experiment")).click();
    WebElement notice = waitFor(By.id("signin-notice"));
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(notice.getText()).contains("Your session has ended", "Unsaved editor changes are kept"));
    waitFor(By.id("token")).sendKeys(TOKEN, Keys.ENTER);
    await().atMost(PAGE_WAIT).until(() -> driver.getCurrentUrl().contains("#/chaos"));
    // back in the editor: the draft, and a note that says so
    assertThat(waitFor(By.id("draft-restored")).getText()).contains("Restored your unsaved changes", "Discard draft");
    assertThat(driver.findElement(By.id("experiment-yaml")).getAttribute("value")).isEqualTo(draft);
    screenshot("chaos-draft-restored");

    // saved, it is gone: the next new experiment starts from the template again
    driver.findElement(By.id("save-experiment")).click();
    await().atMost(PAGE_WAIT).until(() -> driver.getCurrentUrl().contains("experiment="));
    String id = driver.getCurrentUrl().replaceAll(".*experiment=([^&]+).*", "$1");
    assertThat(api("/api/chaos/experiments/" + id).get("title").asText()).isEqualTo("drafted before the session ended");
    assertThat(waitFor(By.id("experiment-yaml")).getAttribute("value")).contains("drafted before the session ended");
    assertThat(driver.findElements(By.id("draft-restored"))).isEmpty();
    open("#/chaos?" + RANGE);
    await().atMost(PAGE_WAIT).until(() -> template.equals(editorText()));
    assertThat(driver.findElements(By.id("draft-restored"))).isEmpty();

    // a draft the user does not want: a reload brings it back, Discard drops it for good
    setValue(driver.findElement(By.id("experiment-yaml")), template + "# scratch\n");
    driver.navigate().refresh();
    waitFor(By.id("discard-draft")).click();
    assertThat(driver.findElement(By.id("experiment-yaml")).getAttribute("value")).isEqualTo(template);
    assertThat(driver.findElements(By.id("draft-restored"))).isEmpty();
    driver.navigate().refresh();
    assertThat(waitFor(By.id("experiment-yaml")).getAttribute("value")).isEqualTo(template);
    assertThat(driver.findElements(By.id("draft-restored"))).isEmpty();

    // an explicit sign-out drops every draft: the next user of this tab gets none
    setValue(driver.findElement(By.id("experiment-yaml")), template + "# left behind\n");
    await().atMost(PAGE_WAIT).until(() -> Boolean.TRUE.equals(((JavascriptExecutor) driver).executeScript(
        "return Object.keys(sessionStorage).some(k => k.startsWith('faultline:draft:'))")));
    driver.findElement(By.id("sign-out")).click();
    waitFor(By.id("token")).sendKeys(TOKEN, Keys.ENTER);
    await().atMost(PAGE_WAIT).until(() -> !driver.getCurrentUrl().contains("#/signin"));
    open("#/chaos?" + RANGE);
    await().atMost(PAGE_WAIT).until(() -> template.equals(editorText()));
    assertThat(driver.findElements(By.id("draft-restored"))).isEmpty();
  }

  // --- errors and odd values, as a user meets them

  @Test
  void badTraceFiltersAreShownByTheFilters() throws Exception {
    // a duration the client cannot read: named and marked by the filters, not below the chart
    open("#/traces?service=shop-web&minDuration=abc&" + RANGE);
    assertThat(waitFor(By.cssSelector("#trace-search .state.error")).getText()).contains("'minDuration'", "\"abc\" is not a duration");
    assertThat(driver.findElement(By.id("f-min")).getAttribute("aria-invalid")).isEqualTo("true");
    // an unbalanced quote in the tags used to be read as part of the value
    open("#/traces?service=shop-web&tags=" + enc("error=\"true") + "&" + RANGE);
    assertThat(waitFor(By.cssSelector("#trace-search .state.error")).getText()).contains("cannot read the tags filter");
    // what only the server refuses (min above max) is shown by the filters too
    open("#/traces?service=shop-web&minDuration=5s&maxDuration=1s&" + RANGE);
    assertThat(waitFor(By.cssSelector("#trace-search .state.error")).getText()).contains("HTTP 400", "maxDuration");
    assertThat(driver.findElements(By.cssSelector("#trace-results .state.error"))).isEmpty();
    screenshot("traces-bad-filters");
  }

  @Test
  void aSessionEndedElsewhereIsExplainedOnTheSignInPage() throws Exception {
    open("#/logs?" + RANGE);
    waitFor(By.cssSelector("#log-results h2"));
    // as if signed out in another tab: the cookie this page holds is no longer a session
    ((JavascriptExecutor) driver).executeAsyncScript(
        "const done = arguments[0]; fetch('/api/session', {method: 'DELETE'}).then(() => done(), () => done());");
    driver.findElement(By.id("search-logs")).click();
    assertThat(waitFor(By.id("signin-notice")).getText()).contains("Your session has ended", "Sign in again");
    screenshot("session-ended");
    waitFor(By.id("token")).sendKeys(TOKEN, Keys.ENTER);
    await().atMost(PAGE_WAIT).until(() -> driver.getCurrentUrl().contains("#/logs"));
    waitFor(By.cssSelector("#log-results h2"));
  }

  @Test
  void anUnreachableServerIsNotBlamedOnTheQuery() throws Exception {
    ChromeDriver chrome = (ChromeDriver) driver;
    chrome.executeCdpCommand("Network.enable", Map.of());
    chrome.executeCdpCommand("Network.setCacheDisabled", Map.of("cacheDisabled", true));
    try {
      chrome.executeCdpCommand("Network.setBlockedURLs", Map.of("urls", List.of("*/api/logs*", "*/js/pages/map.js")));
      open("#/logs?query=" + enc("severity:ERROR") + "&" + RANGE);
      assertThat(waitFor(By.cssSelector("#log-error .state.error")).getText()).contains("Searching logs failed", "cannot reach the Faultline server");
      assertThat(driver.findElement(By.id("log-results")).getText()).doesNotContain("Fix the query");
      assertThat(driver.findElement(By.id("log-query")).getAttribute("aria-invalid")).isNull();
      screenshot("logs-server-down");
      // a page whose code cannot be fetched says the server is unreachable, not a module URL
      ((JavascriptExecutor) driver).executeScript("location.hash = '#/map?" + RANGE + "';");
      assertThat(waitFor(By.cssSelector("#main .state.error")).getText()).contains("cannot load this page from the Faultline server");
    } finally {
      chrome.executeCdpCommand("Network.setBlockedURLs", Map.of("urls", List.of()));
      chrome.executeCdpCommand("Network.setCacheDisabled", Map.of("cacheDisabled", false));
    }
  }

  @Test
  void anUnknownServiceIsSaidToBeUnknown() throws Exception {
    open("#/service/no-such-service?" + RANGE);
    assertThat(waitFor(By.cssSelector("#service-known .state")).getText())
        .contains("No service named \"no-such-service\" has sent spans", "shop-web");
    // a known one shows no such note
    open("#/service/orders?" + RANGE);
    waitFor(By.cssSelector("#operations table"));
    assertThat(driver.findElement(By.id("service-known")).getText()).isEmpty();
  }

  @Test
  void longNamesAndMarkupWrapAsTextWithoutWideningThePage() throws Exception {
    String service = "<b>x</b>&\"'";
    String longName = "op-" + "L".repeat(1997);
    String longLine = "Z".repeat(5000);
    String traceId = "7f" + "0".repeat(28) + "01";
    long now = System.currentTimeMillis() * 1_000_000L;
    String resource = "{\"attributes\": [{\"key\": \"service.name\", \"value\": {\"stringValue\": " + JSON.writeValueAsString(service) + "}}]}";
    postOtlp("/v1/traces", "{\"resourceSpans\": [{\"resource\": " + resource + ", \"scopeSpans\": [{\"spans\": [{"
        + "\"traceId\": \"" + traceId + "\", \"spanId\": \"00000000000000a1\", \"name\": \"" + longName + "\", \"kind\": 2,"
        + "\"startTimeUnixNano\": \"" + now + "\", \"endTimeUnixNano\": \"" + (now + 250_000_000L) + "\"}]}]}]}");
    postOtlp("/v1/logs", "{\"resourceLogs\": [{\"resource\": " + resource + ", \"scopeLogs\": [{\"logRecords\": [{"
        + "\"timeUnixNano\": \"" + now + "\", \"severityText\": \"INFO\", \"body\": {\"stringValue\": \"" + longLine + "\"},"
        + "\"traceId\": \"" + traceId + "\", \"spanId\": \"00000000000000a1\"}]}]}]}");
    await().atMost(PAGE_WAIT).until(() -> get("/api/traces/" + traceId).statusCode() == 200);
    // the trace page asks for the trace's logs once, when it is drawn: the line must be searchable
    await().atMost(PAGE_WAIT).until(() ->
        api("/api/logs?query=" + enc("trace_id:" + traceId)).path("total").asLong() == 1);

    open("#/trace/" + traceId);
    waitFor(By.cssSelector("#waterfall .wf-row")).click();
    waitFor(By.cssSelector("#waterfall .span-detail"));
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElements(By.cssSelector("#trace-logs tr.log-row"))).hasSize(1));
    // the service name is text, not markup
    assertThat(driver.findElement(By.cssSelector("#main h1")).getText()).startsWith(service + ": op-LLL");
    assertNoHorizontalScroll("trace page");
    screenshot("long-names-trace");

    open("#/traces?service=" + enc(service) + "&" + RANGE);
    waitFor(By.cssSelector("#trace-results tr[data-trace='" + traceId + "']"));
    await().atMost(PAGE_WAIT).until(() -> driver.findElements(By.cssSelector("#f-operation option")).size() > 1);
    assertNoHorizontalScroll("trace search");
    // the operations table is a rate of the span metrics, drawn once per page load: it needs a
    // second emission of the new series, so the page is loaded again until it has one
    await().atMost(PAGE_WAIT).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      open("#/"); // a new hash, so that the service page renders again
      open("#/service?name=" + enc(service) + "&" + RANGE);
      assertThat(waitFor(By.cssSelector("#operations table, #operations .state.empty")).getText())
          .isNotEmpty();
      assertThat(driver.findElement(By.id("operations")).getText()).contains("op-LLL");
    });
    assertNoHorizontalScroll("service page");
    screenshot("long-names-service");
  }

  private static void assertNoHorizontalScroll(String where) {
    Object widths = ((JavascriptExecutor) driver).executeScript(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];");
    @SuppressWarnings("unchecked")
    List<Long> w = (List<Long>) widths;
    assertThat(w.get(0)).as("page width of the " + where + " (window " + w.get(1) + ")").isLessThanOrEqualTo(w.get(1));
  }

  private static void postOtlp(String path, String json) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ((FaultlineApplication) APP.getApplication()).otlpHttpPort() + path))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path + " -> " + r.body()).isEqualTo(200);
  }

  // --- helpers

  /** The ErrorBudgetBurn alert of billing's SLO with that long window in /api/v1/alerts, or null. */
  private static JsonNode burnAlert(String longWindow) throws IOException, InterruptedException {
    for (JsonNode a : api("/api/v1/alerts").at("/data/alerts")) {
      JsonNode l = a.get("labels");
      if (l.path("alertname").asText().equals("ErrorBudgetBurn") && l.path("slo").asText().equals("availability")
          && l.path("long").asText().equals(longWindow)) {
        return a;
      }
    }
    return null;
  }

  private static String attribute(String css, String name) {
    List<WebElement> found = driver.findElements(By.cssSelector(css));
    return found.isEmpty() ? null : found.get(0).getAttribute(name);
  }

  /** What the experiment editor holds now, or null while the page has none (read in one step). */
  private static String editorText() {
    return (String) ((JavascriptExecutor) driver).executeScript(
        "const e = document.getElementById('experiment-yaml'); return e ? e.value : null;");
  }

  private static List<String> journalEvents() {
    return driver.findElements(By.cssSelector("#run-journal tr.journal-row")).stream()
        .map(r -> r.getAttribute("data-event")).toList();
  }

  /** The process' state letter from /proc (T: stopped), or "?" where there is no /proc. */
  private static String processState(Process p) throws IOException {
    Path stat = Path.of("/proc", Long.toString(p.pid()), "stat");
    if (!Files.exists(stat)) {
      return "?";
    }
    String s = Files.readString(stat);
    return s.substring(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  }

  /**
   * The chart in css shades a fault window: the canvas itself is translucent orange down the middle
   * of the window the chart reports drawing, and not beside it.
   */
  private static void assertFaultWindowShaded(String css) {
    await("fault window on " + css).atMost(PAGE_WAIT).until(() -> {
      String bands = attribute(css, "data-bands");
      return bands != null && JSON.readTree(bands).size() > 0;
    });
    @SuppressWarnings("unchecked")
    List<Long> counts = (List<Long>) ((JavascriptExecutor) driver).executeScript(
        "const el = document.querySelector(arguments[0]); const c = el.querySelector('canvas');"
            + "const g = c.getContext('2d'); const [x, y, w, hgt] = JSON.parse(el.dataset.bands)[0];"
            + "const orange = (px, py) => { const d = g.getImageData(px, py, 1, 1).data;"
            + "  return d[3] > 10 && d[0] - d[2] > 100 && d[0] > d[1] ? 1 : 0; };"
            + "const mid = x + Math.floor(w / 2); const beside = x - 12 > 0 ? x - 12 : x + w + 12;"
            + "let inside = 0, outside = 0;"
            + "for (let i = 1; i <= 9; i++) { const py = y + Math.round(hgt * i / 10);"
            + "  inside += orange(mid, py); outside += orange(beside, py); }"
            + "return [inside, outside];", css);
    assertThat(counts.get(0)).as("shaded samples inside the window of " + css).isGreaterThanOrEqualTo(6);
    assertThat(counts.get(1)).as("shaded samples beside the window of " + css).isLessThanOrEqualTo(2);
  }

  /** Types into a textarea the way a paste would, without the browser's auto-indent of typing. */
  private static void setValue(WebElement textarea, String value) {
    textarea.clear();
    ((JavascriptExecutor) driver).executeScript("arguments[0].value = arguments[1];", textarea, value);
    textarea.sendKeys(" ", Keys.BACK_SPACE);
  }

  private static List<String> cells(String css) {
    return driver.findElements(By.cssSelector(css)).stream().map(WebElement::getText).toList();
  }

  private static String base() {
    return "http://127.0.0.1:" + APP.getLocalPort();
  }

  private static void open(String hash) {
    driver.get(base() + "/" + hash);
  }

  private static WebElement waitFor(By by) {
    return HeadlessChromium.waitFor(driver, by, "server-");
  }

  private static void screenshot(String name) throws IOException {
    HeadlessChromium.screenshot(driver, "server-" + name);
  }

  private static void fullPageScreenshot(String name) throws IOException {
    HeadlessChromium.fullPageScreenshot(driver, "server-" + name);
  }

  private static HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(base() + pathAndQuery)).header("Authorization", "Bearer " + TOKEN).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(String path, String body, String contentType) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(base() + path)).header("Authorization", "Bearer " + TOKEN)
            .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The JSON of a 200 answer, else a missing node: for waiting until something is there. */
  private static JsonNode answer(String pathAndQuery) throws IOException, InterruptedException {
    HttpResponse<String> r = get(pathAndQuery);
    return r.statusCode() == 200 ? JSON.readTree(r.body()) : JSON.missingNode();
  }

  static JsonNode api(String pathAndQuery) throws IOException, InterruptedException {
    HttpResponse<String> r = get(pathAndQuery);
    assertThat(r.statusCode()).as(pathAndQuery + " -> " + r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
