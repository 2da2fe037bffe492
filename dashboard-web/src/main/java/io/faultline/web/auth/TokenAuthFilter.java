/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.auth;

import io.faultline.core.auth.Credentials;
import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.security.Principal;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Authenticates every request to the query, dashboard and chaos APIs: a token in {@code
 * Authorization} (bearer, or basic auth with the token as the password: see {@link Credentials}),
 * or the dashboard's session cookie. A token with only the ingest role gets 403 outside the open
 * paths. A missing or unknown credential gets 401;
 * role checks ({@code @RolesAllowed}, 403) happen afterwards on the principal set here. Paths in
 * the open set (sign-in, ingest endpoints that have their own rules) pass without a credential.
 *
 * <p>With auth disabled every request runs as an anonymous admin, which is only sensible on a
 * single-user laptop.
 */
@Priority(Priorities.AUTHENTICATION)
public final class TokenAuthFilter implements ContainerRequestFilter {
  /** The dashboard's session cookie. */
  public static final String SESSION_COOKIE = "faultline_session";

  private final boolean enabled;
  private final TokenStore tokens;
  private final SessionStore sessions;
  private final Set<String> openPaths;

  /**
   * @param openPaths request paths (relative, without a leading slash, e.g. {@code api/session})
   *     that need no credential
   */
  public TokenAuthFilter(
      boolean enabled, TokenStore tokens, SessionStore sessions, Set<String> openPaths) {
    this.enabled = enabled;
    this.tokens = tokens;
    this.sessions = sessions;
    this.openPaths = Set.copyOf(openPaths);
  }

  @Override
  public void filter(ContainerRequestContext request) {
    boolean secure = request.getSecurityContext().isSecure();
    if (!enabled) {
      request.setSecurityContext(
          new RoleSecurityContext(new FaultlinePrincipal("anonymous", Role.ADMIN), secure));
      return;
    }
    String path = request.getUriInfo().getPath();
    if (path.startsWith("/")) {
      path = path.substring(1);
    }
    Optional<FaultlinePrincipal> principal = authenticate(request);
    boolean open = openPaths.contains(path);
    if (principal.isPresent() && (open || principal.get().role().includes(Role.VIEWER))) {
      request.setSecurityContext(new RoleSecurityContext(principal.get(), secure));
      return;
    }
    if (open) {
      return;
    }
    boolean given =
        request.getHeaderString(HttpHeaders.AUTHORIZATION) != null
            || request.getCookies().containsKey(SESSION_COOKIE);
    AccessRefusal refused = refusal(principal, given);
    Response.ResponseBuilder answer =
        Response.status(refused.status())
            .type(MediaType.APPLICATION_JSON_TYPE)
            .entity(Map.of("code", refused.status(), "message", refused.message()));
    if (refused.status() == 401) {
      answer.header(HttpHeaders.WWW_AUTHENTICATE, Credentials.CHALLENGE);
    }
    request.abortWith(answer.build());
  }

  /**
   * Why a reader with this {@code Authorization} header (or null) is refused, or null when it may
   * read: the check of this filter for endpoints outside Jersey, such as Loki's tail WebSocket.
   */
  public AccessRefusal refuseReader(String authorization) {
    if (!enabled) {
      return null;
    }
    String token = Credentials.token(authorization);
    return refusal(
        token == null ? Optional.empty() : tokens.authenticateToken(token), authorization != null);
  }

  /** Null for a principal that may read; else 401 (none, {@code given} or not) or 403 (ingest only). */
  private static AccessRefusal refusal(Optional<FaultlinePrincipal> principal, boolean given) {
    if (principal.isEmpty()) {
      return new AccessRefusal(
          401,
          given
              ? "invalid or expired token"
              : "missing credentials: send 'Authorization: Bearer <token>' or basic auth with the"
                  + " token as the password (the admin token is printed at first start and kept in"
                  + " the data directory's auth/tokens.json as a digest; FAULTLINE_ADMIN_TOKEN sets"
                  + " it)");
    }
    if (!principal.get().role().includes(Role.VIEWER)) {
      return new AccessRefusal(
          403,
          "the token '"
              + principal.get().name()
              + "' has the ingest role: it may send data, not read it");
    }
    return null;
  }

  private Optional<FaultlinePrincipal> authenticate(ContainerRequestContext request) {
    String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
    if (header != null) {
      String token = Credentials.token(header);
      return token == null ? Optional.empty() : tokens.authenticateToken(token);
    }
    Cookie cookie = request.getCookies().get(SESSION_COOKIE);
    return cookie == null ? Optional.empty() : sessions.lookup(cookie.getValue());
  }

  /** Role checks for {@code @RolesAllowed}: a role includes the roles below it. */
  static final class RoleSecurityContext implements SecurityContext {
    private final FaultlinePrincipal principal;
    private final boolean secure;

    RoleSecurityContext(FaultlinePrincipal principal, boolean secure) {
      this.principal = principal;
      this.secure = secure;
    }

    @Override
    public Principal getUserPrincipal() {
      return principal;
    }

    @Override
    public boolean isUserInRole(String role) {
      try {
        return principal.role().includes(Role.parse(role));
      } catch (IllegalArgumentException e) {
        return false;
      }
    }

    @Override
    public boolean isSecure() {
      return secure;
    }

    @Override
    public String getAuthenticationScheme() {
      return "Bearer";
    }
  }
}
