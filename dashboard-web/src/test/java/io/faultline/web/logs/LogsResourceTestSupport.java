/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.faultline.core.ingest.Signal;
import io.faultline.log.LuceneLogStore;
import io.faultline.store.Batches;
import io.faultline.store.LogTestData;
import io.faultline.store.TestData;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import jakarta.ws.rs.client.Invocation;
import jakarta.ws.rs.client.WebTarget;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The seeded log store and the JSON reading shared by the logs and the Loki resource tests. */
public final class LogsResourceTestSupport {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private LogsResourceTestSupport() {}

  /** A store on {@code dir} with {@code LogTestData.canned()}, then {@code more}, committed. */
  public static LuceneLogStore seeded(Path dir, List<ExportLogsServiceRequest> more) {
    try {
      LuceneLogStore store = LuceneLogStore.builder(dir).clock(TestData.CLOCK).build();
      List<ExportLogsServiceRequest> data = new ArrayList<>(LogTestData.canned());
      data.addAll(more);
      Batches.applyAndCommit(store.indexer(), Signal.LOGS, data);
      return store;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The JSON answer to a GET of {@code target}, which must have {@code status}. */
  public static JsonNode get(WebTarget target, int status) {
    return get(target.request(), status);
  }

  /** The JSON answer to {@code request} sent as a GET, which must have {@code status}. */
  public static JsonNode get(Invocation.Builder request, int status) {
    try (Response r = request.get()) {
      String body = r.readEntity(String.class);
      assertThat(r.getStatus()).as(body).isEqualTo(status);
      return MAPPER.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
