/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;

/**
 * How the scraper reaches a protected target, as Prometheus' {@code authorization}, {@code
 * basic_auth} and {@code tls_config} do: an {@code Authorization} header sent with every scrape,
 * and for https, the CA certificates (PEM) to trust instead of the JVM's, or no certificate check
 * at all. {@link #toString()} never shows the credentials.
 *
 * @param authorization the header's value, or null
 * @param caFile PEM file of the certificates to trust, or null for the JVM's trust store
 * @param insecureSkipVerify accept any certificate and host name (testing only)
 */
public record ScrapeAccess(String authorization, Path caFile, boolean insecureSkipVerify) {
  /** Plain: no header, the JVM's trust store. */
  public static final ScrapeAccess NONE = new ScrapeAccess(null, null, false);

  /** A bearer token, or null; basic auth, or null (not both); the TLS settings. */
  public static ScrapeAccess of(
      String bearerToken, String username, String password, Path caFile, boolean insecureSkipVerify) {
    boolean bearer = bearerToken != null && !bearerToken.isBlank();
    boolean basic = username != null && !username.isBlank();
    if (bearer && basic) {
      throw new IllegalArgumentException(
          "a scrape job takes either bearerToken or basicAuth, not both");
    }
    String header = null;
    if (bearer) {
      header = "Bearer " + bearerToken.strip();
    } else if (basic) {
      String pair = username + ":" + (password == null ? "" : password);
      header = "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }
    return new ScrapeAccess(header, caFile, insecureSkipVerify);
  }

  /** The TLS part, which decides the HTTP client a scrape goes through. */
  record Tls(Path caFile, boolean insecureSkipVerify) {}

  Tls tls() {
    return new Tls(caFile, insecureSkipVerify);
  }

  @Override
  public String toString() {
    return "ScrapeAccess[authorization=" + (authorization == null ? "none" : authorization.split(" ")[0] + " <hidden>")
        + ", caFile=" + caFile + ", insecureSkipVerify=" + insecureSkipVerify + "]";
  }
}
