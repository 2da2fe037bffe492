/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.auth;

/**
 * Decides whether an ingest request (OTLP, remote write) may send data, from its {@code
 * Authorization} header. Ingest is open until ingest tokens are configured; from then on every
 * request needs a valid token. Thread-safe implementations are called on every request.
 */
@FunctionalInterface
public interface IngestAuthenticator {
  /** The tenant of requests that ingest without a token while ingest is open. */
  String ANONYMOUS = "anonymous";

  /**
   * @param authorization the request's {@code Authorization} header, or null
   * @return the tenant the request's data belongs to (the ingest token's name, or {@link
   *     #ANONYMOUS} while ingest is open)
   * @throws IngestAuthException when a token is required and missing, or the token is unknown
   */
  String authenticate(String authorization);

  /** Ingest without credentials: every request is {@link #ANONYMOUS}. */
  static IngestAuthenticator open() {
    return authorization -> ANONYMOUS;
  }

  /** A request that may not ingest: answered 401 (gRPC UNAUTHENTICATED) with the message. */
  final class IngestAuthException extends RuntimeException {
    public IngestAuthException(String message) {
      super(message, null, false, false);
    }
  }
}
