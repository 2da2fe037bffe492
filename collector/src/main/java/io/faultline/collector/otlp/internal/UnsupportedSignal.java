/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import io.grpc.MethodDescriptor;

/**
 * A standard OTLP signal that this version does not ingest yet: the receivers answer it with a
 * clear "not supported yet" (HTTP 501, gRPC UNIMPLEMENTED) instead of a bare 404.
 */
public record UnsupportedSignal(String name, MethodDescriptor<?, ?> grpcMethod) {

  public String httpPath() {
    return "/v1/" + name;
  }

  public String message() {
    return "this Faultline version does not ingest OTLP "
        + name
        + " yet; it accepts traces only (OTLP/gRPC TraceService, OTLP/HTTP POST /v1/traces)."
        + " Send "
        + name
        + " to another backend for now.";
  }
}
