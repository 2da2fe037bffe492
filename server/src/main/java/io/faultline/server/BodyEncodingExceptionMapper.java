/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import io.dropwizard.jersey.errors.ErrorMessage;
import io.dropwizard.jersey.errors.LoggingExceptionMapper;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.UnsupportedCharsetException;
import java.util.zip.ZipException;

/**
 * A request body sent with {@code Content-Encoding: gzip} that is not gzip: Jetty's decoder fails
 * while a resource reads the body, with a {@code RuntimeException} around a {@link ZipException},
 * which would otherwise be logged as a server error and answered 500. It is the client's mistake,
 * so the answer is 400 with the reason. Likewise a {@code Content-Type} whose {@code charset} the
 * JVM does not know ({@code application/json; charset=nope}): Jersey fails while it decodes the
 * body into a string, and the answer is 415 naming the charset. Every other runtime exception goes on to Dropwizard's
 * default mapper, as before (Jersey still prefers the more specific mappers Dropwizard registers).
 */
final class BodyEncodingExceptionMapper implements ExceptionMapper<RuntimeException> {
  private final LoggingExceptionMapper<RuntimeException> fallback =
      new LoggingExceptionMapper<>() {};

  @Override
  public Response toResponse(RuntimeException e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof UnsupportedCharsetException || t instanceof IllegalCharsetNameException) {
        String charset = t instanceof UnsupportedCharsetException u
            ? u.getCharsetName() : ((IllegalCharsetNameException) t).getCharsetName();
        return Response.status(415)
            .type(MediaType.APPLICATION_JSON_TYPE)
            .entity(new ErrorMessage(415,
                "unsupported charset '" + charset + "' in the Content-Type; send the body as UTF-8"))
            .build();
      }
      if (t instanceof ZipException zip) {
        return Response.status(400)
            .type(MediaType.TEXT_PLAIN_TYPE)
            .entity(
                "the request body is not valid gzip, as its Content-Encoding says ("
                    + zip.getMessage()
                    + "); send it compressed with gzip or without Content-Encoding\n")
            .build();
      }
    }
    return fallback.toResponse(e);
  }
}
