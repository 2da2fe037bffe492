/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionedIndexTest {
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  private static final long HOUR = Duration.ofHours(1).toMillis();
  private static final Sort NEWEST_FIRST = new Sort(new SortField("ts", SortField.Type.LONG, true));

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(NOW);
  private final List<PartitionedIndex> opened = new ArrayList<>();

  @BeforeEach
  void checkClock() {
    assertThat(clock.millis()).isEqualTo(NOW.toEpochMilli());
  }

  @AfterEach
  void closeAll() throws IOException {
    for (PartitionedIndex index : opened) {
      index.close();
    }
  }

  private PartitionedIndex open() throws IOException {
    return open(Duration.ofSeconds(1));
  }

  private PartitionedIndex open(Duration refresh) throws IOException {
    PartitionedIndex index =
        PartitionedIndex.builder(dir)
            .partitionLength(Duration.ofHours(1))
            .retention(Duration.ofHours(6))
            .refreshInterval(refresh)
            .indexSort(NEWEST_FIRST)
            .clock(clock)
            .build();
    opened.add(index);
    return index;
  }

  private static List<IndexableField> doc(String id, long ts) {
    return List.of(
        new StringField("id", id, Field.Store.YES),
        new LongPoint("ts", ts),
        new NumericDocValuesField("ts", ts));
  }

  private static long count(PartitionedIndex index, long from, long to) throws IOException {
    return index.search(from, to, s -> (long) s.count(new MatchAllDocsQuery()));
  }

  private static long countId(PartitionedIndex index, String id) throws IOException {
    return index.search(
        Long.MIN_VALUE, Long.MAX_VALUE, s -> (long) s.count(new TermQuery(new Term("id", id))));
  }

  @Test
  void aPartitionWrittenWithAnIndexSortTakesMoreDocumentsFromAnUnsortedConfiguration()
      throws IOException {
    PartitionedIndex sorted = open();
    sorted.add(1, NOW.toEpochMilli(), doc("old", NOW.toEpochMilli()));
    sorted.commit(2);
    sorted.close();
    opened.remove(sorted);

    PartitionedIndex unsorted =
        PartitionedIndex.builder(dir)
            .partitionLength(Duration.ofHours(1))
            .retention(Duration.ofHours(6))
            .clock(clock)
            .build();
    opened.add(unsorted);
    assertThat(unsorted.add(3, NOW.toEpochMilli(), doc("new", NOW.toEpochMilli() + 1))).isTrue();
    unsorted.commit(4);
    assertThat(countId(unsorted, "old")).isEqualTo(1);
    assertThat(countId(unsorted, "new")).isEqualTo(1);
  }

  @Test
  void aDocumentLuceneRefusesIsDroppedAndCountedWhileTheRestIsIndexedAndCommitted()
      throws IOException {
    PartitionedIndex index = open();
    long now = NOW.toEpochMilli();
    String immense = "x".repeat(40_000); // over Lucene's 32,766-byte term limit
    index.add(1, now, doc("before", now));

    assertThat(index.add(2, now, doc(immense, now))).isFalse();
    assertThat(index.add(3, now, doc(immense, now))).isFalse();
    assertThat(index.add(4, now, doc("after", now))).isTrue();
    index.commit(5);

    assertThat(index.droppedUnindexable()).isEqualTo(2);
    assertThat(countId(index, "before")).isEqualTo(1);
    assertThat(countId(index, "after")).isEqualTo(1);
    assertThat(count(index, Long.MIN_VALUE, Long.MAX_VALUE)).isEqualTo(2);
    index.close();
    opened.remove(index);
    PartitionedIndex reopened = open();
    assertThat(reopened.checkpoint()).isEqualTo(5);
    assertThat(count(reopened, Long.MIN_VALUE, Long.MAX_VALUE)).isEqualTo(2);
  }

  @Test
  void acceptsSaysWhatAddWouldDoWithoutCountingAnything() throws IOException {
    PartitionedIndex index = open();
    long now = NOW.toEpochMilli();
    assertThat(index.accepts(5, now)).as("a partition not yet opened").isTrue();
    index.add(5, now, doc("a", now));
    index.commit(10);
    assertThat(index.accepts(9, now)).as("replay of what the partition committed").isFalse();
    assertThat(index.accepts(10, now)).isTrue();
    assertThat(index.accepts(10, now - Duration.ofHours(7).toMillis())).as("expired").isFalse();
    assertThat(index.accepts(10, now + Duration.ofDays(2).toMillis())).as("too far ahead").isFalse();
    assertThat(index.droppedExpired()).isZero();
    assertThat(index.skippedReplayed()).isZero();
    assertThat(index.add(9, now, doc("b", now))).isFalse();
    assertThat(index.add(10, now, doc("c", now))).isTrue();
  }

  @Test
  void refreshLagGrowsUntilARefreshMakesTheAddsSearchable() throws IOException {
    PartitionedIndex index = open();
    assertThat(index.refreshLagMillis()).isZero();
    index.add(0, NOW.toEpochMilli(), doc("a", NOW.toEpochMilli()));
    clock.advance(Duration.ofMillis(700));
    index.add(1, NOW.toEpochMilli(), doc("b", NOW.toEpochMilli()));
    assertThat(index.refreshLagMillis()).as("measured from the oldest unrefreshed add").isEqualTo(700);
    index.refreshNow();
    assertThat(index.refreshLagMillis()).isZero();
    assertThat(count(index, Long.MIN_VALUE, Long.MAX_VALUE)).isEqualTo(2);
  }

  @Test
  void documentsGoToThePartitionOfTheirTimestamp() throws IOException {
    PartitionedIndex index = open();
    long hourStart = NOW.toEpochMilli() - HOUR;
    assertThat(index.add(0, hourStart - 1, doc("before", hourStart - 1))).isTrue();
    assertThat(index.add(0, hourStart, doc("first", hourStart))).isTrue();
    assertThat(index.add(0, hourStart + HOUR - 1, doc("last", hourStart + HOUR - 1))).isTrue();
    assertThat(index.add(0, hourStart + HOUR, doc("next", hourStart + HOUR))).isTrue();
    index.refreshNow();

    assertThat(index.partitionNames())
        .containsExactly("2026-11-24T08-00-00", "2026-11-24T09-00-00", "2026-11-24T10-00-00");
    assertThat(index.diskBytesByPartition()).containsOnlyKeys(index.partitionNames());
    assertThat(count(index, hourStart, hourStart)).isEqualTo(2);
    assertThat(count(index, hourStart - 1, hourStart)).isEqualTo(3);
    assertThat(count(index, Long.MIN_VALUE, Long.MAX_VALUE)).isEqualTo(4);
    assertThat(index.docCount()).isEqualTo(4);
    assertThat(Files.isDirectory(dir.resolve("partitions/2026-11-24T09-00-00"))).isTrue();
  }

  @Test
  void searchSortsAcrossPartitionsByTheIndexSort() throws IOException {
    PartitionedIndex index = open();
    long t = NOW.toEpochMilli();
    for (int i = 0; i < 5; i++) {
      index.add(0, t - i * HOUR / 2, doc("d" + i, t - i * HOUR / 2));
    }
    index.refreshNow();
    List<String> ids =
        index.search(
            Long.MIN_VALUE,
            Long.MAX_VALUE,
            s -> {
              TopDocs top = s.search(new MatchAllDocsQuery(), 3, NEWEST_FIRST);
              List<String> out = new ArrayList<>();
              for (ScoreDoc sd : top.scoreDocs) {
                out.add(s.storedFields().document(sd.doc).get("id"));
              }
              return out;
            });
    assertThat(ids).containsExactly("d0", "d1", "d2");
  }

  @Test
  void replaySkipsWhatAPartitionAlreadyCommitted() throws IOException {
    PartitionedIndex index = open();
    long t = NOW.toEpochMilli() - 10;
    assertThat(index.add(0, t, doc("a", t))).isTrue();
    assertThat(index.commit(10)).isEqualTo(10);
    index.close();

    index = open();
    assertThat(index.checkpoint()).isEqualTo(10);
    assertThat(index.add(0, t, doc("a", t))).isFalse();
    assertThat(index.skippedReplayed()).isEqualTo(1);
    assertThat(index.add(10, t, doc("b", t))).isTrue();
    index.refreshNow();
    assertThat(countId(index, "a")).isEqualTo(1);
    assertThat(countId(index, "b")).isEqualTo(1);
  }

  @Test
  void crashBetweenPartitionCommitAndCheckpointIndexesNothingTwice() throws IOException {
    PartitionedIndex index = open();
    long t = NOW.toEpochMilli() - 10;
    index.add(0, t, doc("a", t));
    index.add(0, t - HOUR, doc("old", t - HOUR));
    index.commit(10);
    index.add(10, t, doc("b", t));
    index.commit(20);
    index.close();
    // as if the process died after the partitions committed 20 but before the checkpoint moved
    Files.writeString(dir.resolve(PartitionedIndex.CHECKPOINT_FILE), "10\n");

    index = open();
    assertThat(index.checkpoint()).isEqualTo(10);
    assertThat(index.add(10, t, doc("b", t))).isFalse();
    // the older partition committed only 10, so position 10 is new to it
    assertThat(index.add(10, t - HOUR, doc("c", t - HOUR))).isTrue();
    index.commit(20);
    assertThat(countId(index, "a")).isEqualTo(1);
    assertThat(countId(index, "b")).isEqualTo(1);
    assertThat(countId(index, "c")).isEqualTo(1);
  }

  @Test
  void closeWithoutCommitLosesOnlyUncommittedDocuments() throws IOException {
    PartitionedIndex index = open();
    long t = NOW.toEpochMilli() - 10;
    index.add(0, t, doc("kept", t));
    index.commit(5);
    index.add(5, t, doc("lost", t));
    index.refreshNow();
    assertThat(index.docCount()).isEqualTo(2);
    index.close();

    index = open();
    assertThat(index.checkpoint()).isEqualTo(5);
    assertThat(countId(index, "kept")).isEqualTo(1);
    assertThat(countId(index, "lost")).isZero();
  }

  @Test
  void commitIsVisibleAtOnceAndRefreshWithinTheInterval() throws IOException {
    PartitionedIndex index = open(Duration.ofMillis(20));
    long t = NOW.toEpochMilli() - 10;
    index.add(0, t, doc("a", t));
    await().atMost(Duration.ofSeconds(1)).untilAsserted(() -> assertThat(index.docCount()).isOne());
    index.add(0, t, doc("b", t));
    index.commit(1);
    assertThat(index.docCount()).isEqualTo(2);
  }

  @Test
  void commitMustNotGoBackwards() throws IOException {
    PartitionedIndex index = open();
    index.commit(50);
    assertThatThrownBy(() -> index.commit(49))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("before the checkpoint 50");
    assertThat(index.commit(50)).isEqualTo(50);
  }

  @Test
  void documentsOlderThanRetentionAreDroppedAndCounted() throws IOException {
    PartitionedIndex index = open();
    long tooOld = NOW.toEpochMilli() - 6 * HOUR - 1;
    assertThat(index.add(0, tooOld, doc("x", tooOld))).isFalse();
    assertThat(index.droppedExpired()).isEqualTo(1);
    assertThat(index.partitionNames()).isEmpty();
  }

  @Test
  void documentsFarInTheFutureAreDroppedAndCounted() throws IOException {
    PartitionedIndex index = open();
    long tomorrow = NOW.plus(Duration.ofDays(1)).toEpochMilli();
    assertThat(index.add(0, tomorrow, doc("clock skew", tomorrow))).isTrue();
    assertThat(index.add(0, tomorrow + 1, doc("broken clock", tomorrow + 1))).isFalse();
    assertThat(index.droppedFuture()).isEqualTo(1);
    assertThat(index.partitionNames()).containsExactly("2026-11-25T10-00-00");
  }

  @Test
  void retentionDeletesWholeExpiredPartitions() throws IOException {
    PartitionedIndex index = open();
    long t = NOW.toEpochMilli();
    index.add(0, t - 5 * HOUR, doc("old", t - 5 * HOUR));
    index.add(0, t - HOUR, doc("young", t - HOUR));
    index.commit(1);
    assertThat(index.applyRetention()).isEmpty();

    clock.advance(Duration.ofHours(2));
    assertThat(index.applyRetention()).containsExactly("2026-11-24T05-00-00");
    assertThat(dir.resolve("partitions/2026-11-24T05-00-00")).doesNotExist();
    assertThat(countId(index, "old")).isZero();
    assertThat(countId(index, "young")).isOne();

    index.close();
    clock.advance(Duration.ofHours(5));
    index = open();
    assertThat(index.partitionNames()).isEmpty();
    assertThat(index.checkpoint()).isEqualTo(1);
  }

  @Test
  void searchReleasesSearchersWhenTheFunctionThrows() throws IOException {
    PartitionedIndex index = open();
    long t = NOW.toEpochMilli();
    index.add(0, t, doc("a", t));
    index.commit(1);
    assertThatThrownBy(
            () ->
                index.search(
                    Long.MIN_VALUE,
                    Long.MAX_VALUE,
                    s -> {
                      throw new IOException("boom");
                    }))
        .hasMessage("boom");
    assertThat(index.docCount()).isOne();
  }

  @Test
  void changedPartitionLengthIsRefused() throws IOException {
    open().close();
    assertThatThrownBy(
            () ->
                PartitionedIndex.builder(dir)
                    .partitionLength(Duration.ofDays(1))
                    .clock(clock)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("PT1H")
        .hasMessageContaining("PT24H");
  }

  @Test
  void builderChecksItsInputs() {
    assertThatThrownBy(() -> PartitionedIndex.builder(dir).refreshInterval(Duration.ofSeconds(2)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PartitionedIndex.builder(dir).partitionLength(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PartitionedIndex.builder(dir).retention(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void healthReportsClosed() throws IOException {
    PartitionedIndex index = open();
    assertThat(index.health().isHealthy()).isTrue();
    index.close();
    assertThat(index.health().isHealthy()).isFalse();
    assertThatThrownBy(() -> index.add(0, 0, doc("a", 0)))
        .isInstanceOf(IllegalStateException.class);
  }
}
