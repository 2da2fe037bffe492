/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp;

import io.grpc.MethodDescriptor;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Helpers for the receiver integration tests: raw HTTP on a socket, attribute maps, fixtures. */
final class ItSupport {
  private ItSupport() {}

  /** A response read off a raw socket. */
  record RawResponse(int status, Map<String, String> headers, byte[] body) {}

  /** Writes a request body; may fail when the server stops reading, which some tests expect. */
  interface BodyWriter {
    void write(OutputStream out) throws IOException;
  }

  /**
   * Sends {@code head} (request line and headers, without the blank line) and, on another thread,
   * the body; reads the response. For requests that {@link java.net.http.HttpClient} cannot send
   * as written (a Content-Length without the body) or whose early answer it would lose.
   */
  static RawResponse raw(int port, String head, BodyWriter body) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write((head + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      Thread writer =
          new Thread(
              () -> {
                try {
                  body.write(out);
                  out.flush();
                } catch (IOException expectedWhenTheServerStopsReading) {
                  // the server answered early and closed; the response is what the test checks
                }
              },
              "raw-http-body");
      writer.setDaemon(true);
      writer.start();
      InputStream in = socket.getInputStream();
      String statusLine = line(in);
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (String l = line(in); !l.isEmpty(); l = line(in)) {
        int colon = l.indexOf(':');
        headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
      }
      int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
      byte[] bytes = in.readNBytes(length);
      return new RawResponse(status, headers, bytes);
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  /** OTLP attributes as plain Java values, arrays as lists: comparable with the SDK's. */
  static Map<String, Object> attributes(List<KeyValue> kvs) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (KeyValue kv : kvs) {
      out.put(kv.getKey(), value(kv.getValue()));
    }
    return out;
  }

  private static Object value(AnyValue v) {
    switch (v.getValueCase()) {
      case STRING_VALUE:
        return v.getStringValue();
      case BOOL_VALUE:
        return v.getBoolValue();
      case INT_VALUE:
        return v.getIntValue();
      case DOUBLE_VALUE:
        return v.getDoubleValue();
      case BYTES_VALUE:
        return v.getBytesValue();
      case ARRAY_VALUE:
        List<Object> list = new ArrayList<>();
        for (AnyValue e : v.getArrayValue().getValuesList()) {
          list.add(value(e));
        }
        return list;
      case KVLIST_VALUE:
        return attributes(v.getKvlistValue().getValuesList());
      default:
        return null;
    }
  }

  /**
   * The shared conformance folder: {@code -Dfaultline.conformance.dir}, else {@code
   * shared/conformance} beside the project's checkout; null when neither exists.
   */
  static Path conformanceDir() {
    String configured = System.getProperty("faultline.conformance.dir");
    if (configured != null) {
      return Files.isDirectory(Path.of(configured)) ? Path.of(configured) : null;
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path candidate = p.resolve("shared").resolve("conformance");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }

  /** Field 15, length-delimited, of {@code length} bytes: unknown to every OTLP request. */
  static byte[] unknownFieldHeader(int length) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write((15 << 3) | 2);
    long v = length;
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
    return out.toByteArray();
  }

  /** A gRPC method of {@code name} whose messages are raw bytes, sent and read as they are. */
  static MethodDescriptor<byte[], byte[]> rawMethod(String name, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(type)
        .setFullMethodName(name)
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  };
}
