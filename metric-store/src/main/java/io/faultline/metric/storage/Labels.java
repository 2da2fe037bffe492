/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.storage;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable label set sorted by label name, as Prometheus models a series identity. Empty
 * values are never stored: setting a label to "" removes it, which is how PromQL treats a
 * missing label.
 */
public final class Labels implements Comparable<Labels> {
  /** The label that holds the metric name. */
  public static final String METRIC_NAME = "__name__";

  private static final Labels EMPTY = new Labels(new String[0], new String[0]);

  private final String[] names;
  private final String[] values;
  private int hash;

  private Labels(String[] names, String[] values) {
    this.names = names;
    this.values = values;
  }

  /** The empty label set. */
  public static Labels empty() {
    return EMPTY;
  }

  /** Builds a label set from name/value pairs: {@code of("__name__", "up", "job", "api")}. */
  public static Labels of(String... nameValues) {
    if (nameValues.length % 2 != 0) {
      throw new IllegalArgumentException("labels need name/value pairs, got an odd count");
    }
    Builder b = new Builder();
    for (int i = 0; i < nameValues.length; i += 2) {
      b.set(nameValues[i], nameValues[i + 1]);
    }
    return b.build();
  }

  /** Builds a label set from a map; entries with empty values are dropped. */
  public static Labels of(Map<String, String> map) {
    Builder b = new Builder();
    map.forEach(b::set);
    return b.build();
  }

  /** A builder starting from the given labels. */
  public static Builder builder(Labels base) {
    return new Builder(base);
  }

  /** A builder starting empty. */
  public static Builder builder() {
    return new Builder();
  }

  public int size() {
    return names.length;
  }

  public String name(int i) {
    return names[i];
  }

  public String value(int i) {
    return values[i];
  }

  /** The value of a label, or "" when absent (PromQL's convention). */
  public String get(String name) {
    int i = Arrays.binarySearch(names, name);
    return i >= 0 ? values[i] : "";
  }

  public boolean has(String name) {
    return Arrays.binarySearch(names, name) >= 0;
  }

  public boolean isEmpty() {
    return names.length == 0;
  }

  /** A copy holding only the given labels. */
  public Labels keep(Collection<String> keep) {
    Builder b = new Builder();
    for (int i = 0; i < names.length; i++) {
      if (keep.contains(names[i])) {
        b.set(names[i], values[i]);
      }
    }
    return b.build();
  }

  /** A copy without the given labels. */
  public Labels without(Collection<String> drop) {
    Builder b = new Builder();
    for (int i = 0; i < names.length; i++) {
      if (!drop.contains(names[i])) {
        b.set(names[i], values[i]);
      }
    }
    return b.build();
  }

  /** A copy without the metric name. */
  public Labels withoutMetricName() {
    int i = Arrays.binarySearch(names, METRIC_NAME);
    if (i < 0) {
      return this;
    }
    String[] n = new String[names.length - 1];
    String[] v = new String[names.length - 1];
    System.arraycopy(names, 0, n, 0, i);
    System.arraycopy(values, 0, v, 0, i);
    System.arraycopy(names, i + 1, n, i, names.length - i - 1);
    System.arraycopy(values, i + 1, v, i, names.length - i - 1);
    return new Labels(n, v);
  }

  /** The labels as a sorted map. */
  public Map<String, String> toMap() {
    Map<String, String> m = new TreeMap<>();
    for (int i = 0; i < names.length; i++) {
      m.put(names[i], values[i]);
    }
    return m;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Labels)) {
      return false;
    }
    Labels other = (Labels) o;
    return hashCode() == other.hashCode()
        && Arrays.equals(names, other.names)
        && Arrays.equals(values, other.values);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = 31 * Arrays.hashCode(names) + Arrays.hashCode(values);
      if (h == 0) {
        h = 1;
      }
      hash = h;
    }
    return h;
  }

  /** Orders as Prometheus' labels.Compare does: name by name, then value, then length. */
  @Override
  public int compareTo(Labels o) {
    int n = Math.min(names.length, o.names.length);
    for (int i = 0; i < n; i++) {
      // label sets read from one index share their strings: skip comparing a string to itself
      int c = names[i] == o.names[i] ? 0 : names[i].compareTo(o.names[i]);
      if (c != 0) {
        return c;
      }
      c = values[i] == o.values[i] ? 0 : values[i].compareTo(o.values[i]);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(names.length, o.names.length);
  }

  /** Prometheus' text form: {@code {__name__="up", job="api"}}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < names.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(names[i]).append("=\"");
      appendEscaped(sb, values[i]);
      sb.append('"');
    }
    return sb.append('}').toString();
  }

  private static void appendEscaped(StringBuilder sb, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          sb.append("\\\"");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        case '\n':
          sb.append("\\n");
          break;
        default:
          sb.append(c);
      }
    }
  }

  /** Mutable builder; not thread-safe. */
  public static final class Builder {
    private final TreeMap<String, String> map = new TreeMap<>();

    Builder() {}

    Builder(Labels base) {
      for (int i = 0; i < base.names.length; i++) {
        map.put(base.names[i], base.values[i]);
      }
    }

    /** Sets a label; an empty value removes it. */
    public Builder set(String name, String value) {
      if (value == null || value.isEmpty()) {
        map.remove(name);
      } else {
        map.put(name, value);
      }
      return this;
    }

    public Builder remove(String name) {
      map.remove(name);
      return this;
    }

    public Labels build() {
      if (map.isEmpty()) {
        return EMPTY;
      }
      String[] n = new String[map.size()];
      String[] v = new String[map.size()];
      int i = 0;
      for (Map.Entry<String, String> e : map.entrySet()) {
        n[i] = e.getKey();
        v[i] = e.getValue();
        i++;
      }
      return new Labels(n, v);
    }
  }
}
