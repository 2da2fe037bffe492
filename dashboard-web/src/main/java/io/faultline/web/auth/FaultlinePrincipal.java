/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.auth;

import java.security.Principal;

/** Who made a request: the name of the token it carried and that token's role. */
public record FaultlinePrincipal(String name, Role role) implements Principal {
  @Override
  public String getName() {
    return name;
  }
}
