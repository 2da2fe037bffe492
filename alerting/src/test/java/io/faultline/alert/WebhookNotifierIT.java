/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import static io.faultline.alert.TestMetrics.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Notifications to a real HTTP receiver: payload, grouping, retries, resolution, dead letters. */
class WebhookNotifierIT {
  private static final long T0 = NOW.toEpochMilli();
  private static final long MIN = 60_000;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private TestMetrics m;
  private HttpServer server;
  private Alerting alerting;
  private final List<JsonNode> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger attempts = new AtomicInteger();
  private volatile int failFirst;

  @BeforeEach
  void start() throws Exception {
    m = new TestMetrics(dir);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/hook", ex -> {
      byte[] body = ex.getRequestBody().readAllBytes();
      int n = attempts.incrementAndGet();
      int status = n <= failFirst ? 500 : 200;
      if (status == 200) {
        received.add(JSON.readTree(body));
      }
      ex.sendResponseHeaders(status, -1);
      ex.close();
    });
    server.start();
    // two instances down from minute 1 to minute 5
    for (String inst : List.of("a:80", "b:80")) {
      m.sampled(new String[] {"__name__", "up", "job", "api", "instance", inst},
          T0 - 10 * MIN, T0 + 30 * MIN, 15_000,
          t -> t >= T0 + MIN && t < T0 + 5 * MIN ? 0 : 1);
    }
    Files.writeString(dir.resolve("r.yml"), """
        groups:
          - name: g
            interval: 1m
            rules:
              - alert: InstanceDown
                expr: up == 0
                labels:
                  severity: page
                annotations:
                  summary: "Instance {{ $labels.instance }} down"
        """);
  }

  @AfterEach
  void stop() throws Exception {
    if (alerting != null) {
      alerting.close();
    }
    server.stop(0);
    m.close();
  }

  private void build(int maxAttempts) throws Exception {
    AlertingConfig c = new AlertingConfig();
    c.ruleFiles = List.of("r.yml");
    c.reloadCheckInterval = "0";
    c.externalUrl = "http://faultline.test:8080";
    c.notifications.groupBy = List.of("alertname");
    c.notifications.groupWait = "30s";
    c.notifications.groupInterval = "1m";
    c.notifications.repeatInterval = "1h";
    c.notifications.maxAttempts = maxAttempts;
    c.notifications.initialBackoff = "10ms";
    c.notifications.maxBackoff = "50ms";
    c.notifications.receivers = List.of(new AlertingConfig.Receiver("oncall",
        "http://127.0.0.1:" + server.getAddress().getPort() + "/hook"));
    alerting = Alerting.builder(c, m.store.queries(), m, dir.resolve("data"))
        .baseDir(dir).clock(m.clock).build();
  }

  private void at(double minutes) {
    m.clock.set(Instant.ofEpochMilli(T0 + (long) (minutes * MIN)));
    alerting.tick();
  }

  @Test
  void groupedFiringThenResolvedDeliveredDespiteFailures() throws Exception {
    failFirst = 2;
    build(5);
    at(1);      // both fire (for: 0); group waits 30 s
    assertThat(attempts.get()).isZero();
    at(1.5);    // group_wait over: one notification for both, after two 500s
    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
    assertThat(attempts.get()).isEqualTo(3);
    JsonNode p = received.get(0);
    assertThat(p.get("version").asText()).isEqualTo("4");
    assertThat(p.get("status").asText()).isEqualTo("firing");
    assertThat(p.get("receiver").asText()).isEqualTo("oncall");
    assertThat(p.get("groupKey").asText()).isEqualTo("{}:{alertname=\"InstanceDown\"}");
    assertThat(p.get("groupLabels").toString()).isEqualTo("{\"alertname\":\"InstanceDown\"}");
    assertThat(p.get("commonLabels").toString())
        .isEqualTo("{\"alertname\":\"InstanceDown\",\"job\":\"api\",\"severity\":\"page\"}");
    assertThat(p.get("commonAnnotations").toString()).isEqualTo("{}");
    assertThat(p.get("externalURL").asText()).isEqualTo("http://faultline.test:8080");
    assertThat(p.get("alerts")).hasSize(2);
    JsonNode a = p.get("alerts").get(0);
    assertThat(a.get("status").asText()).isEqualTo("firing");
    assertThat(a.get("startsAt").asText()).isEqualTo("2025-03-01T12:01:00Z");
    assertThat(a.get("endsAt").asText()).isEqualTo("0001-01-01T00:00:00Z");
    assertThat(a.get("generatorURL").asText())
        .isEqualTo("http://faultline.test:8080/graph?g0.expr=up%20%3D%3D%200&g0.tab=1");
    assertThat(a.get("fingerprint").asText()).matches("[0-9a-f]{16}");
    assertThat(a.get("annotations").get("summary").asText()).startsWith("Instance ");

    at(2.5);    // nothing changed, repeat interval not reached: no notification
    at(3.5);
    assertThat(received).hasSize(1);

    at(5);      // both resolve
    at(5.5);
    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 2);
    JsonNode resolved = received.get(1);
    assertThat(resolved.get("status").asText()).isEqualTo("resolved");
    assertThat(resolved.get("alerts")).allSatisfy(x -> {
      assertThat(x.get("status").asText()).isEqualTo("resolved");
      assertThat(x.get("endsAt").asText()).isEqualTo("2025-03-01T12:05:00Z");
    });
    assertThat(alerting.deadLetters("oncall")).isZero();
  }

  @Test
  void givingUpCountsADeadLetterAndTheNextIntervalTriesAgain() throws Exception {
    failFirst = 3;
    build(3);
    at(1);
    at(1.5);
    await().atMost(Duration.ofSeconds(10)).until(() -> alerting.deadLetters("oncall") == 1);
    assertThat(received).isEmpty();
    at(2.5);    // not logged as sent: the next group interval sends again, now successfully
    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
    assertThat(received.get(0).get("alerts")).hasSize(2);
  }
}
