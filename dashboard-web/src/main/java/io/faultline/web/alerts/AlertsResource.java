/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.alerts;

import io.faultline.alert.Alerting;
import io.faultline.alert.RuleGroupSnapshot;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code GET /api/v1/alerts} as Prometheus answers it: every pending and firing alert ({@code
 * labels}, {@code annotations}, {@code state}, {@code activeAt}, {@code keepFiringSince} when
 * set, {@code value} as {@code "1e+00"}).
 */
@Path("/api/v1/alerts")
@Produces(MediaType.APPLICATION_JSON)
public final class AlertsResource {
  private final Alerting alerting;

  public AlertsResource(Alerting alerting) {
    this.alerting = Objects.requireNonNull(alerting, "alerting");
  }

  @GET
  public Response alerts() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (RuleGroupSnapshot g : alerting.groups()) {
      for (RuleGroupSnapshot.Rule r : g.rules()) {
        for (RuleGroupSnapshot.Alert a : r.alerts()) {
          out.add(AlertJson.alert(a));
        }
      }
    }
    return Response.ok(AlertJson.success(Map.of("alerts", out))).build();
  }
}
