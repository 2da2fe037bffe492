/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.faultline.core.auth.IngestAuthenticator;
import io.faultline.core.auth.IngestAuthenticator.IngestAuthException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenStoreTest {
  @TempDir Path dir;

  @Test
  void ingestIsOpenUntilATokenHasTheIngestRole() throws Exception {
    TokenStore tokens = TokenStore.open(dir);
    tokens.ensureAdmin("admin-secret");
    String viewer = tokens.create("grafana", Role.VIEWER);
    assertThat(tokens.ingestRequiresToken()).isFalse();
    assertThat(tokens.authenticate((String) null)).isEqualTo(IngestAuthenticator.ANONYMOUS);
    assertThat(tokens.authenticate("Bearer unknown")).isEqualTo(IngestAuthenticator.ANONYMOUS);
    assertThat(tokens.authenticate("Bearer " + viewer)).isEqualTo("grafana");

    String teamA = tokens.create("team-a", Role.INGEST);
    assertThat(tokens.ingestRequiresToken()).isTrue();
    assertThatThrownBy(() -> tokens.authenticate((String) null))
        .isInstanceOf(IngestAuthException.class).hasMessageContaining("ingest requires a token");
    assertThatThrownBy(() -> tokens.authenticate("Bearer unknown")).isInstanceOf(IngestAuthException.class);
    assertThat(tokens.authenticate("Bearer " + teamA)).isEqualTo("team-a");
    assertThat(tokens.authenticate("Bearer admin-secret")).isEqualTo("admin");

    // the rule survives a restart, and ends when the last ingest token goes
    TokenStore reopened = TokenStore.open(dir);
    assertThat(reopened.ingestRequiresToken()).isTrue();
    assertThat(reopened.delete("team-a")).isTrue();
    assertThat(reopened.ingestRequiresToken()).isFalse();
  }

  @Test
  void configuredTokensAreEnsuredAndReplaced() throws Exception {
    TokenStore tokens = TokenStore.open(dir);
    tokens.ensure("team-b", Role.INGEST, "first");
    tokens.ensure("team-b", Role.INGEST, "second");
    assertThat(tokens.authenticateToken("first")).isEmpty();
    assertThat(tokens.authenticateToken("second")).get().extracting(FaultlinePrincipal::role).isEqualTo(Role.INGEST);
    assertThatThrownBy(() -> tokens.ensure("bad name", Role.INGEST, "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> tokens.ensure("team-c", Role.INGEST, " ")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theIngestRoleIsBelowViewer() {
    assertThat(Role.VIEWER.includes(Role.INGEST)).isTrue();
    assertThat(Role.INGEST.includes(Role.VIEWER)).isFalse();
    assertThat(Role.parse("ingest")).isEqualTo(Role.INGEST);
  }
}
