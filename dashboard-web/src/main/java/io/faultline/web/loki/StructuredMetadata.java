/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import io.faultline.core.log.LogEntry;
import io.faultline.core.metric.GoFloats;
import io.faultline.core.otlp.OtlpIds;
import io.faultline.core.otlp.OtlpValues;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A record's structured metadata as Loki 3's OTLP ingestion derives it ({@code otlpToLokiPushRequest}
 * in {@code pkg/loghttp/push/otlp.go}, default OTLP config), in Loki's order, a later name winning
 * over an earlier one as Loki's label builder lets it:
 *
 * <ol>
 *   <li>every log attribute, named by {@link #labelName} ({@code order.id} → {@code order_id}), a
 *       map attribute flattened ({@code user={"tier":"gold"}} → {@code user_tier=gold}), values as
 *       pdata's {@code AsString} ({@code true}, {@code 42}, {@code 100}, base64, arrays as JSON);
 *   <li>{@code observed_timestamp} (ns) when the record has both times, {@code severity_number}
 *       when specified, {@code severity_text} when set, {@code dropped_attributes_count} and {@code
 *       flags} when not 0, {@code trace_id} and {@code span_id} in lower-case hex when valid (an
 *       all-zero id, or one of the wrong length, is left out, as Loki leaves out pdata's empty
 *       ids);
 *   <li>the resource attributes that are not stream labels here: all but {@code service.name},
 *       {@code service.namespace}, {@code deployment.environment[.name]} and the labels of pushed
 *       streams (string attributes named like a label, {@code app}, {@code job}) (Loki would index
 *       {@code k8s.pod.name} and its other default labels as stream labels; Faultline keeps them
 *       as metadata, so label filters on them work alike);
 *   <li>scope attributes, {@code scope_name}, {@code scope_version}, {@code
 *       scope_dropped_attributes_count}.
 * </ol>
 *
 * <p>Logstash lines are OTLP records here: MDC {@code trace_id}/{@code span_id} are the record's
 * trace context and every other field an attribute, so they get the same metadata.
 */
final class StructuredMetadata {
  /** Resource attributes Faultline turns into stream labels, so not metadata. */
  private static final Set<String> STREAM_RESOURCE_ATTRIBUTES =
      Set.of("service.name", "service.namespace", "deployment.environment", "deployment.environment.name");

  private StructuredMetadata() {}

  static Map<String, String> of(LogEntry e) {
    Map<String, String> m = new LinkedHashMap<>();
    LogRecord r = e.record();
    for (KeyValue kv : r.getAttributesList()) {
      attribute(m, kv.getKey(), kv.getValue(), "");
    }
    if (r.getTimeUnixNano() != 0 && r.getObservedTimeUnixNano() != 0) {
      m.put("observed_timestamp", Long.toUnsignedString(r.getObservedTimeUnixNano()));
    }
    if (r.getSeverityNumberValue() != 0) {
      m.put("severity_number", Integer.toString(r.getSeverityNumberValue()));
    }
    if (!r.getSeverityText().isEmpty()) {
      m.put("severity_text", r.getSeverityText());
    }
    if (r.getDroppedAttributesCount() != 0) {
      m.put("dropped_attributes_count", Integer.toUnsignedString(r.getDroppedAttributesCount()));
    }
    if (r.getFlags() != 0) {
      m.put("flags", Integer.toUnsignedString(r.getFlags()));
    }
    if (OtlpIds.isValidTraceId(r.getTraceId())) {
      m.put("trace_id", OtlpIds.toHex(r.getTraceId()));
    }
    if (OtlpIds.isValidSpanId(r.getSpanId())) {
      m.put("span_id", OtlpIds.toHex(r.getSpanId()));
    }
    for (KeyValue kv : e.resource().getAttributesList()) {
      if (!STREAM_RESOURCE_ATTRIBUTES.contains(kv.getKey()) && !streamLabel(kv)) {
        attribute(m, kv.getKey(), kv.getValue(), "");
      }
    }
    InstrumentationScope scope = e.scope();
    for (KeyValue kv : scope.getAttributesList()) {
      attribute(m, kv.getKey(), kv.getValue(), "");
    }
    if (!scope.getName().isEmpty()) {
      m.put("scope_name", scope.getName());
    }
    if (!scope.getVersion().isEmpty()) {
      m.put("scope_version", scope.getVersion());
    }
    if (scope.getDroppedAttributesCount() != 0) {
      m.put("scope_dropped_attributes_count", Integer.toUnsignedString(scope.getDroppedAttributesCount()));
    }
    return m;
  }

  /** A resource attribute that {@link LokiResource#labels} makes a stream label (a pushed label). */
  private static boolean streamLabel(KeyValue kv) {
    return kv.getValue().hasStringValue()
        && !kv.getValue().getStringValue().isEmpty()
        && LogEntry.isStreamLabelKey(kv.getKey());
  }

  // Loki's attributeToLabels: a map's entries become labels named prefix_key, recursively.
  private static void attribute(Map<String, String> m, String key, AnyValue v, String prefix) {
    String name = labelName(prefix.isEmpty() ? key : prefix + "_" + key);
    if (v.hasKvlistValue()) {
      for (KeyValue kv : v.getKvlistValue().getValuesList()) {
        attribute(m, kv.getKey(), kv.getValue(), name);
      }
      return;
    }
    m.put(name, OtlpValues.text(v, StructuredMetadata::goDouble));
  }

  /**
   * Prometheus' {@code otlptranslator.NormalizeLabel}, as Loki names OTLP attributes: every
   * character other than ASCII letters, digits and "_" becomes "_", then a leading digit gets
   * {@code key_} before it and a single leading "_" gets {@code key} ({@code 2xx} → {@code key_2xx},
   * {@code _id} → {@code key_id}, {@code __id} stays).
   */
  static String labelName(String key) {
    if (key.isEmpty()) {
      return key;
    }
    StringBuilder b = new StringBuilder(key.length());
    key.codePoints()
        .forEach(c -> b.append(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' ? (char) c : '_'));
    String name = b.toString();
    if (name.charAt(0) >= '0' && name.charAt(0) <= '9') {
      return "key_" + name;
    }
    if (name.startsWith("_") && !name.startsWith("__")) {
      return "key" + name;
    }
    return name;
  }

  /**
   * pdata's {@code float64AsString}, encoding/json's number form ({@link GoFloats#json}: {@code
   * 1e-7}, {@code 1e+21}); Inf and NaN as the JSON encoder's error text, as pdata writes them.
   */
  static String goDouble(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return "json: unsupported value: " + GoFloats.f(v);
    }
    return GoFloats.json(v);
  }
}
