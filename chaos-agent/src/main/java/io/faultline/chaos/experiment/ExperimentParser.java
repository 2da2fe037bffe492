/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.experiment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import io.faultline.chaos.fault.FaultInjector;
import io.faultline.chaos.fault.FaultSpec;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads experiments from JSON or YAML and checks every field, collecting all problems before
 * failing (see {@link ExperimentValidationException}). Fault parameters are checked by the
 * injector registered for the fault's type. Thread-safe.
 *
 * <p>The shape, in YAML:
 *
 * <pre>
 * title: checkout survives a slow inventory
 * description: ...
 * schedule: {cron: "0 0 10 * * MON-FRI", timeZone: Europe/Berlin, maxRunTime: 10m,
 *            blackouts: [{days: [SAT, SUN], from: "00:00", to: "23:59"}]}
 * targets: [{service: inventory}]
 * steadyState:
 *   - {type: promql, name: gateway p99, query: "histogram_quantile(...)", tolerance: {max: 1.0}}
 *   - {type: trace, name: gateway errors, service: gateway, measure: errorRatio, window: 1m,
 *      tolerance: {max: 0.01}}
 * method:
 *   - {name: slow-inventory, type: proxy-http, target: inventory, duration: 2m,
 *      parameters: {delayMs: 400, jitterMs: 100}}
 * haltWhen:
 *   - {type: trace, name: gateway error storm, service: gateway, measure: errorRatio, tolerance: {max: 0.05}}
 *   - {type: alert, name: checkout paging, alert: ErrorBudgetBurn, labels: {service: checkout}}
 *   - {type: sloBurnRate, name: budget burning, slo: availability, window: 5m, above: 14.4}
 * rollbacks: [{name: reset flags, url: "http://flags/reset", method: POST}]
 * recoveryDeadline: 2m
 * </pre>
 */
public final class ExperimentParser {
  /** Longest duration a single fault may have. */
  public static final Duration MAX_FAULT_DURATION = Duration.ofHours(6);

  /** Longest time a run may be given to recover after the faults end. */
  public static final Duration MAX_RECOVERY_DEADLINE = Duration.ofHours(6);

  /** Longest {@code schedule.maxRunTime}: the longest fault plus the longest recovery, and more. */
  public static final Duration MAX_RUN_TIME = Duration.ofDays(1);

  /** Longest timeout of an HTTP probe or rollback. */
  public static final Duration MAX_HTTP_TIMEOUT = Duration.ofMinutes(5);

  /** Default time a run may take to recover after the faults end. */
  public static final Duration DEFAULT_RECOVERY_DEADLINE = Duration.ofMinutes(1);

  /** Default window of trace probes. */
  public static final Duration DEFAULT_TRACE_WINDOW = Duration.ofMinutes(1);

  /** Longest window a trace probe may look at. */
  public static final Duration MAX_TRACE_WINDOW = Duration.ofDays(90);

  /** Longest trailing window an SLO burn-rate halt condition may look at. */
  public static final Duration MAX_BURN_RATE_WINDOW = Duration.ofDays(90);

  /** Jackson's "[Source: REDACTED (...); line: 1, column: 1]" in a message: only the place matters. */
  private static final Pattern JACKSON_SOURCE =
      Pattern.compile("\\[Source: [^;]*; line: (\\d+), column: (\\d+)\\]");

  /**
   * Jackson's pointer to its own configuration in a limit's message ("exceeds the maximum allowed
   * (1000, from `StreamReadConstraints.getMaxNestingDepth()`)"): a class name the client cannot act on.
   */
  private static final Pattern JACKSON_INTERNALS = Pattern.compile(",? from `[A-Za-z]+\\.[A-Za-z]+\\(\\)`");

  /** Longest experiment source accepted, in characters. */
  public static final int MAX_SOURCE_CHARS = 256 * 1024;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  private static final Pattern TOLERANCE_TEXT =
      Pattern.compile("\\s*(<=|>=|<|>)\\s*(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)\\s*");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Set<String> TOP =
      Set.of(
          "title", "description", "schedule", "targets", "steadyState", "method", "haltWhen",
          "rollbacks", "recoveryDeadline");

  /** How the source is written. */
  public enum Format {
    JSON,
    YAML;

    /** JSON for a JSON media type or a body starting with a brace, YAML otherwise. */
    public static Format detect(String mediaType, String source) {
      if (mediaType != null) {
        String m = mediaType.toLowerCase(Locale.ROOT);
        if (m.contains("json")) {
          return JSON;
        }
        if (m.contains("yaml") || m.contains("yml")) {
          return YAML;
        }
      }
      return source != null && source.stripLeading().startsWith("{") ? JSON : YAML;
    }
  }

  private final Map<String, FaultInjector> injectors;

  /** @param injectors the fault injectors by {@link FaultInjector#type()} */
  public ExperimentParser(Map<String, FaultInjector> injectors) {
    this.injectors = Map.copyOf(injectors);
  }

  /** Parses and validates; the problems name the field they concern. */
  public Experiment parse(String source, Format format) throws ExperimentValidationException {
    if (source == null || source.isBlank()) {
      throw new ExperimentValidationException(List.of("body: the experiment is empty"));
    }
    if (source.length() > MAX_SOURCE_CHARS) {
      throw new ExperimentValidationException(
          List.of("body: the experiment is longer than " + MAX_SOURCE_CHARS + " characters"));
    }
    JsonNode root;
    ObjectMapper mapper = format == Format.JSON ? JSON : YAML;
    try (com.fasterxml.jackson.core.JsonParser p = mapper.createParser(source)) {
      root = mapper.readTree(p);
      // a second YAML document or JSON value would otherwise be dropped without a word
      if (p.nextToken() != null) {
        com.fasterxml.jackson.core.JsonLocation at = p.currentTokenLocation();
        throw new ExperimentValidationException(
            List.of(
                "body: more than one "
                    + (format == Format.JSON ? "JSON value" : "YAML document")
                    + " (the next starts at line " + at.getLineNr() + ", column " + at.getColumnNr()
                    + "); send one experiment"));
      }
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new ExperimentValidationException(
          List.of(
              "body: not valid "
                  + format.name()
                  + where
                  + ": "
                  + JACKSON_INTERNALS
                      .matcher(JACKSON_SOURCE.matcher(e.getOriginalMessage()).replaceAll("line $1, column $2"))
                      .replaceAll("")));
    } catch (java.io.IOException e) {
      // reading a String fails only as a JsonProcessingException; nothing else can happen here
      throw new java.io.UncheckedIOException(e);
    }
    return parse(root);
  }

  /** Validates an already parsed tree. */
  public Experiment parse(JsonNode root) throws ExperimentValidationException {
    Ctx c = new Ctx();
    if (root == null || !root.isObject()) {
      throw new ExperimentValidationException(List.of("body: must be an object with a title"));
    }
    c.unknown(root, "", TOP);
    String title = c.text(root, "", "title", true);
    if (title != null && title.length() > 200) {
      c.error("title", "must be at most 200 characters");
    }
    String description = c.text(root, "", "description", false);
    List<Target> targets = targets(c, root.get("targets"));
    List<Probe> steady = probes(c, root.get("steadyState"), "steadyState", true);
    List<FaultSpec> method = method(c, root.get("method"), targets);
    List<Probe> halt = probes(c, root.get("haltWhen"), "haltWhen", false);
    List<Rollback> rollbacks = rollbacks(c, root.get("rollbacks"));
    Duration recovery = atMost(c, "recoveryDeadline", c.duration(root, "", "recoveryDeadline", false), MAX_RECOVERY_DEADLINE);
    if (recovery == null) {
      recovery = DEFAULT_RECOVERY_DEADLINE;
    }
    Duration longest =
        method.stream().map(FaultSpec::duration).max(Duration::compareTo).orElse(Duration.ZERO);
    Schedule schedule = schedule(c, root.get("schedule"), longest.plus(recovery));
    if (!c.errors.isEmpty()) {
      throw new ExperimentValidationException(c.errors);
    }
    return new Experiment(
        title, description, schedule, targets, steady, method, halt, rollbacks, recovery);
  }

  /**
   * The steady-state probes of a stored canonical experiment (see {@link ExperimentJson}), for
   * reports; the rest is not checked, so this works even when an injector is gone.
   */
  public static List<Probe> steadyStateOf(JsonNode experimentJson) {
    Ctx c = new Ctx();
    return probes(c, experimentJson.get("steadyState"), "steadyState", true);
  }

  /** The rollbacks of a stored canonical experiment, for recovery after a crash. */
  public static List<Rollback> rollbacksOf(JsonNode experimentJson) {
    return rollbacks(new Ctx(), experimentJson.get("rollbacks"));
  }

  private static List<Target> targets(Ctx c, JsonNode node) {
    List<Target> out = new ArrayList<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (!node.isArray()) {
      c.error("targets", "must be a list of service selectors like [{service: inventory}]");
      return out;
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode t = node.get(i);
      String path = "targets[" + i + "]";
      String service;
      if (t.isTextual()) {
        service = t.asText();
      } else if (t.isObject()) {
        c.unknown(t, path, Set.of("service"));
        service = c.text(t, path, "service", true);
      } else {
        c.error(path, "must be a service name or {service: name}");
        continue;
      }
      if (service == null) {
        continue;
      }
      if (service.isBlank()) {
        c.error(path + ".service", "must not be empty");
      } else if (!seen.add(service)) {
        c.error(path + ".service", "'" + service + "' is listed twice");
      } else {
        out.add(new Target(service));
      }
    }
    return out;
  }

  private List<FaultSpec> method(Ctx c, JsonNode node, List<Target> targets) {
    List<FaultSpec> out = new ArrayList<>();
    if (node == null || node.isNull() || (node.isArray() && node.isEmpty())) {
      c.error("method", "must list at least one fault");
      return out;
    }
    if (!node.isArray()) {
      c.error("method", "must be a list of faults");
      return out;
    }
    Set<String> names = new HashSet<>();
    Set<String> targetNames = new HashSet<>();
    targets.forEach(t -> targetNames.add(t.service()));
    for (int i = 0; i < node.size(); i++) {
      String path = "method[" + i + "]";
      JsonNode f = node.get(i);
      if (!f.isObject()) {
        c.error(path, "must be an object with name, type, target, parameters and duration");
        continue;
      }
      c.unknown(f, path, Set.of("name", "type", "target", "parameters", "duration"));
      int before = c.errors.size();
      String name = c.text(f, path, "name", true);
      if (name != null && !NAME.matcher(name).matches()) {
        c.error(path + ".name", "must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit");
      } else if (name != null && !names.add(name)) {
        c.error(path + ".name", "'" + name + "' is used by another fault; names must be unique");
      }
      String type = c.text(f, path, "type", true);
      FaultInjector injector = null;
      if (type != null) {
        injector = injectors.get(type);
        if (injector == null) {
          c.error(
              path + ".type",
              "unknown fault type '" + type + "'; known: "
                  + (injectors.isEmpty() ? "none (no injector is configured)" : String.join(", ", new java.util.TreeSet<>(injectors.keySet()))));
        }
      }
      String target = c.text(f, path, "target", true);
      if (target != null && !targetNames.isEmpty() && !targetNames.contains(target)) {
        c.error(
            path + ".target",
            "'" + target + "' is not among the experiment's targets ("
                + String.join(", ", new java.util.TreeSet<>(targetNames)) + ")");
      }
      Map<String, Object> parameters = Map.of();
      JsonNode p = f.get("parameters");
      if (p != null && !p.isNull()) {
        if (!p.isObject()) {
          c.error(path + ".parameters", "must be an object of the injector's settings");
        } else {
          parameters = toMap(p);
        }
      }
      Duration duration = c.duration(f, path, "duration", true);
      if (duration != null && duration.compareTo(MAX_FAULT_DURATION) > 0) {
        c.error(path + ".duration", "must be at most " + Durations.format(MAX_FAULT_DURATION));
        duration = null;
      }
      if (c.errors.size() > before || name == null || type == null || target == null || duration == null) {
        continue;
      }
      FaultSpec spec = new FaultSpec(name, type, target, parameters, duration);
      for (String problem : injector.validate(spec)) {
        c.errors.add(injectorProblem(path, problem));
      }
      out.add(spec);
    }
    return out;
  }

  /** Injectors may name the parameter only, or the whole path; both end up as a full path. */
  static String injectorProblem(String path, String problem) {
    if (problem.startsWith("method[")) {
      return problem.replaceFirst("^method\\[\\d+\\]", Matcher.quoteReplacement(path));
    }
    if (problem.startsWith("parameters")) {
      return path + "." + problem;
    }
    return path + ".parameters." + problem;
  }

  private static List<Probe> probes(Ctx c, JsonNode node, String field, boolean steadyState) {
    List<Probe> out = new ArrayList<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (!node.isArray()) {
      c.error(field, "must be a list of probes");
      return out;
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < node.size(); i++) {
      String path = field + "[" + i + "]";
      JsonNode p = node.get(i);
      if (!p.isObject()) {
        c.error(path, "must be a probe object with a type (" + kinds(steadyState) + ")");
        continue;
      }
      Probe probe = probe(c, p, path, steadyState, i);
      if (probe != null) {
        if (!names.add(probe.name())) {
          c.error(path + ".name", "'" + probe.name() + "' is used by another probe");
        }
        out.add(probe);
      }
    }
    return out;
  }

  private static Probe probe(Ctx c, JsonNode p, String path, boolean steadyState, int index) {
    int before = c.errors.size();
    String typeText = c.text(p, path, "type", false);
    Probe.Kind kind;
    if (typeText == null) {
      // the dashboard's editor writes "promql: <expr>" without a type
      kind = p.has("promql") || p.has("query") ? Probe.Kind.PROMQL
          : p.has("url") ? Probe.Kind.HTTP
          : p.has("service") ? Probe.Kind.TRACE
          : p.has("alert") ? Probe.Kind.ALERT
          : p.has("slo") ? Probe.Kind.SLO_BURN_RATE : null;
      if (kind == null) {
        c.error(path + ".type", "is required: " + kinds(steadyState));
        return null;
      }
    } else {
      kind = null;
      for (Probe.Kind k : Probe.Kind.values()) {
        if (k.wireName().equalsIgnoreCase(typeText) || k.name().equalsIgnoreCase(typeText)) {
          kind = k;
        }
      }
      if (kind == null) {
        c.error(path + ".type", "must be " + kinds(steadyState) + ", not '" + typeText + "'");
        return null;
      }
    }
    if (kind.alerting() && steadyState) {
      c.error(path + ".type", kind.wireName() + " conditions are only allowed in haltWhen;"
          + " a steady-state probe must be promql, trace or http");
      return null;
    }
    String name = c.text(p, path, "name", false);
    if (name == null) {
      name = (steadyState ? "probe " : "halt ") + (index + 1);
    }
    Tolerance tolerance = tolerance(c, p.get("tolerance"), path + ".tolerance");
    String query = null;
    Probe.TraceCheck trace = null;
    Probe.HttpCheck http = null;
    Probe.AlertCheck alert = null;
    Probe.BurnRateCheck burnRate = null;
    switch (kind) {
      case PROMQL -> {
        c.unknown(p, path, Set.of("type", "name", "query", "promql", "tolerance"));
        query = c.text(p, path, p.has("promql") ? "promql" : "query", true);
        if (query != null && query.isBlank()) {
          c.error(path + ".query", "must be a PromQL expression");
        }
        if (tolerance == null && steadyState && !p.has("tolerance")) {
          c.error(path + ".tolerance", "is required: the range the value must stay in, e.g. {max: 1.0}");
        }
      }
      case TRACE -> {
        c.unknown(p, path, Set.of("type", "name", "service", "operation", "measure", "percentile", "window", "tolerance"));
        String service = c.text(p, path, "service", true);
        String operation = c.text(p, path, "operation", false);
        String measureText = c.text(p, path, "measure", true);
        Probe.Measure measure = null;
        if (measureText != null) {
          for (Probe.Measure m : Probe.Measure.values()) {
            if (m.wireName().equalsIgnoreCase(measureText) || m.name().equalsIgnoreCase(measureText)) {
              measure = m;
            }
          }
          if (measure == null) {
            c.error(path + ".measure", "must be errorRatio or latency, not '" + measureText + "'");
          }
        }
        double percentile = 0.99;
        JsonNode pn = p.get("percentile");
        if (pn != null) {
          if (!pn.isNumber() || pn.asDouble() <= 0 || pn.asDouble() >= 1) {
            c.error(path + ".percentile", "must be a number between 0 and 1 (exclusive), e.g. 0.99");
          } else {
            percentile = pn.asDouble();
          }
        }
        Duration window = c.duration(p, path, "window", false);
        if (window != null && window.compareTo(MAX_TRACE_WINDOW) > 0) {
          // the metric store's range selector would refuse it at every run ("duration out of range")
          c.error(path + ".window", "must be at most " + Durations.format(MAX_TRACE_WINDOW) + ", e.g. 1m or 1h");
          window = null;
        }
        if (tolerance == null && !p.has("tolerance")) {
          c.error(path + ".tolerance", "is required: the range the value must stay in, e.g. {max: 0.01}");
        }
        if (service != null && measure != null) {
          trace = new Probe.TraceCheck(service, operation, measure, percentile,
              window == null ? DEFAULT_TRACE_WINDOW : window);
        }
      }
      case HTTP -> {
        c.unknown(p, path, Set.of("type", "name", "url", "method", "timeout", "expectStatus", "tolerance"));
        URI url = c.url(p, path, "url", true);
        String method = c.text(p, path, "method", false);
        Duration timeout = atMost(c, path + ".timeout", c.duration(p, path, "timeout", false), MAX_HTTP_TIMEOUT);
        int status = 0;
        JsonNode s = p.get("expectStatus");
        if (s != null) {
          if (!s.canConvertToInt() || s.asInt() < 100 || s.asInt() > 599) {
            c.error(path + ".expectStatus", "must be an HTTP status code between 100 and 599");
          } else {
            status = s.asInt();
          }
        }
        method = sendableMethod(c, path, method, "GET");
        if (url != null && method != null) {
          http = new Probe.HttpCheck(url, method, timeout == null ? Duration.ofSeconds(5) : timeout, status);
        }
      }
      case ALERT -> {
        c.unknown(p, path, Set.of("type", "name", "alert", "labels"));
        String alertName = c.text(p, path, "alert", true);
        if (alertName != null && alertName.isBlank()) {
          c.error(path + ".alert", "must be the name of an alerting rule");
        }
        Map<String, String> labels = labels(c, p.get("labels"), path + ".labels");
        if (alertName != null && labels != null) {
          alert = new Probe.AlertCheck(alertName, labels);
        }
      }
      case SLO_BURN_RATE -> {
        c.unknown(p, path, Set.of("type", "name", "slo", "window", "above"));
        String slo = c.text(p, path, "slo", true);
        if (slo != null && slo.isBlank()) {
          c.error(path + ".slo", "must be the name of an SLO");
        }
        Duration window = c.duration(p, path, "window", true);
        if (window != null && (window.toMillis() % 1000 != 0 || window.compareTo(MAX_BURN_RATE_WINDOW) > 0)) {
          c.error(path + ".window", "must be whole seconds, at most " + Durations.format(MAX_BURN_RATE_WINDOW)
              + ", e.g. 5m or 1h");
          window = null;
        }
        Double above = c.number(p, path, "above");
        if (above == null && !p.has("above")) {
          c.error(path + ".above", "is required: the burn rate that halts the run, e.g. 14.4");
        } else if (above != null && !(above > 0 && Double.isFinite(above))) {
          c.error(path + ".above", "must be a positive number, e.g. 14.4");
          above = null;
        }
        if (slo != null && window != null && above != null) {
          burnRate = new Probe.BurnRateCheck(slo, window, above);
        }
      }
      default -> throw new IllegalStateException();
    }
    if (c.errors.size() > before) {
      return null;
    }
    return new Probe(name, kind, query, trace, http, tolerance, alert, burnRate);
  }

  private static String kinds(boolean steadyState) {
    return steadyState ? "promql, trace or http" : "promql, trace, http, alert or sloBurnRate";
  }

  private static Map<String, String> labels(Ctx c, JsonNode node, String path) {
    Map<String, String> out = new TreeMap<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (!node.isObject()) {
      c.error(path, "must be a map of label names to values, e.g. {service: checkout}");
      return null;
    }
    int before = c.errors.size();
    node.fields().forEachRemaining(e -> {
      if (!e.getValue().isValueNode() || e.getValue().isNull()) {
        c.error(path + "." + e.getKey(), "must be a string");
      } else {
        out.put(e.getKey(), e.getValue().asText());
      }
    });
    return c.errors.size() > before ? null : out;
  }

  private static Tolerance tolerance(Ctx c, JsonNode t, String path) {
    if (t == null || t.isNull()) {
      return null;
    }
    if (t.isTextual()) {
      Matcher m = TOLERANCE_TEXT.matcher(t.asText());
      if (!m.matches()) {
        c.error(path, "must be {min: x, max: y} or a comparison like '< 1'");
        return null;
      }
      double v;
      try {
        v = Double.parseDouble(m.group(2));
      } catch (NumberFormatException e) {
        c.error(path, "'" + m.group(2) + "' is not a number");
        return null;
      }
      return m.group(1).startsWith("<") ? new Tolerance(null, v) : new Tolerance(v, null);
    }
    if (!t.isObject()) {
      c.error(path, "must be {min: x, max: y} or a comparison like '< 1'");
      return null;
    }
    c.unknown(t, path, Set.of("min", "max"));
    Double min = c.number(t, path, "min");
    Double max = c.number(t, path, "max");
    if (min == null && max == null) {
      if (!t.has("min") && !t.has("max")) {
        c.error(path, "needs min, max or both");
      }
      return null;
    }
    if (min != null && max != null && min > max) {
      c.error(path, "min " + min + " is greater than max " + max);
      return null;
    }
    return new Tolerance(min, max);
  }

  private static List<Rollback> rollbacks(Ctx c, JsonNode node) {
    List<Rollback> out = new ArrayList<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (!node.isArray()) {
      c.error("rollbacks", "must be a list of actions like [{name: reset, url: http://..., method: POST}]");
      return out;
    }
    for (int i = 0; i < node.size(); i++) {
      String path = "rollbacks[" + i + "]";
      JsonNode r = node.get(i);
      if (!r.isObject()) {
        c.error(path, "must be an action object with name and url");
        continue;
      }
      c.unknown(r, path, Set.of("name", "type", "url", "method", "body", "headers", "timeout"));
      int before = c.errors.size();
      String type = c.text(r, path, "type", false);
      if (type != null && !type.equals("http")) {
        c.error(path + ".type", "must be http (the only rollback action so far)");
      }
      String name = c.text(r, path, "name", false);
      URI url = c.url(r, path, "url", true);
      String method = sendableMethod(c, path, c.text(r, path, "method", false), "POST");
      String body = c.text(r, path, "body", false);
      Duration timeout = atMost(c, path + ".timeout", c.duration(r, path, "timeout", false), MAX_HTTP_TIMEOUT);
      Map<String, String> headers = new TreeMap<>();
      JsonNode h = r.get("headers");
      if (h != null && !h.isNull()) {
        if (!h.isObject()) {
          c.error(path + ".headers", "must be an object of header names to values");
        } else {
          h.fields().forEachRemaining(e -> headers.put(e.getKey(), e.getValue().asText()));
          // checked with the JDK client's own rules: a header it refuses would fail every run's rollback
          headers.forEach((k, v) -> {
            try {
              HttpRequest.newBuilder().header(k, v);
            } catch (IllegalArgumentException e) {
              c.error(path + ".headers." + k, "cannot be sent (" + e.getMessage()
                  + "); the HTTP client sets Host, Content-Length, Connection and the like itself");
            }
          });
        }
      }
      if (c.errors.size() == before) {
        out.add(new Rollback(name == null ? "rollback " + (i + 1) : name, url, method, body, headers,
            timeout == null ? Duration.ofSeconds(10) : timeout));
      }
    }
    return out;
  }

  /**
   * The method upper-cased, or {@code fallback} when absent; null (with an error) when the JDK
   * client would refuse to send it, so the request fails at validation rather than at every run.
   */
  private static String sendableMethod(Ctx c, String path, String method, String fallback) {
    if (method == null) {
      return fallback;
    }
    String m = method.toUpperCase(Locale.ROOT);
    try {
      HttpRequest.newBuilder().method(m, HttpRequest.BodyPublishers.noBody());
      return m;
    } catch (IllegalArgumentException e) {
      c.error(path + ".method", "must be an HTTP method such as GET, POST or PUT, not '" + method + "'");
      return null;
    }
  }

  private static Schedule schedule(Ctx c, JsonNode s, Duration minimumRunTime) {
    if (s == null || s.isNull()) {
      return null;
    }
    if (s.isTextual()) {
      s = JSON.createObjectNode().put("cron", s.asText());
    }
    if (!s.isObject()) {
      c.error("schedule", "must be an object like {cron: \"0 0 10 * * MON-FRI\", timeZone: Europe/Berlin}");
      return null;
    }
    c.unknown(s, "schedule", Set.of("cron", "timeZone", "timezone", "zone", "blackouts", "maxRunTime"));
    int before = c.errors.size();
    String cron = c.text(s, "schedule", "cron", true);
    String zoneField = s.has("timeZone") ? "timeZone" : s.has("timezone") ? "timezone" : "zone";
    String zoneText = c.text(s, "schedule", zoneField, false);
    ZoneId zone = ZoneOffset.UTC;
    if (zoneText != null) {
      try {
        zone = ZoneId.of(zoneText);
      } catch (DateTimeException e) {
        c.error("schedule." + zoneField, "unknown time zone '" + zoneText + "'; use a region like Europe/Berlin or UTC");
      }
    }
    if (cron != null) {
      cron = normalizeCron(cron);
      try {
        Schedules.cron(cron, zone);
        if (neverFires(cron, zone)) {
          c.error("schedule.cron", "'" + cron + "' never fires (no date matches it, e.g. 30 February)");
        }
      } catch (RuntimeException e) {
        c.error("schedule.cron", "not a valid cron expression '" + cron + "' (seconds minutes hours day-of-month month day-of-week, e.g. \"0 0 10 * * MON-FRI\"): " + e.getMessage());
      }
    }
    Duration maxRunTime = atMost(c, "schedule.maxRunTime", c.duration(s, "schedule", "maxRunTime", false), MAX_RUN_TIME);
    if (maxRunTime != null && maxRunTime.compareTo(minimumRunTime) < 0) {
      c.error("schedule.maxRunTime", Durations.format(maxRunTime)
          + " is shorter than the longest fault plus the recovery deadline (" + Durations.format(minimumRunTime) + ")");
    }
    List<Blackout> blackouts = new ArrayList<>();
    JsonNode bs = s.get("blackouts");
    if (bs != null && !bs.isNull()) {
      if (!bs.isArray()) {
        c.error("schedule.blackouts", "must be a list of windows");
      } else {
        for (int i = 0; i < bs.size(); i++) {
          Blackout b = blackout(c, bs.get(i), "schedule.blackouts[" + i + "]");
          if (b != null) {
            blackouts.add(b);
          }
        }
      }
    }
    if (c.errors.size() > before) {
      return null;
    }
    Duration max = maxRunTime != null ? maxRunTime : Experiment.defaultMaxRunTime(minimumRunTime);
    return new Schedule(cron, zone, blackouts, max);
  }

  /** Five-field (Unix) expressions get a seconds field, so both styles work. */
  /**
   * Whether a valid cron expression matches no time at all. Asked of the cron library db-scheduler
   * itself uses (Spring 5.3 style), which would otherwise schedule such an experiment for the year
   * 2500 and log an error.
   */
  static boolean neverFires(String cron, ZoneId zone) {
    var parser = new com.github.kagkarlsson.shaded.cronutils.parser.CronParser(
        com.github.kagkarlsson.shaded.cronutils.model.definition.CronDefinitionBuilder.instanceDefinitionFor(
            com.github.kagkarlsson.shaded.cronutils.model.CronType.SPRING53));
    return com.github.kagkarlsson.shaded.cronutils.model.time.ExecutionTime.forCron(parser.parse(cron))
        .nextExecution(java.time.ZonedDateTime.now(zone)).isEmpty();
  }

  /** {@code d}, or null with a problem for {@code field} when it is longer than {@code max}. */
  private static Duration atMost(Ctx c, String field, Duration d, Duration max) {
    if (d != null && d.compareTo(max) > 0) {
      c.error(field, Durations.format(d) + " is longer than the limit of " + Durations.format(max));
      return null;
    }
    return d;
  }

  static String normalizeCron(String cron) {
    String t = cron.trim().replaceAll("\\s+", " ");
    return t.split(" ").length == 5 ? "0 " + t : t;
  }

  private static Blackout blackout(Ctx c, JsonNode b, String path) {
    if (!b.isObject()) {
      c.error(path, "must be {days: [SAT, SUN], from: \"00:00\", to: \"23:59\"} or {start: <RFC 3339>, end: <RFC 3339>}");
      return null;
    }
    c.unknown(b, path, Set.of("days", "from", "to", "start", "end", "reason"));
    String reason = c.text(b, path, "reason", false);
    if (b.has("start") || b.has("end")) {
      Instant start = c.instant(b, path, "start");
      Instant end = c.instant(b, path, "end");
      if (start != null && end != null && !end.isAfter(start)) {
        c.error(path + ".end", "must be after start");
        return null;
      }
      return start == null || end == null ? null : new Blackout(null, null, null, start, end, reason);
    }
    LocalTime from = c.time(b, path, "from");
    LocalTime to = c.time(b, path, "to");
    Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
    JsonNode d = b.get("days");
    if (d != null && !d.isNull()) {
      if (!d.isArray()) {
        c.error(path + ".days", "must be a list of days like [SAT, SUN]");
      } else {
        for (int i = 0; i < d.size(); i++) {
          DayOfWeek day = day(d.get(i).asText());
          if (day == null) {
            c.error(path + ".days[" + i + "]", "'" + d.get(i).asText() + "' is not a day (MON..SUN)");
          } else {
            days.add(day);
          }
        }
      }
    }
    if (from == null || to == null) {
      return null;
    }
    if (from.equals(to)) {
      c.error(path + ".to", "must differ from 'from'");
      return null;
    }
    return new Blackout(days, from, to, null, null, reason);
  }

  private static DayOfWeek day(String text) {
    String t = text.trim().toUpperCase(Locale.ROOT);
    for (DayOfWeek d : DayOfWeek.values()) {
      if (d.name().equals(t) || (t.length() >= 3 && d.name().startsWith(t))) {
        return d;
      }
    }
    return null;
  }

  static Map<String, Object> toMap(JsonNode object) {
    Map<String, Object> out = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = object.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      Object v = toValue(e.getValue());
      if (v != null) {
        out.put(e.getKey(), v);
      }
    }
    return out;
  }

  private static Object toValue(JsonNode v) {
    if (v.isObject()) {
      return toMap(v);
    }
    if (v.isArray()) {
      List<Object> list = new ArrayList<>();
      v.forEach(x -> {
        Object o = toValue(x);
        if (o != null) {
          list.add(o);
        }
      });
      return list;
    }
    if (v.isIntegralNumber()) {
      return v.canConvertToLong() ? (Object) v.asLong() : v.decimalValue();
    }
    if (v.isNumber()) {
      return v.asDouble();
    }
    if (v.isBoolean()) {
      return v.asBoolean();
    }
    if (v.isNull()) {
      return null;
    }
    return v.asText();
  }

  /** The problems collected so far, and typed field readers that add to them. */
  private static final class Ctx {
    final List<String> errors = new ArrayList<>();

    void error(String path, String message) {
      errors.add(path + ": " + message);
    }

    static String at(String path, String field) {
      return path.isEmpty() ? field : path + "." + field;
    }

    void unknown(JsonNode obj, String path, Set<String> allowed) {
      obj.fieldNames().forEachRemaining(n -> {
        if (!allowed.contains(n)) {
          error(at(path, n), "unknown field; expected one of " + String.join(", ", new java.util.TreeSet<>(allowed)));
        }
      });
    }

    String text(JsonNode obj, String path, String field, boolean required) {
      JsonNode v = obj.get(field);
      if (v == null || v.isNull()) {
        if (required) {
          error(at(path, field), "is required");
        }
        return null;
      }
      if (!v.isTextual() && !v.isNumber() && !v.isBoolean()) {
        error(at(path, field), "must be a string");
        return null;
      }
      String s = v.asText();
      if (required && s.isBlank()) {
        error(at(path, field), "must not be empty");
        return null;
      }
      return s;
    }

    Double number(JsonNode obj, String path, String field) {
      JsonNode v = obj.get(field);
      if (v == null || v.isNull()) {
        return null;
      }
      if (!v.isNumber()) {
        error(at(path, field), "must be a number");
        return null;
      }
      return v.asDouble();
    }

    Duration duration(JsonNode obj, String path, String field, boolean required) {
      JsonNode v = obj.get(field);
      if (v == null || v.isNull()) {
        if (required) {
          error(at(path, field), "is required: a positive duration like 2m");
        }
        return null;
      }
      try {
        Duration d = Durations.parse(v.asText());
        if (!v.isTextual() || d.isZero() || d.isNegative()) {
          throw new IllegalArgumentException();
        }
        return d;
      } catch (IllegalArgumentException e) {
        error(at(path, field), "must be a positive duration like 2m (got '" + v.asText() + "')");
        return null;
      }
    }

    URI url(JsonNode obj, String path, String field, boolean required) {
      String s = text(obj, path, field, required);
      if (s == null) {
        return null;
      }
      try {
        URI u = URI.create(s);
        if (!Objects.equals(u.getScheme(), "http") && !Objects.equals(u.getScheme(), "https") || u.getHost() == null) {
          throw new IllegalArgumentException();
        }
        if (u.getPort() == 0 || u.getPort() > 65535) {
          // URI takes any port; the HTTP client would refuse it only when the run sends the request
          error(at(path, field), "port must be between 1 and 65535 (got " + u.getPort() + " in '" + s + "')");
          return null;
        }
        return u;
      } catch (IllegalArgumentException e) {
        error(at(path, field), "must be an http:// or https:// URL (got '" + s + "')");
        return null;
      }
    }

    Instant instant(JsonNode obj, String path, String field) {
      String s = text(obj, path, field, true);
      if (s == null) {
        return null;
      }
      try {
        return java.time.OffsetDateTime.parse(s).toInstant();
      } catch (DateTimeException e) {
        error(at(path, field), "must be an RFC 3339 time like 2026-12-24T00:00:00Z (got '" + s + "')");
        return null;
      }
    }

    LocalTime time(JsonNode obj, String path, String field) {
      String s = text(obj, path, field, true);
      if (s == null) {
        return null;
      }
      try {
        return LocalTime.parse(s);
      } catch (DateTimeException e) {
        error(at(path, field), "must be a time of day like 09:30 (got '" + s + "')");
        return null;
      }
    }
  }
}
