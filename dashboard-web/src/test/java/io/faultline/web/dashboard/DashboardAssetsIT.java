/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.core.Configuration;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The dashboard's files over HTTP, as a browser fetches them: caching headers, revalidation, and
 * that the dashboard's mappings leave every API path to Jersey.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class DashboardAssetsIT {
  static final DropwizardAppExtension<Configuration> APP =
      new DropwizardAppExtension<>(
          DashboardTestApp.class, ResourceHelpers.resourceFilePath("dashboard-test.yml"));

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void indexIsRevalidatedAndAssetsAreImmutable() throws Exception {
    HttpResponse<String> index = get("/", null);
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
    assertThat(index.headers().firstValue("Cache-Control")).hasValue(DashboardServlet.REVALIDATE);
    assertThat(index.headers().firstValue("Content-Security-Policy")).hasValue(DashboardServlet.CSP);
    Matcher m = Pattern.compile("src=\"(/ui/([0-9a-f]+)/js/app\\.js)\"").matcher(index.body());
    assertThat(m.find()).as(index.body()).isTrue();
    assertThat(index.body()).doesNotContain("%BASE%");

    HttpResponse<String> app = get(m.group(1), null);
    assertThat(app.statusCode()).isEqualTo(200);
    assertThat(app.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/javascript"));
    assertThat(app.headers().firstValue("Cache-Control")).hasValue(DashboardServlet.IMMUTABLE);
    String etag = app.headers().firstValue("ETag").orElseThrow();
    assertThat(get(m.group(1), etag).statusCode()).isEqualTo(304);

    HttpResponse<String> uplot = get("/ui/" + m.group(2) + "/vendor/uplot/uPlot.iife.min.js", null);
    assertThat(uplot.statusCode()).isEqualTo(200);
    assertThat(uplot.body()).contains("uPlot");

    // a page loaded before an upgrade asks for an old version: served, but not cached for good
    HttpResponse<String> old = get("/ui/0000000000/js/app.js", null);
    assertThat(old.statusCode()).isEqualTo(200);
    assertThat(old.headers().firstValue("Cache-Control")).hasValue(DashboardServlet.REVALIDATE);
  }

  @Test
  void unknownFilesAre404AndApisStayWithJersey() throws Exception {
    assertThat(get("/ui/x/nope.js", null).statusCode()).isEqualTo(404);
    assertThat(get("/ui/x/index.html", null).statusCode()).isEqualTo(404);
    HttpResponse<String> api = get("/api/services", null);
    assertThat(api.statusCode()).isEqualTo(401);
    assertThat(api.body()).contains("missing credentials");
  }

  private static HttpResponse<String> get(String path, String ifNoneMatch) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + APP.getLocalPort() + path));
    if (ifNoneMatch != null) {
      b.header("If-None-Match", ifNoneMatch);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
