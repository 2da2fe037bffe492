/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.index;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.stream.Stream;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.store.FSDirectory;

/**
 * Run in a JVM of its own by {@link FaultlineCodecTest}: writes a document to a {@link
 * PartitionedIndex} asking for {@link PartitionedIndex.Compression#ZSTD}, reads it back, and prints
 * the codec of every segment written, the number of documents found and why Zstandard is
 * unavailable (null when it is not).
 */
public final class ZstdFallbackMain {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long now = Clock.systemUTC().millis();
    PartitionedIndex index =
        PartitionedIndex.builder(dir).compression(PartitionedIndex.Compression.ZSTD).build();
    index.add(
        1,
        now,
        List.of(
            new StringField("id", "a", Field.Store.YES),
            new NumericDocValuesField("ts", now),
            new StoredField("body", "a stored value")));
    index.commit(2);
    long found = index.search(now - 1, now + 1, s -> (long) s.count(new MatchAllDocsQuery()));
    index.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path commit :
          files.filter(f -> f.getFileName().toString().startsWith("segments_")).toList()) {
        try (FSDirectory d = FSDirectory.open(commit.getParent())) {
          for (SegmentCommitInfo info : SegmentInfos.readLatestCommit(d)) {
            System.out.println("codec " + info.info.getCodec().getName());
          }
        }
      }
    }
    System.out.println("found " + found);
    System.out.println("unavailable " + FaultlineCodec.unavailable());
  }
}
