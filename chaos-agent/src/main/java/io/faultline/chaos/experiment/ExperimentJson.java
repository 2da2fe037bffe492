/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.faultline.chaos.fault.FaultSpec;
import java.util.Collection;

import java.util.Map;

/**
 * The canonical JSON form of an experiment, in the shape {@link ExperimentParser} reads: parsing
 * it again yields an equal experiment. Durations are written Prometheus style ({@code 2m}).
 */
public final class ExperimentJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private ExperimentJson() {}

  public static ObjectNode toJson(Experiment e) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("title", e.title());
    o.put("description", e.description());
    if (e.schedule() != null) {
      Schedule s = e.schedule();
      ObjectNode so = o.putObject("schedule");
      so.put("cron", s.cron());
      so.put("timeZone", s.zone().getId());
      so.put("maxRunTime", Durations.format(s.maxRunTime()));
      ArrayNode bs = so.putArray("blackouts");
      for (Blackout b : s.blackouts()) {
        ObjectNode bo = bs.addObject();
        if (b.recurring()) {
          if (!b.days().isEmpty()) {
            ArrayNode days = bo.putArray("days");
            b.days().stream().sorted().forEach(d -> days.add(d.name().substring(0, 3)));
          }
          bo.put("from", b.from().toString());
          bo.put("to", b.to().toString());
        } else {
          bo.put("start", b.start().toString());
          bo.put("end", b.end().toString());
        }
        if (b.reason() != null) {
          bo.put("reason", b.reason());
        }
      }
    }
    ArrayNode targets = o.putArray("targets");
    e.targets().forEach(t -> targets.addObject().put("service", t.service()));
    o.set("steadyState", probes(e.steadyState()));
    ArrayNode method = o.putArray("method");
    for (FaultSpec f : e.method()) {
      ObjectNode fo = method.addObject();
      fo.put("name", f.name());
      fo.put("type", f.type());
      fo.put("target", f.target());
      fo.set("parameters", MAPPER.valueToTree(f.parameters()));
      fo.put("duration", Durations.format(f.duration()));
    }
    o.set("haltWhen", probes(e.haltWhen()));
    ArrayNode rollbacks = o.putArray("rollbacks");
    for (Rollback r : e.rollbacks()) {
      ObjectNode ro = rollbacks.addObject();
      ro.put("name", r.name());
      ro.put("type", "http");
      ro.put("url", r.url().toString());
      ro.put("method", r.method());
      if (r.body() != null) {
        ro.put("body", r.body());
      }
      if (!r.headers().isEmpty()) {
        ro.set("headers", MAPPER.valueToTree(r.headers()));
      }
      ro.put("timeout", Durations.format(r.timeout()));
    }
    o.put("recoveryDeadline", Durations.format(e.recoveryDeadline()));
    return o;
  }

  /** One probe as the experiment writes it. */
  public static ObjectNode probe(Probe p) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("type", p.kind().wireName());
    o.put("name", p.name());
    switch (p.kind()) {
      case PROMQL -> o.put("query", p.query());
      case TRACE -> {
        Probe.TraceCheck t = p.trace();
        o.put("service", t.service());
        if (t.operation() != null) {
          o.put("operation", t.operation());
        }
        o.put("measure", t.measure().wireName());
        if (t.measure() == Probe.Measure.LATENCY) {
          o.put("percentile", t.percentile());
        }
        o.put("window", Durations.format(t.window()));
      }
      case HTTP -> {
        Probe.HttpCheck h = p.http();
        o.put("url", h.url().toString());
        o.put("method", h.method());
        o.put("timeout", Durations.format(h.timeout()));
        if (h.expectStatus() != 0) {
          o.put("expectStatus", h.expectStatus());
        }
      }
      case ALERT -> {
        o.put("alert", p.alert().alert());
        if (!p.alert().labels().isEmpty()) {
          ObjectNode labels = o.putObject("labels");
          new java.util.TreeMap<>(p.alert().labels()).forEach(labels::put);
        }
      }
      case SLO_BURN_RATE -> {
        o.put("slo", p.burnRate().slo());
        o.put("window", Durations.format(p.burnRate().window()));
        o.put("above", p.burnRate().above());
      }
      default -> throw new IllegalStateException();
    }
    if (p.tolerance() != null) {
      ObjectNode t = o.putObject("tolerance");
      if (p.tolerance().min() != null) {
        t.put("min", p.tolerance().min());
      }
      if (p.tolerance().max() != null) {
        t.put("max", p.tolerance().max());
      }
    }
    return o;
  }

  private static ArrayNode probes(Collection<Probe> probes) {
    ArrayNode a = MAPPER.createArrayNode();
    probes.forEach(p -> a.add(probe(p)));
    return a;
  }

  /** A fault spec's parameters as JSON text, for storing. */
  public static String parametersJson(Map<String, Object> parameters) {
    return MAPPER.valueToTree(parameters).toString();
  }

  /** Reads parameters stored with {@link #parametersJson}. */
  public static Map<String, Object> parametersFromJson(String json) {
    try {
      JsonNode n = MAPPER.readTree(json);
      return ExperimentParser.toMap(n);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("stored fault parameters are not JSON: " + e.getMessage(), e);
    }
  }
}
