/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scrapes of protected targets over real sockets: bearer and basic credentials, and https with a
 * self-signed certificate (made by the JDK's keytool) trusted through a CA file or not checked.
 */
class ScrapeAccessIT {
  private static final byte[] BODY = "up_test 1\n".getBytes(StandardCharsets.UTF_8);
  @TempDir Path dir;

  @Test
  void credentialsGoInTheAuthorizationHeader() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    serve(server, auth -> "Bearer s3cret".equals(auth) || "Basic cHJvbTpwdw==".equals(auth)); // prom:pw
    try {
      String address = "127.0.0.1:" + server.getAddress().getPort();
      HttpFetcher fetcher = new HttpFetcher();
      assertThatThrownBy(() -> fetcher.fetch(target(address, "http", ScrapeAccess.NONE), 1 << 20))
          .hasMessageContaining("401");
      assertThat(fetcher.fetch(target(address, "http", ScrapeAccess.of("s3cret", null, null, null, false)), 1 << 20).body())
          .isEqualTo(BODY);
      assertThat(fetcher.fetch(target(address, "http", ScrapeAccess.of(null, "prom", "pw", null, false)), 1 << 20).body())
          .isEqualTo(BODY);
      assertThat(ScrapeAccess.of("s3cret", null, null, null, false).toString()).doesNotContain("s3cret");
      assertThatThrownBy(() -> ScrapeAccess.of("t", "u", "p", null, false)).hasMessageContaining("not both");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void httpsTargetsAreTrustedThroughACaFileOrNotChecked() throws Exception {
    Path keyStore = dir.resolve("target.p12");
    Path pem = dir.resolve("target.pem");
    keytool("-genkeypair", "-alias", "t", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
        "-dname", "CN=localhost", "-ext", "san=ip:127.0.0.1", "-storetype", "PKCS12",
        "-keystore", keyStore.toString(), "-storepass", "changeit");
    keytool("-exportcert", "-rfc", "-alias", "t", "-keystore", keyStore.toString(), "-storepass", "changeit",
        "-file", pem.toString());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      ks.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "changeit".toCharArray());
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(kmf.getKeyManagers(), null, null);
    HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(ssl));
    serve(server, auth -> true);
    try {
      String address = "127.0.0.1:" + server.getAddress().getPort();
      HttpFetcher fetcher = new HttpFetcher();
      assertThatThrownBy(() -> fetcher.fetch(target(address, "https", ScrapeAccess.NONE), 1 << 20))
          .as("the JVM's trust store does not know a self-signed certificate")
          .isInstanceOf(java.io.IOException.class);
      assertThat(fetcher.fetch(target(address, "https", ScrapeAccess.of(null, null, null, pem, false)), 1 << 20).body())
          .isEqualTo(BODY);
      assertThat(fetcher.fetch(target(address, "https", ScrapeAccess.of(null, null, null, null, true)), 1 << 20).body())
          .isEqualTo(BODY);
      assertThatThrownBy(() -> fetcher.fetch(
              target(address, "https", ScrapeAccess.of(null, null, null, dir.resolve("missing.pem"), false)), 1 << 20))
          .hasMessageContaining("does not exist");
    } finally {
      server.stop(0);
    }
  }

  /** Serves {@link #BODY} at /metrics to requests whose Authorization header passes, 401 to others. */
  private static void serve(HttpServer server, java.util.function.Predicate<String> allowed) {
    server.createContext("/metrics", x -> {
      boolean ok = allowed.test(x.getRequestHeaders().getFirst("Authorization"));
      x.sendResponseHeaders(ok ? 200 : 401, ok ? BODY.length : -1);
      if (ok) {
        x.getResponseBody().write(BODY);
      }
      x.close();
    });
    server.start();
  }

  private static ScrapeTarget target(String address, String scheme, ScrapeAccess access) {
    return new ScrapeTarget("j", address, scheme, "/metrics", Duration.ofSeconds(5), Duration.ofSeconds(5), Map.of(), access);
  }

  private static void keytool(String... args) throws Exception {
    String[] cmd = new String[args.length + 1];
    cmd[0] = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    System.arraycopy(args, 0, cmd, 1, args.length);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }
}
