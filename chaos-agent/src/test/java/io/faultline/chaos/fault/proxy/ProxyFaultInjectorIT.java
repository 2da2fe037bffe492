/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.faultline.chaos.fault.ActiveFault;
import io.faultline.chaos.fault.FaultContext;
import io.faultline.chaos.fault.FaultException;
import io.faultline.chaos.fault.FaultSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The proxy injector through a standalone proxy's HTTP control endpoint, and in process. */
class ProxyFaultInjectorIT {
  private final HttpClient http = HttpClient.newHttpClient();
  private final FaultProxies proxies = new FaultProxies();
  private EchoServer echo;
  private FaultProxy proxy;
  private ProxyControlServer control;

  @BeforeEach
  void start() throws Exception {
    echo = new EchoServer();
    proxy = proxies.register(FaultProxy.builder("inventory").upstream("127.0.0.1", echo.port()).seed(1).start());
    control = new ProxyControlServer(proxies, Clock.systemUTC(), "127.0.0.1", 0);
  }

  @AfterEach
  void stop() throws Exception {
    control.close();
    proxies.closeAll();
    echo.close();
  }

  private FaultSpec spec(Map<String, Object> extra) {
    Map<String, Object> p = new java.util.HashMap<>(Map.of("toxic", "latency", "latencyMs", 300));
    p.putAll(extra);
    return new FaultSpec("slow", ProxyFaultInjector.TCP, "inventory", p, Duration.ofMinutes(1));
  }

  @Test
  void addsRenewsAndRemovesThroughTheControlEndpoint() throws Exception {
    ProxyFaultInjector injector = new ProxyFaultInjector(ProxyFaultInjector.TCP, new FaultProxies(), http, Clock.systemUTC());
    FaultSpec spec = spec(Map.of("controlUrl", "http://127.0.0.1:" + control.port()));
    FaultContext ctx = new FaultContext("exp", "run-7", Instant.now().plusSeconds(30));
    ActiveFault fault = injector.inject(spec, ctx);
    assertThat(proxy.toxics()).singleElement().satisfies(i -> {
      assertThat(i.toxic().name()).isEqualTo("chaos.run-7.slow");
      assertThat(i.toxic().labels().run()).isEqualTo("run-7");
      assertThat(i.toxic().setting("latencyMs")).isEqualTo(300);
    });
    fault.renew(Instant.now().plusSeconds(120));
    assertThat(proxy.toxics().get(0).expiresAt()).isAfter(Instant.now().plusSeconds(100));
    String listed = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + control.port() + "/proxies")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(listed).contains("\"name\":\"chaos.run-7.slow\"").contains("\"latencyMs\":300");
    fault.revert();
    assertThat(proxy.toxics()).isEmpty();
    fault.revert();
    injector.revertOrphan(spec, ctx); // already gone: no error
  }

  @Test
  void aRemoteToxicEndsByItselfWhenTheAgentStopsRenewing() throws Exception {
    ProxyFaultInjector injector = new ProxyFaultInjector(ProxyFaultInjector.TCP, new FaultProxies(), http, Clock.systemUTC());
    injector.inject(spec(Map.of("controlUrl", "http://127.0.0.1:" + control.port())),
        new FaultContext("exp", "run-8", Instant.now().plusMillis(300)));
    assertThat(proxy.toxics()).hasSize(1);
    await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> assertThat(proxy.toxics()).isEmpty());
  }

  @Test
  void controlEndpointRejectsBadToxicsNamingTheField() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + control.port() + "/proxies/inventory/toxics"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"x\",\"toxic\":\"latency\",\"latencyMs\":-1}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("ttlMs: is required").contains("latencyMs: must be between 1 and 60000");
  }

  @Test
  void inProcessProxiesAreFoundByName() throws Exception {
    ProxyFaultInjector injector = new ProxyFaultInjector(ProxyFaultInjector.TCP, proxies, http, Clock.systemUTC());
    FaultContext ctx = new FaultContext("exp", "run-9", Instant.now().plusSeconds(30));
    ActiveFault fault = injector.inject(spec(Map.of()), ctx);
    assertThat(proxy.toxics()).hasSize(1);
    injector.revertOrphan(spec(Map.of()), ctx);
    assertThat(proxy.toxics()).isEmpty();
    assertThatThrownBy(() -> fault.renew(Instant.now().plusSeconds(60))).isInstanceOf(FaultException.class)
        .hasMessageContaining("is gone");
    assertThatThrownBy(() -> injector.inject(
        new FaultSpec("s", ProxyFaultInjector.TCP, "nowhere", Map.of("toxic", "latency", "latencyMs", 5),
            Duration.ofSeconds(5)), ctx))
        .isInstanceOf(FaultException.class).hasMessageContaining("no fault proxy named nowhere");
  }
}
