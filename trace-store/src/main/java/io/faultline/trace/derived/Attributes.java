/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace.derived;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import java.util.Base64;
import java.util.List;

/** Attribute look-up as Tempo's generator does it: resource attributes first, then the span's. */
final class Attributes {
  private Attributes() {}

  /** The resource's {@code service.name}, or null when it has none (Tempo skips such spans). */
  static String serviceName(Resource resource) {
    return find("service.name", resource.getAttributesList());
  }

  /** The first value of {@code key} in the given lists, as text; null when none has it. */
  @SafeVarargs
  static String find(String key, List<KeyValue>... lists) {
    for (List<KeyValue> list : lists) {
      for (KeyValue kv : list) {
        if (kv.getKey().equals(key)) {
          return render(kv.getValue());
        }
      }
    }
    return null;
  }

  static String render(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
      case INT_VALUE -> Long.toString(v.getIntValue());
      case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
      case BYTES_VALUE -> Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray());
      case ARRAY_VALUE ->
          v.getArrayValue().getValuesList().stream().map(Attributes::render).toList().toString();
      case KVLIST_VALUE ->
          v.getKvlistValue().getValuesList().stream()
              .map(kv -> kv.getKey() + "=" + render(kv.getValue()))
              .toList()
              .toString();
      default -> "";
    };
  }
}
