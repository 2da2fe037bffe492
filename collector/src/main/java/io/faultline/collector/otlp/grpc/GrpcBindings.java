/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import io.faultline.collector.otlp.OtlpCollector;
import io.faultline.collector.otlp.internal.InvalidRequestException;
import io.faultline.collector.otlp.internal.OtlpSignal;
import io.faultline.collector.otlp.internal.Outcome;
import io.faultline.core.auth.IngestAuthenticator;
import io.faultline.core.ingest.BackpressureException;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Binds each OTLP signal's {@code Export} method to the shared collector. */
final class GrpcBindings {
  static final String TRANSPORT = "grpc";

  private static final Logger LOG = LoggerFactory.getLogger(GrpcBindings.class);

  private GrpcBindings() {}

  /**
   * The generated method's name and response marshaller, with a request marshaller that never
   * throws: grpc-java turns an exception while decoding into UNKNOWN, while the OTLP spec wants
   * INVALID_ARGUMENT for a bad payload, so the handler answers decoding failures itself. It
   * answers from the sink future's completion, so no gRPC thread waits for the disk.
   */
  static <Q extends Message, R extends Message> ServerServiceDefinition bind(
      OtlpCollector collector, OtlpSignal<Q, R> signal) {
    MethodDescriptor<Q, R> generated = signal.grpcMethod();
    MethodDescriptor<Decoded<Q>, R> method =
        MethodDescriptor.<Decoded<Q>, R>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(generated.getFullMethodName())
            .setSchemaDescriptor(generated.getSchemaDescriptor())
            .setRequestMarshaller(
                new DecodingMarshaller<>(generated.getRequestMarshaller(), signal.requestPrototype()))
            .setResponseMarshaller(generated.getResponseMarshaller())
            .build();
    ServerServiceDefinition definition = ServerServiceDefinition.builder(generated.getServiceName())
        .addMethod(
            method,
            ServerCalls.asyncUnaryCall(
                (decoded, observer) -> {
                  if (decoded.failure() != null) {
                    observer.onError(undecodable(collector, signal, decoded.failure()));
                  } else {
                    export(collector, signal, decoded, observer);
                  }
                }))
        .build();
    return ServerInterceptors.intercept(definition, new Authenticating(collector, signal));
  }

  /** The tenant the call's credentials name, for the handler (set by {@link Authenticating}). */
  private static final Context.Key<String> TENANT =
      Context.keyWithDefault("faultline-tenant", IngestAuthenticator.ANONYMOUS);

  /**
   * Closes a call the ingest authenticator refuses with UNAUTHENTICATED, before its message is
   * read; passes the tenant of any other on to the handler.
   */
  private static final class Authenticating implements ServerInterceptor {
    private static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final OtlpCollector collector;
    private final OtlpSignal<?, ?> signal;

    Authenticating(OtlpCollector collector, OtlpSignal<?, ?> signal) {
      this.collector = collector;
      this.signal = signal;
    }

    @Override
    public <A, B> ServerCall.Listener<A> interceptCall(
        ServerCall<A, B> call, Metadata headers, ServerCallHandler<A, B> next) {
      String tenant;
      try {
        tenant = collector.authenticator().authenticate(headers.get(AUTHORIZATION));
      } catch (IngestAuthenticator.IngestAuthException e) {
        collector.metrics().request(TRANSPORT, signal.name(), Outcome.UNAUTHENTICATED);
        call.close(Status.UNAUTHENTICATED.withDescription(e.getMessage()), new Metadata());
        return new ServerCall.Listener<>() {};
      }
      return Contexts.interceptCall(
          Context.current().withValue(TENANT, tenant), call, headers, next);
    }
  }

  private static StatusRuntimeException undecodable(
      OtlpCollector collector, OtlpSignal<?, ?> signal, RuntimeException failure) {
    if (failure instanceof StatusRuntimeException sre
        && sre.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
      collector.metrics().request(TRANSPORT, signal.name(), Outcome.TOO_LARGE);
      return sre;
    }
    collector.metrics().request(TRANSPORT, signal.name(), Outcome.INVALID);
    if (failure instanceof UncheckedIOException e) {
      // a decoder's message (zlib's, snappy's, zstd's) names the damage; an EOF has none
      String why =
          e.getCause() instanceof EOFException
              ? "the compressed bytes end early"
              : e.getCause().getMessage() != null ? e.getCause().getMessage() : "corrupt data";
      return Status.INVALID_ARGUMENT
          .withDescription(
              "the request is not a valid stream of its grpc-encoding (decompressing failed: "
                  + why
                  + ")")
          .asRuntimeException();
    }
    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
    return Status.INVALID_ARGUMENT
        .withDescription(
            "the request is not a valid "
                + signal.requestPrototype().getDescriptorForType().getName()
                + " (protobuf decoding failed: "
                + cause.getMessage()
                + ")")
        .asRuntimeException();
  }

  private static <Q extends Message, R extends Message> void export(
      OtlpCollector collector,
      OtlpSignal<Q, R> signal,
      Decoded<Q> request,
      StreamObserver<R> observer) {
    collector
        .export(
            TRANSPORT,
            signal,
            request.message(),
            request.bytes().length,
            request.bytes(),
            TENANT.get())
        .whenComplete(
            (response, error) -> {
              try {
                if (error == null) {
                  observer.onNext(response);
                  observer.onCompleted();
                } else {
                  observer.onError(toStatus(collector, OtlpCollector.unwrap(error)));
                }
              } catch (RuntimeException e) {
                // the client cancelled or went away while the sink was storing; nothing to answer
                LOG.debug("could not answer an OTLP/gRPC {} export", signal.name(), e);
              }
            });
  }

  static StatusRuntimeException toStatus(OtlpCollector collector, Throwable error) {
    if (error instanceof InvalidRequestException) {
      return Status.INVALID_ARGUMENT.withDescription(error.getMessage()).asRuntimeException();
    }
    if (error instanceof BackpressureException bp) {
      Duration delay = bp.retryAfter() != null ? bp.retryAfter() : collector.retryAfter();
      return withRetryInfo(Code.RESOURCE_EXHAUSTED, bp.getMessage(), delay);
    }
    return withRetryInfo(
        Code.UNAVAILABLE,
        "storing the request failed (" + error + "); retry later",
        collector.retryAfter());
  }

  /** OTLP clients retry RESOURCE_EXHAUSTED only when the status carries a RetryInfo detail. */
  private static StatusRuntimeException withRetryInfo(Code code, String message, Duration delay) {
    RetryInfo retry =
        RetryInfo.newBuilder()
            .setRetryDelay(
                com.google.protobuf.Duration.newBuilder()
                    .setSeconds(delay.getSeconds())
                    .setNanos(delay.getNano()))
            .build();
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(code.getNumber())
            .setMessage(message == null ? "" : message)
            .addDetails(Any.pack(retry))
            .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  /**
   * A decoded request with the bytes it was decoded from (which the write-ahead log keeps as they
   * are), or why it could not be decoded.
   */
  record Decoded<Q>(Q message, byte[] bytes, RuntimeException failure) {}

  private static final class DecodingMarshaller<Q extends Message>
      implements MethodDescriptor.Marshaller<Decoded<Q>> {
    private final MethodDescriptor.Marshaller<Q> delegate;
    private final Q prototype;

    DecodingMarshaller(MethodDescriptor.Marshaller<Q> delegate, Q prototype) {
      this.delegate = delegate;
      this.prototype = prototype;
    }

    @Override
    public InputStream stream(Decoded<Q> value) {
      return delegate.stream(value.message());
    }

    @Override
    @SuppressWarnings("unchecked")
    public Decoded<Q> parse(InputStream stream) {
      try {
        // grpc-java has already bounded the message (maxInboundMessageSize, also once inflated)
        byte[] bytes = stream.readAllBytes();
        return new Decoded<>((Q) prototype.getParserForType().parseFrom(bytes), bytes, null);
      } catch (InvalidProtocolBufferException e) {
        return new Decoded<>(null, null, new IllegalArgumentException(e.getMessage(), e));
      } catch (IOException e) {
        // only the grpc-encoding's decompressor reads with IOExceptions: bytes it cannot decode
        return new Decoded<>(null, null, new UncheckedIOException(e));
      } catch (RuntimeException e) {
        return new Decoded<>(null, null, e);
      }
    }
  }
}
