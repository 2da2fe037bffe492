/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.experiment;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One signal an experiment watches, with the range it must stay in. Five kinds:
 *
 * <ul>
 *   <li>{@link Kind#PROMQL}: a PromQL instant query over Faultline's metric store; every series of
 *       the answer must be within the tolerance. As a halt condition without a tolerance, the
 *       condition is breached as soon as the query returns any series (so {@code ... > 0.05} reads
 *       naturally).
 *   <li>{@link Kind#TRACE}: the error ratio or a latency percentile of a service (and optionally
 *       one operation) over a window, from span metrics, falling back to trace search.
 *   <li>{@link Kind#HTTP}: an HTTP request whose status must match ({@code expectStatus}, any 2xx
 *       by default); the value is the response time in seconds, which the tolerance (if any)
 *       bounds. No answer within the timeout fails the probe; as a halt condition, a failing HTTP
 *       probe halts the run.
 *   <li>{@link Kind#ALERT} (halt conditions only): breached while an alerting rule of that name,
 *       with labels containing the given ones, is firing (not merely pending).
 *   <li>{@link Kind#SLO_BURN_RATE} (halt conditions only): breached while an SLO's burn rate over
 *       a trailing window is above a threshold, e.g. 14.4 over 5m.
 * </ul>
 *
 * <p>The last two are answered by alerting ({@code io.faultline.core.alert.AlertStatus}); an
 * unknown alert is never firing, and an unknown SLO or a window without traffic has no burn rate,
 * so neither halts a run.
 *
 * @param name shown in the journal and the report
 * @param kind which of the five
 * @param query the PromQL expression (PROMQL only)
 * @param trace the trace-derived check (TRACE only)
 * @param http the request (HTTP only)
 * @param tolerance the accepted range; optional for HTTP probes (it bounds the response time in
 *     seconds), null for PROMQL halt conditions without one, ALERT and SLO_BURN_RATE
 * @param alert the alert to watch (ALERT only)
 * @param burnRate the SLO burn rate to watch (SLO_BURN_RATE only)
 */
public record Probe(
    String name,
    Kind kind,
    String query,
    TraceCheck trace,
    HttpCheck http,
    Tolerance tolerance,
    AlertCheck alert,
    BurnRateCheck burnRate) {

  public Probe {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
  }

  /** A PROMQL, TRACE or HTTP probe. */
  public Probe(
      String name, Kind kind, String query, TraceCheck trace, HttpCheck http, Tolerance tolerance) {
    this(name, kind, query, trace, http, tolerance, null, null);
  }

  /** The kinds of probe. */
  public enum Kind {
    PROMQL("promql"),
    TRACE("trace"),
    HTTP("http"),
    ALERT("alert"),
    SLO_BURN_RATE("sloBurnRate");

    private final String wireName;

    Kind(String wireName) {
      this.wireName = wireName;
    }

    /** The {@code type} an experiment writes. */
    public String wireName() {
      return wireName;
    }

    /** Whether the kind reads alerting's state, and so is only allowed in {@code haltWhen}. */
    public boolean alerting() {
      return this == ALERT || this == SLO_BURN_RATE;
    }
  }

  /** What a trace probe measures. */
  public enum Measure {
    ERROR_RATIO("errorRatio"),
    LATENCY("latency");

    private final String wireName;

    Measure(String wireName) {
      this.wireName = wireName;
    }

    public String wireName() {
      return wireName;
    }
  }

  /**
   * @param service the service whose spans count
   * @param operation one span name, or null for all of the service's
   * @param measure error ratio (0..1) or latency (seconds)
   * @param percentile for latency, e.g. 0.99
   * @param window how far back the rate or percentile looks, e.g. 1m
   */
  public record TraceCheck(
      String service, String operation, Measure measure, double percentile, Duration window) {}

  /**
   * @param url where to send the request
   * @param method GET, POST, ...
   * @param timeout how long to wait for the answer
   * @param expectStatus the status the answer must have, or 0 for any 2xx
   */
  public record HttpCheck(URI url, String method, Duration timeout, int expectStatus) {}

  /**
   * @param alert the alerting rule's name (label {@code alertname})
   * @param labels labels the firing instance must have, exact match; empty for any instance
   */
  public record AlertCheck(String alert, Map<String, String> labels) {
    public AlertCheck {
      Objects.requireNonNull(alert, "alert");
      labels = Map.copyOf(labels);
    }
  }

  /**
   * @param slo the SLO's name as declared in alerting's configuration
   * @param window the trailing window of the burn rate, whole seconds
   * @param above the burn rate above which the condition is breached (1 spends the budget exactly
   *     over the SLO's window; 14.4 is the usual "page now" threshold)
   */
  public record BurnRateCheck(String slo, Duration window, double above) {
    public BurnRateCheck {
      Objects.requireNonNull(slo, "slo");
      Objects.requireNonNull(window, "window");
    }
  }
}
