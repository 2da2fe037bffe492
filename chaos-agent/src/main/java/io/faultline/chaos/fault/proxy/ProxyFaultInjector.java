/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.faultline.chaos.fault.ActiveFault;
import io.faultline.chaos.fault.FaultContext;
import io.faultline.chaos.fault.FaultException;
import io.faultline.chaos.fault.FaultInjector;
import io.faultline.chaos.fault.FaultParameters;
import io.faultline.chaos.fault.FaultSpec;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Adds a toxic to a {@link FaultProxy}: type {@code proxy-tcp} for the TCP toxics, {@code
 * proxy-http} for the HTTP ones. The proxy is {@code parameters.proxy} (default: the spec's
 * target), in this process ({@link FaultProxies}) or, with {@code parameters.controlUrl}, a
 * standalone proxy's control endpoint. The other parameters are the toxic's ({@link Toxic#parse}).
 *
 * <p>Dead-man lease: the toxic is added with the run's lease as its expiry, and the proxy removes
 * it by itself when that passes; {@link ActiveFault#renew} moves it. A standalone proxy keeps doing
 * so when the agent's JVM died, so the fault ends within one lease. The toxic's name is derived
 * from run and fault ({@code chaos.<run>.<fault>}), so a fresh agent can remove it by name
 * ({@link #revertOrphan}).
 */
public final class ProxyFaultInjector implements FaultInjector {
  public static final String TCP = "proxy-tcp";
  public static final String HTTP = "proxy-http";

  private static final Duration CONTROL_TIMEOUT = Duration.ofSeconds(5);

  private final String type;
  private final FaultProxies proxies;
  private final HttpClient http;
  private final Clock clock;
  private final ObjectMapper json = new ObjectMapper();

  /**
   * @param type {@link #TCP} or {@link #HTTP}
   * @param proxies the in-process proxies
   * @param http the client for standalone proxies' control endpoints
   */
  public ProxyFaultInjector(String type, FaultProxies proxies, HttpClient http, Clock clock) {
    if (!type.equals(TCP) && !type.equals(HTTP)) {
      throw new IllegalArgumentException("type must be " + TCP + " or " + HTTP + ", got " + type);
    }
    this.type = type;
    this.proxies = proxies;
    this.http = http;
    this.clock = clock;
  }

  @Override
  public String type() {
    return type;
  }

  @Override
  public List<String> validate(FaultSpec spec) {
    FaultParameters p = FaultParameters.of(spec);
    parse(spec, p, null);
    return p.errors();
  }

  private record Target(String proxy, URI control) {}

  private Toxic parse(FaultSpec spec, FaultParameters p, FaultContext ctx) {
    Set<String> known = new HashSet<>(Toxic.PARAMETERS);
    known.add("proxy");
    known.add("controlUrl");
    p.rejectUnknown(known);
    Toxic.Labels labels = ctx == null ? Toxic.Labels.NONE
        : new Toxic.Labels(ctx.experimentId(), ctx.runId(), spec.name());
    Toxic t = Toxic.parse(toxicName(spec, ctx), p, labels);
    if (t != null && t.kind().http() != type.equals(HTTP)) {
      p.error("toxic", t.kind().http()
          ? t.kind().wireName() + " is an HTTP toxic: use type " + HTTP
          : t.kind().wireName() + " is a TCP toxic: use type " + TCP);
      return null;
    }
    target(spec, p);
    return t;
  }

  private Target target(FaultSpec spec, FaultParameters p) {
    String proxy = p.string("proxy").orElse(spec.target());
    if (!proxy.matches("[A-Za-z0-9._-]{1,64}")) {
      p.error("proxy", "must name a fault proxy (letters, digits, '.', '_', '-'), got '" + proxy + "'");
    }
    URI control = null;
    String url = p.string("controlUrl").orElse(null);
    if (url != null) {
      try {
        control = URI.create(url.replaceAll("/+$", ""));
        if (!"http".equals(control.getScheme()) && !"https".equals(control.getScheme()) || control.getHost() == null) {
          p.error("controlUrl", "must be an http(s) URL such as http://127.0.0.1:8474, got " + url);
        } else if (control.getPort() == 0 || control.getPort() > 65535) {
          p.error("controlUrl", "port must be between 1 and 65535, got " + url);
        }
      } catch (IllegalArgumentException e) {
        p.error("controlUrl", "is not a URL: " + e.getMessage());
      }
    }
    return new Target(proxy, control);
  }

  static String toxicName(FaultSpec spec, FaultContext ctx) {
    String run = ctx == null ? "dry-run" : ctx.runId();
    return ("chaos." + run + "." + spec.name()).replaceAll("[^A-Za-z0-9._:-]", "_");
  }

  @Override
  public String describe(FaultSpec spec) {
    FaultParameters p = FaultParameters.of(spec);
    Toxic t = parse(spec, p, null);
    if (t == null) {
      return "invalid " + type + " fault: " + String.join("; ", p.errors());
    }
    Target target = target(spec, FaultParameters.of(spec));
    String where = target.control == null ? "in-process proxy " + target.proxy
        : "proxy " + target.proxy + " at " + target.control;
    StringBuilder what = new StringBuilder(t.kind().wireName()).append(' ').append(new java.util.TreeMap<>(t.settings()));
    if (t.kind().http()) {
      HttpMatch m = t.match();
      what.append(" on ").append(m.methods().isEmpty() ? "any method" : String.join("/", m.methods()))
          .append(' ').append(m.path() == null ? "any path" : m.path());
      if (!m.headers().isEmpty()) {
        what.append(" with headers ").append(m.headers());
      }
      if (m.baggage() != null) {
        what.append(" carrying baggage ").append(m.baggage());
      }
      what.append(", ").append(m.percentage()).append("% of matching requests");
    } else {
      what.append(' ').append(t.stream().wireName());
    }
    if (t.toxicity() < 1) {
      what.append(", on ").append(Math.round(t.toxicity() * 100)).append("% of connections");
    }
    return "adds toxic " + what + " to " + where + " for " + spec.duration();
  }

  @Override
  public ActiveFault inject(FaultSpec spec, FaultContext ctx) throws FaultException {
    FaultParameters p = FaultParameters.of(spec);
    Toxic toxic = parse(spec, p, ctx);
    Target target = target(spec, FaultParameters.of(spec));
    p.throwIfInvalid(spec);
    Control control = control(target);
    control.add(toxic, ctx.leaseUntil());
    return new Active(spec, toxic.name(), control);
  }

  @Override
  public void revertOrphan(FaultSpec spec, FaultContext ctx) throws FaultException {
    FaultParameters p = FaultParameters.of(spec);
    Target target = target(spec, p);
    p.throwIfInvalid(spec);
    control(target).remove(toxicName(spec, ctx));
  }

  private Control control(Target target) throws FaultException {
    if (target.control != null) {
      return new Remote(target.proxy, target.control);
    }
    FaultProxy proxy = proxies.get(target.proxy).orElseThrow(() -> new FaultException(
        "no fault proxy named " + target.proxy + " runs in this process; start it (demo) or give "
            + "parameters.controlUrl of the standalone proxy"));
    return new Local(proxy);
  }

  private interface Control {
    void add(Toxic toxic, Instant until) throws FaultException;

    void renew(String name, Instant until) throws FaultException;

    void remove(String name) throws FaultException;
  }

  private record Local(FaultProxy proxy) implements Control {
    @Override
    public void add(Toxic toxic, Instant until) throws FaultException {
      try {
        proxy.addToxic(toxic, until);
      } catch (IllegalArgumentException e) {
        throw new FaultException(e.getMessage(), e);
      }
    }

    @Override
    public void renew(String name, Instant until) throws FaultException {
      if (!proxy.renewToxic(name, until)) {
        throw new FaultException("toxic " + name + " on proxy " + proxy.name()
            + " is gone (its lease passed or it was removed); the fault is no longer active");
      }
    }

    @Override
    public void remove(String name) {
      proxy.removeToxic(name);
    }
  }

  private final class Remote implements Control {
    private final String proxy;
    private final URI base;

    Remote(String proxy, URI control) {
      this.proxy = proxy;
      this.base = control;
    }

    private URI uri(String path) {
      return URI.create(base + "/proxies/" + URLEncoder.encode(proxy, StandardCharsets.UTF_8) + path);
    }

    @Override
    public void add(Toxic toxic, Instant until) throws FaultException {
      Map<String, Object> body = new HashMap<>(ProxyControlServer.describe(new ToxicInfo(toxic, until, 0)));
      body.remove("expiresAt");
      body.remove("hits");
      body.put("ttlMs", ttl(until));
      HttpResponse<String> r = call("POST", uri("/toxics"), body);
      if (r.statusCode() != 201) {
        throw new FaultException("proxy control " + base + " refused toxic " + toxic.name() + " on proxy "
            + proxy + ": HTTP " + r.statusCode() + " " + r.body());
      }
    }

    @Override
    public void renew(String name, Instant until) throws FaultException {
      HttpResponse<String> r = call("POST", uri("/toxics/" + name + "/renew"), Map.of("ttlMs", ttl(until)));
      if (r.statusCode() == 404) {
        throw new FaultException("toxic " + name + " on proxy " + proxy + " at " + base
            + " is gone (its lease passed, it was removed or the proxy restarted)");
      }
      if (r.statusCode() != 200) {
        throw new FaultException("renewing toxic " + name + " at " + base + " failed: HTTP " + r.statusCode() + " " + r.body());
      }
    }

    @Override
    public void remove(String name) throws FaultException {
      HttpResponse<String> r = call("DELETE", uri("/toxics/" + name), null);
      if (r.statusCode() != 204 && r.statusCode() != 404) {
        throw new FaultException("removing toxic " + name + " at " + base + " failed: HTTP " + r.statusCode()
            + " " + r.body() + "; it ends by itself when its lease passes, or DELETE " + uri("/toxics/" + name));
      }
    }

    private long ttl(Instant until) {
      return Math.max(1, Math.min(ProxyControlServer.MAX_TTL_MS, Duration.between(clock.instant(), until).toMillis()));
    }

    private HttpResponse<String> call(String method, URI uri, Object body) throws FaultException {
      try {
        HttpRequest.BodyPublisher pub = body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body));
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(CONTROL_TIMEOUT)
            .header("Content-Type", "application/json").method(method, pub).build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        throw new FaultException("cannot reach the fault proxy control endpoint " + base + " (" + e
            + "); check that the proxy runs. A toxic already added ends by itself when its lease passes", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FaultException("interrupted while calling " + uri, e);
      }
    }
  }

  private static final class Active implements ActiveFault {
    private final FaultSpec spec;
    private final String toxic;
    private final Control control;
    private final AtomicBoolean reverted = new AtomicBoolean();

    Active(FaultSpec spec, String toxic, Control control) {
      this.spec = spec;
      this.toxic = toxic;
      this.control = control;
    }

    @Override
    public FaultSpec spec() {
      return spec;
    }

    @Override
    public void renew(Instant leaseUntil) throws FaultException {
      if (reverted.get()) {
        throw new FaultException("fault " + spec.name() + " was reverted; nothing to renew");
      }
      control.renew(toxic, leaseUntil);
    }

    @Override
    public void revert() throws FaultException {
      if (reverted.compareAndSet(false, true)) {
        try {
          control.remove(toxic);
        } catch (FaultException e) {
          reverted.set(false);
          throw e;
        }
      }
    }
  }
}
