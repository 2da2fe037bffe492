/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.alerts;

import io.faultline.alert.Alerting;
import io.faultline.alert.SloStatus;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The SLO page's API. {@code GET /api/slos} answers {@code {"slos":[{id, name, service,
 * description, objective, window, errorBudget, errorBudgetRemaining, errorRatios:{"5m":..},
 * burnRates:{..}, alerts:[{severity, longWindow, shortWindow, factor, state}]}]}}; {@code GET
 * /api/slos/{name}} one of them or 404. Ratios are fractions; a window without traffic is {@code
 * null}. {@code id} is the {@code sloth_id} label of the SLO's generated series ({@code
 * <service>-<name>}), so a client can chart them with {@code /api/v1/query_range}.
 */
@Path("/api/slos")
@Produces(MediaType.APPLICATION_JSON)
public final class SloResource {
  private final Alerting alerting;

  public SloResource(Alerting alerting) {
    this.alerting = Objects.requireNonNull(alerting, "alerting");
  }

  @GET
  public Response list() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (SloStatus s : alerting.slos()) {
      out.add(json(s));
    }
    return Response.ok(Map.of("slos", out)).build();
  }

  @GET
  @Path("{name}")
  public Response one(@PathParam("name") String name) {
    for (SloStatus s : alerting.slos()) {
      if (s.name().equals(name)) {
        return Response.ok(json(s)).build();
      }
    }
    return Response.status(404)
        .entity(Map.of("error", "no SLO named \"" + name + "\"; GET /api/slos lists them"))
        .build();
  }

  private static Map<String, Object> json(SloStatus s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", s.service() + "-" + s.name());
    m.put("name", s.name());
    m.put("service", s.service());
    m.put("description", s.description());
    m.put("objective", s.objective());
    m.put("window", s.window());
    m.put("errorBudget", s.errorBudget());
    m.put("errorBudgetRemaining", finite(s.errorBudgetRemaining()));
    m.put("errorRatios", finite(s.errorRatios()));
    m.put("burnRates", finite(s.burnRates()));
    List<Map<String, Object>> alerts = new ArrayList<>();
    for (SloStatus.BurnRateAlert a : s.alerts()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("severity", a.severity());
      x.put("longWindow", a.longWindow());
      x.put("shortWindow", a.shortWindow());
      x.put("factor", a.factor());
      x.put("state", a.state());
      alerts.add(x);
    }
    m.put("alerts", alerts);
    return m;
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static Map<String, Double> finite(Map<String, Double> in) {
    Map<String, Double> out = new LinkedHashMap<>();
    in.forEach((k, v) -> out.put(k, finite(v)));
    return out;
  }
}
