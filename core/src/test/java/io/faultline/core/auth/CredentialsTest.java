/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class CredentialsTest {
  @Test
  void bearerTokens() {
    assertThat(Credentials.token("Bearer abc")).isEqualTo("abc");
    assertThat(Credentials.token("bearer   abc  ")).isEqualTo("abc");
    assertThat(Credentials.token("Bearer ")).isNull();
    assertThat(Credentials.token(null)).isNull();
  }

  @Test
  void basicAuthCarriesTheTokenAsPasswordOrAsUserWithoutPassword() {
    assertThat(Credentials.token(basic("grafana:s3cret"))).isEqualTo("s3cret");
    assertThat(Credentials.token(basic("team-a:to:ken"))).isEqualTo("to:ken");
    assertThat(Credentials.token(basic("s3cret:"))).isEqualTo("s3cret");
    assertThat(Credentials.token(basic("s3cret"))).isEqualTo("s3cret");
    assertThat(Credentials.token(basic(":"))).isNull();
    assertThat(Credentials.token("Basic not*base64")).isNull();
  }

  @Test
  void otherSchemesCarryNoToken() {
    assertThat(Credentials.token("Digest username=x")).isNull();
    assertThat(Credentials.token("abc")).isNull();
  }

  private static String basic(String userPass) {
    return "Basic " + Base64.getEncoder().encodeToString(userPass.getBytes(StandardCharsets.UTF_8));
  }
}
