/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import io.faultline.collector.otlp.IngestLimits;
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

  /** Null when the resource's attributes are within the limits; else the first problem found. */
  static Problem resource(Resource resource, IngestLimits limits) {
    return check(resource.getAttributesList(), limits, "a resource");
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
    int keyBytes = utf8Length(kv.getKey(), limits.maxAttributeValueBytes());
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
        int s = utf8Length(value.getStringValue(), limits.maxAttributeValueBytes());
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

  /**
   * The UTF-8 length of {@code s}, exact whenever it may exceed {@code limit} (else at most {@code
   * limit}). The parsed message holds its strings decoded (protobuf decodes proto3 strings as it
   * parses), so asking it for their bytes would encode them again and swap the decoded form out for
   * the next reader; counting is cheaper, and most strings are settled by their length alone.
   */
  static int utf8Length(String s, int limit) {
    int chars = s.length();
    if ((long) chars * 3 <= limit) {
      return chars; // within the limit whatever its characters
    }
    int bytes = 0;
    for (int i = 0; i < chars; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < chars
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3; // other characters (a lone surrogate, which no parsed string holds, counts 3)
      }
    }
    return bytes;
  }

  private static Problem tooLong(String owner, String what, int bytes, IngestLimits limits) {
    return new Problem(
        RejectReason.ATTRIBUTE_VALUE_TOO_LONG,
        owner
            + " has "
            + what
            + " of "
            + bytes
            + " bytes; the limit is "
            + limits.maxAttributeValueBytes()
            + " bytes");
  }

  /** A name for messages, cut short so one hostile value cannot bloat the error message. */
  static String quote(String s) {
    return "'" + (s.length() > 64 ? s.substring(0, 64) + "…" : s) + "'";
  }
}
