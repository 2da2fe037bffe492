/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.faultline.chaos.Annotation;
import io.faultline.chaos.ChaosAgent;
import io.faultline.chaos.ChaosConflictException;
import io.faultline.chaos.ChaosNotFoundException;
import io.faultline.chaos.ExperimentRecord;
import io.faultline.chaos.RunRecord;
import io.faultline.chaos.RunStatus;
import io.faultline.chaos.experiment.ExperimentValidationException;
import io.faultline.web.auth.Role;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

/**
 * The chaos API of interfaces.md. Reads are open to every authenticated role; everything that
 * changes state needs {@code operator}, and the acting principal's name goes to the agent's audit
 * log. Validation problems answer 400 with {@code {"errors":[...]}} naming each field; unknown
 * ids 404; a run that may not start now (kill switch, overlap, blackout, blast radius) 409 with the
 * reason and the plan.
 */
@Path("/api/chaos")
@Produces(MediaType.APPLICATION_JSON)
public final class ChaosResource {
  /** Default look-back of {@code /annotations} without {@code start}. */
  static final Duration DEFAULT_ANNOTATION_RANGE = Duration.ofHours(6);

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String YAML = "application/yaml";
  private static final ObjectMapper YAML_MAPPER = new ObjectMapper(new YAMLFactory());
  private final ChaosAgent agent;
  private final Clock clock;

  public ChaosResource(ChaosAgent agent, Clock clock) {
    this.agent = agent;
    this.clock = clock;
  }

  @POST
  @Path("/experiments")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed(Role.OPERATOR_NAME)
  public Response create(byte[] body, @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, @Context SecurityContext sc) {
    try {
      String id = agent.createExperiment(decode(body, contentType), contentType, who(sc));
      return Response.status(Response.Status.CREATED).entity(Map.of("id", id)).build();
    } catch (ExperimentValidationException e) {
      return invalid(e);
    } catch (UnknownCharset e) {
      return unsupportedCharset(e);
    }
  }

  @GET
  @Path("/experiments")
  public Map<String, Object> list() {
    ArrayNode out = MAPPER.createArrayNode();
    for (ExperimentRecord r : agent.experiments()) {
      out.add(agent.experimentJson(r));
    }
    return Map.of("data", out, "total", out.size());
  }

  @GET
  @Path("/experiments/{id}")
  public Response get(@PathParam("id") String id) {
    return agent.experiment(id).map(r -> Response.ok(agent.experimentJson(r)).build())
        .orElseGet(() -> notFound("no experiment " + id));
  }

  /** The same experiment as YAML, for {@code Accept: application/yaml} (JSON stays the default). */
  @GET
  @Path("/experiments/{id}")
  @Produces({YAML + ";qs=0.5", "application/x-yaml;qs=0.5", "text/yaml;qs=0.5"})
  public Response getYaml(@PathParam("id") String id) {
    return agent.experiment(id).map(r -> {
      try {
        return Response.ok(YAML_MAPPER.writeValueAsString(agent.experimentJson(r)), YAML + "; charset=utf-8").build();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }).orElseGet(() -> notFound("no experiment " + id));
  }

  @PUT
  @Path("/experiments/{id}")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed(Role.OPERATOR_NAME)
  public Response update(@PathParam("id") String id, byte[] body,
      @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, @Context SecurityContext sc) {
    try {
      agent.updateExperiment(id, decode(body, contentType), contentType, who(sc));
      return Response.ok(Map.of("id", id)).build();
    } catch (ExperimentValidationException e) {
      return invalid(e);
    } catch (UnknownCharset e) {
      return unsupportedCharset(e);
    } catch (ChaosNotFoundException e) {
      return notFound(e.getMessage());
    }
  }

  @DELETE
  @Path("/experiments/{id}")
  @RolesAllowed(Role.OPERATOR_NAME)
  public Response delete(@PathParam("id") String id, @Context SecurityContext sc) {
    try {
      agent.deleteExperiment(id, who(sc));
      return Response.noContent().build();
    } catch (ChaosNotFoundException e) {
      return notFound(e.getMessage());
    }
  }

  @POST
  @Path("/experiments/{id}/runs")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed(Role.OPERATOR_NAME)
  public Response run(@PathParam("id") String id, @QueryParam("dryRun") boolean dryRun, @Context SecurityContext sc) {
    try {
      if (dryRun) {
        ObjectNode plan = agent.dryRun(id, who(sc));
        return Response.ok(Map.of("dryRun", true, "plan", plan)).build();
      }
      String runId = agent.startRun(id, who(sc));
      return Response.accepted(Map.of("runId", runId)).build();
    } catch (ChaosNotFoundException e) {
      return notFound(e.getMessage());
    } catch (ExperimentValidationException e) {
      return invalid(e);
    } catch (ChaosConflictException e) {
      ObjectNode body = MAPPER.createObjectNode();
      body.put("code", 409);
      body.put("message", e.getMessage());
      body.set("plan", e.details());
      return Response.status(Response.Status.CONFLICT).entity(body).build();
    }
  }

  @GET
  @Path("/runs")
  public Response runs(@QueryParam("experiment") String experiment, @QueryParam("status") String status,
      @QueryParam("limit") String limitText) {
    int limit = 200;
    if (limitText != null && !limitText.isBlank()) {
      try {
        limit = Integer.parseInt(limitText.trim());
      } catch (NumberFormatException e) {
        return badRequest("limit must be a whole number from 1 to 1000, not '" + limitText + "'");
      }
      if (limit < 1) {
        return badRequest("limit must be a whole number from 1 to 1000, not " + limit);
      }
    }
    RunStatus s = null;
    if (status != null && !status.isBlank()) {
      try {
        s = RunStatus.parse(status);
      } catch (IllegalArgumentException e) {
        return badRequest(e.getMessage());
      }
    }
    ArrayNode out = MAPPER.createArrayNode();
    for (RunRecord r : agent.runs(experiment == null || experiment.isBlank() ? null : experiment, s, limit)) {
      out.add(agent.runJson(r, false));
    }
    return Response.ok(Map.of("data", out, "total", out.size())).build();
  }

  @GET
  @Path("/runs/{runId}")
  public Response runOne(@PathParam("runId") String runId) {
    return agent.run(runId).map(r -> Response.ok(withDefinition(agent.runJson(r, true), r)).build())
        .orElseGet(() -> notFound("no run " + runId));
  }

  /**
   * The experiment as this run executed it, so the run view charts the probes the run checked even
   * after the experiment was edited or deleted.
   */
  private static ObjectNode withDefinition(ObjectNode run, RunRecord r) {
    try {
      run.set("experimentDefinition", r.experimentJson() == null ? null : MAPPER.readTree(r.experimentJson()));
    } catch (java.io.IOException e) {
      run.putNull("experimentDefinition");
    }
    return run;
  }

  @POST
  @Path("/runs/{runId}/abort")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed(Role.OPERATOR_NAME)
  public Response abort(@PathParam("runId") String runId, @Context SecurityContext sc) {
    try {
      boolean aborted = agent.abortRun(runId, who(sc));
      RunRecord r = agent.run(runId).orElseThrow(() -> new ChaosNotFoundException("no run " + runId));
      // 202 while the faults are reverted and the rollbacks run in the background, 200 once over
      return Response.status(r.status().isFinal() ? Response.Status.OK : Response.Status.ACCEPTED)
          .entity(Map.of("runId", runId, "aborted", aborted, "status", ChaosAgent.statusName(r))).build();
    } catch (ChaosNotFoundException e) {
      return notFound(e.getMessage());
    }
  }

  @GET
  @Path("/runs/{runId}/report")
  @Produces(MediaType.TEXT_HTML)
  public Response report(@PathParam("runId") String runId) {
    try {
      return Response.ok(agent.report(runId), MediaType.TEXT_HTML_TYPE.withCharset("utf-8")).build();
    } catch (ChaosNotFoundException e) {
      return notFound(e.getMessage());
    }
  }

  @GET
  @Path("/runs/{runId}/report/{name}")
  @Produces("image/png")
  public Response reportAsset(@PathParam("runId") String runId, @PathParam("name") String name) {
    return agent.reportAsset(runId, name).map(b -> Response.ok(b, "image/png").build())
        .orElseGet(() -> notFound("no report image " + name + " for run " + runId));
  }

  @GET
  @Path("/annotations")
  public Response annotations(@QueryParam("start") String start, @QueryParam("end") String end) {
    Instant e;
    Instant s;
    try {
      e = end == null || end.isBlank() ? clock.instant() : time(end);
      s = start == null || start.isBlank() ? e.minus(DEFAULT_ANNOTATION_RANGE) : time(start);
      // the store compares Unix milliseconds
      s.toEpochMilli();
      e.toEpochMilli();
    } catch (IllegalArgumentException ex) {
      return badRequest(ex.getMessage());
    } catch (ArithmeticException ex) {
      return badRequest("start and end must be within the range of Unix milliseconds");
    }
    if (e.isBefore(s)) {
      return badRequest("end must not be before start");
    }
    ArrayNode out = MAPPER.createArrayNode();
    for (Annotation a : agent.annotations(s, e)) {
      ObjectNode o = out.addObject();
      o.put("id", a.id());
      o.put("time", a.start().toEpochMilli());
      if (a.end() == null) {
        o.putNull("timeEnd");
      } else {
        o.put("timeEnd", a.end().toEpochMilli());
      }
      o.put("experiment", a.experimentId());
      o.put("run", a.runId());
      o.put("fault", a.fault());
      o.put("target", a.target());
      o.put("title", a.title());
      o.put("text", a.text());
      ArrayNode tags = o.putArray("tags").add("chaos");
      if (a.fault() != null) {
        tags.add("fault:" + a.fault());
      }
    }
    return Response.ok(Map.of("data", out, "total", out.size())).build();
  }

  @GET
  @Path("/switch")
  public Map<String, Object> killSwitch() {
    return Map.of("engaged", agent.killSwitchEngaged());
  }

  /** Body {@code {"engaged": true, "reason": "..."}}; engaging stops all chaos at once. */
  @POST
  @Path("/switch")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed(Role.OPERATOR_NAME)
  public Response setKillSwitch(String body, @Context SecurityContext sc) {
    JsonNode n;
    try {
      n = body == null || body.isBlank() ? null : MAPPER.readTree(body);
    } catch (java.io.IOException e) {
      return badRequest("body must be JSON like {\"engaged\": true, \"reason\": \"incident 42\"}");
    }
    if (n == null || !n.path("engaged").isBoolean()) {
      return badRequest("body must be JSON like {\"engaged\": true, \"reason\": \"incident 42\"}");
    }
    agent.killSwitch(n.get("engaged").asBoolean(), n.path("reason").asText(null), who(sc));
    return Response.ok(Map.of("engaged", agent.killSwitchEngaged())).build();
  }

  private static Instant time(String v) {
    try {
      if (v.matches("-?\\d+(\\.\\d+)?")) {
        return Instant.ofEpochMilli((long) Double.parseDouble(v));
      }
      return OffsetDateTime.parse(v).toInstant();
    } catch (DateTimeParseException | NumberFormatException e) {
      throw new IllegalArgumentException("'" + v + "' is not a time: use Unix milliseconds or RFC 3339");
    }
  }

  /**
   * The body as text in the Content-Type's charset (UTF-8 by default), decoded strictly: bytes that
   * are not valid in it are the client's mistake (400 naming the byte), not characters to replace
   * silently with U+FFFD in the stored experiment.
   */
  static String decode(byte[] body, String contentType) throws ExperimentValidationException, UnknownCharset {
    Charset charset = StandardCharsets.UTF_8;
    if (contentType != null) {
      String name = null;
      try {
        name = MediaType.valueOf(contentType).getParameters().get(MediaType.CHARSET_PARAMETER);
      } catch (IllegalArgumentException e) {
        // not a media type: the parser goes by the body's first character then
      }
      if (name != null) {
        try {
          charset = Charset.forName(name);
        } catch (IllegalArgumentException e) {
          throw new UnknownCharset(name);
        }
      }
    }
    if (body == null) {
      return "";
    }
    ByteBuffer in = ByteBuffer.wrap(body);
    try {
      return charset.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(in)
          .toString();
    } catch (CharacterCodingException e) {
      throw new ExperimentValidationException(
          List.of("body: not valid " + charset.name() + " at byte " + in.position()));
    }
  }

  /** A Content-Type charset this JVM does not know: 415, as for the other bodies of the server. */
  static final class UnknownCharset extends Exception {
    UnknownCharset(String name) {
      super("unsupported charset '" + name + "' in the Content-Type; send the body as UTF-8", null, false, false);
    }
  }

  private static Response unsupportedCharset(UnknownCharset e) {
    return Response.status(Response.Status.UNSUPPORTED_MEDIA_TYPE).type(MediaType.APPLICATION_JSON_TYPE)
        .entity(Map.of("code", 415, "message", e.getMessage())).build();
  }

  private static String who(SecurityContext sc) {
    return sc == null || sc.getUserPrincipal() == null ? "anonymous" : sc.getUserPrincipal().getName();
  }

  private static Response invalid(ExperimentValidationException e) {
    return Response.status(Response.Status.BAD_REQUEST)
        .entity(Map.of("code", 400, "message", e.getMessage(), "errors", List.copyOf(e.problems()))).build();
  }

  private static Response badRequest(String message) {
    return Response.status(Response.Status.BAD_REQUEST).type(MediaType.APPLICATION_JSON_TYPE)
        .entity(Map.of("code", 400, "message", message)).build();
  }

  private static Response notFound(String message) {
    return Response.status(Response.Status.NOT_FOUND).type(MediaType.APPLICATION_JSON_TYPE)
        .entity(Map.of("code", 404, "message", message)).build();
  }
}
