/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.logs;

import com.fasterxml.jackson.databind.JsonNode;
import io.faultline.log.LuceneLogStore;
import jakarta.ws.rs.client.WebTarget;
import java.nio.file.Path;

/** Shares the seeded log store and the JSON helper with the Loki tests. */
public final class LogsResourceTestSupport {
  private LogsResourceTestSupport() {}

  /** A store with only {@code LogTestData.canned()}, committed. */
  public static LuceneLogStore seeded(Path dir) {
    return LogsResourceTest.seededStore(dir, 0);
  }

  public static JsonNode get(WebTarget target, int status) {
    return LogsResourceTest.get(target, status);
  }
}
