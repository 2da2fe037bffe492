/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Docker is not available where the build runs, so this checks what {@code docker compose up}
 * would need: every service, its build context and Dockerfile, its ports and environment, the
 * health checks, and the platform's compose configuration.
 */
class ComposeFileTest {
  static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  final JsonNode compose = read(REPO.resolve("docker-compose.yml"));
  final JsonNode services = compose.get("services");

  @Test
  void hasThePlatformEveryShopServiceAndTraffic() {
    List<String> names = new ArrayList<>();
    services.fieldNames().forEachRemaining(names::add);
    List<String> expected = new ArrayList<>(List.of(DemoPlan.PLATFORM));
    expected.addAll(DemoPlan.SERVICES);
    expected.add(DemoPlan.TRAFFIC);
    assertThat(names).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void everyBuildContextAndDockerfileExistsAndIsMultiStageNonRootWithAHealthCheck() throws IOException {
    for (Map.Entry<String, JsonNode> e : entries(services)) {
      JsonNode build = e.getValue().get("build");
      assertThat(build).as(e.getKey() + " builds its image").isNotNull();
      Path context = REPO.resolve(build.get("context").asText()).normalize();
      assertThat(context).as(e.getKey() + " context").isDirectory();
      Path dockerfile = context.resolve(build.path("dockerfile").asText("Dockerfile"));
      assertThat(dockerfile).as(e.getKey() + " Dockerfile").isRegularFile();
      String text = Files.readString(dockerfile);
      assertThat(text.lines().filter(l -> l.startsWith("FROM ")).count()).as(e.getKey() + " is multi-stage").isGreaterThanOrEqualTo(2);
      assertThat(text).as(e.getKey() + " runs as a non-root user").containsPattern("(?m)^USER [a-z]+");
      assertThat(text).as(e.getKey() + " has a small JRE runtime image").contains("-jre");
      assertThat(text).as(e.getKey() + " has a health check").contains("HEALTHCHECK");
      JsonNode service = build.path("args").path("SERVICE");
      if (!service.isMissingNode()) {
        assertThat(context.resolve(service.asText()).resolve("pom.xml")).as(e.getKey() + " module").isRegularFile();
        assertThat(service.asText()).isEqualTo(e.getKey());
      }
    }
  }

  @Test
  void servicesListenOnTheirDemoPortsAndReachEachOtherByName() {
    for (String name : DemoPlan.SERVICES) {
      Map<String, String> env = environment(services.get(name));
      int port = DemoPlan.SERVICES.indexOf(name) + 18101;
      assertThat(env).as(name).containsEntry("SERVER_PORT", Integer.toString(port));
      assertThat(env).as(name).containsEntry("OTEL_EXPORTER_OTLP_ENDPOINT", "http://faultline:4318");
      assertThat(env).as(name).containsEntry("SHOP_LOGSTASH_DESTINATION", "faultline:5044");
      assertThat(env).as(name).containsKey("SHOP_CHAOS_PASSWORD");
      assertThat(services.get(name).path("healthcheck").path("test").toString()).contains(":" + port + "/actuator/health");
      assertThat(services.get(name).path("depends_on").has(DemoPlan.PLATFORM)).isTrue();
    }
    Map<String, String> orders = environment(services.get("orders"));
    assertThat(orders).containsEntry("SHOP_INVENTORY_URL", "http://inventory:18103")
        .containsEntry("SHOP_PAYMENTS_URL", "http://payments:18104")
        .containsEntry("SHOP_NOTIFICATIONS_URL", "http://notifications:18105");
    assertThat(environment(services.get("gateway"))).containsEntry("SHOP_GATEWAY_ROUTES_PRODUCTS", "http://inventory:18103");
    assertThat(environment(services.get(DemoPlan.TRAFFIC))).containsEntry("TRAFFIC_GATEWAY", "http://gateway:18101");
    assertThat(services.get(DemoPlan.TRAFFIC).path("depends_on").path("gateway").path("condition").asText()).isEqualTo("service_healthy");
  }

  @Test
  void platformPublishesItsPortsOnLoopbackAndScrapesEveryService() {
    JsonNode platform = services.get(DemoPlan.PLATFORM);
    List<String> ports = new ArrayList<>();
    platform.get("ports").forEach(p -> ports.add(p.asText()));
    assertThat(ports).containsExactlyInAnyOrder("127.0.0.1:8080:8080", "127.0.0.1:4317:4317", "127.0.0.1:4318:4318", "127.0.0.1:5044:5044");
    assertThat(environment(platform)).containsKey("FAULTLINE_ADMIN_TOKEN");
    String mount = platform.get("volumes").get(0).asText();
    Path config = REPO.resolve(mount.substring(0, mount.indexOf(':'))).normalize();
    assertThat(config).isRegularFile();
    JsonNode cfg = read(config);
    assertThat(cfg.path("otlp").path("bindHost").asText()).isEqualTo("0.0.0.0");
    assertThat(cfg.path("logstash").path("port").asInt()).isEqualTo(5044);
    List<String> targets = new ArrayList<>();
    cfg.get("scrape").forEach(job -> {
      assertThat(job.get("metricsPath").asText()).isEqualTo("/actuator/prometheus");
      targets.add(job.get("job").asText() + "=" + job.get("targets").get(0).asText());
    });
    assertThat(targets).containsExactly("gateway=gateway:18101", "orders=orders:18102", "inventory=inventory:18103",
        "payments=payments:18104", "notifications=notifications:18105");
  }

  private Map<String, String> environment(JsonNode service) {
    Map<String, String> env = new LinkedHashMap<>();
    entries(service.path("environment")).forEach(e -> env.put(e.getKey(), e.getValue().asText()));
    return env;
  }

  private static List<Map.Entry<String, JsonNode>> entries(JsonNode node) {
    List<Map.Entry<String, JsonNode>> list = new ArrayList<>();
    node.fields().forEachRemaining(list::add);
    return list;
  }

  private static JsonNode read(Path file) {
    try {
      return YAML.readTree(file.toFile());
    } catch (IOException e) {
      throw new AssertionError("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
