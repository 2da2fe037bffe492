/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.faultline.core.log.LogQueryException;
import io.faultline.core.log.LogStore;
import io.faultline.store.LogStoreContract;
import io.faultline.store.LogTestData;
import io.faultline.store.TestData;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class LuceneLogStoreTest {

  private static LuceneLogStore open(Path dir) throws IOException {
    return LuceneLogStore.builder(dir).clock(TestData.CLOCK).build();
  }

  @Nested
  class Contract extends LogStoreContract {
    @Override
    protected LogStore newStore(Path dir) throws IOException {
      return open(dir);
    }

    private LuceneLogStore lucene() {
      return (LuceneLogStore) store;
    }

    @Test
    void anInvalidRegularExpressionIsExplained() throws IOException {
      writeCanned();
      // Lucene's IllegalArgumentException escaped the parser (a 500 at the API)
      assertThatThrownBy(() -> bodies("/(/"))
          .isInstanceOf(LogQueryException.class)
          .hasMessageContaining("invalid regular expression /(/");
      assertThatThrownBy(() -> bodies("service:/[/"))
          .isInstanceOf(LogQueryException.class)
          .hasMessageContaining("invalid regular expression /[/");
      assertThatThrownBy(() -> bodies("severity_number:/(/"))
          .isInstanceOf(LogQueryException.class)
          .hasMessage("severity_number does not support regular expressions");
    }

    @Test
    void recordsOfOneDayShareOnePartition() throws IOException {
      writeCanned();
      assertThat(lucene().diskBytesByPartition()).containsOnlyKeys("2026-11-24T00-00-00");
      assertThat(lucene().recordCount()).isEqualTo(8);
    }

    @Test
    void recordsOlderThanTheRetentionAreDropped() throws IOException {
      apply(
          LogTestData.request(
              LogTestData.resourceLogs(
                  LogTestData.frontend(),
                  LogTestData.record(
                      Duration.ofDays(8),
                      io.opentelemetry.proto.logs.v1.SeverityNumber.SEVERITY_NUMBER_INFO,
                      "INFO",
                      "ancient"))));
      store.indexer().commit();
      assertThat(lucene().droppedExpiredRecords()).isEqualTo(1);
      assertThat(lucene().recordCount()).isZero();
    }

    @Test
    void aRecordWithoutAnyTimeIsIndexedAtArrivalAndCounted() throws IOException {
      write(
          List.of(
              LogTestData.request(
                  LogTestData.resourceLogs(
                      LogTestData.frontend(),
                      io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
                          .setBody(
                              io.opentelemetry.proto.common.v1.AnyValue.newBuilder()
                                  .setStringValue("timeless"))))));
      assertThat(lucene().untimedRecords()).isEqualTo(1);
      assertThat(count("timeless")).isEqualTo(1);
    }
  }
}
