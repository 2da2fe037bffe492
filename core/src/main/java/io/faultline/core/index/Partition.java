/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.index;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.FieldInfos;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ReferenceManager;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.store.FSDirectory;

/**
 * One time partition: a Lucene index over {@code [start, end)}. The writer opens on the first add,
 * so partitions that are only read never take Lucene's write lock. Until then searches go through a
 * reader over the last commit; afterwards through near-real-time readers of the writer.
 */
final class Partition implements Closeable {

  enum Outcome {
    ADDED,
    SKIPPED,
    CLOSED
  }

  final long start;
  final long end;
  final String name;
  final Path path;

  private final FSDirectory directory;
  private final Supplier<IndexWriterConfig> writerConfig;
  // Adds hold the read lock so that close (retention, shutdown) never races a half-done add.
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();

  // Guarded by "this": the writer is opened at most once, and the searcher manager is swapped from
  // the commit reader to the writer's near-real-time reader at that moment.
  private IndexWriter writer;
  private ReferenceManager<IndexSearcher> searchers;
  private boolean closed;

  private volatile long committedPosition;

  /** The fields that the committed segments found at open index as points. */
  private final Set<String> committedPointFields;

  private Partition(
      long start,
      long end,
      String name,
      Path path,
      FSDirectory directory,
      Supplier<IndexWriterConfig> writerConfig)
      throws IOException {
    this.start = start;
    this.end = end;
    this.name = name;
    this.path = path;
    this.directory = directory;
    this.writerConfig = writerConfig;
    if (DirectoryReader.indexExists(directory)) {
      Map<String, String> userData = SegmentInfos.readLatestCommit(directory).getUserData();
      this.committedPosition = parsePosition(userData.get(PartitionedIndex.COMMIT_POSITION_KEY));
      this.searchers = new SearcherManager(directory, null);
      this.committedPointFields = pointFields(searchers);
    } else {
      this.committedPointFields = Set.of();
    }
  }

  private static Set<String> pointFields(ReferenceManager<IndexSearcher> searchers)
      throws IOException {
    IndexSearcher s = searchers.acquire();
    try {
      Set<String> fields = new HashSet<>();
      for (FieldInfo field : FieldInfos.getMergedFieldInfos(s.getIndexReader())) {
        if (field.getPointDimensionCount() > 0) {
          fields.add(field.name);
        }
      }
      return Set.copyOf(fields);
    } finally {
      searchers.release(s);
    }
  }

  /** Whether the segments committed before this partition was opened index the field as points. */
  boolean committedWithPoints(String field) {
    return committedPointFields.contains(field);
  }

  static Partition open(
      long start, long end, String name, Path path, Supplier<IndexWriterConfig> writerConfig)
      throws IOException {
    Files.createDirectories(path);
    FSDirectory directory = FSDirectory.open(path);
    try {
      return new Partition(start, end, name, path, directory, writerConfig);
    } catch (IOException | RuntimeException e) {
      directory.close();
      throw new IOException(
          "cannot open index partition "
              + path
              + ": "
              + e.getMessage()
              + ". If the partition is corrupt, move it away and restart: the write-ahead log"
              + " replays what it still holds",
          e);
    }
  }

  private long parsePosition(String value) {
    if (value == null) {
      return 0;
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalStateException(
          "partition " + path + " has an unreadable commit position '" + value + "'", e);
    }
  }

  boolean overlaps(long fromMillis, long toMillis) {
    return start <= toMillis && end > fromMillis;
  }

  long committedPosition() {
    return committedPosition;
  }

  Outcome add(long walPosition, Iterable<? extends IndexableField> doc) throws IOException {
    if (committedPosition > walPosition) {
      return Outcome.SKIPPED;
    }
    lifecycle.readLock().lock();
    try {
      IndexWriter w = writerForAdd();
      if (w == null) {
        return Outcome.CLOSED;
      }
      try {
        w.addDocument(doc);
      } catch (IllegalArgumentException e) {
        // Lucene refused this one document (an immense term, a field indexed against its
        // schema) and left the writer as it was: the document is lost, the index is not
        throw new UnindexableDocumentException(e);
      }
      return Outcome.ADDED;
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** A document Lucene refused to index, while the partition's writer stays usable. */
  static final class UnindexableDocumentException extends IllegalArgumentException {
    UnindexableDocumentException(IllegalArgumentException cause) {
      super(cause.getMessage(), cause);
    }
  }

  private synchronized IndexWriter writerForAdd() throws IOException {
    if (closed) {
      return null;
    }
    if (writer == null) {
      IndexWriter w = new IndexWriter(directory, writerConfig.get());
      ReferenceManager<IndexSearcher> nrt;
      try {
        nrt = new SearcherManager(w, null);
      } catch (IOException | RuntimeException e) {
        w.rollback();
        throw e;
      }
      ReferenceManager<IndexSearcher> old = searchers;
      writer = w;
      searchers = nrt;
      if (old != null) {
        old.close();
      }
    }
    return writer;
  }

  /** Commits pending changes with the given position; false when there was nothing to commit. */
  boolean commit(long appliedPosition) throws IOException {
    lifecycle.writeLock().lock();
    try {
      IndexWriter w;
      synchronized (this) {
        if (closed || writer == null || !writer.hasUncommittedChanges()) {
          return false;
        }
        w = writer;
      }
      w.setLiveCommitData(
          Map.of(PartitionedIndex.COMMIT_POSITION_KEY, Long.toString(appliedPosition)).entrySet());
      w.commit();
      committedPosition = appliedPosition;
      return true;
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  void maybeRefresh(boolean blocking) throws IOException {
    ReferenceManager<IndexSearcher> manager;
    synchronized (this) {
      if (closed || writer == null) {
        return;
      }
      manager = searchers;
    }
    if (blocking) {
      manager.maybeRefreshBlocking();
    } else {
      manager.maybeRefresh();
    }
  }

  /** A searcher to release through {@link Lease#close()}, or null for an empty or closed one. */
  synchronized Lease acquire() throws IOException {
    if (closed || searchers == null) {
      return null;
    }
    ReferenceManager<IndexSearcher> manager = searchers;
    return new Lease(manager, manager.acquire());
  }

  synchronized Throwable tragedy() {
    return writer == null ? null : writer.getTragicException();
  }

  long diskBytes() {
    try (Stream<Path> files = Files.list(path)) {
      return files
          .filter(Files::isRegularFile)
          .mapToLong(
              f -> {
                try {
                  return Files.size(f);
                } catch (IOException e) {
                  return 0; // deleted by a merge while we looked
                }
              })
          .sum();
    } catch (IOException e) {
      return 0;
    }
  }

  /** Closes without committing: what was added since the last commit is gone, as after a crash. */
  @Override
  public void close() throws IOException {
    lifecycle.writeLock().lock();
    try {
      IndexWriter w;
      ReferenceManager<IndexSearcher> s;
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        w = writer;
        s = searchers;
        writer = null;
        searchers = null;
      }
      IOException failure = null;
      for (Closeable c : new Closeable[] {s, w == null ? null : w::rollback, directory}) {
        try {
          if (c != null) {
            c.close();
          }
        } catch (IOException e) {
          if (failure == null) {
            failure = e;
          } else {
            failure.addSuppressed(e);
          }
        }
      }
      if (failure != null) {
        throw failure;
      }
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  void closeAndDelete() throws IOException {
    close();
    try (Stream<Path> walk = Files.walk(path)) {
      List<Path> all = walk.sorted(Comparator.reverseOrder()).toList();
      for (Path p : all) {
        Files.deleteIfExists(p);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** A searcher acquired from one partition; closing it releases the searcher. */
  record Lease(ReferenceManager<IndexSearcher> manager, IndexSearcher searcher)
      implements Closeable {
    @Override
    public void close() throws IOException {
      manager.release(searcher);
    }
  }
}
