/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.experiment;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * One signal an experiment watches, with the range it must stay in. Three kinds:
 *
 * <ul>
 *   <li>{@link Kind#PROMQL}: a PromQL instant query over Faultline's metric store; every series of
 *       the answer must be within the tolerance. As a halt condition without a tolerance, the
 *       condition is breached as soon as the query returns any series (so {@code ... > 0.05} reads
 *       naturally).
 *   <li>{@link Kind#TRACE}: the error ratio or a latency percentile of a service (and optionally
 *       one operation) over a window, from span metrics, falling back to trace search.
 *   <li>{@link Kind#HTTP}: an HTTP request whose status must match; the value is the response time
 *       in seconds, which the tolerance (if any) bounds.
 * </ul>
 *
 * @param name shown in the journal and the report
 * @param kind which of the three
 * @param query the PromQL expression (PROMQL only)
 * @param trace the trace-derived check (TRACE only)
 * @param http the request (HTTP only)
 * @param tolerance the accepted range; null only for PROMQL halt conditions and HTTP probes
 */
public record Probe(
    String name, Kind kind, String query, TraceCheck trace, HttpCheck http, Tolerance tolerance) {

  public Probe {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
  }

  /** The kinds of probe. */
  public enum Kind {
    PROMQL,
    TRACE,
    HTTP;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
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
}
