/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Dashboard sessions: a random id in a cookie maps to the principal that signed in with a token.
 * Kept in memory, so a restart signs everybody out; sessions expire after {@link #ttl()} of
 * inactivity.
 */
public final class SessionStore {
  /** Default idle time after which a session ends. */
  public static final Duration DEFAULT_TTL = Duration.ofHours(12);

  private final Clock clock;
  private final Duration ttl;
  private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();

  private record Session(FaultlinePrincipal principal, Instant lastUsed) {}

  public SessionStore(Clock clock, Duration ttl) {
    this.clock = clock;
    this.ttl = ttl;
  }

  public Duration ttl() {
    return ttl;
  }

  /** Starts a session and returns its id (the cookie's value). */
  public String open(FaultlinePrincipal principal) {
    String id = TokenStore.newSecret();
    sessions.put(id, new Session(principal, clock.instant()));
    return id;
  }

  public void close(String id) {
    sessions.remove(id);
  }

  public Optional<FaultlinePrincipal> lookup(String id) {
    Instant now = clock.instant();
    Session s = sessions.get(id);
    if (s == null) {
      return Optional.empty();
    }
    if (s.lastUsed().plus(ttl).isBefore(now)) {
      sessions.remove(id);
      return Optional.empty();
    }
    sessions.put(id, new Session(s.principal(), now));
    return Optional.of(s.principal());
  }
}
