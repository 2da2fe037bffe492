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
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Level;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The dashboard in a headless Chromium against the whole {@link FaultlineApplication}, seeded
 * through the real OpenTelemetry SDK ({@link DashboardSeed}): every page shows what the real APIs
 * answer, span metrics included, and the chaos page creates and dry-runs an experiment through the
 * real chaos agent. Each page is saved to {@code target/screenshots/server-*.png}. Skipped (not
 * failed) when Debian's {@code chromium} and {@code chromium-driver} are not installed.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class DashboardIT {
  private static final String TOKEN = "test-admin-token";
  private static final Path CHROMIUM = Path.of(System.getProperty("chromium.binary", "/usr/bin/chromium"));
  private static final Path CHROMEDRIVER =
      Path.of(System.getProperty("chromedriver.binary", "/usr/bin/chromedriver"));
  private static final Path SCREENSHOTS = Path.of("target", "screenshots");
  private static final Duration PAGE_WAIT = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String RANGE = "from=now-15m&to=now";
  @TempDir static Path dataDir;

  static final DropwizardAppExtension<FaultlineConfiguration> APP =
      new DropwizardAppExtension<>(
          FaultlineApplication.class,
          ResourceHelpers.resourceFilePath("test-config.yml"),
          ConfigOverride.config("dataDir", () -> dataDir.toString()));

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static WebDriver driver;
  private static DashboardSeed.Seeded seeded;

  @BeforeAll
  static void seedAndStartBrowser() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "browser tests need Debian's chromium and chromium-driver (" + CHROMIUM + ", "
            + CHROMEDRIVER + "): apt-get install -y chromium chromium-driver");
    Files.createDirectories(SCREENSHOTS);
    FaultlineApplication app = APP.getApplication();
    seeded = DashboardSeed.seed(app.otlpHttpPort(), DashboardIT::api);
    driver = newBrowser();
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
    String yaml = template.replace("payments", "billing").replace("checkout", "orders");
    setValue(editor, yaml);
    driver.findElement(By.id("save-experiment")).click();
    await().atMost(PAGE_WAIT).until(() -> driver.getCurrentUrl().contains("experiment="));
    String id = driver.getCurrentUrl().replaceAll(".*experiment=([^&]+).*", "$1");
    await().atMost(PAGE_WAIT).untilAsserted(() ->
        assertThat(driver.findElement(By.id("experiments")).getText()).contains("orders survives a slow billing service"));
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

  // --- helpers

  private static WebDriver newBrowser() throws IOException {
    Path profile = Files.createTempDirectory("faultline-chromium");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1366,900", "--user-data-dir=" + profile);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    return new ChromeDriver(service, options);
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
    Supplier<List<WebElement>> find = () -> driver.findElements(by);
    try {
      await("element " + by).atMost(PAGE_WAIT).until(() -> !find.get().isEmpty());
    } catch (ConditionTimeoutException e) {
      saveDiagnostics(by);
      throw e;
    }
    return find.get().get(0);
  }

  /** What the page showed when an expected element never appeared: a picture, its DOM, its console. */
  private static void saveDiagnostics(By by) {
    String name = "server-failed-" + by.toString().replaceAll("[^A-Za-z0-9]+", "_");
    try {
      Files.write(SCREENSHOTS.resolve(name + ".png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
      StringBuilder text = new StringBuilder(driver.getCurrentUrl()).append("\n");
      driver.manage().logs().get(LogType.BROWSER).forEach(e -> text.append(e).append("\n"));
      text.append(driver.getPageSource());
      Files.writeString(SCREENSHOTS.resolve(name + ".txt"), text);
    } catch (IOException | RuntimeException ignored) {
      // diagnostics are best effort; the timeout itself is the failure to report
    }
  }

  private static void screenshot(String name) throws IOException {
    Files.write(SCREENSHOTS.resolve("server-" + name + ".png"),
        ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
  }

  private static HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(base() + pathAndQuery)).header("Authorization", "Bearer " + TOKEN).build(),
        HttpResponse.BodyHandlers.ofString());
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
