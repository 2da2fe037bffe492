/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import io.faultline.chaos.ChaosAgent;
import io.faultline.chaos.fault.ActiveFault;
import io.faultline.chaos.fault.FaultContext;
import io.faultline.chaos.fault.FaultInjector;
import io.faultline.chaos.fault.FaultSpec;
import io.faultline.metric.LuceneMetricStore;
import io.faultline.web.auth.Role;
import io.faultline.web.auth.SessionStore;
import io.faultline.web.auth.TokenAuthFilter;
import io.faultline.web.auth.TokenStore;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import jakarta.ws.rs.client.Entity;
import jakarta.ws.rs.client.Invocation;
import jakarta.ws.rs.client.WebTarget;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.glassfish.jersey.server.filter.RolesAllowedDynamicFeature;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(DropwizardExtensionsSupport.class)
class ChaosResourceTest {
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final String EXPERIMENT = """
      title: gateway survives a slow inventory
      targets: [inventory]
      steadyState: []
      method:
        - {name: slow-inventory, type: noop, target: inventory, duration: 2m}
      """;

  static final Path DIR;
  static final LuceneMetricStore METRICS;
  static final ChaosAgent AGENT;
  static final String OPERATOR;
  static final String VIEWER;

  static {
    try {
      DIR = Files.createTempDirectory("chaos-resource-test");
      METRICS = LuceneMetricStore.builder(DIR.resolve("metrics")).build();
      AGENT = ChaosAgent.builder().dataDir(DIR).injectors(Map.of("noop", new NoopInjector()))
          .metrics(METRICS.queries()).sink(b -> CompletableFuture.completedFuture(null))
          .registry(new PrometheusRegistry()).build();
      AGENT.start();
      TokenStore tokens = TokenStore.open(DIR.resolve("auth"));
      OPERATOR = tokens.create("olivia", Role.OPERATOR);
      VIEWER = tokens.create("vic", Role.VIEWER);
      RESOURCES = ResourceExtension.builder()
          .addProvider(new TokenAuthFilter(true, tokens, new SessionStore(Clock.systemUTC(), SessionStore.DEFAULT_TTL), Set.of()))
          .addProvider(RolesAllowedDynamicFeature.class)
          .addResource(new ChaosResource(AGENT, Clock.systemUTC()))
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static final ResourceExtension RESOURCES;

  @AfterAll
  static void close() throws IOException {
    AGENT.close();
    METRICS.close();
  }

  private static Invocation.Builder as(String token, String pathAndQuery) {
    String[] pq = pathAndQuery.split("\\?", 2);
    WebTarget t = RESOURCES.target(pq[0]);
    if (pq.length == 2) {
      for (String kv : pq[1].split("&")) {
        String[] p = kv.split("=", 2);
        t = t.queryParam(p[0], p[1]);
      }
    }
    return t.request().header("Authorization", "Bearer " + token);
  }

  private static JsonNode json(Response r) throws IOException {
    return MAPPER.readTree(r.readEntity(String.class));
  }

  private static String create() throws IOException {
    Response r = as(OPERATOR, "/api/chaos/experiments").post(Entity.entity(EXPERIMENT, "application/yaml"));
    assertThat(r.getStatus()).isEqualTo(201);
    return json(r).path("id").asText();
  }

  @Test
  void viewerReadsButCannotChangeAnything() throws IOException {
    String id = create();
    assertThat(as(VIEWER, "/api/chaos/experiments").post(Entity.entity(EXPERIMENT, "application/yaml")).getStatus()).isEqualTo(403);
    assertThat(as(VIEWER, "/api/chaos/experiments/" + id + "/runs").post(Entity.text("")).getStatus()).isEqualTo(403);
    assertThat(as(VIEWER, "/api/chaos/experiments/" + id).delete().getStatus()).isEqualTo(403);
    assertThat(as(VIEWER, "/api/chaos/switch").post(Entity.json("{\"engaged\":true}")).getStatus()).isEqualTo(403);
    Response list = as(VIEWER, "/api/chaos/experiments").get();
    assertThat(list.getStatus()).isEqualTo(200);
    assertThat(json(list).path("data").findValuesAsText("id")).contains(id);
    JsonNode one = json(as(VIEWER, "/api/chaos/experiments/" + id).get());
    assertThat(one.path("title").asText()).isEqualTo("gateway survives a slow inventory");
    assertThat(one.path("source").asText()).isEqualTo(EXPERIMENT);
    assertThat(one.path("createdBy").asText()).isEqualTo("olivia");
    assertThat(RESOURCES.target("/api/chaos/experiments").request().get().getStatus()).isEqualTo(401);
  }

  @Test
  void badLimitIs400AndAnExperimentIsServedAsYamlOnRequest() throws IOException {
    for (String limit : new String[] {"abc", "-1", "0"}) {
      Response r = as(VIEWER, "/api/chaos/runs?limit=" + limit).get();
      assertThat(r.getStatus()).as(limit).isEqualTo(400);
      assertThat(json(r).path("message").asText()).startsWith("limit must be a whole number from 1 to 1000");
    }
    assertThat(as(VIEWER, "/api/chaos/runs?limit=5").get().getStatus()).isEqualTo(200);

    String id = create();
    Response yaml = as(VIEWER, "/api/chaos/experiments/" + id).accept("application/yaml").get();
    assertThat(yaml.getStatus()).isEqualTo(200);
    assertThat(yaml.getMediaType().toString()).startsWith("application/yaml");
    String text = yaml.readEntity(String.class);
    assertThat(text).contains("title: \"gateway survives a slow inventory\"").contains("id: \"" + id + "\"");
    Response plain = as(VIEWER, "/api/chaos/experiments/" + id).get();
    assertThat(plain.getMediaType().toString()).startsWith("application/json");
    assertThat(as(VIEWER, "/api/chaos/experiments/nope").accept("application/yaml").get().getStatus()).isEqualTo(404);
  }

  @Test
  void malformedPromqlIsRejectedNamingTheField() throws IOException {
    Response r = as(OPERATOR, "/api/chaos/experiments").post(Entity.entity(EXPERIMENT
        + "haltWhen:\n  - {type: promql, name: storm, query: \"up ==== 1\"}\n", "application/yaml"));
    assertThat(r.getStatus()).isEqualTo(400);
    assertThat(json(r).path("errors").get(0).asText()).startsWith("haltWhen[0].query: 1:");
  }

  @Test
  void invalidExperimentIsRejectedNamingTheField() throws IOException {
    Response r = as(OPERATOR, "/api/chaos/experiments")
        .post(Entity.entity(EXPERIMENT.replace("duration: 2m", "duration: forever"), "application/yaml"));
    assertThat(r.getStatus()).isEqualTo(400);
    assertThat(json(r).path("errors").get(0).asText())
        .isEqualTo("method[0].duration: must be a positive duration like 2m (got 'forever')");
  }

  @Test
  void bytesThatAreNotUtf8AreRejectedInsteadOfReplaced() throws IOException {
    byte[] utf8 = EXPERIMENT.replace("gateway survives", "gateway \u00fcberlebt").getBytes(StandardCharsets.UTF_8);
    byte[] bad = EXPERIMENT.getBytes(StandardCharsets.UTF_8);
    bad[7] = (byte) 0xff;
    Response r = as(OPERATOR, "/api/chaos/experiments").post(Entity.entity(bad, "application/yaml"));
    assertThat(r.getStatus()).isEqualTo(400);
    assertThat(json(r).path("errors").get(0).asText()).isEqualTo("body: not valid UTF-8 at byte 7");
    String id = create();
    r = as(OPERATOR, "/api/chaos/experiments/" + id).put(Entity.entity(bad, "application/yaml; charset=utf-8"));
    assertThat(r.getStatus()).isEqualTo(400);
    assertThat(json(r).path("errors").get(0).asText()).isEqualTo("body: not valid UTF-8 at byte 7");
    assertThat(json(as(VIEWER, "/api/chaos/experiments/" + id).get()).path("title").asText())
        .isEqualTo("gateway survives a slow inventory");

    // a declared charset is honoured; one the JVM does not know is 415, not a server error
    byte[] latin1 = EXPERIMENT.replace("gateway survives", "gateway \u00fcberlebt").getBytes(StandardCharsets.ISO_8859_1);
    r = as(OPERATOR, "/api/chaos/experiments/" + id).put(Entity.entity(latin1, "application/yaml; charset=iso-8859-1"));
    assertThat(r.getStatus()).isEqualTo(200);
    assertThat(json(as(VIEWER, "/api/chaos/experiments/" + id).get()).path("title").asText())
        .isEqualTo("gateway \u00fcberlebt a slow inventory");
    r = as(OPERATOR, "/api/chaos/experiments").post(Entity.entity(utf8, "application/yaml; charset=nope"));
    assertThat(r.getStatus()).isEqualTo(415);
    assertThat(json(r).path("message").asText())
        .isEqualTo("unsupported charset 'nope' in the Content-Type; send the body as UTF-8");
  }

  @Test
  void dryRunPlansThenRunStartsAndAborts() throws IOException {
    String id = create();
    Response dry = as(OPERATOR, "/api/chaos/experiments/" + id + "/runs?dryRun=true").post(Entity.text(""));
    assertThat(dry.getStatus()).as(() -> dry.readEntity(String.class)).isEqualTo(200);
    JsonNode plan = json(dry).path("plan");
    assertThat(plan.path("faults").get(0).path("description").asText()).isEqualTo("nothing on inventory");
    assertThat(plan.path("refused").isNull()).isTrue();

    Response started = as(OPERATOR, "/api/chaos/experiments/" + id + "/runs").post(Entity.text(""));
    assertThat(started.getStatus()).isEqualTo(202);
    String runId = json(started).path("runId").asText();
    JsonNode run = json(as(VIEWER, "/api/chaos/runs/" + runId).get());
    assertThat(run.path("experiment").asText()).isEqualTo(id);
    assertThat(run.has("journal")).isTrue();
    assertThat(run.at("/experimentDefinition/method/0/target").asText()).isEqualTo("inventory");

    assertThat(as(OPERATOR, "/api/chaos/experiments/" + id + "/runs").post(Entity.text("")).getStatus()).isEqualTo(409);
    Response abort = as(OPERATOR, "/api/chaos/runs/" + runId + "/abort").post(Entity.text(""));
    // 202 while the faults are reverted in the background, 200 if that was already done
    assertThat(abort.getStatus()).isIn(200, 202);
    assertThat(json(abort).path("status").asText()).isIn("aborting", "aborted");
    Response again = as(OPERATOR, "/api/chaos/runs/" + runId + "/abort").post(Entity.text(""));
    assertThat(again.getStatus()).isIn(200, 202);
    await().atMost(Duration.ofSeconds(10))
        .until(() -> json(as(VIEWER, "/api/chaos/runs/" + runId).get()).path("status").asText().equals("aborted"));
    JsonNode after = json(as(VIEWER, "/api/chaos/runs/" + runId).get());
    assertThat(after.path("status").asText()).isEqualTo("aborted");
    assertThat(after.path("reason").asText()).isEqualTo("aborted by olivia");
    JsonNode runs = json(as(VIEWER, "/api/chaos/runs?experiment=" + id + "&status=aborted").get());
    assertThat(runs.path("data").findValuesAsText("runId")).containsExactly(runId);
    assertThat(as(VIEWER, "/api/chaos/runs?status=bogus").get().getStatus()).isEqualTo(400);

    Response report = as(VIEWER, "/api/chaos/runs/" + runId + "/report").get();
    assertThat(report.getStatus()).isEqualTo(200);
    assertThat(report.getMediaType().isCompatible(MediaType.TEXT_HTML_TYPE)).isTrue();
    assertThat(report.readEntity(String.class)).contains("aborted by olivia");

    JsonNode annotations = json(as(VIEWER, "/api/chaos/annotations?start=" + Instant.now().minusSeconds(600).toEpochMilli()).get());
    assertThat(annotations.path("data").findValuesAsText("run")).contains(runId);
    assertThat(AGENT.audit(50)).anySatisfy(a -> {
      assertThat(a.principal()).isEqualTo("olivia");
      assertThat(a.action()).isEqualTo("run.abort");
    });
    assertThat(as(VIEWER, "/api/chaos/runs/nope").get().getStatus()).isEqualTo(404);
  }

  @Test
  void annotationTimesBeyondUnixMillisecondsAre400() throws IOException {
    // these overflowed Instant.toEpochMilli in the store and were a 500
    for (String query : new String[] {"end=-9223372036854775808", "end=-9223372036854775809"}) {
      Response r = as(VIEWER, "/api/chaos/annotations?" + query).get();
      assertThat(r.getStatus()).as(query).isEqualTo(400);
      assertThat(json(r).path("message").asText())
          .isEqualTo("start and end must be within the range of Unix milliseconds");
    }
  }

  @Test
  void killSwitchNeedsAnOperator() throws IOException {
    Response on = as(OPERATOR, "/api/chaos/switch").post(Entity.json("{\"engaged\":true,\"reason\":\"test\"}"));
    assertThat(on.getStatus()).isEqualTo(200);
    assertThat(json(as(VIEWER, "/api/chaos/switch").get()).path("engaged").asBoolean()).isTrue();
    Response off = as(OPERATOR, "/api/chaos/switch").post(Entity.json("{\"engaged\":false}"));
    assertThat(json(off).path("engaged").asBoolean()).isFalse();
    assertThat(as(OPERATOR, "/api/chaos/switch").post(Entity.json("{}")).getStatus()).isEqualTo(400);
  }

  /** Does nothing, so the API can be exercised without touching any service. */
  static final class NoopInjector implements FaultInjector {
    @Override
    public String type() {
      return "noop";
    }

    @Override
    public List<String> validate(FaultSpec spec) {
      return List.of();
    }

    @Override
    public String describe(FaultSpec spec) {
      return "nothing on " + spec.target();
    }

    @Override
    public ActiveFault inject(FaultSpec spec, FaultContext context) {
      return new ActiveFault() {
        @Override
        public FaultSpec spec() {
          return spec;
        }

        @Override
        public void renew(Instant leaseUntil) {}

        @Override
        public void revert() {}
      };
    }
  }
}
