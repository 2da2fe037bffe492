/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.Code;
import io.faultline.collector.otlp.IngestLimits;
import io.faultline.collector.otlp.OtlpCollector;
import io.faultline.collector.otlp.internal.InvalidRequestException;
import io.faultline.collector.otlp.internal.OtlpSignal;
import io.faultline.collector.otlp.internal.OtlpSignals;
import io.faultline.collector.otlp.internal.Outcome;
import io.faultline.core.auth.Credentials;
import io.faultline.core.auth.IngestAuthenticator;
import io.faultline.core.ingest.BackpressureException;
import io.faultline.core.otlp.OtlpJsonException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/<signal>}. A Jetty core {@code Handler} rather than an ee10 servlet: the receiver
 * needs no servlet container (sessions, web.xml, filters), and the response is completed from the
 * sink future's callback through Jetty's {@link Callback} without async-servlet ceremony or a
 * thread waiting for the disk. Reading the body is blocking (this handler declares the default,
 * blocking invocation type, so Jetty calls it on a pool thread).
 *
 * <p>Every failure is answered for the request at hand; nothing here is shared between requests
 * except the stateless collector.
 */
final class OtlpHttpHandler extends Handler.Abstract {
  static final String TRANSPORT = "http";

  private static final Logger LOG = LoggerFactory.getLogger(OtlpHttpHandler.class);
  private static final String UNKNOWN_SIGNAL = "unknown";

  private final OtlpCollector collector;
  private final IngestLimits limits;
  private final Map<String, OtlpSignal<?, ?>> signals = new HashMap<>();

  OtlpHttpHandler(OtlpCollector collector) {
    this.collector = collector;
    this.limits = collector.limits();
    for (OtlpSignal<?, ?> s : OtlpSignals.supported()) {
      signals.put(s.httpPath(), s);
    }
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    try {
      route(request, response, callback);
    } catch (RuntimeException e) {
      // a bug of ours; this request gets a 500, the server and other requests carry on
      LOG.error("OTLP/HTTP request {} failed unexpectedly", request.getHttpURI().getPath(), e);
      if (!response.isCommitted()) {
        send(response, callback, 500, HttpEncoding.JSON, Code.INTERNAL, "internal error: " + e, null);
      } else {
        callback.failed(e);
      }
    }
    return true;
  }

  private void route(Request request, Response response, Callback callback) {
    String path = Request.getPathInContext(request);
    OtlpSignal<?, ?> signal = signals.get(path);
    HttpEncoding encoding = HttpEncoding.of(request.getHeaders().get(HttpHeader.CONTENT_TYPE));
    HttpEncoding answerIn = encoding != null ? encoding : HttpEncoding.JSON;
    String signalName = signal != null ? signal.name() : UNKNOWN_SIGNAL;
    if (signal == null) {
      reject(request, response, callback, signalName, Outcome.NOT_FOUND, 404, answerIn, Code.NOT_FOUND,
          "no OTLP endpoint at " + path + "; send traces to POST /v1/traces");
      return;
    }
    if (!"POST".equals(request.getMethod())) {
      response.getHeaders().put(HttpHeader.ALLOW, "POST");
      reject(request, response, callback, signalName, Outcome.METHOD_NOT_ALLOWED, 405, answerIn,
          Code.UNIMPLEMENTED, "OTLP/HTTP accepts only POST on " + path + ", not " + request.getMethod());
      return;
    }
    String tenant;
    try {
      tenant =
          collector.authenticator().authenticate(request.getHeaders().get(HttpHeader.AUTHORIZATION));
    } catch (IngestAuthenticator.IngestAuthException e) {
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, Credentials.CHALLENGE);
      reject(request, response, callback, signalName, Outcome.UNAUTHENTICATED, 401, answerIn,
          Code.UNAUTHENTICATED, e.getMessage());
      return;
    }
    if (encoding == null) {
      reject(request, response, callback, signalName, Outcome.UNSUPPORTED_MEDIA_TYPE, 415, answerIn,
          Code.INVALID_ARGUMENT,
          "unsupported Content-Type '" + request.getHeaders().get(HttpHeader.CONTENT_TYPE)
              + "'; OTLP/HTTP bodies are application/x-protobuf or application/json (UTF-8)");
      return;
    }
    String contentEncoding = request.getHeaders().get(HttpHeader.CONTENT_ENCODING);
    ContentEncoding compression = ContentEncoding.of(contentEncoding);
    if (compression == null) {
      reject(request, response, callback, signalName, Outcome.UNSUPPORTED_MEDIA_TYPE, 415, encoding,
          Code.INVALID_ARGUMENT,
          "unsupported Content-Encoding '" + contentEncoding + "'; use " + ContentEncoding.ACCEPTED);
      return;
    }
    handleExport(signal, request, response, callback, encoding, compression, tenant);
  }

  private <Q extends Message, R extends Message> void handleExport(
      OtlpSignal<Q, R> signal, Request request, Response response, Callback callback,
      HttpEncoding encoding, ContentEncoding compression, String tenant) {
    String name = signal.name();
    long length = request.getLength();
    if (length > limits.maxRequestBytes()) {
      response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE);
      reject(request, response, callback, name, Outcome.TOO_LARGE, 413, encoding, Code.INVALID_ARGUMENT,
          "the body is " + length + " bytes; the limit is " + limits.maxRequestBytes()
              + " bytes as sent. Send smaller batches (lower the exporter's batch size).");
      return;
    }
    if (!collector.hasRoomFor(Math.max(length, 0))) {
      collector.metrics().request(TRANSPORT, name, Outcome.BACKPRESSURE);
      // refused before the body is read: the connection closes after this answer, as in reject()
      response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE);
      sendFailure(response, callback, encoding, collector.noRoom());
      return;
    }
    BoundedInputStream wire =
        new BoundedInputStream(Request.asInputStream(request), limits.maxRequestBytes());
    BoundedInputStream inflated = null;
    Q message;
    byte[] raw = null;
    try {
      InputStream body = wire;
      boolean compressed = compression != ContentEncoding.IDENTITY;
      if (compressed) {
        inflated =
            new BoundedInputStream(
                compression.decode(wire, limits.maxDecompressedBytes()),
                limits.maxDecompressedBytes());
        body = inflated;
      }
      if (encoding.keepsBody()) {
        raw = compressed || length < 0 ? body.readAllBytes() : readExactly(body, (int) length);
        message = encoding.parse(raw, signal.requestPrototype());
      } else {
        message = encoding.parse(body, signal.requestPrototype());
      }
    } catch (Exception e) {
      collector.metrics().requestBytes(TRANSPORT, wire.count());
      if (wire.exceeded()) {
        response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE);
        reject(request, response, callback, name, Outcome.TOO_LARGE, 413, encoding, Code.INVALID_ARGUMENT,
            "the body is over the limit of " + limits.maxRequestBytes()
                + " bytes as sent. Send smaller batches (lower the exporter's batch size).");
      } else if ((inflated != null && inflated.exceeded())
          || e instanceof ContentEncoding.DecodedTooLargeException) {
        response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE);
        reject(request, response, callback, name, Outcome.TOO_LARGE, 413, encoding, Code.INVALID_ARGUMENT,
            "the " + compression.token() + " body decodes to more than "
                + limits.maxDecompressedBytes()
                + " bytes, the limit once decompressed. Send smaller batches.");
      } else {
        reject(request, response, callback, name, Outcome.INVALID, 400, encoding, Code.INVALID_ARGUMENT,
            undecodable(e, signal, encoding));
      }
      return;
    }
    collector.metrics().requestBytes(TRANSPORT, wire.count());
    collector
        .export(
            TRANSPORT,
            signal,
            message,
            raw != null ? raw.length : message.getSerializedSize(),
            raw,
            tenant)
        .whenComplete(
            (answer, error) -> {
              if (error == null) {
                send(response, callback, 200, encoding, answer, null);
              } else {
                sendFailure(response, callback, encoding, OtlpCollector.unwrap(error));
              }
            });
  }

  /** A body of known length, read into one array of that size. */
  private static byte[] readExactly(InputStream body, int length) throws IOException {
    byte[] bytes = new byte[length];
    int n = body.readNBytes(bytes, 0, length);
    if (n < length) {
      throw new EOFException("the body ended after " + n + " of its " + length + " bytes");
    }
    return bytes;
  }

  /** Outcomes after decoding: the collector already counted the request. */
  private void sendFailure(Response response, Callback callback, HttpEncoding encoding, Throwable error) {
    if (error instanceof InvalidRequestException) {
      send(response, callback, 400, encoding, Code.INVALID_ARGUMENT, error.getMessage(), null);
    } else if (error instanceof BackpressureException bp) {
      Duration delay = bp.retryAfter() != null ? bp.retryAfter() : collector.retryAfter();
      send(response, callback, 429, encoding, Code.RESOURCE_EXHAUSTED, bp.getMessage(), delay);
    } else {
      send(response, callback, 503, encoding, Code.UNAVAILABLE,
          "storing the request failed (" + error + "); retry later", collector.retryAfter());
    }
  }

  private static String undecodable(Exception e, OtlpSignal<?, ?> signal, HttpEncoding encoding) {
    Throwable root = e;
    while (true) {
      if (root instanceof ContentEncoding.DecodingException) {
        return root.getMessage();
      }
      if (root.getCause() == null || root.getCause() == root) {
        break;
      }
      root = root.getCause();
    }
    String type = signal.requestPrototype().getDescriptorForType().getName();
    if (root instanceof TimeoutException) {
      return "the body stopped arriving before it was complete (shorter than its Content-Length, or"
          + " the client stalled past the idle timeout)";
    }
    if (e instanceof OtlpJsonException) {
      return "the body is not a valid OTLP/JSON " + type + ": " + e.getMessage();
    }
    if (e instanceof InvalidProtocolBufferException) {
      return "the body is not a valid protobuf " + type + ": " + e.getMessage();
    }
    return "the body could not be read as " + encoding.mediaType() + " " + type + ": " + root;
  }

  private void reject(Request request, Response response, Callback callback, String signal,
      Outcome outcome, int status, HttpEncoding encoding, Code code, String message) {
    collector.metrics().request(TRANSPORT, signal, outcome);
    // The body was not read: Jetty drops the connection after this answer, so say so, or the
    // client may send its next request on a connection that is being closed.
    response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE);
    LOG.debug("OTLP/HTTP {} {} answered {}: {}", request.getMethod(), request.getHttpURI().getPath(),
        status, message);
    send(response, callback, status, encoding, code, message, null);
  }

  private static void send(Response response, Callback callback, int status, HttpEncoding encoding,
      Code code, String message, Duration retryAfter) {
    com.google.rpc.Status body =
        com.google.rpc.Status.newBuilder().setCode(code.getNumber()).setMessage(message).build();
    send(response, callback, status, encoding, body, retryAfter);
  }

  private static void send(Response response, Callback callback, int status, HttpEncoding encoding,
      Message body, Duration retryAfter) {
    try {
      byte[] bytes = encoding.write(body);
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, encoding.mediaType());
      if (retryAfter != null) {
        // whole seconds, rounded up: "Retry-After: 0" would invite an immediate retry storm
        long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(seconds));
      }
      response.write(true, ByteBuffer.wrap(bytes), callback);
    } catch (RuntimeException e) {
      LOG.warn("could not write an OTLP/HTTP {} response", status, e);
      callback.failed(e);
    }
  }
}
