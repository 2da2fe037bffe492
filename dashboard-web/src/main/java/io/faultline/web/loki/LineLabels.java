/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The labels of one line while its pipeline runs, remembering the category of each as Loki's
 * {@code LabelsBuilder} does: stream labels, structured metadata (a name that is also a stream
 * label gets the suffix {@code _extracted}) and parsed labels. Every {@code put} after construction
 * is a pipeline stage setting a label, so it makes the label parsed, as Loki's parsers, {@code
 * label_format} and errors do; removing a label removes it from every category. Stages must write
 * through {@code put}.
 */
final class LineLabels extends LinkedHashMap<String, String> {
  private static final long serialVersionUID = 1L;

  private final transient Set<String> metadata = new HashSet<>();
  private final transient Set<String> parsed = new HashSet<>();
  private final transient Set<String> streamNames;
  private final boolean sealed;

  LineLabels(Map<String, String> stream, Map<String, String> structuredMetadata) {
    super(stream);
    streamNames = Set.copyOf(stream.keySet());
    structuredMetadata.forEach(
        (name, value) -> {
          String n = stream.containsKey(name) ? name + "_extracted" : name;
          super.put(n, value);
          metadata.add(n);
        });
    sealed = true;
  }

  @Override
  public String put(String key, String value) {
    if (sealed) {
      parsed.add(key);
    }
    return super.put(key, value);
  }

  /** The stream labels still present and not replaced by metadata or a parsed label, sorted. */
  Map<String, String> stream() {
    Map<String, String> out = new TreeMap<>();
    forEach((k, v) -> {
      if (!isParsed(k) && !metadata.contains(k)) {
        out.put(k, v);
      }
    });
    return out;
  }

  /** The structured metadata still present and not replaced by a parsed label, sorted. */
  Map<String, String> structuredMetadata() {
    Map<String, String> out = new TreeMap<>();
    forEach((k, v) -> {
      if (!isParsed(k) && metadata.contains(k)) {
        out.put(k, v);
      }
    });
    return out;
  }

  /** The labels the pipeline set, {@code __error__} and {@code __error_details__} among them, sorted. */
  Map<String, String> parsed() {
    Map<String, String> out = new TreeMap<>();
    forEach((k, v) -> {
      if (isParsed(k)) {
        out.put(k, v);
      }
    });
    return out;
  }

  /** Whether {@code name} was one of the line's stream labels (it may have been replaced since). */
  boolean isStreamLabel(String name) {
    return streamNames.contains(name);
  }

  private boolean isParsed(String name) {
    return parsed.contains(name) || name.equals("__error__") || name.equals("__error_details__");
  }
}
