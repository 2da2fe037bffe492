/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code alerting:} section of the server configuration (Jackson-bindable; durations in
 * Prometheus syntax such as {@code 30s}, {@code 5m}, {@code 4h}). Example:
 *
 * <pre>
 * alerting:
 *   ruleFiles: [rules/*.yml, /etc/prometheus/alerts.yml]
 *   sloFiles: [slos.yml]
 *   evaluationInterval: 1m
 *   externalUrl: http://faultline.example:8080
 *   externalLabels: {cluster: prod}
 *   notifications:
 *     groupBy: [alertname]
 *     groupWait: 30s
 *     groupInterval: 5m
 *     repeatInterval: 4h
 *     receivers:
 *       - name: oncall
 *         url: http://alert-gateway:9099/hook
 * </pre>
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public final class AlertingConfig {
  /** Rule files in Prometheus' format; a name may be a glob in its last path element. */
  public List<String> ruleFiles = new ArrayList<>();

  /** SLO files (see the module README). */
  public List<String> sloFiles = new ArrayList<>();

  /** Evaluation interval of groups without their own {@code interval} (Prometheus: 1m). */
  public String evaluationInterval = "1m";

  /** Evaluation interval of the groups generated for SLOs. */
  public String sloEvaluationInterval = "1m";

  /** How often files are checked for changes and reloaded; 0 disables the check. */
  public String reloadCheckInterval = "30s";

  /** Base of alerts' {@code generatorURL} and of webhook payloads' {@code externalURL}. */
  public String externalUrl = "http://localhost:8080";

  /** Labels templates see as {@code $externalLabels} (not added to alerts). */
  public Map<String, String> externalLabels = new LinkedHashMap<>();

  /** Where alert state is kept across restarts, relative to the data directory. */
  public String stateFile = "alerting/alerts-state.json";

  public Notifications notifications = new Notifications();

  /** Alertmanager-style routing of every alert to every receiver. */
  @JsonIgnoreProperties(ignoreUnknown = false)
  public static final class Notifications {
    /** Labels that split alerts into notification groups; {@code ["..."]} means every label. */
    public List<String> groupBy = new ArrayList<>(List.of("alertname"));

    /** How long a new group waits for more alerts before its first notification. */
    public String groupWait = "30s";

    /** How long to wait before notifying a group again after it changed. */
    public String groupInterval = "5m";

    /** How long to wait before repeating a notification that did not change. */
    public String repeatInterval = "4h";

    /** Attempts per notification before it is counted as a dead letter. */
    public int maxAttempts = 6;

    /** First retry delay; doubled after each failed attempt up to {@link #maxBackoff}. */
    public String initialBackoff = "1s";

    public String maxBackoff = "1m";

    /** Timeout of one HTTP attempt. */
    public String timeout = "10s";

    public List<Receiver> receivers = new ArrayList<>();
  }

  /** An Alertmanager-compatible webhook receiver. */
  @JsonIgnoreProperties(ignoreUnknown = false)
  public static final class Receiver {
    public String name = "webhook";

    /** The URL payloads are POSTed to. */
    public String url;

    /** Also notify when alerts resolve (Alertmanager's webhook default: true). */
    public boolean sendResolved = true;

    /** Sent as {@code Authorization: Bearer ...} when set. */
    public String bearerToken;

    /** At most this many alerts per payload (the rest counted in truncatedAlerts); 0 = all. */
    public int maxAlerts;

    public Receiver() {}

    public Receiver(String name, String url) {
      this.name = name;
      this.url = url;
    }
  }
}
