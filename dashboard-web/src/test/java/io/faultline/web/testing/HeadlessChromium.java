/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Level;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
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
 * Debian's headless Chromium for the dashboard's browser tests (this module's and the server's):
 * started as a user would run it, with the page's console kept, and with a picture, the DOM and
 * the console saved under {@code target/screenshots/} when an element a test waits for never shows
 * up. {@code -Dchromium.binary} and {@code -Dchromedriver.binary} point at other binaries.
 */
public final class HeadlessChromium {
  public static final Path CHROMIUM =
      Path.of(System.getProperty("chromium.binary", "/usr/bin/chromium"));
  public static final Path CHROMEDRIVER =
      Path.of(System.getProperty("chromedriver.binary", "/usr/bin/chromedriver"));
  public static final Path SCREENSHOTS = Path.of("target", "screenshots");
  public static final Duration PAGE_WAIT = Duration.ofSeconds(20);

  private HeadlessChromium() {}

  /**
   * Skips the calling test class (not fails it) when chromium or chromium-driver is missing, and
   * otherwise starts a browser with a fresh profile.
   */
  public static WebDriver startOrSkip() throws IOException {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "browser tests need Debian's chromium and chromium-driver ("
            + CHROMIUM
            + ", "
            + CHROMEDRIVER
            + "): apt-get install -y chromium chromium-driver");
    Files.createDirectories(SCREENSHOTS);
    return start();
  }

  /** A new browser with a fresh profile and a 1366×900 window. */
  public static WebDriver start() throws IOException {
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

  /**
   * The first element {@code by} finds, waiting up to {@link #PAGE_WAIT} for one; on a timeout the
   * page's state is saved ({@code <prefix>failed-<selector>.png/.txt}) before the timeout is thrown.
   */
  public static WebElement waitFor(WebDriver browser, By by, String prefix) {
    Supplier<List<WebElement>> find = () -> browser.findElements(by);
    try {
      await("element " + by).atMost(PAGE_WAIT).until(() -> !find.get().isEmpty());
    } catch (ConditionTimeoutException e) {
      saveDiagnostics(browser, prefix + "failed-" + by.toString().replaceAll("[^A-Za-z0-9]+", "_"));
      throw e;
    }
    return find.get().get(0);
  }

  /** Saves what the browser shows as {@code target/screenshots/<name>.png}. */
  public static void screenshot(WebDriver browser, String name) throws IOException {
    Files.write(
        SCREENSHOTS.resolve(name + ".png"),
        ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
  }

  /** Grows the window to the page's height (at most 2400 px) for one screenshot. */
  public static void fullPageScreenshot(WebDriver browser, String name) throws IOException {
    Dimension before = browser.manage().window().getSize();
    long height =
        (Long)
            ((JavascriptExecutor) browser)
                .executeScript("return document.documentElement.scrollHeight");
    browser.manage().window().setSize(new Dimension(before.getWidth(), (int) Math.min(2400, height + 140)));
    try {
      screenshot(browser, name);
    } finally {
      browser.manage().window().setSize(before);
    }
  }

  /** What the page showed when an expected element never appeared: a picture, its DOM, its console. */
  private static void saveDiagnostics(WebDriver browser, String name) {
    try {
      screenshot(browser, name);
      StringBuilder text = new StringBuilder(browser.getCurrentUrl()).append("\n");
      browser.manage().logs().get(LogType.BROWSER).forEach(e -> text.append(e).append("\n"));
      text.append(browser.getPageSource());
      Files.writeString(SCREENSHOTS.resolve(name + ".txt"), text);
    } catch (IOException | RuntimeException ignored) {
      // diagnostics are best effort; the timeout itself is the failure to report
    }
  }
}
