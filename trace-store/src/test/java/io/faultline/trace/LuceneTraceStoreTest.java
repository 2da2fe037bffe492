/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace;

import static org.assertj.core.api.Assertions.assertThat;

import io.faultline.core.trace.TraceStore;
import io.faultline.store.TestData;
import io.faultline.store.TraceStoreContract;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LuceneTraceStoreTest extends TraceStoreContract {

  @Override
  protected TraceStore newStore(Path dir) throws IOException {
    return LuceneTraceStore.builder(dir).clock(TestData.CLOCK).build();
  }

  private LuceneTraceStore lucene() {
    return (LuceneTraceStore) store;
  }

  @Test
  void spansOfOneDayShareOnePartition() throws IOException {
    writeCanned();
    assertThat(lucene().diskBytesByPartition()).containsOnlyKeys("2026-11-24T00-00-00");
    assertThat(lucene().diskBytesByPartition().values()).allMatch(bytes -> bytes > 0);
    assertThat(lucene().spanCount()).isEqualTo(14);
  }

  @Test
  void spansOlderThanTheRetentionAreDropped() throws IOException {
    apply(TestData.singleSpanTrace(500, "old", "tick", TestData.NOW.minus(Duration.ofDays(8))));
    store.indexer().commit();
    assertThat(lucene().droppedExpiredSpans()).isEqualTo(1);
    assertThat(store.queries().trace(TestData.traceId(500))).isEmpty();
    assertThat(store.queries().services()).isEmpty();
  }

  @Test
  void invalidTraceIdsAreSkippedAndCounted() throws IOException {
    var request =
        TestData.singleSpanTrace(501, "svc", "op", TestData.NOW.minusSeconds(1)).toBuilder();
    request.getResourceSpansBuilder(0).getScopeSpansBuilder(0).getSpansBuilder(0).clearTraceId();
    apply(request.build());
    store.indexer().commit();
    assertThat(lucene().invalidSpans()).isEqualTo(1);
    assertThat(lucene().spanCount()).isZero();
  }
}
