/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.otlp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * OTLP/JSON, the JSON encoding of the OTLP specification: the Protobuf JSON mapping with three
 * differences that matter here. Trace and span ids ({@code traceId}, {@code spanId}, {@code
 * parentSpanId} in spans, span links, log records and exemplars) are hex strings, not base64; enums
 * are written as integers; and keys are lowerCamelCase.
 *
 * <p>Reading is lenient where the specification asks for it: keys in lowerCamelCase or in their
 * original snake_case, enums as integers or names, 64-bit integers as strings or numbers, hex ids
 * in either case, and unknown fields ignored. An empty id string means "no id" (a root span's
 * {@code parentSpanId}, a log record without trace context). Anything else that is wrong (malformed
 * JSON, an id of the wrong length or with a non-hex character, a value of the wrong type) throws an
 * {@link OtlpJsonException} whose message names the problem and where it is.
 *
 * <p>Writing gives lower-case hex ids, integer enums, lowerCamelCase keys and 64-bit integers as
 * strings, and omits fields that hold their default value. {@code parse(print(m))} equals {@code
 * m}.
 *
 * <p>Stateless and thread-safe.
 */
public final class OtlpJson {

  /** Room for the largest decompressed OTLP body the collector accepts, as one string value. */
  private static final int MAX_STRING_LENGTH = 128 * 1024 * 1024;

  /**
   * AnyValue nests arbitrarily; this is far more than any real payload and keeps the stack safe.
   */
  private static final int MAX_NESTING_DEPTH = 200;

  private static final int MAX_MESSAGE_LENGTH = 300;

  private static final ObjectMapper MAPPER = newMapper();

  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().printingEnumsAsInts().omittingInsignificantWhitespace();

  /** Per message type: JSON key (both spellings) to field, for the fields the walk visits. */
  private static final Map<Descriptor, Map<String, FieldDescriptor>> FIELDS =
      new ConcurrentHashMap<>();

  private OtlpJson() {}

  /**
   * Parses an OTLP/JSON body into a message of the given type.
   *
   * @param json the body, UTF-8; read to its end but not closed
   * @param defaultInstance the type to parse into, e.g. {@code
   *     ExportTraceServiceRequest.getDefaultInstance()}
   * @throws OtlpJsonException when the body is not valid OTLP/JSON for that type
   * @throws UncheckedIOException when reading the stream fails
   */
  public static <T extends Message> T parse(InputStream json, T defaultInstance) {
    Objects.requireNonNull(json, "json");
    JsonNode tree;
    try {
      tree = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new OtlpJsonException(
          "malformed JSON: " + abbreviate(e.getOriginalMessage()) + location(e), e);
    } catch (IOException e) {
      throw new UncheckedIOException("reading the OTLP/JSON body failed: " + e.getMessage(), e);
    }
    return fromTree(tree, defaultInstance);
  }

  /**
   * Parses an OTLP/JSON body into a message of the given type.
   *
   * @throws OtlpJsonException when the body is not valid OTLP/JSON for that type
   */
  public static <T extends Message> T parse(byte[] json, T defaultInstance) {
    Objects.requireNonNull(json, "json");
    JsonNode tree;
    try {
      tree = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new OtlpJsonException(
          "malformed JSON: " + abbreviate(e.getOriginalMessage()) + location(e), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return fromTree(tree, defaultInstance);
  }

  /**
   * Parses OTLP/JSON text into a message of the given type.
   *
   * @throws OtlpJsonException when the text is not valid OTLP/JSON for that type
   */
  public static <T extends Message> T parse(String json, T defaultInstance) {
    Objects.requireNonNull(json, "json");
    return parse(json.getBytes(StandardCharsets.UTF_8), defaultInstance);
  }

  /** The message as compact OTLP/JSON text. */
  public static String print(Message message) {
    Objects.requireNonNull(message, "message");
    try {
      return MAPPER.writeValueAsString(toTree(message));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("writing OTLP/JSON failed: " + e.getMessage(), e);
    }
  }

  /** The message as compact OTLP/JSON, UTF-8. */
  public static byte[] printBytes(Message message) {
    Objects.requireNonNull(message, "message");
    try {
      return MAPPER.writeValueAsBytes(toTree(message));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("writing OTLP/JSON failed: " + e.getMessage(), e);
    }
  }

  /**
   * The message as an OTLP/JSON tree, for callers that embed it in a larger JSON document (such as
   * {@code {"result": ...}}).
   */
  public static ObjectNode printTree(Message message) {
    Objects.requireNonNull(message, "message");
    return toTree(message);
  }

  private static <T extends Message> T fromTree(JsonNode tree, T defaultInstance) {
    Objects.requireNonNull(defaultInstance, "defaultInstance");
    Descriptor type = defaultInstance.getDescriptorForType();
    if (tree == null || tree.isMissingNode()) {
      throw new OtlpJsonException("empty body: expected a JSON object (" + type.getName() + ")");
    }
    if (!tree.isObject()) {
      throw new OtlpJsonException(
          "expected a JSON object (" + type.getName() + "), got " + kind(tree));
    }
    hexToBase64((ObjectNode) tree, type, "");
    Message.Builder builder = defaultInstance.newBuilderForType();
    try {
      PARSER.merge(MAPPER.writeValueAsString(tree), builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      // JsonFormat reports type errors without a path; the field names in its message locate it.
      throw new OtlpJsonException(
          "invalid OTLP/JSON " + type.getName() + ": " + abbreviate(e.getMessage()), e);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    @SuppressWarnings("unchecked")
    T message = (T) builder.build();
    return message;
  }

  private static ObjectNode toTree(Message message) {
    ObjectNode tree;
    try {
      tree = (ObjectNode) MAPPER.readTree(PRINTER.print(message));
    } catch (IOException e) {
      throw new IllegalStateException("writing OTLP/JSON failed: " + e.getMessage(), e);
    }
    base64ToHex(tree, message.getDescriptorForType());
    return tree;
  }

  /** Rewrites hex ids as the base64 that the Protobuf JSON mapping expects for bytes fields. */
  private static void hexToBase64(ObjectNode object, Descriptor type, String path) {
    Map<String, FieldDescriptor> fields = fieldsOf(type);
    Iterator<Map.Entry<String, JsonNode>> entries = object.fields();
    Map<String, JsonNode> replacements = null;
    while (entries.hasNext()) {
      Map.Entry<String, JsonNode> entry = entries.next();
      FieldDescriptor field = fields.get(entry.getKey());
      JsonNode value = entry.getValue();
      if (field == null || value.isNull()) {
        continue;
      }
      String fieldPath = path.isEmpty() ? entry.getKey() : path + "." + entry.getKey();
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        if (field.isRepeated() && value.isArray()) {
          for (int i = 0; i < value.size(); i++) {
            if (value.get(i).isObject()) {
              hexToBase64(
                  (ObjectNode) value.get(i), field.getMessageType(), fieldPath + "[" + i + "]");
            }
          }
        } else if (!field.isRepeated() && value.isObject()) {
          hexToBase64((ObjectNode) value, field.getMessageType(), fieldPath);
        }
      } else {
        int length = idLength(field);
        if (length > 0) {
          if (replacements == null) {
            replacements = new HashMap<>();
          }
          replacements.put(
              entry.getKey(), TextNode.valueOf(hexIdToBase64(value, length, fieldPath)));
        }
      }
    }
    if (replacements != null) {
      replacements.forEach(object::set);
    }
  }

  private static String hexIdToBase64(JsonNode value, int byteLength, String path) {
    if (!value.isTextual()) {
      throw new OtlpJsonException(
          path
              + ": expected a string of "
              + 2 * byteLength
              + " hex characters, got "
              + kind(value));
    }
    String hex = value.textValue();
    if (hex.isEmpty()) {
      return "";
    }
    if (hex.length() != 2 * byteLength) {
      throw new OtlpJsonException(
          path + ": expected " + 2 * byteLength + " hex characters, got " + hex.length());
    }
    try {
      return Base64.getEncoder().encodeToString(OtlpIds.fromHex(hex, byteLength, path));
    } catch (IllegalArgumentException e) {
      throw new OtlpJsonException(e.getMessage(), e);
    }
  }

  /** Rewrites the printer's base64 ids as hex; the printer writes lowerCamelCase keys only. */
  private static void base64ToHex(ObjectNode object, Descriptor type) {
    for (FieldDescriptor field : type.getFields()) {
      JsonNode value = object.get(field.getJsonName());
      if (value == null) {
        continue;
      }
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        if (value instanceof ArrayNode array) {
          for (JsonNode element : array) {
            base64ToHex((ObjectNode) element, field.getMessageType());
          }
        } else if (value instanceof ObjectNode child) {
          base64ToHex(child, field.getMessageType());
        }
      } else if (idLength(field) > 0) {
        byte[] bytes = Base64.getDecoder().decode(value.textValue());
        object.put(field.getJsonName(), OtlpIds.toHex(bytes));
      }
    }
  }

  /**
   * The byte length of an OTLP id field (trace id 16, span id 8), or 0 for any other field. Ids are
   * recognised by name and type inside the OTLP packages, which covers spans, span links, log
   * records, exemplars and profile links.
   */
  private static int idLength(FieldDescriptor field) {
    if (field.getType() != FieldDescriptor.Type.BYTES
        || field.isRepeated()
        || !field.getFile().getPackage().startsWith("opentelemetry.proto.")) {
      return 0;
    }
    return switch (field.getName()) {
      case "trace_id" -> OtlpIds.TRACE_ID_BYTES;
      case "span_id", "parent_span_id" -> OtlpIds.SPAN_ID_BYTES;
      default -> 0;
    };
  }

  private static Map<String, FieldDescriptor> fieldsOf(Descriptor type) {
    return FIELDS.computeIfAbsent(
        type,
        t -> {
          Map<String, FieldDescriptor> byName = new HashMap<>();
          for (FieldDescriptor field : t.getFields()) {
            if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE || idLength(field) > 0) {
              byName.put(field.getName(), field);
              byName.put(field.getJsonName(), field);
            }
          }
          return Map.copyOf(byName);
        });
  }

  private static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT, POJO -> "an object";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case STRING -> "a string";
      case NULL -> "null";
      default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  /** Values echoed in a parser's message may be large; an error message should not be. */
  private static String abbreviate(String message) {
    if (message == null) {
      return "unreadable value";
    }
    return message.length() <= MAX_MESSAGE_LENGTH
        ? message
        : message.substring(0, MAX_MESSAGE_LENGTH) + "...";
  }

  private static String location(JsonProcessingException e) {
    if (e.getLocation() == null) {
      return "";
    }
    return " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
  }

  private static ObjectMapper newMapper() {
    JsonMapper mapper =
        JsonMapper.builder()
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    mapper
        .getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder()
                .maxStringLength(MAX_STRING_LENGTH)
                .maxNestingDepth(MAX_NESTING_DEPTH)
                .build());
    return mapper;
  }
}
