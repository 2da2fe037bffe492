/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.core.Configuration;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.faultline.core.otlp.OtlpIds;
import io.faultline.store.TestData;
import io.faultline.web.testing.HeadlessChromium;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * The dashboard in a real headless Chromium against {@link DashboardTestApp}: real trace and log
 * stores behind the real APIs, token sign-in, and the assets served by {@link DashboardBundle}.
 * Every test saves a screenshot under {@code target/screenshots/}. Skipped (not failed) when
 * Debian's {@code chromium} and {@code chromium-driver} are not installed; CI installs them.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class DashboardBrowserIT {
  private static final Path SCREENSHOTS = HeadlessChromium.SCREENSHOTS;
  private static final Duration PAGE_WAIT = HeadlessChromium.PAGE_WAIT;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CHECKOUT = OtlpIds.toHex(TestData.CHECKOUT_TRACE_ID);

  /** The test data lives in the hour before TestData.NOW; URLs carry that absolute range. */
  private static final String RANGE =
      "from=" + TestData.NOW.minus(Duration.ofMinutes(70)).toEpochMilli()
          + "&to=" + TestData.NOW.plus(Duration.ofMinutes(5)).toEpochMilli();

  static final DropwizardAppExtension<Configuration> APP =
      new DropwizardAppExtension<>(
          DashboardTestApp.class, ResourceHelpers.resourceFilePath("dashboard-test.yml"));

  private static WebDriver driver;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void startBrowser() throws IOException {
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
    signIn(driver);
  }

  @Test
  void signInIsRequired() throws Exception {
    driver.manage().deleteAllCookies();
    open("#/traces?" + RANGE);
    WebElement token = waitFor(By.id("token"));
    assertThat(driver.getCurrentUrl()).contains("#/signin");
    assertThat(driver.findElements(By.id("nav")).get(0).isDisplayed()).isFalse();

    token.sendKeys("not-a-token", Keys.ENTER);
    assertThat(waitFor(By.cssSelector(".state.error")).getText()).contains("unknown token");
    screenshot("signin-error");

    token.clear();
    token.sendKeys(DashboardTestApp.ADMIN_TOKEN, Keys.ENTER);
    await().atMost(PAGE_WAIT).until(() -> driver.getCurrentUrl().contains("#/traces"));
    assertThat(waitFor(By.id("who")).getText()).isEqualTo("admin (admin)");

    waitFor(By.id("sign-out")).click();
    waitFor(By.id("token"));
    open("#/logs?" + RANGE);
    waitFor(By.id("token"));
    assertThat(driver.getCurrentUrl()).contains("#/signin");
  }

  @Test
  void overviewListsEveryServiceThatSentTraces() throws Exception {
    open("#/?" + RANGE);
    List<String> expected = strings(api("/api/services").get("data"));
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElements(By.cssSelector("#services tbody tr")))
            .extracting(r -> r.getAttribute("data-service"))
            .containsExactlyInAnyOrderElementsOf(expected));
    assertThat(expected).contains("frontend", "checkout", "payments");
    // no metrics API in this app: the page says so instead of showing a blank table
    assertThat(driver.findElement(By.cssSelector(".state.unavailable")).getText())
        .contains("metrics API");
    screenshot("overview");
  }

  @Test
  void traceSearchOpensTheTraceAndItsLogs() throws Exception {
    open("#/traces?service=frontend&limit=100&" + RANGE);
    int found = api("/api/traces?service=frontend&limit=100&" + microRange()).get("data").size();
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElements(By.cssSelector("#trace-results tbody tr"))).hasSize(found));
    waitFor(By.cssSelector("#trace-scatter canvas"));
    screenshot("trace-search");

    waitFor(By.cssSelector("#trace-results tr[data-trace='" + CHECKOUT + "'] a")).click();
    await().atMost(PAGE_WAIT).until(() -> driver.getCurrentUrl().contains("#/trace/" + CHECKOUT));
    JsonNode trace = api("/api/traces/" + CHECKOUT).at("/data/0");
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElements(By.cssSelector("#waterfall .wf-row")))
            .hasSize(trace.get("spans").size()));
    assertThat(driver.findElements(By.cssSelector("#waterfall .wf-row[data-critical='true']")))
        .isNotEmpty();
    assertThat(driver.findElements(By.cssSelector("#waterfall .wf-crit"))).isNotEmpty();

    // the payments span failed: its row is marked and its details show the exception event
    WebElement failing = waitFor(By.cssSelector("#waterfall .wf-row.err"));
    failing.click();
    WebElement detail = waitFor(By.cssSelector("#waterfall .span-detail"));
    assertThat(detail.getText()).contains("Attributes").contains("exception");

    // the trace's logs, from the logs API
    JsonNode logs =
        api("/api/logs?query=" + enc("trace_id:" + CHECKOUT) + "&" + msRange() + "&limit=500");
    assertThat(logs.get("total").asLong()).isPositive();
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElements(By.cssSelector("#trace-logs tr.log-row")))
            .hasSize(logs.get("logs").size()));
    assertThat(driver.findElement(By.id("trace-logs")).getText())
        .contains(logs.at("/logs/0/body").asText());
    fullPageScreenshot("trace-view");

    // collapsing the root hides every other span
    driver.findElement(By.cssSelector("#waterfall .wf-toggle[aria-expanded='true']")).click();
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElements(By.cssSelector("#waterfall .wf-row")).stream()
                .filter(WebElement::isDisplayed))
            .hasSize(1));
  }

  @Test
  void aChartOfOneTraceSpansTheChosenRange() throws Exception {
    // one trace is one point: uPlot alone would make its x axis a day around it
    open("#/traces?service=frontend&limit=1&" + RANGE);
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElements(By.cssSelector("#trace-results tbody tr"))).hasSize(1));
    await().atMost(PAGE_WAIT).until(() ->
        !driver.findElements(By.cssSelector("#trace-scatter[data-x-range]")).isEmpty());
    JsonNode x = JSON.readTree(driver.findElement(By.id("trace-scatter")).getAttribute("data-x-range"));
    assertThat(x.get(0).asDouble()).isEqualTo(TestData.NOW.minus(Duration.ofMinutes(70)).toEpochMilli() / 1000.0);
    assertThat(x.get(1).asDouble()).isEqualTo(TestData.NOW.plus(Duration.ofMinutes(5)).toEpochMilli() / 1000.0);
    screenshot("trace-search-one-trace");
  }

  @Test
  void logExplorerShowsHistogramFacetsAndTraceLinks() throws Exception {
    open("#/logs?query=" + enc("severity:ERROR") + "&" + RANGE);
    JsonNode errors = api("/api/logs?query=" + enc("severity:ERROR") + "&" + msRange() + "&limit=200");
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElements(By.cssSelector("#log-results tr.log-row")))
            .hasSize(errors.get("logs").size()));
    assertThat(driver.findElements(By.cssSelector("#log-histogram svg rect"))).isNotEmpty();
    assertThat(driver.findElements(By.cssSelector("#log-facets button"))).isNotEmpty();
    screenshot("logs");

    WebElement link = waitFor(By.cssSelector("#log-results a.trace-link"));
    String href = link.getAttribute("href");
    link.click();
    await().atMost(PAGE_WAIT).until(() -> driver.getCurrentUrl().contains("#/trace/"));
    String traceId = href.replaceAll(".*#/trace/([0-9a-f]+).*", "$1");
    waitFor(By.cssSelector("#waterfall .wf-row"));
    assertThat(driver.findElement(By.tagName("main")).getText()).contains(traceId);
  }

  @Test
  void aBadLogQueryShowsTheServersMessage() throws Exception {
    String bad = "service:(checkout";
    HttpResponse<String> direct = get("/api/logs", Map.of("query", bad));
    assertThat(direct.statusCode()).isEqualTo(400);
    String message = JSON.readTree(direct.body()).path("error").asText();
    assertThat(message).as(direct.uri() + " -> " + direct.body()).isNotBlank();

    open("#/logs?" + RANGE);
    WebElement input = waitFor(By.id("log-query"));
    input.sendKeys(bad, Keys.ENTER);
    WebElement error = waitFor(By.cssSelector("#log-error .state.error"));
    assertThat(error.getText()).contains(message);
    // submitting re-renders the page from its URL: the query box is a new element
    assertThat(driver.findElement(By.id("log-query")).getAttribute("aria-invalid")).isEqualTo("true");
    assertThat(driver.getCurrentUrl()).contains("query=");
    screenshot("logs-bad-query");
  }

  @Test
  void aBadTraceSearchShowsTheServersMessageByTheFilters() throws Exception {
    // durations the page reads itself; an order of them only the server checks
    open("#/traces?service=frontend&minDuration=2s&maxDuration=1s&" + RANGE);
    HttpResponse<String> direct =
        get("/api/traces", Map.of("service", "frontend", "minDuration", "2s", "maxDuration", "1s"));
    assertThat(direct.statusCode()).isEqualTo(400);
    String message = JSON.readTree(direct.body()).at("/errors/0/msg").asText();
    assertThat(message).as(direct.uri() + " -> " + direct.body()).contains("maxDuration");
    assertThat(waitFor(By.cssSelector("#trace-search .state.error")).getText()).contains(message);
    assertThat(driver.findElement(By.cssSelector("#trace-results")).getText())
        .contains("Fix the filters above");
  }

  @Test
  void findingTracesWithoutAServiceAsksForOne() {
    open("#/traces?" + RANGE);
    waitFor(By.id("find-traces")).click();
    assertThat(waitFor(By.cssSelector("#trace-search .state.error")).getText()).contains("Choose a service");
  }

  @Test
  void serviceMapShowsWhoCallsWhom() throws Exception {
    open("#/map?" + RANGE);
    JsonNode deps = api("/api/dependencies?endTs=" + TestData.NOW.plus(Duration.ofMinutes(5)).toEpochMilli()
        + "&lookback=" + Duration.ofMinutes(75).toMillis()).get("data");
    assertThat(deps.size()).isPositive();
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElements(By.cssSelector("#service-map g.edgegroup"))).hasSize(deps.size()));
    for (JsonNode d : deps) {
      assertThat(driver.findElements(By.cssSelector(
          "#service-map g.edgegroup[data-edge='" + d.get("parent").asText() + "->" + d.get("child").asText() + "']")))
          .hasSize(1);
    }
    // every edge's label is readable: inside the drawing and clear of every other label
    List<org.openqa.selenium.Rectangle> labels = driver.findElements(By.cssSelector("#service-map text.elabel"))
        .stream().map(WebElement::getRect).toList();
    assertThat(labels).hasSize(deps.size());
    org.openqa.selenium.Rectangle map = driver.findElement(By.cssSelector("#service-map svg")).getRect();
    for (int i = 0; i < labels.size(); i++) {
      org.openqa.selenium.Rectangle a = labels.get(i);
      assertThat(a.getY()).as("label %d inside the map", i).isGreaterThanOrEqualTo(map.getY());
      for (int j = i + 1; j < labels.size(); j++) {
        org.openqa.selenium.Rectangle b = labels.get(j);
        boolean overlap = a.getX() < b.getX() + b.getWidth() && b.getX() < a.getX() + a.getWidth()
            && a.getY() < b.getY() + b.getHeight() && b.getY() < a.getY() + a.getHeight();
        assertThat(overlap).as("labels %d and %d overlap", i, j).isFalse();
      }
    }
    screenshot("service-map");
  }

  @Test
  void anUnknownPageSaysSoAndKeepsTheNavigation() {
    open("#/nonsense");
    assertThat(waitFor(By.cssSelector("#main .state.error")).getText()).contains("There is no page \"nonsense\"");
    assertThat(driver.findElements(By.cssSelector("#nav a"))).hasSizeGreaterThanOrEqualTo(7);
    driver.findElement(By.linkText("Go to the overview")).click();
    await().atMost(PAGE_WAIT).until(() -> driver.getCurrentUrl().endsWith("#/"));
  }

  @Test
  void serviceDetailListsOperationsAndLinks() throws Exception {
    open("#/service?name=checkout&" + RANGE);
    List<String> ops = strings(api("/api/services/checkout/operations").get("data"));
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElement(By.id("operations")).getText()).contains(ops));
    assertThat(driver.findElement(By.id("service-name")).getText()).isEqualTo("checkout");
    screenshot("service-detail");
    // the path form a user types works too
    open("#/service/checkout?" + RANGE);
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElement(By.id("service-name")).getText()).isEqualTo("checkout"));
  }

  @Test
  void metricsExplorerDrawsAPromqlQuery() throws Exception {
    open("#/metrics?q=" + enc("sum by (service) (rate(traces_spanmetrics_calls_total[5m]))") + "&" + RANGE);
    waitFor(By.id("q0"));
    boolean metricsApi = get("/api/v1/query", Map.of("query", "1")).statusCode() != 404;
    if (!metricsApi) {
      assertThat(waitFor(By.cssSelector("#q0-error .state.unavailable")).getText())
          .contains("not available");
      screenshot("metrics-unavailable");
    }
    Assumptions.assumeTrue(metricsApi, "this app has no Prometheus API yet: chart not tested");
    waitFor(By.cssSelector("#metrics-chart canvas"));
    screenshot("metrics");
  }

  @Test
  void chaosPageExplainsWhenTheChaosApiIsMissing() throws Exception {
    open("#/chaos?" + RANGE);
    boolean chaosApi = get("/api/chaos/experiments", Map.of()).statusCode() != 404;
    if (!chaosApi) {
      assertThat(waitFor(By.cssSelector("#experiments .state.unavailable")).getText())
          .contains("chaos API");
      assertThat(driver.findElement(By.id("dry-run")).isEnabled()).isFalse();
    }
    screenshot("chaos");
  }

  @Test
  void sloPageIsInTheNavigationAndExplainsWhenTheSloApiIsMissing() throws Exception {
    open("#/?" + RANGE);
    waitFor(By.cssSelector("#nav a[href^='#/slos']")).click();
    await().atMost(PAGE_WAIT).until(() -> driver.getCurrentUrl().contains("#/slos?"));
    // the link kept the time range, so the page's URL can be shared as it is
    assertThat(driver.getCurrentUrl()).contains(RANGE);
    assertThat(waitFor(By.cssSelector("#nav a[aria-current='page']")).getText()).isEqualTo("SLOs");
    boolean sloApi = get("/api/slos", Map.of()).statusCode() != 404;
    if (!sloApi) {
      assertThat(waitFor(By.cssSelector("#slo-list .state.unavailable")).getText())
          .contains("The SLO API is not available on this server yet");
    }
    screenshot("slos");
  }

  @Test
  void theTimeRangeIsInTheUrlAndTheFormsAreKeyboardUsable() throws Exception {
    open("#/traces?" + RANGE);
    WebElement picker = waitFor(By.id("time-range"));
    picker.sendKeys(Keys.ENTER);
    WebElement from = waitFor(By.id("range-from"));
    from.clear();
    from.sendKeys("now-6h");
    WebElement to = driver.findElement(By.id("range-to"));
    to.clear();
    to.sendKeys("now", Keys.ENTER);
    screenshot("time-picker-applied");
    await().atMost(PAGE_WAIT).until(() -> driver.getCurrentUrl().contains("from=now-6h"));
    assertThat(waitFor(By.id("time-range")).getText()).isEqualTo("Last 6 hours");
    waitFor(By.id("f-service"));
    screenshot("time-picker");
  }

  @Test
  void firstLoadIsLightAndDrawsAChartQuickly() throws Exception {
    WebDriver fresh = HeadlessChromium.start();
    try {
      signIn(fresh);
      fresh.get(base() + "/#/traces?service=frontend&limit=100&" + RANGE);
      await().atMost(PAGE_WAIT).until(() ->
          !fresh.findElements(By.cssSelector("#trace-scatter canvas")).isEmpty());
      @SuppressWarnings("unchecked")
      Map<String, Object> m = (Map<String, Object>) ((JavascriptExecutor) fresh).executeScript(
          "const nav = performance.getEntriesByType('navigation')[0];"
              + "const res = performance.getEntriesByType('resource');"
              + "const mark = performance.getEntriesByName('faultline:first-chart')[0];"
              + "const assets = res.filter(r => r.name.includes('/ui/'));"
              + "return {nav: nav.transferSize, assets: assets.reduce((a, r) => a + r.transferSize, 0),"
              + " api: res.filter(r => r.name.includes('/api/')).reduce((a, r) => a + r.transferSize, 0),"
              + " decoded: assets.reduce((a, r) => a + r.decodedBodySize, 0) + nav.decodedBodySize,"
              + " files: assets.length + 1, chart: mark ? mark.startTime : -1};");
      long total = ((Number) m.get("nav")).longValue() + ((Number) m.get("assets")).longValue();
      double chart = ((Number) m.get("chart")).doubleValue();
      System.out.printf(
          "dashboard first load: %d files, %d bytes transferred for the app (%d uncompressed),"
              + " %d bytes of API answers; first chart drawn %.0f ms after navigation start%n",
          ((Number) m.get("files")).longValue(), total, ((Number) m.get("decoded")).longValue(),
          ((Number) m.get("api")).longValue(), chart);
      assertThat(total).as("bytes of the first page load").isBetween(1_000L, 150_000L);
      assertThat(chart).as("ms to first chart").isBetween(0.0, 5_000.0);
    } finally {
      fresh.quit();
    }
  }

  // --- helpers

  private static void signIn(WebDriver browser) {
    browser.get(base() + "/#/signin");
    WebElement token = waitFor(browser, By.id("token"));
    token.sendKeys(DashboardTestApp.ADMIN_TOKEN, Keys.ENTER);
    waitFor(browser, By.id("who"));
  }

  private static String base() {
    return "http://127.0.0.1:" + APP.getLocalPort();
  }

  private static void open(String hash) {
    driver.get(base() + "/" + hash);
  }

  private static WebElement waitFor(By by) {
    return waitFor(driver, by);
  }

  private static WebElement waitFor(WebDriver browser, By by) {
    return HeadlessChromium.waitFor(browser, by, "");
  }

  private static void screenshot(String name) throws IOException {
    HeadlessChromium.screenshot(driver, "" + name);
  }

  private static void fullPageScreenshot(String name) throws IOException {
    HeadlessChromium.fullPageScreenshot(driver, "" + name);
  }

  private static String microRange() {
    return "start=" + TestData.NOW.minus(Duration.ofMinutes(70)).toEpochMilli() * 1000
        + "&end=" + TestData.NOW.plus(Duration.ofMinutes(5)).toEpochMilli() * 1000;
  }

  private static String msRange() {
    return "start=" + TestData.NOW.minus(Duration.ofMinutes(70)).toEpochMilli()
        + "&end=" + TestData.NOW.plus(Duration.ofMinutes(5)).toEpochMilli();
  }

  private static JsonNode api(String pathAndQuery) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(
        HttpRequest.newBuilder(URI.create(base() + pathAndQuery))
            .header("Authorization", "Bearer " + DashboardTestApp.ADMIN_TOKEN).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(pathAndQuery + " -> " + r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private static HttpResponse<String> get(String path, Map<String, String> params)
      throws IOException, InterruptedException {
    StringBuilder q = new StringBuilder();
    params.forEach((k, v) -> q.append(q.length() == 0 ? "?" : "&").append(k).append('=').append(enc(v)));
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(base() + path + q))
            .header("Authorization", "Bearer " + DashboardTestApp.ADMIN_TOKEN).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static List<String> strings(JsonNode array) {
    return JSON.convertValue(array, JSON.getTypeFactory().constructCollectionType(List.class, String.class));
  }
}
