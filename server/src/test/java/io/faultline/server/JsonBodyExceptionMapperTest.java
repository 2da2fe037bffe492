/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.core.JsonGenerationException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.jersey.errors.ErrorMessage;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The messages of {@link JsonBodyExceptionMapper} and what stays a server error. */
class JsonBodyExceptionMapperTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final JsonBodyExceptionMapper mapper = new JsonBodyExceptionMapper();

  enum Color { RED, GREEN }

  record Body(String name, int count, Color color, List<String> tags) {}

  /** Has no way to be serialized: no properties, and FAIL_ON_EMPTY_BEANS. */
  static final class Opaque {}

  /** A getter that fails while the response is written. */
  static final class Failing {
    public String getValue() {
      throw new IllegalStateException("broken getter in io.faultline.Secret");
    }
  }

  private String message(String json) {
    JsonProcessingException e = catchThrowableOfType(JsonProcessingException.class, () -> MAPPER.readValue(json, Body.class));
    Response r = mapper.toResponse(e);
    assertThat(r.getStatus()).as(json).isEqualTo(400);
    String m = ((ErrorMessage) r.getEntity()).getMessage();
    assertThat(m).as(json).doesNotContainPattern("(?i)java|jackson|faultline|Source:|`|\\$|Exception");
    return m;
  }

  @Test
  void clientMistakesSayWhatAndWhere() {
    assertThat(message("{\"name\": \"a\", \"count\": \"many\"}"))
        .isEqualTo("field 'count': expected an integer, not \"many\" at line 1, column 24");
    assertThat(message("{\"color\": \"BLUE\"}")).startsWith("field 'color': expected one of RED, GREEN, not \"BLUE\"");
    assertThat(message("{\"tags\": [\"a\", {\"b\": 1}]}")).startsWith("field 'tags[1]': expected a string, not an object");
    assertThat(message("{\"tags\": {}}")).startsWith("field 'tags': expected an array, not an object");
    assertThat(message("{\"name\": \"a\",}")).startsWith("invalid JSON at line 1, column 14: unexpected character ('}'");
    assertThat(message("{\"name\": ")).startsWith("invalid JSON at line 1, column 10: unexpected end of input");
    JsonProcessingException deep =
        catchThrowableOfType(JsonProcessingException.class, () -> MAPPER.readTree("[".repeat(2000)));
    assertThat(((ErrorMessage) mapper.toResponse(deep).getEntity()).getMessage())
        .startsWith("invalid JSON").contains("nesting depth").doesNotContain("`", "Constraints");
  }

  @Test
  void serverSideFailuresStay500() {
    JsonProcessingException opaque =
        catchThrowableOfType(JsonProcessingException.class, () -> MAPPER.writeValueAsString(new Opaque()));
    assertThat(mapper.toResponse(opaque).getStatus()).isEqualTo(500);
    JsonProcessingException getter =
        catchThrowableOfType(JsonProcessingException.class, () -> MAPPER.writeValueAsString(new Failing()));
    assertThat(mapper.toResponse(getter).getStatus()).isEqualTo(500);
    assertThat(mapper.toResponse(new JsonGenerationException("cannot write", (com.fasterxml.jackson.core.JsonGenerator) null))
        .getStatus()).isEqualTo(500);
  }
}
