/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.faultline.core.otlp.OtlpJson;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

/** The two OTLP/HTTP encodings; a response is written in the request's encoding. */
enum HttpEncoding {
  PROTOBUF("application/x-protobuf") {
    @Override
    @SuppressWarnings("unchecked")
    <T extends Message> T parse(InputStream body, T prototype) throws IOException {
      return parse(body.readAllBytes(), prototype);
    }

    @Override
    @SuppressWarnings("unchecked")
    <T extends Message> T parse(byte[] body, T prototype) throws IOException {
      return (T) prototype.getParserForType().parseFrom(body);
    }

    @Override
    boolean keepsBody() {
      return true;
    }

    @Override
    byte[] write(Message message) {
      return message.toByteArray();
    }
  },
  JSON("application/json") {
    @Override
    <T extends Message> T parse(InputStream body, T prototype) {
      return OtlpJson.parse(body, prototype);
    }

    @Override
    <T extends Message> T parse(byte[] body, T prototype) {
      return OtlpJson.parse(new ByteArrayInputStream(body), prototype);
    }

    @Override
    boolean keepsBody() {
      return false;
    }

    @Override
    byte[] write(Message message) {
      return OtlpJson.printBytes(message);
    }
  };

  private final String mediaType;

  HttpEncoding(String mediaType) {
    this.mediaType = mediaType;
  }

  String mediaType() {
    return mediaType;
  }

  /**
   * Decodes a whole body.
   *
   * @throws InvalidProtocolBufferException or {@link io.faultline.core.otlp.OtlpJsonException} for
   *     a body that is not the message; other exceptions when reading fails
   */
  abstract <T extends Message> T parse(InputStream body, T prototype) throws IOException;

  /** Decodes a body read whole; see {@link #parse(InputStream, Message)}. */
  abstract <T extends Message> T parse(byte[] body, T prototype) throws IOException;

  /**
   * Whether the body, as received (after gzip), is itself the protobuf encoding of the message,
   * so the write-ahead log can keep it without encoding the message again.
   */
  abstract boolean keepsBody();

  abstract byte[] write(Message message);

  /**
   * The encoding of a {@code Content-Type} header, ignoring parameters and case; null when it is
   * neither (including JSON in a charset other than UTF-8, which OTLP/JSON requires).
   */
  static HttpEncoding of(String contentType) {
    if (contentType == null) {
      return null;
    }
    String[] parts = contentType.split(";");
    String type = parts[0].trim().toLowerCase(Locale.ROOT);
    for (HttpEncoding e : values()) {
      if (e.mediaType.equals(type)) {
        for (int i = 1; i < parts.length; i++) {
          String p = parts[i].trim().toLowerCase(Locale.ROOT).replace("\"", "");
          if (p.startsWith("charset=") && !p.equals("charset=utf-8")) {
            return null;
          }
        }
        return e;
      }
    }
    return null;
  }
}
