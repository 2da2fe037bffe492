/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.resources;

import io.faultline.web.auth.FaultlinePrincipal;
import io.faultline.web.auth.Role;
import io.faultline.web.auth.SessionStore;
import io.faultline.web.auth.TokenAuthFilter;
import io.faultline.web.auth.TokenStore;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Sign-in for the dashboard ({@code POST /api/session} with a token sets the session cookie) and
 * token administration for admins ({@code /api/admin/tokens}).
 */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
public final class AuthResource {
  private final TokenStore tokens;
  private final SessionStore sessions;

  public AuthResource(TokenStore tokens, SessionStore sessions) {
    this.tokens = tokens;
    this.sessions = sessions;
  }

  /** The body of a sign-in. */
  public record SignIn(String token) {}

  /** The body of a token creation. */
  public record NewToken(String name, String role) {}

  @POST
  @Path("session")
  @Consumes(MediaType.APPLICATION_JSON)
  public Response signIn(SignIn body) {
    if (body == null) {
      // an empty body: the client's mistake, not an unknown token
      return Response.status(Response.Status.BAD_REQUEST)
          .entity(Map.of("code", 400, "message", "the request body is empty; send {\"token\":...}"))
          .build();
    }
    var principal = tokens.authenticateToken(body.token());
    if (principal.isEmpty()) {
      return Response.status(Response.Status.UNAUTHORIZED)
          .entity(Map.of("code", 401, "message", "unknown token"))
          .build();
    }
    if (!principal.get().role().includes(Role.VIEWER)) {
      return Response.status(Response.Status.FORBIDDEN)
          .entity(Map.of("code", 403, "message", "an ingest token cannot sign in: it may send data, not read it"))
          .build();
    }
    String id = sessions.open(principal.get());
    NewCookie cookie =
        new NewCookie.Builder(TokenAuthFilter.SESSION_COOKIE)
            .value(id)
            .path("/")
            .httpOnly(true)
            .sameSite(NewCookie.SameSite.STRICT)
            .maxAge((int) sessions.ttl().toSeconds())
            .build();
    return Response.ok(describe(principal.get())).cookie(cookie).build();
  }

  @GET
  @Path("session")
  public Response whoAmI(@Context SecurityContext security) {
    // api/session is open (sign-in needs no credential), so an anonymous caller gets here too
    if (!(security.getUserPrincipal() instanceof FaultlinePrincipal principal)) {
      return Response.status(Response.Status.UNAUTHORIZED)
          .entity(Map.of("code", 401, "message", "not signed in"))
          .build();
    }
    return Response.ok(describe(principal)).build();
  }

  @DELETE
  @Path("session")
  public Response signOut(@CookieParam(TokenAuthFilter.SESSION_COOKIE) String session) {
    if (session != null) {
      sessions.close(session);
    }
    NewCookie expired =
        new NewCookie.Builder(TokenAuthFilter.SESSION_COOKIE).value("").path("/").maxAge(0).build();
    return Response.noContent().cookie(expired).build();
  }

  @GET
  @Path("admin/tokens")
  @RolesAllowed(Role.ADMIN_NAME)
  public Map<String, Object> listTokens() {
    List<Map<String, String>> data =
        tokens.list().stream().map(e -> Map.of("name", e.name(), "role", e.role())).toList();
    return Map.of("data", data);
  }

  @POST
  @Path("admin/tokens")
  @RolesAllowed(Role.ADMIN_NAME)
  @Consumes(MediaType.APPLICATION_JSON)
  public Response createToken(NewToken body) throws IOException {
    try {
      if (body == null) {
        throw new IllegalArgumentException("body must be {\"name\":...,\"role\":...}");
      }
      Role role = Role.parse(body.role());
      String token = tokens.create(body.name(), role);
      return Response.status(Response.Status.CREATED)
          .entity(Map.of("name", body.name(), "role", role.wireName(), "token", token))
          .build();
    } catch (IllegalArgumentException e) {
      return Response.status(Response.Status.BAD_REQUEST)
          .entity(Map.of("code", 400, "message", e.getMessage()))
          .build();
    }
  }

  @DELETE
  @Path("admin/tokens/{name}")
  @RolesAllowed(Role.ADMIN_NAME)
  public Response deleteToken(@PathParam("name") String name) throws IOException {
    if (TokenStore.ADMIN_TOKEN_NAME.equals(name)) {
      return Response.status(Response.Status.BAD_REQUEST)
          .entity(Map.of("code", 400, "message", "the admin token cannot be deleted"))
          .build();
    }
    return tokens.delete(name)
        ? Response.noContent().build()
        : Response.status(Response.Status.NOT_FOUND)
            .entity(Map.of("code", 404, "message", "no token named '" + name + "'"))
            .build();
  }

  private static Map<String, Object> describe(FaultlinePrincipal p) {
    return Map.of("name", p.name(), "role", p.role().wireName());
  }
}
