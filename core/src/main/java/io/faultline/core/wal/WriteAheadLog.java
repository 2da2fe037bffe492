/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.wal;

import static io.faultline.core.wal.SegmentFormat.HEADER_BYTES;
import static io.faultline.core.wal.SegmentFormat.RECORD_HEADER_BYTES;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import io.faultline.core.health.Health;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A segmented, checksummed, group-committed write-ahead log.
 *
 * <p>Every record has a <em>position</em>: its global byte offset in the log. Positions strictly
 * increase, also across segments; the record after the one at {@code p} with an {@code n}-byte
 * payload is at {@code p + 9 + n}. Segment files are named after the position of their first
 * record, zero-padded to 20 digits ({@code 00000000000000004096.wal}).
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>{@link WriteAheadLog#append} returns at once; its future completes with the record's
 *       position only after the record is written and fsynced. One writer thread drains every
 *       queued append, writes them and fsyncs once for the whole group, so concurrent callers share
 *       an fsync. Futures complete on that writer thread, in position order: dependent stages must
 *       not block (use the {@code *Async} variants for slow work).
 *   <li>On an IO error the group's futures (and all later appends) fail: nothing that is not on
 *       disk is ever acknowledged. The log stays failed until it is reopened; {@link #check()}
 *       reports it.
 *   <li>On open, a torn or corrupt record in the last segment (a crash mid-write) ends the log: the
 *       file is truncated there and a WARN names what was cut. A corrupt record in an older segment
 *       stops {@link #replay} there with an ERROR; it does not fail the caller.
 *   <li>Thread-safe. One process at a time: the directory is locked while the log is open.
 * </ul>
 */
public final class WriteAheadLog implements Closeable {
  /** Default {@link Builder#maxSegmentBytes}: 64 MiB. */
  public static final long DEFAULT_MAX_SEGMENT_BYTES = 64L << 20;

  /** Smallest allowed {@link Builder#maxSegmentBytes}. */
  public static final long MIN_SEGMENT_BYTES = 1024;

  private static final Logger log = LoggerFactory.getLogger(WriteAheadLog.class);
  private static final Append CLOSE = new Append(-1, (byte) 0, new byte[0], null);
  private static final int WRITE_BUFFER_BYTES = 1 << 20;

  /** Receives replayed records, in position order. */
  @FunctionalInterface
  public interface RecordVisitor {
    /**
     * @param position the record's position
     * @param nextPosition the position of the record after it
     * @param type the type byte given to {@link WriteAheadLog#append}
     * @param payload the payload given to {@link WriteAheadLog#append}
     */
    void visit(long position, long nextPosition, byte type, byte[] payload) throws IOException;
  }

  private record Append(long position, byte type, byte[] payload, CompletableFuture<Long> done) {}

  private final Path dir;
  private final long maxSegmentBytes;
  private final Clock clock;
  private final WalMetrics metrics;
  private final FileChannel lockChannel;
  private final FileLock dirLock;
  private final ConcurrentSkipListMap<Long, Path> segments = new ConcurrentSkipListMap<>();
  private final BlockingQueue<Append> queue = new LinkedBlockingQueue<>();
  private final Object appendLock = new Object();
  private final Thread writer;

  private long next; // guarded by appendLock
  private boolean closed; // guarded by appendLock
  private volatile IOException failure;
  private volatile String corruption;
  private volatile long durableEnd;

  // Owned by the writer thread after the constructor.
  private final ByteBuffer out = ByteBuffer.allocateDirect(WRITE_BUFFER_BYTES);
  private FileChannel active;
  private long activeBytes;

  /** A builder for a log kept in {@code dir} (created if missing). */
  public static Builder builder(Path dir) {
    return new Builder(dir);
  }

  private WriteAheadLog(Builder b) throws IOException {
    this.dir = b.dir;
    this.maxSegmentBytes = b.maxSegmentBytes;
    this.clock = b.clock;
    Files.createDirectories(dir);
    this.lockChannel = FileChannel.open(dir.resolve("wal.lock"), CREATE, WRITE);
    this.dirLock = lock(lockChannel, dir);
    try {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.wal")) {
        for (Path f : files) {
          OptionalLong base = SegmentFormat.baseOf(f);
          if (base.isPresent()) {
            segments.put(base.getAsLong(), f);
          }
        }
      }
      if (segments.isEmpty()) {
        createSegment(b.firstPosition);
      }
      Map.Entry<Long, Path> last = segments.lastEntry();
      long end = recoverTail(last.getValue());
      this.next = last.getKey() + end - HEADER_BYTES;
      this.durableEnd = next;
      this.activeBytes = end - HEADER_BYTES;
      this.active = FileChannel.open(last.getValue(), WRITE);
      active.position(end);
    } catch (IOException | RuntimeException e) {
      dirLock.release();
      lockChannel.close();
      throw e;
    }
    this.metrics = WalMetrics.create(b.registry, segments::size);
    this.writer = new Thread(this::runWriter, "faultline-wal-writer");
    writer.setDaemon(true);
    writer.start();
    log.info(
        "Opened write-ahead log {}: {} segment(s), next position {}", dir, segments.size(), next);
  }

  private static FileLock lock(FileChannel ch, Path dir) throws IOException {
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      ch.close();
      throw new IOException(
          "Write-ahead log directory "
              + dir
              + " is in use by another log (this or another process). Stop the other Faultline"
              + " server or give this one its own data directory.");
    }
    return lock;
  }

  /**
   * Appends one record. The future completes with the record's position once it is durable, or
   * fails: with {@link IllegalStateException} after {@link #close()}, with {@link IOException} if
   * it could not be written and fsynced (nothing is promised then).
   */
  public CompletableFuture<Long> append(byte type, byte[] payload) {
    Objects.requireNonNull(payload, "payload");
    if (payload.length > SegmentFormat.MAX_PAYLOAD_BYTES) {
      return CompletableFuture.failedFuture(
          new IllegalArgumentException("record of " + payload.length + " bytes is too large"));
    }
    CompletableFuture<Long> done = new CompletableFuture<>();
    synchronized (appendLock) {
      if (closed) {
        return CompletableFuture.failedFuture(
            new IllegalStateException("write-ahead log " + dir + " is closed"));
      }
      IOException failed = failure;
      if (failed != null) {
        return CompletableFuture.failedFuture(failedError(failed));
      }
      queue.add(new Append(next, type, payload, done));
      next += RECORD_HEADER_BYTES + payload.length;
    }
    return done;
  }

  /** The position the next appended record will get. */
  public long nextPosition() {
    synchronized (appendLock) {
      return next;
    }
  }

  /**
   * Calls the visitor for every intact, durable record at a position at or after {@code
   * fromPosition}, in order. Starts at the oldest segment when {@code fromPosition} lies before it.
   * Records appended while replaying may or may not be visited. An exception from the visitor stops
   * the replay and propagates.
   */
  public void replay(long fromPosition, RecordVisitor visitor) throws IOException {
    long end = durableEnd;
    Long start = segments.floorKey(fromPosition);
    Map<Long, Path> tail = start == null ? segments : segments.tailMap(start, true);
    for (Map.Entry<Long, Path> segment : tail.entrySet()) {
      long base = segment.getKey();
      if (base >= end) {
        return;
      }
      Path file = segment.getValue();
      long reached;
      String problem;
      try (FileChannel ch = FileChannel.open(file, READ)) {
        SegmentFormat.checkHeader(ch, file);
        long limit = Math.min(ch.size(), HEADER_BYTES + end - base);
        RecordReader reader = new RecordReader(ch, HEADER_BYTES, limit);
        for (RecordReader.Record r = reader.next(); r != null; r = reader.next()) {
          long position = base + r.offset() - HEADER_BYTES;
          if (position >= fromPosition) {
            visitor.visit(position, position + r.size(), r.type(), r.payload());
          }
        }
        reached = base + reader.offset() - HEADER_BYTES;
        problem = reader.problem();
      }
      if (reached >= end) {
        return;
      }
      Long nextBase = segments.higherKey(base);
      if (problem == null && nextBase != null && reached == nextBase) {
        continue;
      }
      corruption =
          String.format(
              "segment %s is corrupt at position %d (%s)",
              file, reached, problem == null ? "the segment ends early" : problem);
      log.error(
          "Write-ahead log {}: replay stops here, so records from position {} on are not"
              + " replayed into the stores. The disk may be failing: check it, then keep a copy of"
              + " the segment for analysis and move it out of {} to replay the later segments.",
          corruption,
          reached,
          dir);
      return;
    }
  }

  /**
   * Deletes every segment whose records all lie before {@code position}. The segment being written
   * is never deleted.
   */
  public synchronized void deleteSegmentsBefore(long position) throws IOException {
    boolean deleted = false;
    for (Map.Entry<Long, Path> first = segments.firstEntry();
        first != null;
        first = segments.firstEntry()) {
      Long nextBase = segments.higherKey(first.getKey());
      if (nextBase == null || nextBase > position) {
        break;
      }
      Files.deleteIfExists(first.getValue());
      segments.remove(first.getKey());
      deleted = true;
      log.debug("Deleted write-ahead log segment {}", first.getValue());
    }
    if (deleted) {
      syncDirectory();
    }
  }

  /**
   * After {@link #close()}: deletes every segment, the one last written included, when all records
   * lie before {@code position} (every store has committed all of them), so that a clean stop
   * leaves no log behind. The next {@link Builder#open()} starts an empty segment at its {@link
   * Builder#firstPosition}. A crash part way leaves only segments whose records are committed.
   *
   * @return whether the log was deleted
   */
  public boolean deleteIfAllBefore(long position) throws IOException {
    synchronized (appendLock) {
      if (!closed) {
        throw new IllegalStateException("the write-ahead log must be closed first");
      }
    }
    synchronized (this) {
      if (position < durableEnd || segments.isEmpty()) {
        return false;
      }
      for (Path segment : segments.values()) {
        Files.deleteIfExists(segment);
      }
      segments.clear();
      syncDirectory();
      log.info("Deleted the write-ahead log in {}: every store has committed all of it", dir);
      return true;
    }
  }

  /** Unhealthy once a write or fsync failed, or a replay found a corrupt segment. */
  public Health check() {
    IOException failed = failure;
    if (failed != null) {
      return Health.unhealthy(failedError(failed).getMessage());
    }
    String corrupt = corruption;
    return corrupt == null ? Health.ok() : Health.unhealthy("write-ahead log " + corrupt);
  }

  /** Writes and fsyncs everything appended so far, then closes. Later appends fail. Idempotent. */
  @Override
  public void close() throws IOException {
    synchronized (appendLock) {
      if (closed) {
        return;
      }
      closed = true;
      queue.add(CLOSE);
    }
    boolean interrupted = false;
    while (writer.isAlive()) {
      try {
        writer.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    try {
      active.close();
      dirLock.release();
      lockChannel.close();
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    log.info("Closed write-ahead log {} at position {}", dir, durableEnd);
  }

  private IOException failedError(IOException cause) {
    return new IOException(
        "write-ahead log "
            + dir
            + " stopped accepting writes after an IO error ("
            + cause.getMessage()
            + "). Check disk space and permissions, then restart the server: the log is"
            + " recovered on open.",
        cause);
  }

  private void runWriter() {
    List<Append> group = new ArrayList<>();
    boolean closing = false;
    while (!closing) {
      try {
        group.add(queue.take());
      } catch (InterruptedException e) {
        // Nobody but close() stops this thread, and it does so with CLOSE, not an interrupt.
        continue;
      }
      queue.drainTo(group);
      // CLOSE is the last element ever queued: close() refuses appends after it.
      if (group.get(group.size() - 1) == CLOSE) {
        closing = true;
        group.remove(group.size() - 1);
      }
      if (!group.isEmpty()) {
        commit(group);
      }
      group.clear();
    }
  }

  private void commit(List<Append> group) {
    IOException failed = failure;
    if (failed == null) {
      try {
        write(group);
      } catch (IOException | RuntimeException e) {
        failed = e instanceof IOException io ? io : new IOException(e);
        failure = failed;
        log.error(
            "Write-ahead log {} failed to write or fsync {} record(s) from position {}; they are"
                + " rejected and so is every later append. Check disk space and permissions,"
                + " then restart the server.",
            dir,
            group.size(),
            group.get(0).position(),
            e);
      }
    }
    for (Append a : group) {
      if (failed == null) {
        a.done().complete(a.position());
      } else {
        a.done().completeExceptionally(failedError(failed));
      }
    }
  }

  private void write(List<Append> group) throws IOException {
    long bytes = 0;
    for (Append a : group) {
      int size = RECORD_HEADER_BYTES + a.payload().length;
      if (activeBytes > 0 && activeBytes + size > maxSegmentBytes) {
        flush();
        roll(a.position());
      }
      if (out.remaining() < RECORD_HEADER_BYTES) {
        flush();
      }
      out.putInt(a.payload().length).putInt(SegmentFormat.crc(a.type(), a.payload()));
      out.put(a.type());
      for (int off = 0; off < a.payload().length; ) {
        if (!out.hasRemaining()) {
          flush();
        }
        int n = Math.min(out.remaining(), a.payload().length - off);
        out.put(a.payload(), off, n);
        off += n;
      }
      activeBytes += size;
      bytes += size;
    }
    flush();
    force(active);
    Append last = group.get(group.size() - 1);
    durableEnd = last.position() + RECORD_HEADER_BYTES + last.payload().length;
    metrics.appended(bytes);
  }

  private void flush() throws IOException {
    out.flip();
    while (out.hasRemaining()) {
      active.write(out);
    }
    out.clear();
  }

  private void force(FileChannel ch) throws IOException {
    Instant start = clock.instant();
    ch.force(false);
    metrics.fsynced(Duration.between(start, clock.instant()).toNanos() / 1e9);
  }

  private void roll(long base) throws IOException {
    force(active);
    active.close();
    Path file = createSegment(base);
    active = FileChannel.open(file, WRITE);
    active.position(HEADER_BYTES);
    activeBytes = 0;
  }

  private Path createSegment(long base) throws IOException {
    Path file = dir.resolve(SegmentFormat.fileName(base));
    try (FileChannel ch = FileChannel.open(file, CREATE_NEW, WRITE)) {
      ch.write(SegmentFormat.header());
      ch.force(true);
    }
    syncDirectory();
    segments.put(base, file);
    return file;
  }

  /** Validates the last segment and cuts it after its last intact record; returns that offset. */
  private long recoverTail(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, READ, WRITE)) {
      long size = ch.size();
      if (size < HEADER_BYTES) {
        // A crash while creating the segment: it holds no record yet.
        ch.truncate(0);
        ch.write(SegmentFormat.header(), 0);
        ch.force(true);
        log.warn("Write-ahead log segment {} had a torn header ({} bytes); rewrote it", file, size);
        return HEADER_BYTES;
      }
      SegmentFormat.checkHeader(ch, file);
      RecordReader reader = new RecordReader(ch, HEADER_BYTES, size);
      long records = 0;
      while (reader.next() != null) {
        records++;
      }
      long end = reader.offset();
      log.debug("Write-ahead log segment {} holds {} intact record(s)", file, records);
      if (end < size) {
        ch.truncate(end);
        ch.force(true);
        log.warn(
            "Write-ahead log segment {} ends with a torn or corrupt record at offset {} ({}); cut"
                + " {} bytes there. This is expected after a crash during a write: those records"
                + " were never acknowledged. If it happens without a crash, check the disk.",
            file,
            end,
            reader.problem(),
            size - end);
      }
      return end;
    }
  }

  private void syncDirectory() throws IOException {
    try (FileChannel ch = FileChannel.open(dir, READ)) {
      ch.force(true);
    }
  }

  /** Configures a {@link WriteAheadLog}; every setting has a default but the directory. */
  public static final class Builder {
    private final Path dir;
    private long maxSegmentBytes = DEFAULT_MAX_SEGMENT_BYTES;
    private long firstPosition;
    private Clock clock = Clock.systemUTC();
    private PrometheusRegistry registry;

    private Builder(Path dir) {
      this.dir = Objects.requireNonNull(dir, "dir");
    }

    /** A segment is closed and a new one started before it would grow past this. */
    public Builder maxSegmentBytes(long maxSegmentBytes) {
      if (maxSegmentBytes < MIN_SEGMENT_BYTES) {
        throw new IllegalArgumentException(
            "maxSegmentBytes must be at least " + MIN_SEGMENT_BYTES + ", got " + maxSegmentBytes);
      }
      this.maxSegmentBytes = maxSegmentBytes;
      return this;
    }

    /**
     * Position of the first record when the directory holds no log yet (default 0). Lets a new log
     * continue after positions that stores have already committed.
     */
    public Builder firstPosition(long firstPosition) {
      if (firstPosition < 0) {
        throw new IllegalArgumentException("firstPosition must be >= 0, got " + firstPosition);
      }
      this.firstPosition = firstPosition;
      return this;
    }

    /** Times fsyncs for {@code faultline_wal_fsync_seconds}. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Where the log's self-metrics go; none when null (the default). */
    public Builder registry(PrometheusRegistry registry) {
      this.registry = registry;
      return this;
    }

    /** Opens (recovering if needed) or creates the log. */
    public WriteAheadLog open() throws IOException {
      return new WriteAheadLog(this);
    }
  }
}
