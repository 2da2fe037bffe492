/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads an injector's parameters (as parsed from JSON or YAML) and collects one message per wrong
 * value, each naming the parameter by its path: {@code parameters.latencyMs: must be between 1 and
 * 60000}. Numbers may arrive as any {@link Number} or as a numeric string; a missing optional value
 * yields the given default. Not thread-safe: one instance per validation.
 */
public final class FaultParameters {
  private final Map<String, Object> values;
  private final String path;
  private final List<String> errors;

  private FaultParameters(Map<String, Object> values, String path, List<String> errors) {
    this.values = values;
    this.path = path;
    this.errors = errors;
  }

  /** The parameters of a spec, reported under {@code parameters.}. */
  public static FaultParameters of(FaultSpec spec) {
    return new FaultParameters(spec.parameters(), "parameters", new ArrayList<>());
  }

  /**
   * Any parameter map (e.g. a control request's JSON body), reported under {@code path}; {@code
   * path} may be empty for top-level names.
   */
  public static FaultParameters of(Map<String, Object> values, String path) {
    return new FaultParameters(values == null ? Map.of() : values, path, new ArrayList<>());
  }

  /** Messages collected so far, in the order found. */
  public List<String> errors() {
    return Collections.unmodifiableList(errors);
  }

  /** Throws with every collected message when any value was wrong. */
  public void throwIfInvalid(FaultSpec spec) throws FaultException {
    if (!errors.isEmpty()) {
      throw new FaultException(
          "fault '" + spec.name() + "' (" + spec.type() + ") is invalid: " + String.join("; ", errors));
    }
  }

  /** Records a message about {@code key}. */
  public void error(String key, String message) {
    errors.add(path(key) + ": " + message);
  }

  /** The names present, in no particular order. */
  public java.util.Set<String> keys() {
    return values.keySet();
  }

  public boolean has(String key) {
    return values.get(key) != null;
  }

  public String path(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  public Optional<String> string(String key) {
    Object v = values.get(key);
    if (v == null) {
      return Optional.empty();
    }
    if (v instanceof Map || v instanceof List) {
      error(key, "must be a string");
      return Optional.empty();
    }
    String s = v.toString().trim();
    return s.isEmpty() ? Optional.empty() : Optional.of(s);
  }

  public String requiredString(String key) {
    Optional<String> s = string(key);
    if (s.isEmpty() && !(values.get(key) instanceof Map || values.get(key) instanceof List)) {
      error(key, "is required");
    }
    return s.orElse("");
  }

  /** An integer in {@code [min, max]}, or {@code dflt} when absent. */
  public long integer(String key, long min, long max, long dflt) {
    Object v = values.get(key);
    if (v == null) {
      return dflt;
    }
    Long n = asLong(v);
    if (n == null) {
      error(key, "must be a whole number between " + min + " and " + max);
      return dflt;
    }
    if (n < min || n > max) {
      error(key, "must be between " + min + " and " + max);
      return dflt;
    }
    return n;
  }

  /** A required integer in {@code [min, max]}. */
  public long requiredInteger(String key, long min, long max) {
    if (values.get(key) == null) {
      error(key, "is required (a whole number between " + min + " and " + max + ")");
      return min;
    }
    return integer(key, min, max, min);
  }

  /** A decimal in {@code [min, max]}, or {@code dflt} when absent. */
  public double decimal(String key, double min, double max, double dflt) {
    Object v = values.get(key);
    if (v == null) {
      return dflt;
    }
    Double d = null;
    if (v instanceof Number n) {
      d = n.doubleValue();
    } else {
      try {
        d = Double.parseDouble(v.toString().trim());
      } catch (NumberFormatException e) {
        d = null;
      }
    }
    if (d == null || d.isNaN() || d < min || d > max) {
      error(key, "must be a number between " + min + " and " + max);
      return dflt;
    }
    return d;
  }

  public boolean bool(String key, boolean dflt) {
    Object v = values.get(key);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    String s = v.toString().trim();
    if (s.equalsIgnoreCase("true")) {
      return true;
    }
    if (s.equalsIgnoreCase("false")) {
      return false;
    }
    error(key, "must be true or false");
    return dflt;
  }

  /** A list of strings; a single string counts as a list of one. Empty when absent. */
  public List<String> strings(String key) {
    Object v = values.get(key);
    if (v == null) {
      return List.of();
    }
    if (v instanceof List<?> list) {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        Object e = list.get(i);
        if (e == null || e instanceof Map || e instanceof List) {
          errors.add(path(key) + "[" + i + "]: must be a string");
        } else {
          out.add(e.toString());
        }
      }
      return out;
    }
    if (v instanceof Map) {
      error(key, "must be a list of strings");
      return List.of();
    }
    return List.of(v.toString());
  }

  /** A nested object, reported under {@code parameters.key.}; absent means an empty object. */
  @SuppressWarnings("unchecked")
  public FaultParameters nested(String key) {
    Object v = values.get(key);
    if (v == null) {
      return new FaultParameters(Map.of(), path(key), errors);
    }
    if (!(v instanceof Map)) {
      error(key, "must be an object");
      return new FaultParameters(Map.of(), path(key), errors);
    }
    return new FaultParameters((Map<String, Object>) v, path(key), errors);
  }

  /** Reports every key not in {@code known}, so a typo does not silently do nothing. */
  public void rejectUnknown(java.util.Set<String> known) {
    for (String k : values.keySet()) {
      if (!known.contains(k) && !k.startsWith("_")) {
        error(k, "unknown parameter (known: " + String.join(", ", new java.util.TreeSet<>(known)) + ")");
      }
    }
  }

  private static Long asLong(Object v) {
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof Number n) {
      double d = n.doubleValue();
      return d == Math.rint(d) && !Double.isInfinite(d) ? (long) d : null;
    }
    try {
      return Long.parseLong(v.toString().trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
