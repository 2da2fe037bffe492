/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.exc.StreamWriteException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.PropertyBindingException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.dropwizard.jersey.errors.ErrorMessage;
import io.dropwizard.jersey.errors.LoggingExceptionMapper;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A JSON request body that cannot be read into the resource's Java object. Dropwizard's own mapper
 * answers {@code 400 {"code":400,"message":"Unable to process JSON"}}; this one says what and where,
 * in the same shape: {@code invalid JSON at line 1, column 12: unexpected end of input}, {@code
 * field 'role': expected a string, not a number}. Messages never name a Java class or package and
 * never carry Jackson's {@code [Source: ...]}. As before, a failure on the server's side (writing a
 * response, a type Jackson cannot bind) is a 500 and logged. Registering a mapper for the same type
 * as one of Dropwizard's defaults replaces it.
 */
final class JsonBodyExceptionMapper implements ExceptionMapper<JsonProcessingException> {
  /** Jackson's "[Source: REDACTED (...); line: 1, column: 1]": only the place matters. */
  private static final Pattern JACKSON_SOURCE =
      Pattern.compile("\\[Source: [^;\\]]*(?:; line: (\\d+), column: (\\d+))?\\]");
  /** Jackson's pointer to its own configuration ("from `StreamReadConstraints.getMaxNestingDepth()`"). */
  private static final Pattern JACKSON_INTERNALS = Pattern.compile(",? from `[A-Za-z]+\\.[A-Za-z]+\\(\\)`");
  /** A Java type in backquotes, as Jackson quotes them: `java.lang.String`, `io.x.Foo$Bar`. */
  private static final Pattern QUOTED_TYPE = Pattern.compile("`[A-Za-z_$][\\w$]*(?:\\.[\\w$<>\\[\\], ]+)+`");
  /** Anything else that still looks like a qualified class name. */
  private static final Pattern QUALIFIED_NAME = Pattern.compile("\\b(?:[a-z_][a-z0-9_]*\\.)+[A-Z][\\w$]*");
  /** Jackson's wording of a token: (token `JsonToken.VALUE_NUMBER_INT`). */
  private static final Pattern TOKEN = Pattern.compile("\\s*\\(token `JsonToken\\.[A-Z_]+`\\)");

  /** A token's name in Jackson's wording: "Unexpected end-of-input in VALUE_STRING". */
  private static final Pattern TOKEN_NAME = Pattern.compile(
      "\\b(?:JsonToken\\.)?(VALUE_STRING|FIELD_NAME|START_OBJECT|END_OBJECT|START_ARRAY|END_ARRAY"
          + "|VALUE_NUMBER_INT|VALUE_NUMBER_FLOAT|VALUE_TRUE|VALUE_FALSE|VALUE_NULL|VALUE_EMBEDDED_OBJECT|NOT_AVAILABLE)\\b");

  /** What Jackson says it found: "Cannot deserialize value of type ... from Object value". */
  private static final Pattern FROM = Pattern.compile("\\bfrom (Object|Array|Integer|Floating-point|Number|String|Boolean|Null) value");
  private static final Map<String, String> FROM_WORDS = Map.of(
      "Object", "an object", "Array", "an array", "Integer", "a number", "Floating-point", "a number",
      "Number", "a number", "String", "a string", "Boolean", "a boolean", "Null", "null");

  private final LoggingExceptionMapper<JsonProcessingException> serverSide =
      new LoggingExceptionMapper<>() {};

  @Override
  public Response toResponse(JsonProcessingException e) {
    if (serverSide(e)) {
      return serverSide.toResponse(e);
    }
    return Response.status(Response.Status.BAD_REQUEST)
        .type(MediaType.APPLICATION_JSON_TYPE)
        .entity(new ErrorMessage(400, message(e)))
        .build();
  }

  /** Writing a response or a type that cannot be bound: the server's fault, not the client's. */
  private static boolean serverSide(JsonProcessingException e) {
    return e instanceof StreamWriteException
        || e instanceof InvalidDefinitionException
        || e.getProcessor() instanceof JsonGenerator
        || (e.getProcessor() == null && e instanceof JsonMappingException && whileWriting(e));
  }

  /**
   * A failure wrapped with its path but without its parser or generator (a getter or setter that
   * threw): whether Jackson's serializers or its deserializers were at work, from the stack.
   */
  private static boolean whileWriting(Throwable e) {
    for (StackTraceElement f : e.getStackTrace()) {
      String c = f.getClassName();
      if (c.startsWith("com.fasterxml.jackson.databind.ser.") || c.endsWith("ObjectWriter")
          || c.endsWith("DefaultSerializerProvider") || c.endsWith("$Impl") && c.contains(".ser.")) {
        return true;
      }
      if (c.startsWith("com.fasterxml.jackson.databind.deser.") || c.endsWith("ObjectReader")) {
        return false;
      }
    }
    return false;
  }

  static String message(JsonProcessingException e) {
    // a parse failure inside a field arrives wrapped with the field's path: the parse failure tells more
    for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
      if (t instanceof StreamReadException read && !(e instanceof StreamReadException)) {
        return message(read);
      }
    }
    if (e instanceof StreamReadException) {
      if (e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Unexpected end-of-input")) {
        return "invalid JSON" + at(e.getLocation()) + ": unexpected end of input" + rest(e.getOriginalMessage());
      }
      return "invalid JSON" + at(e.getLocation()) + ": " + clean(e.getOriginalMessage());
    }
    if (!(e instanceof JsonMappingException m)) {
      // a read constraint (nesting depth, number length, ...)
      return "invalid JSON" + at(e.getLocation()) + ": " + clean(e.getOriginalMessage());
    }
    String field = field(m);
    String where = field.isEmpty() ? "the body" : "field '" + field + "'";
    if (m instanceof PropertyBindingException p) {
      String known = p.getKnownPropertyIds() == null ? "" : p.getKnownPropertyIds().stream()
          .map(String::valueOf).sorted().collect(Collectors.joining(", "));
      return "unknown field '" + field + "'" + at(e.getLocation()) + (known.isEmpty() ? "" : "; known fields: " + known);
    }
    if (m instanceof InvalidFormatException f && f.getTargetType() != null) {
      Class<?> type = f.getTargetType();
      String expected = type.isEnum()
          ? "one of " + Arrays.stream(type.getEnumConstants()).map(String::valueOf).collect(Collectors.joining(", "))
          : expected(type);
      return where + ": expected " + expected + ", not " + shown(f.getValue()) + at(e.getLocation());
    }
    if (m instanceof MismatchedInputException mi) {
      if (field.isEmpty() && mi.getOriginalMessage() != null
          && mi.getOriginalMessage().startsWith("No content to map due to end-of-input")) {
        return "the request body is empty; send a JSON value";
      }
      if (mi.getTargetType() != null) {
        String found = found(mi.getProcessor());
        if (found == null && mi.getOriginalMessage() != null) {
          java.util.regex.Matcher from = FROM.matcher(mi.getOriginalMessage());
          found = from.find() ? FROM_WORDS.get(from.group(1)) : null;
        }
        return where + ": expected " + expected(mi.getTargetType())
            + (found == null ? "" : ", not " + found) + at(e.getLocation());
      }
    }
    if (m instanceof ValueInstantiationException && m.getCause() != null && m.getCause().getMessage() != null) {
      return where + ": " + clean(m.getCause().getMessage()) + at(e.getLocation());
    }
    return where + ": " + clean(m.getOriginalMessage()) + at(e.getLocation());
  }

  private static String at(JsonLocation l) {
    return l == null || l.getLineNr() < 1 ? "" : " at line " + l.getLineNr() + ", column " + l.getColumnNr();
  }

  /** What follows Jackson's "Unexpected end-of-input" (": expected close marker for Object ..."), cleaned. */
  private static String rest(String original) {
    String r = clean(original.substring("Unexpected end-of-input".length())).strip();
    return r.isEmpty() ? "" : (r.startsWith(":") ? r : " " + r);
  }

  /** The JSON path of the failing field: {@code targets[0].service}. */
  private static String field(JsonMappingException m) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : m.getPath()) {
      if (r.getFieldName() != null) {
        if (b.length() > 0) {
          b.append('.');
        }
        b.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.toString();
  }

  private static String expected(Class<?> type) {
    if (type == String.class || type == Character.class || type == char.class) {
      return "a string";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class
        || type == Short.class || type == short.class || type == Byte.class || type == byte.class
        || type == java.math.BigInteger.class) {
      return "an integer";
    }
    if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) {
      return "a number";
    }
    if (type.isArray() || Collection.class.isAssignableFrom(type)) {
      return "an array";
    }
    if (type.isEnum()) {
      return "one of " + Arrays.stream(type.getEnumConstants()).map(String::valueOf).collect(Collectors.joining(", "));
    }
    if (java.time.temporal.Temporal.class.isAssignableFrom(type) || type == java.time.Duration.class) {
      return "a string with a time";
    }
    return Map.class.isAssignableFrom(type) || !type.isPrimitive() ? "an object" : "a value";
  }

  /** What the body had where the failing field is, from the parser's current token. */
  private static String found(Object processor) {
    if (!(processor instanceof JsonParser p)) {
      return null;
    }
    JsonToken t = p.currentToken();
    if (t == null) {
      return null;
    }
    return switch (t) {
      case START_OBJECT, END_OBJECT, FIELD_NAME -> "an object";
      case START_ARRAY, END_ARRAY -> "an array";
      case VALUE_STRING -> "a string";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> null;
    };
  }

  private static String shown(Object value) {
    if (value instanceof String s) {
      return "\"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
    }
    if (value instanceof Number n) {
      return "the number " + n;
    }
    if (value instanceof Boolean b) {
      return b.toString();
    }
    return value == null ? "null" : "that value";
  }

  /** Jackson's message without its source, its internals or Java type names. */
  static String clean(String message) {
    if (message == null) {
      return "not valid";
    }
    String m = JACKSON_SOURCE.matcher(message).replaceAll(r ->
        r.group(1) == null ? "" : "line " + r.group(1) + ", column " + r.group(2));
    m = JACKSON_INTERNALS.matcher(m).replaceAll("");
    m = TOKEN.matcher(m).replaceAll("");
    m = TOKEN_NAME.matcher(m).replaceAll(r -> switch (r.group(1)) {
      case "VALUE_STRING" -> "a string";
      case "FIELD_NAME" -> "a field name";
      case "START_OBJECT", "END_OBJECT" -> "an object";
      case "START_ARRAY", "END_ARRAY" -> "an array";
      case "VALUE_NUMBER_INT", "VALUE_NUMBER_FLOAT" -> "a number";
      case "VALUE_TRUE", "VALUE_FALSE" -> "a boolean";
      case "VALUE_NULL" -> "null";
      default -> "a value";
    });
    m = QUOTED_TYPE.matcher(m).replaceAll("a value");
    m = QUALIFIED_NAME.matcher(m).replaceAll("a value");
    m = m.replace("\n", " ").strip();
    return m.isEmpty() ? "not valid" : Character.toLowerCase(m.charAt(0)) + m.substring(1);
  }
}
