/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import com.google.protobuf.Message;
import io.faultline.collector.otlp.IngestLimits;
import io.faultline.core.ingest.Signal;
import io.grpc.MethodDescriptor;

/**
 * Everything the receivers need to know about one OTLP signal: how it is addressed on each
 * transport, how its request is validated and how a partial success is answered. Supporting a new
 * signal means one implementation of this interface, listed in {@link OtlpSignals#supported()}.
 *
 * <p>Implementations are stateless and thread-safe.
 */
public interface OtlpSignal<Q extends Message, R extends Message> {

  Signal signal();

  /** {@code traces}, {@code logs} or {@code metrics}: the metric label and the HTTP path's tail. */
  String name();

  /** What the items are called in messages: {@code spans}, {@code log records}, … */
  String itemName();

  /** {@code /v1/<name>} */
  default String httpPath() {
    return "/v1/" + name();
  }

  /** The generated gRPC method ({@code .../Export}) whose name and marshallers the server binds. */
  MethodDescriptor<Q, R> grpcMethod();

  Q requestPrototype();

  /** The response to a request that was stored whole. */
  R success();

  /** The response when {@code rejected} items were not stored, with the reasons. */
  R partialSuccess(long rejected, String errorMessage);

  /** Checks every item against the limits; never throws on bad data. */
  Validation<Q> validate(Q request, IngestLimits limits);
}
