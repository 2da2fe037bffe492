/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import io.faultline.collector.otlp.IngestLimits;
import io.faultline.core.otlp.OtlpValues;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import java.util.List;

/** Attribute limits, shared by every signal. */
final class AttributeCheck {
  private AttributeCheck() {}

  /**
   * Why an item is rejected: the reason and a sentence naming what is wrong (for attributes, the
   * offending attribute).
   */
  record Problem(RejectReason reason, String detail) {}

  /**
   * The most UTF-8 bytes of a string that the stores index as one term: a service name, a span or
   * metric name, a metric label's name or value. Lucene refuses a term over 32766 bytes, so a
   * store would drop the item after it was acknowledged; refusing it here tells the sender. Half
   * of that leaves room for two such strings joined in one term (a service and a span name, a
   * label's name and value).
   */
  static final int MAX_INDEXED_BYTES = 16_000;

  /**
   * Null when the resource's attributes are within the limits and its service name can be
   * indexed; else the first problem found.
   */
  static Problem resource(Resource resource, IngestLimits limits) {
    Problem p = check(resource.getAttributesList(), limits, "a resource");
    for (int i = 0; p == null && i < resource.getAttributesCount(); i++) {
      KeyValue kv = resource.getAttributes(i);
      if (kv.getKey().equals("service.name")) {
        // the service as the stores index it, a non-string value as text
        p =
            indexed(
                OtlpValues.text(kv.getValue(), OtlpValues::javaScriptNumber),
                limits,
                "a resource",
                "a service.name");
      }
    }
    return p;
  }

  /** The limit of a string that is indexed as a term: {@link #MAX_INDEXED_BYTES} or lower. */
  static int indexedLimit(IngestLimits limits) {
    return Math.min(limits.maxAttributeValueBytes(), MAX_INDEXED_BYTES);
  }

  /**
   * Null when {@code value}, which the stores index as one term (a name, a service), is within
   * {@link #indexedLimit}; else the problem, naming {@code what} of {@code owner}.
   */
  static Problem indexed(String value, IngestLimits limits, String owner, String what) {
    int limit = indexedLimit(limits);
    int bytes = OtlpValues.utf8Length(value, limit);
    return bytes > limit
        ? new Problem(
            RejectReason.NAME_TOO_LONG,
            owner + " has " + what + " of " + bytes + " bytes; the limit is " + limit + " bytes")
        : null;
  }

  /**
   * Null when every attribute can be indexed as a metric label: its key, and its value as the
   * metric store writes it (non-strings as text), within {@link #indexedLimit}; else the first
   * problem. Checked after {@link #check}, which bounds the values this renders.
   */
  static Problem labels(List<KeyValue> attributes, IngestLimits limits, String owner) {
    int limit = indexedLimit(limits);
    for (KeyValue kv : attributes) {
      int keyBytes = OtlpValues.utf8Length(kv.getKey(), limit);
      if (keyBytes > limit) {
        return tooLong(owner, "an attribute key", keyBytes, limit);
      }
      AnyValue v = kv.getValue();
      int bytes =
          switch (v.getValueCase()) {
            case STRING_VALUE -> OtlpValues.utf8Length(v.getStringValue(), limit);
            case BYTES_VALUE -> (v.getBytesValue().size() + 2) / 3 * 4; // base64
            case ARRAY_VALUE, KVLIST_VALUE ->
                OtlpValues.utf8Length(OtlpValues.text(v, OtlpValues::javaScriptNumber), limit);
            default -> 0; // a number or a boolean
          };
      if (bytes > limit) {
        return tooLong(owner, "attribute " + quote(kv.getKey()), bytes, limit);
      }
    }
    return null;
  }

  /**
   * The problem every item of a scope inherits: its resource's ({@code resourceProblem}), else the
   * scope's own attributes' first problem; null when both are within the limits.
   */
  static Problem scope(InstrumentationScope scope, Problem resourceProblem, IngestLimits limits) {
    return resourceProblem != null
        ? resourceProblem
        : check(scope.getAttributesList(), limits, "scope " + quote(scope.getName()));
  }

  /** Null when {@code attributes} is within the limits; else the first problem found. */
  static Problem check(List<KeyValue> attributes, IngestLimits limits, String owner) {
    if (attributes.size() > limits.maxAttributesPerItem()) {
      return new Problem(
          RejectReason.TOO_MANY_ATTRIBUTES,
          owner
              + " has "
              + attributes.size()
              + " attributes; the limit is "
              + limits.maxAttributesPerItem()
              + " per span, event, link, scope or resource");
    }
    for (KeyValue kv : attributes) {
      Problem p = checkKeyValue(kv, limits, owner);
      if (p != null) {
        return p;
      }
    }
    return null;
  }

  private static Problem checkKeyValue(KeyValue kv, IngestLimits limits, String owner) {
    int keyBytes = OtlpValues.utf8Length(kv.getKey(), limits.maxAttributeValueBytes());
    if (keyBytes > limits.maxAttributeValueBytes()) {
      return tooLong(owner, "an attribute key", keyBytes, limits);
    }
    return checkValue(kv.getValue(), limits, owner, kv);
  }

  /** {@code kv} names the attribute in a message; its key is decoded only then. */
  private static Problem checkValue(
      AnyValue value, IngestLimits limits, String owner, KeyValue kv) {
    switch (value.getValueCase()) {
      case STRING_VALUE:
        int s = OtlpValues.utf8Length(value.getStringValue(), limits.maxAttributeValueBytes());
        return s > limits.maxAttributeValueBytes()
            ? tooLong(owner, "attribute " + quote(kv.getKey()), s, limits)
            : null;
      case BYTES_VALUE:
        int b = value.getBytesValue().size();
        return b > limits.maxAttributeValueBytes()
            ? tooLong(owner, "attribute " + quote(kv.getKey()), b, limits)
            : null;
      case ARRAY_VALUE:
        for (AnyValue v : value.getArrayValue().getValuesList()) {
          Problem p = checkValue(v, limits, owner, kv);
          if (p != null) {
            return p;
          }
        }
        return null;
      case KVLIST_VALUE:
        for (KeyValue inner : value.getKvlistValue().getValuesList()) {
          Problem p = checkKeyValue(inner, limits, owner);
          if (p != null) {
            return p;
          }
        }
        return null;
      default:
        return null;
    }
  }

  private static Problem tooLong(String owner, String what, int bytes, IngestLimits limits) {
    return tooLong(owner, what, bytes, limits.maxAttributeValueBytes());
  }

  private static Problem tooLong(String owner, String what, int bytes, int limit) {
    return new Problem(
        RejectReason.ATTRIBUTE_VALUE_TOO_LONG,
        owner
            + " has "
            + what
            + " of "
            + bytes
            + " bytes; the limit is "
            + limit
            + " bytes");
  }

  /** A name for messages, cut short so one hostile value cannot bloat the error message. */
  static String quote(String s) {
    return "'" + (s.length() > 64 ? s.substring(0, 64) + "…" : s) + "'";
  }
}
