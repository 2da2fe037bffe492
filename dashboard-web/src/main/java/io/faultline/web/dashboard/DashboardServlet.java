/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.dashboard;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Answers {@code /} with the index page and {@code /ui/<version>/<file>} with an asset. Assets
 * under the current version never change, so they are cached for a year ({@code immutable}); the
 * index is revalidated on every load ({@code no-cache} plus its entity tag), which is how a new
 * release reaches browsers. An old version's URL still gets today's file, uncached, so a page
 * loaded before an upgrade keeps working.
 */
final class DashboardServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  static final String UI_PREFIX = "/ui/";
  static final String IMMUTABLE = "public, max-age=31536000, immutable";
  static final String REVALIDATE = "no-cache";

  /**
   * The app loads only its own scripts, styles and same-origin API calls; inline styles are allowed
   * because the charting library sizes its elements with style attributes.
   */
  static final String CSP =
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'"
          + " data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action"
          + " 'self'";

  private final transient DashboardAssets assets;
  private final byte[] indexTemplate;

  DashboardServlet(DashboardAssets assets) {
    this.assets = assets;
    this.indexTemplate =
        assets
            .get(DashboardAssets.INDEX)
            .orElseThrow(() -> new IllegalStateException("dashboard index.html missing"))
            .bytes();
  }

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
    if (path.isEmpty() || "/".equals(path)) {
      serveIndex(request, response);
      return;
    }
    if (!path.startsWith(UI_PREFIX)) {
      notFound(response, path);
      return;
    }
    String rest = path.substring(UI_PREFIX.length());
    int slash = rest.indexOf('/');
    if (slash <= 0) {
      response.sendRedirect(request.getContextPath() + "/");
      return;
    }
    String version = rest.substring(0, slash);
    String file = rest.substring(slash + 1);
    Optional<DashboardAssets.Asset> asset =
        file.equals(DashboardAssets.INDEX) ? Optional.empty() : assets.get(file);
    if (asset.isEmpty()) {
      notFound(response, path);
      return;
    }
    String cache = version.equals(assets.version()) ? IMMUTABLE : REVALIDATE;
    send(request, response, asset.get().bytes(), asset.get().contentType(), asset.get().etag(), cache);
  }

  private void serveIndex(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    String base = request.getContextPath().replaceAll("/$", "") + UI_PREFIX + assets.version() + "/";
    byte[] page =
        new String(indexTemplate, StandardCharsets.UTF_8)
            .replace("%BASE%", base)
            .getBytes(StandardCharsets.UTF_8);
    response.setHeader("Content-Security-Policy", CSP);
    send(request, response, page, DashboardAssets.contentType(DashboardAssets.INDEX),
        "\"" + assets.version() + "\"", REVALIDATE);
  }

  private static void send(
      HttpServletRequest request,
      HttpServletResponse response,
      byte[] body,
      String contentType,
      String etag,
      String cacheControl)
      throws IOException {
    response.setHeader("Cache-Control", cacheControl);
    response.setHeader("ETag", etag);
    response.setHeader("X-Content-Type-Options", "nosniff");
    response.setHeader("Referrer-Policy", "same-origin");
    String match = request.getHeader("If-None-Match");
    if (match != null && (match.equals(etag) || match.equals("W/" + etag) || match.contains(etag))) {
      response.setStatus(HttpServletResponse.SC_NOT_MODIFIED);
      return;
    }
    response.setContentType(contentType);
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  private static void notFound(HttpServletResponse response, String path) throws IOException {
    response.setStatus(HttpServletResponse.SC_NOT_FOUND);
    response.setContentType("text/plain; charset=utf-8");
    response.getWriter().write("no dashboard file at " + path + "; the dashboard starts at /\n");
  }
}
