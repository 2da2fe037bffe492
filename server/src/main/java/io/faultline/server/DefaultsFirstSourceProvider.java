/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.dropwizard.configuration.ConfigurationSourceProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Reads a {@code config.yml} laid over the built-in defaults, so that what the file leaves out
 * still has its default when Dropwizard applies the {@code dw.*} overrides. Without this, a file
 * without a {@code server:} section made {@code FAULTLINE_HTTP_PORT} fail at start ("Unable to
 * override server.applicationConnectors[0].port; node with index not found"): Dropwizard applies
 * overrides to the file's tree, and only a run without a file starts from the defaults' tree.
 *
 * <p>Objects merge key by key, the file winning; arrays and scalars from the file replace the
 * default; an object whose {@code type} differs from the default's (another server or connector
 * kind) replaces it whole, since the default's other keys may not fit it.
 */
final class DefaultsFirstSourceProvider implements ConfigurationSourceProvider {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final ConfigurationSourceProvider delegate;
  private final Supplier<JsonNode> defaults;
  private final ObjectMapper json;

  /**
   * @param defaults the defaults as a tree (Dropwizard's own: {@code mapper.valueToTree(new
   *     FaultlineConfiguration())})
   * @param json the mapper that writes the merged tree for Dropwizard to read
   */
  DefaultsFirstSourceProvider(
      ConfigurationSourceProvider delegate, Supplier<JsonNode> defaults, ObjectMapper json) {
    this.delegate = delegate;
    this.defaults = defaults;
    this.json = json;
  }

  @Override
  public InputStream open(String path) throws IOException {
    JsonNode file;
    try (InputStream in = delegate.open(path)) {
      file = YAML.readTree(in);
    }
    JsonNode merged = defaults.get().deepCopy();
    if (file != null && !file.isMissingNode() && !file.isNull()) {
      if (!file.isObject()) {
        // not a mapping: hand it on unchanged and let Dropwizard say what is wrong with it
        return new ByteArrayInputStream(json.writeValueAsBytes(file));
      }
      merged = merge(merged, file);
    }
    return new ByteArrayInputStream(json.writeValueAsBytes(merged));
  }

  static JsonNode merge(JsonNode base, JsonNode over) {
    if (!(base instanceof ObjectNode b) || !over.isObject() || differentType(base, over)) {
      return over;
    }
    ObjectNode out = b.deepCopy();
    Iterator<Map.Entry<String, JsonNode>> fields = over.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      JsonNode existing = out.get(f.getKey());
      out.set(f.getKey(), existing == null ? f.getValue() : merge(existing, f.getValue()));
    }
    return out;
  }

  private static boolean differentType(JsonNode base, JsonNode over) {
    JsonNode a = base.get("type");
    JsonNode b = over.get("type");
    return a != null && b != null && !a.equals(b);
  }
}
