/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.monkey;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.faultline.chaos.fault.ActiveFault;
import io.faultline.chaos.fault.FaultContext;
import io.faultline.chaos.fault.FaultException;
import io.faultline.chaos.fault.FaultInjector;
import io.faultline.chaos.fault.FaultParameters;
import io.faultline.chaos.fault.FaultSpec;
import io.faultline.chaos.fault.LeaseTimer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives Chaos Monkey for Spring Boot through its actuator endpoints ({@code
 * <actuatorUrl>/chaosmonkey}, {@code /assaults}, {@code /watchers}, {@code /enable}): type {@code
 * chaos-monkey}.
 *
 * <p>Parameters: {@code actuatorUrl} (default: the target when it is a URL), {@code username} and
 * {@code password} (or {@code passwordEnv}, the name of an environment variable; default: the
 * injector's configured credentials), {@code level} (attack one request in N, 1-10000), {@code
 * deterministic}, {@code latencyMs} ± {@code jitterMs}, {@code exception} ({@code true} or {@code
 * {type, message}}), {@code killApplication}, {@code memory} ({@code {fillTargetFraction,
 * fillIncrementFraction, waitNextIncreaseMs}}), {@code cpu} ({@code {loadTargetFraction}}), {@code
 * watchers} (e.g. {@code [restController, service]}; the others are switched off) and {@code
 * watchedCustomServices}.
 *
 * <p>Revert restores exactly what {@code GET /chaosmonkey} showed before the injection (assaults,
 * watchers, enabled), which {@link ActiveFault#spec()} records under {@code parameters._restore}.
 *
 * <p>Dead-man lease: Chaos Monkey has no expiry of its own for request assaults. Memory and CPU
 * assaults hold for at most the fault's duration ({@code ...MillisecondsHold...}), so they end by
 * themselves. Latency and exception assaults are switched off by the agent's lease timer when the
 * lease passes without renewal; if the agent's JVM died, the agent reverts them on its next start
 * ({@link #revertOrphan}, from the recorded {@code _restore}, or all assaults off without it). A kill
 * assault cannot be undone: the service must be restarted (the process injector can do that).
 */
public final class ChaosMonkeyInjector implements FaultInjector {
  public static final String TYPE = "chaos-monkey";

  private static final Logger LOG = LoggerFactory.getLogger(ChaosMonkeyInjector.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  static final List<String> WATCHERS = List.of(
      "controller", "restController", "service", "repository", "component", "restTemplate", "webClient",
      "actuatorHealth");
  /** The fields {@code POST /assaults} accepts (AssaultPropertiesUpdate). */
  static final List<String> ASSAULT_FIELDS = List.of(
      "level", "deterministic", "latencyRangeStart", "latencyRangeEnd", "latencyActive", "exceptionsActive",
      "exception", "killApplicationActive", "killApplicationCronExpression", "memoryActive",
      "memoryMillisecondsHoldFilledMemory", "memoryMillisecondsWaitNextIncrease", "memoryFillIncrementFraction",
      "memoryFillTargetFraction", "memoryCronExpression", "cpuActive", "cpuMillisecondsHoldLoad",
      "cpuLoadTargetFraction", "cpuCronExpression", "watchedCustomServices");
  private static final Set<String> PARAMETERS = Set.of(
      "actuatorUrl", "username", "password", "passwordEnv", "level", "deterministic", "latencyMs", "jitterMs",
      "exception", "killApplication", "memory", "cpu", "watchers", "watchedCustomServices");

  private final HttpClient http;
  private final LeaseTimer leases;
  private final String defaultUser;
  private final String defaultPassword;
  private final ObjectMapper json = new ObjectMapper();

  /**
   * @param defaultUser basic-auth user when a spec names none (null: no authentication)
   * @param defaultPassword its password
   */
  public ChaosMonkeyInjector(HttpClient http, LeaseTimer leases, String defaultUser, String defaultPassword) {
    this.http = http;
    this.leases = leases;
    this.defaultUser = defaultUser;
    this.defaultPassword = defaultPassword;
  }

  @Override
  public String type() {
    return TYPE;
  }

  /** What a spec asks for, checked. */
  private record Plan(URI actuator, String authorization, Map<String, Object> assaults, Map<String, Object> watchers,
      boolean runtimeAttack) {}

  @Override
  public List<String> validate(FaultSpec spec) {
    FaultParameters p = FaultParameters.of(spec);
    plan(spec, p);
    return p.errors();
  }

  private Plan plan(FaultSpec spec, FaultParameters p) {
    p.rejectUnknown(PARAMETERS);
    URI actuator = null;
    String url = p.string("actuatorUrl").orElse(spec.target().startsWith("http") ? spec.target() : null);
    if (url == null) {
      p.error("actuatorUrl", "is required (e.g. http://127.0.0.1:18103/actuator) unless the target is that URL");
    } else {
      try {
        actuator = URI.create(url.replaceAll("/+$", ""));
        // a URL without a scheme ("//host:8080/actuator") has none: null, not an exception
        if (actuator.getHost() == null || !("http".equals(actuator.getScheme()) || "https".equals(actuator.getScheme()))) {
          p.error("actuatorUrl", "must be an http(s) URL, got " + url);
        } else if (actuator.getPort() == 0 || actuator.getPort() > 65535) {
          p.error("actuatorUrl", "port must be between 1 and 65535, got " + url);
        }
      } catch (IllegalArgumentException e) {
        p.error("actuatorUrl", "is not a URL: " + e.getMessage());
      }
    }
    String user = p.string("username").orElse(defaultUser);
    String password = p.string("password").orElse(null);
    if (password == null && p.has("passwordEnv")) {
      String env = p.string("passwordEnv").orElse("");
      password = System.getenv(env);
      if (password == null) {
        p.error("passwordEnv", "environment variable " + env + " is not set");
      }
    }
    if (password == null) {
      password = defaultPassword;
    }
    String authorization = user == null ? null : "Basic " + Base64.getEncoder().encodeToString(
        (user + ":" + (password == null ? "" : password)).getBytes(StandardCharsets.UTF_8));

    Map<String, Object> a = new LinkedHashMap<>();
    a.put("level", p.integer("level", 1, 10_000, 1));
    if (p.has("deterministic")) {
      a.put("deterministic", p.bool("deterministic", false));
    }
    boolean any = false;
    if (p.has("latencyMs")) {
      long latency = p.integer("latencyMs", 1, 60_000, 1);
      long jitter = p.integer("jitterMs", 0, 60_000, 0);
      if (jitter >= latency && p.has("jitterMs")) {
        p.error("jitterMs", "must be smaller than latencyMs (" + latency + ")");
      }
      a.put("latencyActive", true);
      a.put("latencyRangeStart", Math.max(1, latency - jitter));
      a.put("latencyRangeEnd", latency + jitter);
      any = true;
    } else if (p.has("jitterMs")) {
      p.error("jitterMs", "needs latencyMs");
    }
    a.put("latencyActive", a.containsKey("latencyRangeStart"));
    boolean exception = false;
    if (p.has("exception")) {
      if (spec.parameters().get("exception") instanceof Map) {
        FaultParameters e = p.nested("exception");
        e.rejectUnknown(Set.of("type", "message"));
        String type = e.string("type").orElse("java.lang.RuntimeException");
        if (!type.matches("[A-Za-z_$][\\w$]*(\\.[A-Za-z_$][\\w$]*)*")) {
          e.error("type", "must be a fully qualified exception class name, got " + type);
        }
        String message = e.string("message").orElse("Chaos Monkey - " + type);
        Map<String, Object> ex = new LinkedHashMap<>();
        ex.put("type", type);
        ex.put("method", "<init>");
        ex.put("arguments", List.of(Map.of("type", "java.lang.String", "value", message)));
        a.put("exception", ex);
        exception = true;
      } else {
        exception = p.bool("exception", false);
      }
    }
    a.put("exceptionsActive", exception);
    any |= exception;
    boolean kill = p.bool("killApplication", false);
    a.put("killApplicationActive", kill);
    long holdMs = Math.max(1500, Math.min(Integer.MAX_VALUE, spec.duration().toMillis()));
    boolean memory = p.has("memory");
    a.put("memoryActive", memory);
    if (memory) {
      FaultParameters m = p.nested("memory");
      m.rejectUnknown(Set.of("fillTargetFraction", "fillIncrementFraction", "waitNextIncreaseMs"));
      a.put("memoryFillTargetFraction", m.decimal("fillTargetFraction", 0.05, 0.95, 0.25));
      a.put("memoryFillIncrementFraction", m.decimal("fillIncrementFraction", 0.01, 1.0, 0.15));
      a.put("memoryMillisecondsWaitNextIncrease", m.integer("waitNextIncreaseMs", 100, 30_000, 1000));
      a.put("memoryMillisecondsHoldFilledMemory", holdMs);
    }
    boolean cpu = p.has("cpu");
    a.put("cpuActive", cpu);
    if (cpu) {
      FaultParameters c = p.nested("cpu");
      c.rejectUnknown(Set.of("loadTargetFraction"));
      a.put("cpuLoadTargetFraction", c.decimal("loadTargetFraction", 0.1, 1.0, 0.9));
      a.put("cpuMillisecondsHoldLoad", holdMs);
    }
    any |= kill || memory || cpu;
    if (p.has("watchedCustomServices")) {
      a.put("watchedCustomServices", p.strings("watchedCustomServices"));
    }
    if (!any) {
      p.error("latencyMs", "no assault chosen: give latencyMs, exception, killApplication, memory or cpu");
    }
    Map<String, Object> watchers = null;
    if (p.has("watchers")) {
      watchers = new LinkedHashMap<>();
      List<String> chosen = p.strings("watchers");
      for (String w : chosen) {
        if (!WATCHERS.contains(w)) {
          p.error("watchers", "unknown watcher '" + w + "' (known: " + String.join(", ", WATCHERS) + ")");
        }
      }
      if (chosen.isEmpty()) {
        p.error("watchers", "must name at least one watcher (" + String.join(", ", WATCHERS) + ")");
      }
      for (String w : WATCHERS) {
        watchers.put(w, chosen.contains(w));
      }
    }
    return new Plan(actuator, authorization, a, watchers, kill || memory || cpu);
  }

  @Override
  public String describe(FaultSpec spec) {
    FaultParameters p = FaultParameters.of(spec);
    Plan plan = plan(spec, p);
    if (!p.errors().isEmpty()) {
      return "invalid chaos-monkey fault: " + String.join("; ", p.errors());
    }
    StringBuilder sb = new StringBuilder("Chaos Monkey at ").append(plan.actuator).append(": ");
    Map<String, Object> a = plan.assaults;
    if (Boolean.TRUE.equals(a.get("latencyActive"))) {
      sb.append("latency ").append(a.get("latencyRangeStart")).append('-').append(a.get("latencyRangeEnd")).append(" ms, ");
    }
    for (String k : List.of("exceptionsActive", "killApplicationActive", "memoryActive", "cpuActive")) {
      if (Boolean.TRUE.equals(a.get(k))) {
        sb.append(k.replace("Active", "")).append(" assault, ");
      }
    }
    sb.append("on 1 in ").append(a.get("level")).append(" calls");
    if (plan.watchers != null) {
      sb.append(" of ").append(plan.watchers.entrySet().stream().filter(e -> (Boolean) e.getValue())
          .map(Map.Entry::getKey).toList());
    }
    return sb.append(" for ").append(spec.duration()).toString();
  }

  @Override
  public ActiveFault inject(FaultSpec spec, FaultContext ctx) throws FaultException {
    FaultParameters p = FaultParameters.of(spec);
    Plan plan = plan(spec, p);
    p.throwIfInvalid(spec);
    Map<String, Object> before = get(plan, "/chaosmonkey");
    Map<String, Object> restore = restoreState(before);
    if (plan.assaults.containsKey("watchedCustomServices")) {
      // null cannot be posted back; an empty list means the same to Chaos Monkey (watch everything)
      @SuppressWarnings("unchecked")
      Map<String, Object> saved = (Map<String, Object>) restore.get("assaults");
      saved.putIfAbsent("watchedCustomServices", List.of());
    }
    Map<String, Object> params = new HashMap<>(spec.parameters());
    params.put("_restore", restore);
    FaultSpec recorded = new FaultSpec(spec.name(), spec.type(), spec.target(), params, spec.duration());
    try {
      if (plan.watchers != null) {
        post(plan, "/chaosmonkey/watchers", plan.watchers);
      }
      post(plan, "/chaosmonkey/assaults", plan.assaults);
      if (!Boolean.TRUE.equals(restore.get("enabled"))) {
        post(plan, "/chaosmonkey/enable", null);
      }
      if (plan.runtimeAttack) {
        post(plan, "/chaosmonkey/assaults/runtime/attack", null);
      }
    } catch (FaultException e) {
      // leave the target unchanged, as the contract asks
      try {
        restore(plan, restore);
      } catch (FaultException again) {
        e.addSuppressed(again);
      }
      throw e;
    }
    Active active = new Active(recorded, plan, restore);
    active.lease = leases.start(ctx.leaseUntil(), "chaos-monkey fault " + spec.name() + " at " + plan.actuator,
        active::revertQuietly);
    return active;
  }

  @Override
  public void revertOrphan(FaultSpec spec, FaultContext ctx) throws FaultException {
    FaultParameters p = FaultParameters.of(spec);
    Plan plan = plan(spec, p);
    if (plan.actuator == null) {
      p.throwIfInvalid(spec);
    }
    Object saved = spec.parameters().get("_restore");
    if (saved instanceof Map<?, ?> m) {
      @SuppressWarnings("unchecked")
      Map<String, Object> restore = (Map<String, Object>) m;
      restore(plan, restore);
    } else {
      LOG.warn("chaos-monkey fault {} has no recorded settings to restore; switching all assaults off at {}",
          spec.name(), plan.actuator);
      Map<String, Object> off = new LinkedHashMap<>();
      for (String k : List.of("latencyActive", "exceptionsActive", "killApplicationActive", "memoryActive", "cpuActive")) {
        off.put(k, false);
      }
      post(plan, "/chaosmonkey/assaults", off);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> restoreState(Map<String, Object> before) throws FaultException {
    Object assaults = before.get("assaultProperties");
    Object watchers = before.get("watcherProperties");
    Object monkey = before.get("chaosMonkeyProperties");
    if (!(assaults instanceof Map) || !(watchers instanceof Map) || !(monkey instanceof Map)) {
      throw new FaultException("GET /chaosmonkey did not answer with chaosMonkeyProperties, assaultProperties "
          + "and watcherProperties; is this Chaos Monkey for Spring Boot 2.x/3.x?");
    }
    Map<String, Object> a = new LinkedHashMap<>();
    for (String k : ASSAULT_FIELDS) {
      Object v = ((Map<String, Object>) assaults).get(k);
      if (v != null) {
        a.put(k, v);
      }
    }
    Map<String, Object> w = new LinkedHashMap<>();
    for (String k : WATCHERS) {
      Object v = ((Map<String, Object>) watchers).get(k);
      if (v instanceof Boolean) {
        w.put(k, v);
      }
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("enabled", Boolean.TRUE.equals(((Map<String, Object>) monkey).get("enabled")));
    r.put("assaults", a);
    r.put("watchers", w);
    return r;
  }

  @SuppressWarnings("unchecked")
  private void restore(Plan plan, Map<String, Object> restore) throws FaultException {
    post(plan, "/chaosmonkey/assaults", (Map<String, Object>) restore.get("assaults"));
    Object w = restore.get("watchers");
    if (w instanceof Map<?, ?> wm && !wm.isEmpty()) {
      post(plan, "/chaosmonkey/watchers", (Map<String, Object>) w);
    }
    if (!Boolean.TRUE.equals(restore.get("enabled"))) {
      post(plan, "/chaosmonkey/disable", null);
    }
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> get(Plan plan, String path) throws FaultException {
    HttpResponse<String> r = send(plan, HttpRequest.newBuilder(URI.create(plan.actuator + path)).GET(), path);
    try {
      return json.readValue(r.body(), Map.class);
    } catch (IOException e) {
      throw new FaultException("GET " + plan.actuator + path + " did not answer JSON: " + e.getMessage(), e);
    }
  }

  private void post(Plan plan, String path, Map<String, Object> body) throws FaultException {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(plan.actuator + path))
          .header("Content-Type", "application/json")
          .POST(body == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
      send(plan, b, path);
    } catch (IOException e) {
      throw new FaultException("cannot encode the request to " + path + ": " + e.getMessage(), e);
    }
  }

  private HttpResponse<String> send(Plan plan, HttpRequest.Builder b, String path) throws FaultException {
    if (plan.authorization != null) {
      b.header("Authorization", plan.authorization);
    }
    HttpRequest req = b.timeout(TIMEOUT).build();
    HttpResponse<String> r;
    try {
      r = http.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new FaultException("cannot reach Chaos Monkey at " + plan.actuator + " (" + e
          + "); check that the service runs with the chaos-monkey profile and the actuator URL is right", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FaultException("interrupted while calling " + req.uri(), e);
    }
    if (r.statusCode() == 401 || r.statusCode() == 403) {
      throw new FaultException(req.method() + " " + req.uri() + " answered " + r.statusCode()
          + ": check parameters.username/password (or the agent's Chaos Monkey credentials)");
    }
    if (r.statusCode() == 404) {
      throw new FaultException(req.method() + " " + req.uri() + " answered 404: is the chaosmonkey actuator "
          + "endpoint exposed (management.endpoints.web.exposure.include=chaosmonkey) and the profile on?");
    }
    if (r.statusCode() / 100 != 2) {
      throw new FaultException(req.method() + " " + req.uri() + " answered " + r.statusCode() + ": " + r.body());
    }
    return r;
  }

  private final class Active implements ActiveFault {
    private final FaultSpec spec;
    private final Plan plan;
    private final Map<String, Object> restore;
    private final AtomicBoolean reverted = new AtomicBoolean();
    private volatile LeaseTimer.Lease lease;

    Active(FaultSpec spec, Plan plan, Map<String, Object> restore) {
      this.spec = spec;
      this.plan = plan;
      this.restore = restore;
    }

    @Override
    public FaultSpec spec() {
      return spec;
    }

    @Override
    public void renew(Instant leaseUntil) throws FaultException {
      if (reverted.get() || !lease.renew(leaseUntil)) {
        throw new FaultException("chaos-monkey fault " + spec.name() + " already ended (reverted or lease passed)");
      }
    }

    @Override
    public synchronized void revert() throws FaultException {
      if (reverted.get()) {
        return;
      }
      lease.cancel();
      try {
        restore(plan, restore);
      } catch (FaultException e) {
        throw new FaultException(e.getMessage() + ". To restore by hand: POST " + plan.actuator
            + "/chaosmonkey/assaults with " + restore.get("assaults"), e);
      }
      reverted.set(true);
    }

    void revertQuietly() {
      try {
        revert();
      } catch (FaultException e) {
        LOG.error("chaos-monkey fault {}: revert after the lease passed failed: {}", spec.name(), e.getMessage());
      }
    }
  }
}
