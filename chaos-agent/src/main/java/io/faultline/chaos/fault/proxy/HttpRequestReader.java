/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Reads the HTTP/1.1 requests a client sends on one connection and forwards them byte for byte,
 * unless an HTTP toxic answers or delays one. Framing follows RFC 9112: a chunked request body ends
 * with its last chunk and trailers, otherwise {@code Content-Length} bytes, otherwise none. What
 * cannot be parsed as HTTP (an oversized head, an upgrade to another protocol, {@code CONNECT}) is
 * passed through untouched from there on, so the proxy never breaks traffic it does not understand.
 *
 * <p>Answers the proxy makes up are written between responses: clients that pipeline requests
 * (rare; browsers and HTTP clients do not) could see them ahead of an earlier response.
 */
final class HttpRequestReader {
  static final int MAX_HEAD = 64 * 1024;
  private static final int CHUNK = 16 * 1024;

  private final ProxyConnection conn;
  private final InputStream in;
  private final ProxyConnection.Pipe pipe;

  HttpRequestReader(ProxyConnection conn, InputStream in, ProxyConnection.Pipe pipe) {
    this.conn = conn;
    this.in = new BufferedInputStream(in, CHUNK);
    this.pipe = pipe;
  }

  /** Parsed request line and headers, with the raw bytes to forward. */
  record Head(byte[] raw, String method, String target, String version, Map<String, List<String>> headers) {
    String header(String name) {
      List<String> v = headers.get(name);
      return v == null || v.isEmpty() ? null : v.get(v.size() - 1).trim();
    }

    boolean hasToken(String name, String token) {
      List<String> values = headers.get(name);
      if (values == null) {
        return false;
      }
      for (String v : values) {
        for (String t : v.split(",")) {
          if (t.trim().equalsIgnoreCase(token)) {
            return true;
          }
        }
      }
      return false;
    }

    boolean wantsClose() {
      return version.equals("HTTP/1.0") ? !hasToken("connection", "keep-alive") : hasToken("connection", "close");
    }
  }

  private interface Sink {
    void accept(byte[] bytes) throws IOException, InterruptedException;
  }

  void run() throws IOException, InterruptedException {
    Sink forward = pipe::forward;
    Sink discard = bytes -> { };
    while (true) {
      byte[] raw = readHead();
      if (raw == null) {
        return;
      }
      Head head = parse(raw);
      if (head == null) {
        forward.accept(raw);
        passThrough();
        return;
      }
      Decision d = decide(head);
      if (d != null && d.abort) {
        Instant start = conn.proxy().clock().instant();
        boolean expectContinue = head.hasToken("expect", "100-continue");
        // with 100-continue the client holds the body back; answering and closing is the safe end
        boolean close = expectContinue || head.wantsClose();
        if (!expectContinue && !copyBody(head, discard)) {
          return;
        }
        conn.writeToClient(answer(head, d, close));
        d.toxic.hits.incrementAndGet();
        conn.proxy().spans().record(d.toxic, head, "abort", d.status, 0, start, conn.proxy().clock().instant());
        if (close) {
          conn.close();
          return;
        }
        continue;
      }
      if (d != null) {
        Instant start = conn.proxy().clock().instant();
        if (!ProxyConnection.waitUntil(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(d.delayMs))) {
          return;
        }
        d.toxic.hits.incrementAndGet();
        conn.proxy().spans().record(d.toxic, head, "delay", 0, d.delayMs, start, conn.proxy().clock().instant());
      }
      forward.accept(raw);
      if (!copyBody(head, forward)) {
        return;
      }
      // an h2c offer stays HTTP/1.1 unless the upstream answers 101, and the JDK client offers it on
      // every new connection; after a 101 the HTTP/2 preface does not parse and passes through
      if (head.method.equals("CONNECT") || head.headers.containsKey("upgrade") && !head.hasToken("upgrade", "h2c")) {
        passThrough();
        return;
      }
    }
  }

  private record Decision(ActiveToxic toxic, boolean abort, int status, long delayMs) {}

  private Decision decide(Head head) {
    for (ActiveToxic at : conn.proxy().httpToxics()) {
      Toxic t = at.toxic;
      if (!conn.applies(at) || !t.match().matches(head.method, head.target, head.headers)) {
        continue;
      }
      if (!conn.proxy().chance(t.match().percentage() / 100.0)) {
        continue;
      }
      switch (t.kind()) {
        case HTTP_ABORT:
          return new Decision(at, true, (int) t.setting("status"), 0);
        case HTTP_DELAY:
          return new Decision(at, false, 0, t.setting("delayMs"));
        case HTTP_FAIL_FIRST:
          if (at.matched.incrementAndGet() <= t.setting("count")) {
            return new Decision(at, true, (int) t.setting("status"), 0);
          }
          break;
        default:
          break;
      }
    }
    return null;
  }

  private static byte[] answer(Head head, Decision d, boolean close) {
    String fault = d.toxic.toxic.labels().fault().isEmpty() ? d.toxic.toxic.name() : d.toxic.toxic.labels().fault();
    byte[] body = ("{\"error\":\"injected by Faultline chaos proxy\",\"fault\":\"" + jsonEscape(fault)
        + "\",\"status\":" + d.status + "}\n").getBytes(StandardCharsets.UTF_8);
    boolean noBody = head.method.equals("HEAD") || d.status == 204 || d.status == 304 || d.status < 200;
    StringBuilder sb = new StringBuilder();
    sb.append("HTTP/1.1 ").append(d.status).append(' ').append(reason(d.status)).append("\r\n");
    sb.append("Content-Type: application/json\r\n");
    if (!(d.status == 204 || d.status == 304 || d.status < 200)) {
      sb.append("Content-Length: ").append(body.length).append("\r\n");
    }
    sb.append("X-Faultline-Chaos: ").append(headerSafe(fault)).append("\r\n");
    if (close) {
      sb.append("Connection: close\r\n");
    }
    sb.append("\r\n");
    byte[] headBytes = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    if (noBody) {
      return headBytes;
    }
    byte[] all = Arrays.copyOf(headBytes, headBytes.length + body.length);
    System.arraycopy(body, 0, all, headBytes.length, body.length);
    return all;
  }

  static String reason(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 408 -> "Request Timeout";
      case 409 -> "Conflict";
      case 429 -> "Too Many Requests";
      case 500 -> "Internal Server Error";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      default -> status < 400 ? "OK" : "Error";
    };
  }

  private static String jsonEscape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static String headerSafe(String s) {
    return s.replaceAll("[^\\x20-\\x7e]", "?");
  }

  /** The bytes up to and including the blank line; null at a clean end of stream. */
  private byte[] readHead() throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream(512);
    int state = 0; // how much of "\r\n\r\n" (or "\n\n") has been seen
    int b;
    while ((b = in.read()) >= 0) {
      buf.write(b);
      if (buf.size() == 1 && (b == '\r' || b == '\n')) {
        // stray line breaks between requests are allowed (RFC 9112 section 2.2)
        buf.reset();
        continue;
      }
      if (b == '\n') {
        state = state >= 1 ? 2 : 1;
        if (state == 2) {
          return buf.toByteArray();
        }
      } else if (b != '\r') {
        state = 0;
      }
      if (buf.size() > MAX_HEAD) {
        return buf.toByteArray(); // parse() rejects it and the rest passes through
      }
    }
    return buf.size() == 0 ? null : buf.toByteArray();
  }

  static Head parse(byte[] raw) {
    String text = new String(raw, StandardCharsets.ISO_8859_1);
    if (raw.length > MAX_HEAD || !(text.endsWith("\n\n") || text.endsWith("\r\n\r\n"))) {
      return null;
    }
    String[] lines = text.split("\r?\n");
    String[] requestLine = lines[0].split(" ");
    if (requestLine.length != 3 || !requestLine[2].startsWith("HTTP/1.") || !requestLine[0].matches("[A-Z]+")) {
      return null;
    }
    Map<String, List<String>> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i];
      if (line.isEmpty()) {
        break;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        return null;
      }
      headers.computeIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(line.substring(colon + 1).trim());
    }
    return new Head(raw, requestLine[0], requestLine[1], requestLine[2], headers);
  }

  /** Copies the request body to {@code sink}; false when the stream ended inside it. */
  private boolean copyBody(Head head, Sink sink) throws IOException, InterruptedException {
    String te = head.header("transfer-encoding");
    if (te != null) {
      String[] codings = te.split(",");
      if (codings[codings.length - 1].trim().equalsIgnoreCase("chunked")) {
        return copyChunked(sink);
      }
      // a request whose last coding is not chunked has no determinable length (RFC 9112 6.3)
      passThrough();
      return false;
    }
    String cl = head.header("content-length");
    if (cl == null) {
      return true;
    }
    long length;
    try {
      length = Long.parseLong(cl);
    } catch (NumberFormatException e) {
      passThrough();
      return false;
    }
    return copyExactly(length, sink);
  }

  private boolean copyExactly(long length, Sink sink) throws IOException, InterruptedException {
    byte[] buf = new byte[CHUNK];
    long left = length;
    while (left > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (n < 0) {
        return false;
      }
      sink.accept(Arrays.copyOf(buf, n));
      left -= n;
    }
    return true;
  }

  private boolean copyChunked(Sink sink) throws IOException, InterruptedException {
    while (true) {
      byte[] sizeLine = readLine();
      if (sizeLine == null) {
        return false;
      }
      sink.accept(sizeLine);
      String s = new String(sizeLine, StandardCharsets.ISO_8859_1).trim();
      int semi = s.indexOf(';');
      if (semi >= 0) {
        s = s.substring(0, semi).trim();
      }
      long size;
      try {
        size = Long.parseLong(s, 16);
      } catch (NumberFormatException e) {
        passThrough();
        return false;
      }
      if (size == 0) {
        while (true) {
          byte[] trailer = readLine();
          if (trailer == null) {
            return false;
          }
          sink.accept(trailer);
          if (trailer.length <= 2) {
            return true;
          }
        }
      }
      if (!copyExactly(size, sink)) {
        return false;
      }
      byte[] crlf = readLine();
      if (crlf == null) {
        return false;
      }
      sink.accept(crlf);
    }
  }

  private byte[] readLine() throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream(16);
    int b;
    while ((b = in.read()) >= 0) {
      buf.write(b);
      if (b == '\n') {
        return buf.toByteArray();
      }
      if (buf.size() > MAX_HEAD) {
        return buf.toByteArray();
      }
    }
    return null;
  }

  private void passThrough() throws IOException, InterruptedException {
    byte[] buf = new byte[CHUNK];
    int n;
    while ((n = in.read(buf)) >= 0) {
      if (n > 0) {
        pipe.forward(Arrays.copyOf(buf, n));
      }
    }
  }
}
