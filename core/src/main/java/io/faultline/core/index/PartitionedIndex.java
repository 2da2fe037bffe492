/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.index;

import io.faultline.core.health.Health;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.MultiReader;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Sort;
import org.apache.lucene.store.AlreadyClosedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Lucene index split into time partitions, shared by every Lucene store (traces, logs, metric
 * series). Each partition covers {@code [start, start + partitionLength)}, with starts aligned to
 * multiples of the partition length since the Unix epoch (UTC), and lives in its own directory
 * named after its start, e.g. {@code partitions/2026-11-24T00-00-00}.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li><b>Adds</b> go to the partition of the document's timestamp. A document whose partition has
 *       already committed a write-ahead-log position greater than the document's position is
 *       skipped: this is how a replay after a crash indexes nothing twice. Documents older than
 *       {@code now - retention} are dropped and counted ({@link #droppedExpired()}). A document
 *       Lucene refuses (a term over 32,766 bytes) is dropped, counted ({@link
 *       #droppedUnindexable()}) and logged, and indexing goes on: one bad item never stops a store.
 *   <li><b>Visibility</b>: added documents become searchable within the refresh interval (at most
 *       one second), committed or not; {@link #commit} and {@link #refreshNow()} make them
 *       searchable at once.
 *   <li><b>Durability</b>: {@link #commit} commits every partition with pending changes, recording
 *       the applied position in the commit, then atomically replaces the store-level checkpoint
 *       file. {@link #close()} does <i>not</i> commit: whatever was added after the last commit is
 *       lost exactly as in a crash, and the caller replays it from its write-ahead log starting at
 *       {@link #checkpoint()}.
 *   <li><b>Retention</b> deletes whole partitions that ended before {@code now - retention}, once
 *       when the index opens and then every hour.
 *   <li><b>Threads</b>: every method is thread-safe; {@link #add} may be called concurrently with
 *       {@link #search}. {@link #commit} is meant to be called by the one thread that adds.
 * </ul>
 *
 * <p>Writers stay open from the first add to a partition until the partition expires or the index
 * closes; partitions that are only read are opened with a plain reader over their last commit.
 */
public final class PartitionedIndex implements Closeable {
  /** Clock millis of the first add not yet covered by a refresh, or -1. */
  private final AtomicLong unrefreshedSince =
      new AtomicLong(-1);


  public static final Duration DEFAULT_PARTITION_LENGTH = Duration.ofDays(1);
  public static final Duration MIN_PARTITION_LENGTH = Duration.ofMinutes(1);
  public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
  public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofSeconds(1);
  public static final Duration MAX_REFRESH_INTERVAL = Duration.ofSeconds(1);
  static final Duration RETENTION_INTERVAL = Duration.ofHours(1);

  /**
   * Documents stamped further ahead than this (or one partition length, if longer) are dropped: a
   * client with a broken clock must not create partitions that retention only deletes years later.
   */
  public static final Duration MAX_FUTURE = Duration.ofDays(1);

  /** The key of the write-ahead-log position in each partition's commit user data. */
  public static final String COMMIT_POSITION_KEY = "faultline.wal.position";

  static final String CHECKPOINT_FILE = "checkpoint";
  static final String LAYOUT_FILE = "partitioning.properties";
  static final String PARTITIONS_DIR = "partitions";
  private static final String LAYOUT_LENGTH_KEY = "partition.length.millis";
  private static final DateTimeFormatter NAME_FORMAT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH-mm-ss").withZone(ZoneOffset.UTC);
  private static final Logger LOG = LoggerFactory.getLogger(PartitionedIndex.class);

  /** How stored fields are compressed. */
  public enum Compression {
    /** Smallest on disk (DEFLATE with a preset dictionary); the default. */
    BEST_COMPRESSION,
    /** Faster to read and write, larger (LZ4). */
    BEST_SPEED,
    /**
     * Nearly as small as {@link #BEST_COMPRESSION} and cheaper to write: Zstandard in the same
     * chunk layout ({@link FaultlineCodec}).
     */
    ZSTD
  }

  /** Work done on one searcher that spans the partitions of a time range. */
  @FunctionalInterface
  public interface SearchFunction<T> {
    T apply(IndexSearcher searcher) throws IOException;
  }

  private final Path directory;
  private final Path partitionsDir;
  private final long partitionMillis;
  private final long retentionMillis;
  private final Sort indexSort;
  private final Analyzer analyzer;
  private final Compression compression;
  private final Clock clock;
  private final ConcurrentSkipListMap<Long, Partition> partitions = new ConcurrentSkipListMap<>();
  private final ScheduledExecutorService scheduler;
  private final LongAdder added = new LongAdder();
  private final LongAdder skippedReplayed = new LongAdder();
  private final LongAdder droppedExpired = new LongAdder();
  private final LongAdder droppedFuture = new LongAdder();
  private final LongAdder droppedUnindexable = new LongAdder();
  private final AtomicLong lastUnindexableLog = new AtomicLong(Long.MIN_VALUE);
  private static final long UNINDEXABLE_LOG_INTERVAL_MILLIS = 60_000;
  private final long maxFutureMillis;
  private final Object commitLock = new Object();
  private volatile long checkpoint;
  private volatile boolean closed;
  private volatile boolean zstdWarned;
  private volatile String backgroundFailure;

  private PartitionedIndex(Builder b) throws IOException {
    this.directory = b.directory;
    this.partitionsDir = b.directory.resolve(PARTITIONS_DIR);
    this.partitionMillis = b.partitionLength.toMillis();
    this.retentionMillis = b.retention.toMillis();
    this.maxFutureMillis = Math.max(MAX_FUTURE.toMillis(), partitionMillis);
    this.indexSort = b.indexSort;
    this.analyzer = b.analyzer;
    this.compression = b.compression;
    this.clock = b.clock;
    Files.createDirectories(partitionsDir);
    checkLayout();
    this.checkpoint = readCheckpoint();
    try {
      openExistingPartitions();
      applyRetention();
    } catch (IOException | RuntimeException e) {
      closePartitions();
      throw e;
    }
    String threadName = "faultline-index-" + directory.getFileName();
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
    long refreshMillis = b.refreshInterval.toMillis();
    // fixed rate, not fixed delay: the time a refresh takes must not stretch the visibility promise
    scheduler.scheduleAtFixedRate(
        this::backgroundRefresh, refreshMillis, refreshMillis, TimeUnit.MILLISECONDS);
    long retentionEvery = RETENTION_INTERVAL.toMillis();
    scheduler.scheduleWithFixedDelay(
        this::backgroundRetention, retentionEvery, retentionEvery, TimeUnit.MILLISECONDS);
  }

  /**
   * How long the oldest document added since the last completed refresh has waited to become
   * searchable, in milliseconds; 0 when everything added is searchable. An operator watches this
   * as "index refresh lag": it stays below the refresh interval on a healthy store.
   */
  public long refreshLagMillis() {
    long since = unrefreshedSince.get();
    return since < 0 ? 0 : Math.max(0, clock.millis() - since);
  }

  public static Builder builder(Path directory) {
    return new Builder(directory);
  }

  /**
   * Indexes one document into the partition of its timestamp.
   *
   * @param walPosition the write-ahead-log position of the batch the document came from
   * @param timestampMillis what picks the partition (milliseconds since the epoch)
   * @return true when indexed; false when skipped because its partition already committed a later
   *     position, or dropped because it is older than the retention or too far in the future
   */
  /**
   * Whether {@link #add} would index a document with this position and timestamp now, without
   * adding or counting anything: lets a store write a document that others depend on (added
   * first, so that no refresh shows the dependants without it) only when they will be indexed.
   */
  public boolean accepts(long walPosition, long timestampMillis) {
    long now = clock.millis();
    if (timestampMillis < now - retentionMillis || timestampMillis > now + maxFutureMillis) {
      return false;
    }
    Partition p = partitions.get(partitionStartOf(timestampMillis));
    return p == null || p.committedPosition() <= walPosition;
  }

  /**
   * Whether the partition of this time holds committed segments that index {@code field} as
   * points. Lucene keeps the kinds of index of a field for the life of an index, so a store that no
   * longer indexes a field as points must still add them in such a partition, written by an earlier
   * version, or the add fails.
   */
  public boolean indexesAsPoints(long timestampMillis, String field) {
    Partition p = partitions.get(partitionStartOf(timestampMillis));
    return p != null && p.committedWithPoints(field);
  }

  public boolean add(long walPosition, long timestampMillis, Iterable<? extends IndexableField> doc)
      throws IOException {
    ensureOpen();
    long now = clock.millis();
    if (timestampMillis < now - retentionMillis) {
      droppedExpired.increment();
      return false;
    }
    if (timestampMillis > now + maxFutureMillis) {
      droppedFuture.increment();
      return false;
    }
    Partition p = partitionFor(timestampMillis);
    Partition.Outcome outcome;
    try {
      outcome = p.add(walPosition, doc);
    } catch (Partition.UnindexableDocumentException e) {
      unindexable(e);
      return false;
    }
    switch (outcome) {
      case ADDED:
        added.increment();
        if (unrefreshedSince.get() < 0) {
          unrefreshedSince.compareAndSet(-1, now);
        }
        return true;
      case SKIPPED:
        skippedReplayed.increment();
        return false;
      default:
        // the partition expired between the retention check and the add
        droppedExpired.increment();
        return false;
    }
  }

  /**
   * Commits every partition that has changes since its last commit, recording {@code
   * appliedPosition} in each, then makes {@code appliedPosition} the store's checkpoint (written to
   * a temporary file, synced, renamed over the old one, and the directory synced). A crash between
   * the two steps is safe: replay starts at the older checkpoint, and partitions that committed the
   * newer position skip what they already hold. Refreshes the committed partitions' searchers so
   * everything committed is visible when this returns.
   *
   * @param appliedPosition the write-ahead-log position just after the last added batch; never
   *     smaller than the current checkpoint
   * @return the new checkpoint
   */
  public long commit(long appliedPosition) throws IOException {
    ensureOpen();
    synchronized (commitLock) {
      if (appliedPosition < checkpoint) {
        throw new IllegalArgumentException(
            "commit position "
                + appliedPosition
                + " is before the checkpoint "
                + checkpoint
                + " of "
                + directory);
      }
      for (Partition p : partitions.values()) {
        if (p.commit(appliedPosition)) {
          p.maybeRefresh(true);
        }
      }
      writeCheckpoint(appliedPosition);
      checkpoint = appliedPosition;
      return appliedPosition;
    }
  }

  /** The position of the last {@link #commit}; 0 for a new index. */
  public long checkpoint() {
    return checkpoint;
  }

  /** Makes everything added so far searchable now, without committing. */
  public void refreshNow() throws IOException {
    ensureOpen();
    long since = unrefreshedSince.get();
    for (Partition p : partitions.values()) {
      p.maybeRefresh(true);
    }
    unrefreshedSince.compareAndSet(since, -1);
  }

  /**
   * Runs {@code fn} on one searcher over exactly the partitions that overlap {@code [fromMillis,
   * toMillis]} (use {@link Long#MIN_VALUE} and {@link Long#MAX_VALUE} for all). The searcher is
   * valid only inside {@code fn}; everything acquired is released when it returns or throws. The
   * searcher does not filter by time itself: put the time range in the query.
   */
  public <T> T search(long fromMillis, long toMillis, SearchFunction<T> fn) throws IOException {
    ensureOpen();
    List<Partition.Lease> leases = new ArrayList<>();
    Throwable failure = null;
    try {
      for (Partition p : partitions.values()) {
        if (p.overlaps(fromMillis, toMillis)) {
          Partition.Lease lease = p.acquire();
          if (lease != null) {
            leases.add(lease);
          }
        }
      }
      IndexReader[] readers = new IndexReader[leases.size()];
      for (int i = 0; i < readers.length; i++) {
        readers[i] = leases.get(i).searcher().getIndexReader();
      }
      try (MultiReader reader = new MultiReader(readers, false)) {
        return fn.apply(new IndexSearcher(reader));
      }
    } catch (Throwable t) {
      failure = t;
      throw t;
    } finally {
      for (Partition.Lease lease : leases) {
        try {
          lease.close();
        } catch (IOException | RuntimeException e) {
          if (failure != null) {
            failure.addSuppressed(e);
          } else {
            LOG.warn("could not release a searcher of {}", directory, e);
          }
        }
      }
    }
  }

  /**
   * Deletes the partitions that ended before {@code now - retention}; runs every hour on its own.
   *
   * @return the names of the deleted partitions
   */
  public List<String> applyRetention() throws IOException {
    long cutoff = clock.millis() - retentionMillis;
    List<String> deleted = new ArrayList<>();
    for (Partition p : partitions.values()) {
      if (p.end <= cutoff) {
        partitions.remove(p.start, p);
        p.closeAndDelete();
        deleted.add(p.name);
        LOG.info("deleted index partition {} of {}: older than the retention", p.name, directory);
      }
    }
    return deleted;
  }

  /** Bytes on disk of each partition, by partition name. */
  public Map<String, Long> diskBytesByPartition() {
    Map<String, Long> bytes = new TreeMap<>();
    for (Partition p : partitions.values()) {
      bytes.put(p.name, p.diskBytes());
    }
    return bytes;
  }

  /** Searchable documents over all partitions (as of the last refresh). */
  public long docCount() throws IOException {
    return search(Long.MIN_VALUE, Long.MAX_VALUE, s -> (long) s.getIndexReader().numDocs());
  }

  /** Documents indexed since this index opened. */
  public long addedCount() {
    return added.sum();
  }

  /** Documents skipped because their partition had already committed them (replay). */
  public long skippedReplayed() {
    return skippedReplayed.sum();
  }

  /**
   * Documents Lucene refused to index (a term over its 32,766-byte limit, a field against the
   * index's schema): dropped, while the store goes on indexing everything else.
   */
  public long droppedUnindexable() {
    return droppedUnindexable.sum();
  }

  /**
   * Counts a refused document and says so in the log: the first time, then at most once a minute
   * with how many followed. A replay after a restart refuses the same documents again, so it
   * never stops a store: that would leave everything acknowledged after it unindexed.
   */
  private void unindexable(Partition.UnindexableDocumentException e) {
    droppedUnindexable.increment();
    long now = clock.millis();
    long last = lastUnindexableLog.get();
    if ((last == Long.MIN_VALUE || now - last >= UNINDEXABLE_LOG_INTERVAL_MILLIS)
        && lastUnindexableLog.compareAndSet(last, now)) {
      LOG.warn(
          "{}: dropped a document Lucene cannot index ({}); {} so far since start. The rest of"
              + " the data is indexed. Such an item got past the receivers' limits: report it"
              + " with this message.",
          directory,
          e.getMessage(),
          droppedUnindexable.sum());
    }
  }

  /** Documents dropped because they were older than the retention when they arrived. */
  public long droppedExpired() {
    return droppedExpired.sum();
  }

  /** Documents dropped because their timestamp lay more than {@link #MAX_FUTURE} ahead. */
  public long droppedFuture() {
    return droppedFuture.sum();
  }

  /** The names of the partitions on disk, oldest first. */
  public List<String> partitionNames() {
    return partitions.values().stream().map(p -> p.name).toList();
  }

  /** Unhealthy when closed, when a writer failed for good, or when background refresh fails. */
  public Health health() {
    if (closed) {
      return Health.unhealthy("index " + directory + " is closed");
    }
    for (Partition p : partitions.values()) {
      Throwable tragedy = p.tragedy();
      if (tragedy != null) {
        return Health.unhealthy(
            "index partition "
                + p.path
                + " failed and accepts no more writes ("
                + tragedy
                + "); check the disk, then restart to replay the write-ahead log");
      }
    }
    String failure = backgroundFailure;
    return failure == null ? Health.ok() : Health.unhealthy(failure);
  }

  /** Stops the background work and closes every partition without committing. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    scheduler.shutdownNow();
    try {
      if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.warn("background refresh of {} did not stop within 10 s", directory);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closePartitions();
  }

  private void closePartitions() throws IOException {
    IOException failure = null;
    for (Partition p : partitions.values()) {
      try {
        p.close();
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    partitions.clear();
    if (failure != null) {
      throw failure;
    }
  }

  private void ensureOpen() {
    if (closed) {
      // Lucene's own type, so the ingest pipeline takes it for storage trouble, not a data bug
      throw new AlreadyClosedException("index " + directory + " is closed");
    }
  }

  /**
   * The start of the partition that a document stamped {@code timestampMillis} goes to, for stores
   * that keep per-partition state of their own.
   */
  public long partitionStartOf(long timestampMillis) {
    return Math.floorDiv(timestampMillis, partitionMillis) * partitionMillis;
  }

  private Partition partitionFor(long timestampMillis) throws IOException {
    long start = partitionStartOf(timestampMillis);
    Partition p = partitions.get(start);
    if (p != null) {
      return p;
    }
    synchronized (partitions) {
      ensureOpen();
      p = partitions.get(start);
      if (p == null) {
        p = openPartition(start);
        partitions.put(start, p);
      }
      return p;
    }
  }

  private Partition openPartition(long start) throws IOException {
    String name = NAME_FORMAT.format(Instant.ofEpochMilli(start));
    return Partition.open(
        start, start + partitionMillis, name, partitionsDir.resolve(name), this::writerConfig);
  }

  private IndexWriterConfig writerConfig() {
    IndexWriterConfig config = new IndexWriterConfig(analyzer);
    config.setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND);
    config.setCommitOnClose(false);
    config.setCodec(
        switch (compression) {
          case BEST_COMPRESSION -> new Lucene912Codec(Lucene912Codec.Mode.BEST_COMPRESSION);
          case BEST_SPEED -> new Lucene912Codec(Lucene912Codec.Mode.BEST_SPEED);
          case ZSTD -> zstdOrDeflate();
        });
    if (indexSort != null) {
      config.setIndexSort(indexSort);
    }
    config.setRAMBufferSizeMB(32);
    return config;
  }

  /**
   * Zstandard where its native library loads, else DEFLATE (readers take either, segment by
   * segment), said once per index.
   */
  private Codec zstdOrDeflate() {
    String unavailable = FaultlineCodec.unavailable();
    if (unavailable == null) {
      return new FaultlineCodec();
    }
    if (!zstdWarned) {
      zstdWarned = true;
      LOG.warn(
          "Zstandard's native library did not load ({}); {} writes new segments with DEFLATE"
              + " instead, which is slower. Segments already written with Zstandard cannot be read"
              + " until it loads: point the ZstdTempFolder system property (-DZstdTempFolder=DIR)"
              + " at a directory where libraries may be loaded from.",
          unavailable,
          directory);
    }
    return new Lucene912Codec(Lucene912Codec.Mode.BEST_COMPRESSION);
  }

  private void openExistingPartitions() throws IOException {
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(partitionsDir)) {
      for (Path dir : dirs) {
        if (!Files.isDirectory(dir)) {
          continue;
        }
        String name = dir.getFileName().toString();
        long start;
        try {
          start = Instant.from(NAME_FORMAT.parse(name)).toEpochMilli();
        } catch (DateTimeParseException e) {
          LOG.warn("ignoring {}: not an index partition (its name is no partition start)", dir);
          continue;
        }
        if (Math.floorMod(start, partitionMillis) != 0) {
          throw new IllegalStateException(
              "partition " + dir + " does not start on a partition boundary; was it copied in?");
        }
        partitions.put(start, openPartition(start));
      }
    }
  }

  // Partition boundaries are derived from the configured length, so a changed length would
  // silently hide data from time-range searches: refuse to start instead.
  private void checkLayout() throws IOException {
    Path layout = directory.resolve(LAYOUT_FILE);
    Properties props = new Properties();
    if (Files.exists(layout)) {
      try (InputStream in = Files.newInputStream(layout)) {
        props.load(in);
      }
      String stored = props.getProperty(LAYOUT_LENGTH_KEY);
      if (stored != null && !stored.equals(Long.toString(partitionMillis))) {
        throw new IllegalStateException(
            "index "
                + directory
                + " was created with partitions of "
                + Duration.ofMillis(Long.parseLong(stored))
                + " but is configured with "
                + Duration.ofMillis(partitionMillis)
                + "; configure the original partition length, or use a new data directory");
      }
      return;
    }
    props.setProperty(LAYOUT_LENGTH_KEY, Long.toString(partitionMillis));
    Path tmp = directory.resolve(LAYOUT_FILE + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      props.store(out, "Faultline partitioned index layout; do not edit");
    }
    moveDurably(tmp, layout);
  }

  private long readCheckpoint() throws IOException {
    Path file = directory.resolve(CHECKPOINT_FILE);
    if (!Files.exists(file)) {
      return 0;
    }
    String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalStateException(
          "checkpoint file "
              + file
              + " is unreadable ('"
              + text
              + "'); delete it to replay the whole write-ahead log (partitions skip what they"
              + " already committed)",
          e);
    }
  }

  private void writeCheckpoint(long position) throws IOException {
    Path tmp = directory.resolve(CHECKPOINT_FILE + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap((position + "\n").getBytes(StandardCharsets.US_ASCII)));
      ch.force(true);
    }
    moveDurably(tmp, directory.resolve(CHECKPOINT_FILE));
  }

  private void moveDurably(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException(
          "the file system of " + directory + " cannot rename atomically; use a local disk", e);
    }
    try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException e) {
      // Some platforms cannot open a directory for syncing; the rename itself is still atomic.
      LOG.debug("could not sync directory {}", directory, e);
    }
  }

  private void backgroundRefresh() {
    try {
      long started = clock.millis();
      for (Partition p : partitions.values()) {
        p.maybeRefresh(false);
      }
      long since = unrefreshedSince.get();
      if (since >= 0 && since <= started) {
        unrefreshedSince.compareAndSet(since, -1);
      }
      backgroundFailure = null;
    } catch (IOException | RuntimeException e) {
      if (closed) {
        return;
      }
      backgroundFailure = "refreshing the searchers of " + directory + " failed: " + e;
      LOG.error(
          "refreshing the searchers of {} failed; new data is not searchable until it succeeds",
          directory,
          e);
    }
  }

  private void backgroundRetention() {
    try {
      applyRetention();
    } catch (IOException | RuntimeException e) {
      if (!closed) {
        LOG.error(
            "deleting expired partitions of {} failed; check permissions and free space",
            directory,
            e);
      }
    }
  }

  /** Configures a {@link PartitionedIndex}; every setting has a default. */
  public static final class Builder {
    private final Path directory;
    private Duration partitionLength = DEFAULT_PARTITION_LENGTH;
    private Duration retention = DEFAULT_RETENTION;
    private Duration refreshInterval = DEFAULT_REFRESH_INTERVAL;
    private Sort indexSort;
    private Analyzer analyzer;
    private Compression compression = Compression.BEST_COMPRESSION;
    private Clock clock = Clock.systemUTC();

    private Builder(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
    }

    /** At least {@link #MIN_PARTITION_LENGTH}; default {@link #DEFAULT_PARTITION_LENGTH}. */
    public Builder partitionLength(Duration length) {
      Objects.requireNonNull(length, "partitionLength");
      if (length.compareTo(MIN_PARTITION_LENGTH) < 0) {
        throw new IllegalArgumentException(
            "partition length must be at least " + MIN_PARTITION_LENGTH + ", was " + length);
      }
      this.partitionLength = length;
      return this;
    }

    /** Positive; default {@link #DEFAULT_RETENTION}. */
    public Builder retention(Duration retention) {
      Objects.requireNonNull(retention, "retention");
      if (retention.isNegative() || retention.isZero()) {
        throw new IllegalArgumentException("retention must be positive, was " + retention);
      }
      this.retention = retention;
      return this;
    }

    /** Positive and at most {@link #MAX_REFRESH_INTERVAL}; default one second. */
    public Builder refreshInterval(Duration interval) {
      Objects.requireNonNull(interval, "refreshInterval");
      if (interval.toMillis() < 1 || interval.compareTo(MAX_REFRESH_INTERVAL) > 0) {
        throw new IllegalArgumentException(
            "refresh interval must be between 1 ms and "
                + MAX_REFRESH_INTERVAL
                + ", was "
                + interval);
      }
      this.refreshInterval = interval;
      return this;
    }

    /**
     * The order of documents inside each segment, e.g. timestamp descending so that most-recent-
     * first searches stop early. Default: none. Must not change for an existing index.
     */
    public Builder indexSort(Sort sort) {
      this.indexSort = Objects.requireNonNull(sort, "indexSort");
      return this;
    }

    /** Analyzer for text fields; default {@link StandardAnalyzer}. */
    public Builder analyzer(Analyzer analyzer) {
      this.analyzer = Objects.requireNonNull(analyzer, "analyzer");
      return this;
    }

    /** Default {@link Compression#BEST_COMPRESSION}. */
    public Builder compression(Compression compression) {
      this.compression = Objects.requireNonNull(compression, "compression");
      return this;
    }

    /** What "now" is for retention; default the system clock (UTC). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Opens the index, creating the directory if needed, and deletes partitions that are already
     * past the retention.
     */
    public PartitionedIndex build() throws IOException {
      if (analyzer == null) {
        analyzer = new StandardAnalyzer();
      }
      return new PartitionedIndex(this);
    }
  }
}
