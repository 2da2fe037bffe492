/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alertmanager's dispatcher in miniature: firing and resolved alerts are grouped by the {@code
 * groupBy} labels; a new group is notified after {@code groupWait}, then checked every {@code
 * groupInterval} and notified when it gained firing alerts or lost some (resolved), or unchanged
 * after {@code repeatInterval} (the same rules as Alertmanager's dedup stage). Each receiver gets
 * Alertmanager's webhook payload (version 4); failed deliveries are retried with exponential
 * backoff and, once every attempt failed, counted as dead letters. Group timers run on the
 * injected clock ({@link #flush}); HTTP runs asynchronously. Thread-safe.
 */
final class Notifier {
  private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
  static final String ZERO_TIME = "0001-01-01T00:00:00Z";
  private static final long RESEND_DELAY_MS = 60_000;

  /** Settings with durations in milliseconds. */
  record Settings(
      List<String> groupBy,
      long groupWaitMs,
      long groupIntervalMs,
      long repeatIntervalMs,
      int maxAttempts,
      long initialBackoffMs,
      long maxBackoffMs,
      Duration timeout,
      List<AlertingConfig.Receiver> receivers,
      String externalUrl) {}

  private record NAlert(
      Map<String, String> labels,
      Map<String, String> annotations,
      long startsAt,
      long endsAt,
      boolean resolvedByRule,
      String generatorUrl) {
    boolean resolved(long now) {
      return resolvedByRule || endsAt <= now;
    }
  }

  /** What was last notified to one receiver (Alertmanager's notification log entry). */
  private record Sent(Set<String> firing, Set<String> resolved, long at) {}

  private static final class Group {
    final Map<String, String> groupLabels;
    final Map<String, NAlert> alerts = new LinkedHashMap<>();
    final Map<String, Sent> log = new HashMap<>();
    long nextFlushAt;

    Group(Map<String, String> groupLabels, long nextFlushAt) {
      this.groupLabels = groupLabels;
      this.nextFlushAt = nextFlushAt;
    }
  }

  private final Settings settings;
  private final HttpClient http;
  private final ScheduledExecutorService retries;
  private final AlertingMetrics metrics;
  private final Map<String, Group> groups = new TreeMap<>();

  Notifier(Settings settings, HttpClient http, ScheduledExecutorService retries,
      AlertingMetrics metrics) {
    this.settings = settings;
    this.http = http;
    this.retries = retries;
    this.metrics = metrics;
  }

  boolean hasReceivers() {
    return !settings.receivers().isEmpty();
  }

  /** Hands over the rule's firing alerts and newly resolved ones after an evaluation at {@code ts}. */
  synchronized void observe(AlertingRule rule, long ts, long intervalMs) {
    if (!hasReceivers()) {
      return;
    }
    String generator = settings.externalUrl() + "/graph?g0.expr="
        + URLEncoder.encode(rule.spec.expr(), StandardCharsets.UTF_8).replace("+", "%20")
        + "&g0.tab=1";
    for (AlertInstance a : rule.alerts()) {
      if (a.state == AlertInstance.State.PENDING) {
        continue;
      }
      boolean resolved = a.state == AlertInstance.State.INACTIVE;
      if (resolved && a.lastSentAt >= a.resolvedAt) {
        continue;
      }
      a.lastSentAt = ts;
      long endsAt = resolved ? a.resolvedAt : ts + 4 * Math.max(intervalMs, RESEND_DELAY_MS);
      upsert(new NAlert(a.labels, Map.copyOf(a.annotations), a.firedAt, endsAt, resolved,
          generator), ts);
    }
  }

  private void upsert(NAlert alert, long now) {
    Map<String, String> groupLabels = new TreeMap<>();
    if (settings.groupBy().contains("...")) {
      groupLabels.putAll(alert.labels());
    } else {
      for (String l : settings.groupBy()) {
        String v = alert.labels().get(l);
        if (v != null && !v.isEmpty()) {
          groupLabels.put(l, v);
        }
      }
    }
    String key = "{}:" + labelSetString(groupLabels);
    Group g = groups.computeIfAbsent(key, k -> new Group(groupLabels, now + settings.groupWaitMs()));
    g.alerts.put(fingerprint(alert.labels()), alert);
  }

  /** Notifies every group whose timer is due at {@code now}. */
  synchronized void flush(long now) {
    var it = groups.entrySet().iterator();
    while (it.hasNext()) {
      var e = it.next();
      Group g = e.getValue();
      if (now < g.nextFlushAt) {
        continue;
      }
      if (g.alerts.isEmpty()) {
        it.remove();
        continue;
      }
      flushGroup(e.getKey(), g, now);
      g.nextFlushAt = now + settings.groupIntervalMs();
    }
  }

  private void flushGroup(String key, Group g, long now) {
    Set<String> firing = new HashSet<>();
    Set<String> resolved = new HashSet<>();
    for (var e : g.alerts.entrySet()) {
      (e.getValue().resolved(now) ? resolved : firing).add(e.getKey());
    }
    for (AlertingConfig.Receiver r : settings.receivers()) {
      Sent last = g.log.get(r.name);
      if (!needsUpdate(last, firing, resolved, r.sendResolved, now)) {
        continue;
      }
      List<Map.Entry<String, NAlert>> chosen = new ArrayList<>();
      for (var e : g.alerts.entrySet()) {
        if (!resolved.contains(e.getKey()) || r.sendResolved) {
          chosen.add(e);
        }
      }
      byte[] body = payload(key, g, chosen, r, now, !firing.isEmpty());
      Sent entry = new Sent(Set.copyOf(firing), Set.copyOf(resolved), now);
      deliver(r, body, 1, settings.initialBackoffMs()).thenAccept(ok -> {
        if (ok) {
          synchronized (this) {
            g.log.put(r.name, entry);
          }
        }
      });
    }
    // Alertmanager drops resolved alerts from a group once they have been notified.
    g.alerts.keySet().removeAll(resolved);
  }

  /** Alertmanager's DedupStage.needsUpdate. */
  private boolean needsUpdate(
      Sent last, Set<String> firing, Set<String> resolved, boolean sendResolved, long now) {
    if (last == null) {
      return !firing.isEmpty();
    }
    if (!last.firing.containsAll(firing)) {
      return true;
    }
    if (firing.isEmpty()) {
      return !last.firing.isEmpty();
    }
    if (sendResolved && !last.resolved.containsAll(resolved)) {
      return true;
    }
    return last.at <= now - settings.repeatIntervalMs();
  }

  private byte[] payload(
      String key, Group g, List<Map.Entry<String, NAlert>> chosen, AlertingConfig.Receiver r,
      long now, boolean anyFiring) {
    int truncated = 0;
    if (r.maxAlerts > 0 && chosen.size() > r.maxAlerts) {
      truncated = chosen.size() - r.maxAlerts;
      chosen = chosen.subList(0, r.maxAlerts);
    }
    List<Map<String, Object>> alerts = new ArrayList<>();
    Map<String, String> commonLabels = null;
    Map<String, String> commonAnnotations = null;
    for (var e : chosen) {
      NAlert a = e.getValue();
      boolean res = a.resolved(now);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("status", res ? "resolved" : "firing");
      m.put("labels", new TreeMap<>(a.labels()));
      m.put("annotations", new TreeMap<>(a.annotations()));
      m.put("startsAt", goTime(a.startsAt()));
      m.put("endsAt", res ? goTime(a.endsAt()) : ZERO_TIME);
      m.put("generatorURL", a.generatorUrl());
      m.put("fingerprint", e.getKey());
      alerts.add(m);
      commonLabels = intersect(commonLabels, a.labels());
      commonAnnotations = intersect(commonAnnotations, a.annotations());
    }
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("receiver", r.name);
    p.put("status", anyFiring ? "firing" : "resolved");
    p.put("alerts", alerts);
    p.put("groupLabels", new TreeMap<>(g.groupLabels));
    p.put("commonLabels", commonLabels == null ? Map.of() : new TreeMap<>(commonLabels));
    p.put("commonAnnotations",
        commonAnnotations == null ? Map.of() : new TreeMap<>(commonAnnotations));
    p.put("externalURL", settings.externalUrl());
    p.put("version", "4");
    p.put("groupKey", key);
    p.put("truncatedAlerts", truncated);
    try {
      return JSON.writeValueAsBytes(p);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, String> intersect(Map<String, String> acc, Map<String, String> m) {
    if (acc == null) {
      return new TreeMap<>(m);
    }
    acc.entrySet().removeIf(e -> !e.getValue().equals(m.get(e.getKey())));
    return acc;
  }

  private CompletableFuture<Boolean> deliver(
      AlertingConfig.Receiver r, byte[] body, int attempt, long backoffMs) {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(r.url))
        .timeout(settings.timeout())
        .header("Content-Type", "application/json")
        .header("User-Agent", "Faultline-Alerting")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (r.bearerToken != null && !r.bearerToken.isEmpty()) {
      req.header("Authorization", "Bearer " + r.bearerToken);
    }
    return http.sendAsync(req.build(), HttpResponse.BodyHandlers.discarding())
        .handle((resp, err) -> {
          if (err == null && resp.statusCode() / 100 == 2) {
            metrics.sent(r.name);
            return CompletableFuture.completedFuture(true);
          }
          metrics.attemptFailed(r.name);
          String why = err != null ? String.valueOf(err.getCause() != null ? err.getCause() : err)
              : "HTTP " + resp.statusCode();
          boolean retryable = err != null || resp.statusCode() / 100 == 5
              || resp.statusCode() == 429;
          if (!retryable || attempt >= settings.maxAttempts()) {
            metrics.deadLetter(r.name);
            LOG.error("Notification to receiver \"{}\" ({}) failed after {} attempt(s), last: {};"
                + " it is dropped and counted in faultline_alert_notifications_dead_letter_total."
                + " Check that the receiver is up and accepts Alertmanager webhook payloads.",
                r.name, r.url, attempt, why);
            return CompletableFuture.completedFuture(false);
          }
          LOG.warn("Notification to receiver \"{}\" ({}) failed (attempt {} of {}): {}; retrying"
              + " in {} ms", r.name, r.url, attempt, settings.maxAttempts(), why, backoffMs);
          CompletableFuture<Boolean> next = new CompletableFuture<>();
          retries.schedule(() -> {
            deliver(r, body, attempt + 1, Math.min(backoffMs * 2, settings.maxBackoffMs()))
                .whenComplete((ok, e2) -> {
                  if (e2 != null) {
                    next.completeExceptionally(e2);
                  } else {
                    next.complete(ok);
                  }
                });
          }, backoffMs, TimeUnit.MILLISECONDS);
          return next;
        })
        .thenCompose(f -> f);
  }

  /** Go's RFC 3339 with nanoseconds, as Alertmanager and Prometheus render times. */
  static String goTime(long ms) {
    if (ms <= 0) {
      return ZERO_TIME;
    }
    Instant t = Instant.ofEpochMilli(ms);
    StringBuilder b = new StringBuilder(SECONDS.format(t));
    if (t.getNano() != 0) {
      b.append('.').append(String.format("%09d", t.getNano()).replaceAll("0+$", ""));
    }
    return b.append('Z').toString();
  }

  /** Go's RFC 3339 of an instant (API times). */
  static String goTime(Instant t) {
    if (t == null) {
      return ZERO_TIME;
    }
    StringBuilder b = new StringBuilder(SECONDS.format(t));
    if (t.getNano() != 0) {
      b.append('.').append(String.format("%09d", t.getNano()).replaceAll("0+$", ""));
    }
    return b.append('Z').toString();
  }

  /** Alertmanager's {@code LabelSet.String()}: {@code {a="1", b="2"}}. */
  static String labelSetString(Map<String, String> labels) {
    StringBuilder b = new StringBuilder("{");
    boolean first = true;
    for (var e : new TreeMap<>(labels).entrySet()) {
      if (!first) {
        b.append(", ");
      }
      first = false;
      b.append(e.getKey()).append('=').append(goQuote(e.getValue()));
    }
    return b.append('}').toString();
  }

  private static String goQuote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        default -> b.append(c);
      }
    }
    return b.append('"').toString();
  }

  /** Prometheus' label-set fingerprint (FNV-1a 64 over sorted names and values), as hex. */
  static String fingerprint(Map<String, String> labels) {
    long h = 0xcbf29ce484222325L;
    for (var e : new TreeMap<>(labels).entrySet()) {
      h = fnv(h, e.getKey());
      h = fnvByte(h, (byte) 0xff);
      h = fnv(h, e.getValue());
      h = fnvByte(h, (byte) 0xff);
    }
    return String.format("%016x", h);
  }

  private static long fnv(long h, String s) {
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h = fnvByte(h, b);
    }
    return h;
  }

  private static long fnvByte(long h, byte b) {
    h ^= (b & 0xff);
    return h * 0x100000001b3L;
  }
}
