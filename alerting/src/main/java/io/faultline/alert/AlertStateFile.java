/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the alert state of every alerting rule in a small JSON file, replaced atomically after
 * each evaluation that changed it, so that pending and firing alerts keep their {@code activeAt}
 * across a restart (Prometheus restores the same from {@code ALERTS_FOR_STATE}; a file also keeps
 * what was already notified). Rules are matched by file, group, alert name and position among
 * same-named rules.
 */
final class AlertStateFile {
  private static final Logger LOG = LoggerFactory.getLogger(AlertStateFile.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** State older than this (the platform was down longer) is discarded, as Prometheus' outage tolerance. */
  static final long OUTAGE_TOLERANCE_MS = 3_600_000L;

  private final Path path;
  private String lastWritten = "";

  AlertStateFile(Path path) {
    this.path = path;
  }

  static String ruleKey(RuleGroup g, int occurrence, String alert) {
    return g.spec.file() + "\u0000" + g.spec.name() + "\u0000" + alert + "\u0000" + occurrence;
  }

  /** Writes the state of every alerting rule when it differs from what was last written. */
  void save(List<RuleGroup> groups, long nowMs) {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", 1);
    long evaluatedAt = 0;
    for (RuleGroup g : groups) {
      evaluatedAt = Math.max(evaluatedAt, g.lastEvalMs);
    }
    // the last evaluation is when the platform was last known up: downtime counts from there
    root.put("evaluatedAt", evaluatedAt);
    ArrayNode rules = root.putArray("rules");
    for (RuleGroup g : groups) {
      Map<String, Integer> seen = new HashMap<>();
      for (RuleGroup.RuleRun run : g.rules) {
        if (run.alerting == null) {
          continue;
        }
        int occurrence = seen.merge(run.spec.alert(), 1, Integer::sum);
        if (run.alerting.active.isEmpty()) {
          continue;
        }
        ObjectNode r = rules.addObject();
        r.put("key", ruleKey(g, occurrence, run.spec.alert()));
        ArrayNode alerts = r.putArray("alerts");
        for (AlertInstance a : run.alerting.active.values()) {
          ObjectNode n = alerts.addObject();
          n.set("labels", JSON.valueToTree(new TreeMap<>(a.labels)));
          n.set("annotations", JSON.valueToTree(new TreeMap<>(a.annotations)));
          n.put("state", a.state.name());
          n.put("value", Double.toString(a.value));
          n.put("activeAt", a.activeAt);
          n.put("firedAt", a.firedAt);
          n.put("resolvedAt", a.resolvedAt);
          n.put("keepFiringSince", a.keepFiringSince);
          n.put("lastSentAt", a.lastSentAt);
        }
      }
    }
    String body = root.toString();
    if (body.equals(lastWritten)) {
      return;
    }
    root.put("savedAt", nowMs);
    try {
      Files.createDirectories(path.toAbsolutePath().getParent());
      Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
      Files.writeString(tmp, root.toString());
      try {
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
      }
      lastWritten = body;
    } catch (IOException e) {
      LOG.warn("Could not save alert state to {}: {}; alerts would restart as pending after a"
          + " restart. Check that the data directory is writable.", path, e.toString());
    }
  }

  /** Restores saved alerts into the loaded rules; a missing or unreadable file restores nothing. */
  void restore(List<RuleGroup> groups, long nowMs) {
    if (!Files.exists(path)) {
      return;
    }
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(path));
    } catch (IOException e) {
      LOG.warn("Ignoring unreadable alert state file {} ({}); alerts start from scratch", path,
          e.toString());
      return;
    }
    long savedAt = root.path("evaluatedAt").asLong(0);
    if (savedAt == 0) {
      savedAt = root.path("savedAt").asLong(0);
    }
    long down = nowMs - savedAt;
    if (down > OUTAGE_TOLERANCE_MS) {
      LOG.info("Alert state in {} is from {} ms ago, beyond the outage tolerance; not restored",
          path, down);
      return;
    }
    Map<String, JsonNode> byKey = new HashMap<>();
    for (JsonNode r : root.path("rules")) {
      byKey.put(r.path("key").asText(), r.path("alerts"));
    }
    int restored = 0;
    for (RuleGroup g : groups) {
      Map<String, Integer> seen = new HashMap<>();
      for (RuleGroup.RuleRun run : g.rules) {
        if (run.alerting == null) {
          continue;
        }
        int occurrence = seen.merge(run.spec.alert(), 1, Integer::sum);
        JsonNode alerts = byKey.get(ruleKey(g, occurrence, run.spec.alert()));
        if (alerts == null) {
          continue;
        }
        for (JsonNode n : alerts) {
          Map<String, String> labels = Map.copyOf(JSON.convertValue(n.path("labels"), TreeMap.class));
          @SuppressWarnings("unchecked")
          Map<String, String> annotations = JSON.convertValue(n.path("annotations"), TreeMap.class);
          AlertInstance a = new AlertInstance(labels, annotations, n.path("activeAt").asLong(),
              Double.parseDouble(n.path("value").asText("NaN")));
          a.state = AlertInstance.State.valueOf(n.path("state").asText("PENDING"));
          a.firedAt = n.path("firedAt").asLong();
          a.resolvedAt = n.path("resolvedAt").asLong();
          a.keepFiringSince = n.path("keepFiringSince").asLong();
          a.lastSentAt = n.path("lastSentAt").asLong();
          if (a.state == AlertInstance.State.PENDING && down > 0) {
            // As Prometheus: time spent down does not count towards `for`.
            a.activeAt += down;
          }
          run.alerting.active.put(labels, a);
          restored++;
        }
        g.snapshotRefresh();
      }
    }
    if (restored > 0) {
      LOG.info("Restored {} alert(s) from {}", restored, path);
    }
  }
}
