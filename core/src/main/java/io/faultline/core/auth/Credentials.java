/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.auth;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The token in an {@code Authorization} header. Two schemes carry one: {@code Bearer <token>},
 * and {@code Basic base64(user:password)} with the token as the password (any user name; a blank
 * password takes the user name as the token), for clients that speak only basic auth (promtool's
 * {@code http://user:token@host} URLs, Grafana's and Prometheus' {@code basic_auth}).
 */
public final class Credentials {
  /** The {@code WWW-Authenticate} challenge of every 401 Faultline answers. */
  public static final String CHALLENGE = "Bearer realm=\"faultline\"";

  private Credentials() {}

  /** The token the header carries, or null when there is none or the header cannot be read. */
  public static String token(String authorization) {
    if (authorization == null) {
      return null;
    }
    String h = authorization.trim();
    if (h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String t = h.substring(7).trim();
      return t.isEmpty() ? null : t;
    }
    if (h.regionMatches(true, 0, "Basic ", 0, 6)) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(h.substring(6).trim()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return null;
      }
      int colon = decoded.indexOf(':');
      String user = colon < 0 ? decoded : decoded.substring(0, colon);
      String password = colon < 0 ? "" : decoded.substring(colon + 1);
      String t = password.isEmpty() ? user : password;
      return t.isEmpty() ? null : t;
    }
    return null;
  }
}
