/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import com.google.protobuf.InvalidProtocolBufferException;
import io.faultline.core.index.PartitionedIndex;
import io.faultline.core.ingest.BatchIndexer;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.metric.MetricMetadata;
import io.faultline.core.prometheus.RemoteWriteReader;
import io.faultline.metric.storage.Labels;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import org.apache.lucene.util.BytesRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies OTLP metric and remote-write batches to the head and the index.
 *
 * <p>Crash safety: chunks sealed while applying a batch are indexed with that batch's log
 * position, so a replay that seals them again is skipped by partitions that committed them. A
 * commit seals out-of-order buffers and idle series, writes a head snapshot named after the
 * commit position (open chunks, delta totals, metadata), commits the index and only then deletes
 * older snapshots. On open, the snapshot of the index's checkpoint restores the head, and the
 * pipeline replays the log from there. The rare chunk indexed twice (a crash inside a commit) is
 * harmless: queries keep one sample per timestamp.
 */
final class LuceneMetricIndexer implements BatchIndexer {
  private static final Logger LOG = LoggerFactory.getLogger(LuceneMetricIndexer.class);
  private static final int SNAPSHOT_MAGIC = 0x464c4d48; // "FLMH"
  /** 2: open chunks {@link PackedChunk}-encoded; 1 (still read): open chunks as XorChunk state. */
  static final int SNAPSHOT_VERSION = 2;
  static final String HEAD_DIR = "head";

  private final PartitionedIndex index;
  private final Head head;
  private final OtlpTranslator translator = new OtlpTranslator();
  private final MetadataRegistry metadata;
  private final Clock clock;
  private final long retentionMillis;
  private final long idleMillis;
  private final Path headDir;
  private final TreeMap<Long, Documented> documented = new TreeMap<>();
  private final List<SealedChunk> sinceCommit = new ArrayList<>();
  private final List<SealedChunk> sealed = new ArrayList<>();
  private final Counters counters = new Counters();
  private long appliedPosition;
  /** The position of the last snapshot written; the head changes only by applying batches. */
  private long snapshotPosition = -1;
  private long position;
  private long lastLimitWarning = Long.MIN_VALUE;

  LuceneMetricIndexer(
      PartitionedIndex index,
      Head head,
      MetadataRegistry metadata,
      Path dataDir,
      Clock clock,
      long retentionMillis,
      long idleMillis)
      throws IOException {
    this.index = index;
    this.head = head;
    this.metadata = metadata;
    this.clock = clock;
    this.retentionMillis = retentionMillis;
    this.idleMillis = idleMillis;
    this.headDir = dataDir.resolve(HEAD_DIR);
    Files.createDirectories(headDir);
    this.appliedPosition = index.checkpoint();
    loadSnapshot(appliedPosition);
  }

  /** What the store rejected or ignored, for the platform's own metrics and health. */
  static final class Counters {
    final LongAdder appended = new LongAdder();
    final LongAdder duplicateIgnored = new LongAdder();
    final LongAdder duplicateRejected = new LongAdder();
    final LongAdder outOfOrder = new LongAdder();
    final LongAdder tooOld = new LongAdder();
    final LongAdder tooNew = new LongAdder();
    final LongAdder seriesLimit = new LongAdder();
    final LongAdder invalid = new LongAdder();
  }

  Counters counters() {
    return counters;
  }

  @Override
  public String name() {
    return "metrics";
  }

  @Override
  public Set<Signal> signals() {
    return Set.of(Signal.METRICS, Signal.PROMETHEUS_WRITE);
  }

  @Override
  public void apply(long position, long nextPosition, TelemetryBatch batch) throws IOException {
    this.position = position;
    try {
      switch (batch.signal()) {
        case METRICS -> translator.translate(otlp(batch), output);
        case PROMETHEUS_WRITE -> remoteWrite(batch.bytes());
        default ->
            throw new IllegalArgumentException(
                "the metric store indexes only METRICS and PROMETHEUS_WRITE batches, got "
                    + batch.signal());
      }
    } catch (java.io.UncheckedIOException e) {
      throw e.getCause();
    }
    appliedPosition = Math.max(appliedPosition, nextPosition);
  }

  private final OtlpTranslator.Output output =
      new OtlpTranslator.Output() {
        @Override
        public void sample(Labels labels, long t, double v) {
          try {
            append(labels, t, v);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }

        @Override
        public void metadata(String family, MetricMetadata md) {
          metadata.put(family, md);
        }

        @Override
        public void dropped(String reason) {
          counters.invalid.increment();
          LOG.debug("dropped a metric point: {}", reason);
        }
      };

  private final RemoteWriteReader remoteWriteReader = new RemoteWriteReader();

  private final RemoteWriteReader.Visitor remoteWriteVisitor =
      new RemoteWriteReader.Visitor() {
        @Override
        public void series(RemoteWriteReader r, long[] timestamps, double[] values, int samples)
            throws IOException {
          if (r.histogramCount() > 0) {
            nativeHistograms(r);
          }
          if (samples == 0) {
            return;
          }
          MemSeries s = head.getByEncoded(r.key(), r.keyLength());
          if (s == null) {
            Labels labels = remoteWriteLabels(r);
            if (labels == null) {
              counters.invalid.add(samples);
              return;
            }
            for (int i = 0; i < samples; i++) {
              append(labels, timestamps[i], values[i]);
            }
            return;
          }
          for (int i = 0; i < samples; i++) {
            append(s, timestamps[i], values[i]);
          }
        }

        @Override
        public void metadata(byte[] buf, int offset, int length) throws IOException {
          io.faultline.core.prometheus.MetricMetadata md =
              io.faultline.core.prometheus.MetricMetadata.parseFrom(
                  java.nio.ByteBuffer.wrap(buf, offset, length));
          if (!md.getMetricFamilyName().isEmpty()) {
            String type =
                md.getType() == io.faultline.core.prometheus.MetricMetadata.MetricType.UNRECOGNIZED
                    ? "unknown"
                    : md.getType().name().toLowerCase(Locale.ROOT);
            metadata.put(
                md.getMetricFamilyName(), new MetricMetadata(type, md.getHelp(), md.getUnit()));
          }
        }
      };

  /** A series' native histograms, stored as classic {@code _bucket}, {@code _count}, {@code _sum}. */
  private void nativeHistograms(RemoteWriteReader r) throws IOException {
    Labels labels = remoteWriteLabels(r);
    if (labels == null) {
      counters.invalid.add(r.histogramCount());
      return;
    }
    for (int i = 0; i < r.histogramCount(); i++) {
      io.faultline.core.prometheus.Histogram h =
          io.faultline.core.prometheus.Histogram.parseFrom(
              java.nio.ByteBuffer.wrap(r.buffer(), r.histogramOffset(i), r.histogramLength(i)));
      translator.nativeHistogram(labels, h, output); // apply() unwraps its UncheckedIOException
    }
  }

  private void remoteWrite(byte[] request) throws IOException {
    try {
      remoteWriteReader.read(request, remoteWriteVisitor);
    } catch (InvalidProtocolBufferException e) {
      // the collector validated the request before it reached the log: this is damage
      LOG.error(
          "a PROMETHEUS_WRITE batch at log position {} is not a valid remote-write WriteRequest;"
              + " its remaining series are skipped",
          position,
          e);
    }
  }

  /** The series' labels, or null when they are not a valid Prometheus label set. */
  private static Labels remoteWriteLabels(RemoteWriteReader r) {
    Labels.Builder b = Labels.builder();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < r.labelCount(); i++) {
      String name = r.labelName(i);
      if (name.isEmpty() || name.indexOf(MetricDocuments.SEP) >= 0 || !names.add(name)) {
        return null;
      }
      b.set(name, r.labelValue(i));
    }
    Labels labels = b.build();
    return labels.get(Labels.METRIC_NAME).isEmpty() ? null : labels;
  }

  private void append(Labels labels, long t, double v) throws IOException {
    long now = clock.millis();
    if (!inWindow(t, now)) {
      return;
    }
    MemSeries s = head.getOrCreate(labels);
    if (s == null) {
      counters.seriesLimit.increment();
      if (now - lastLimitWarning > 60_000) {
        lastLimitWarning = now;
        LOG.warn(
            "The metric store holds its maximum of {} active series; samples of new series such as"
                + " {} are rejected (counted as faultline_metric_samples_rejected_total{{reason="
                + "\"series_limit\"}}). Reduce label cardinality at the source, or raise"
                + " metrics.maxActiveSeries if memory allows.",
            head.size(),
            labels);
      }
      return;
    }
    appendTo(s, t, v, now);
  }

  private void append(MemSeries s, long t, double v) throws IOException {
    long now = clock.millis();
    if (inWindow(t, now)) {
      appendTo(s, t, v, now);
    }
  }

  /** Counts and drops samples outside the retention or too far ahead. */
  private boolean inWindow(long t, long now) {
    if (t < now - retentionMillis) {
      counters.tooOld.increment();
      return false;
    }
    if (t > now + PartitionedIndex.MAX_FUTURE.toMillis()) {
      counters.tooNew.increment();
      return false;
    }
    return true;
  }

  private void appendTo(MemSeries s, long t, double v, long now) throws IOException {
    Head.Result r = head.append(s, t, v, now, sealed);
    switch (r) {
      case APPENDED -> {
        counters.appended.increment();
        document(s, t);
      }
      case DUPLICATE_IGNORED -> counters.duplicateIgnored.increment();
      case DUPLICATE_REJECTED -> counters.duplicateRejected.increment();
      case OUT_OF_ORDER -> counters.outOfOrder.increment();
      default -> counters.seriesLimit.increment();
    }
    if (!sealed.isEmpty()) {
      flush(position);
    }
  }

  private void flush(long pos) throws IOException {
    for (SealedChunk c : sealed) {
      index.add(pos, c.minT(), MetricDocuments.chunk(c));
      sinceCommit.add(c);
    }
    sealed.clear();
  }

  /** Makes sure the partition of {@code t} has a series document for {@code s}. */
  private void document(MemSeries s, long t) throws IOException {
    long p = head.partitionStart(t);
    if (s.documentedPartition == p) {
      return;
    }
    Documented known = documented.get(p);
    if (known == null) {
      // a partition without any series document so far needs no per-series look-up
      boolean empty =
          index.search(
              p, p, searcher -> searcher.count(MetricDocuments.allSeries()) == 0);
      known = new Documented(empty);
      documented.put(p, known);
      while (documented.size() > 4) {
        documented.pollFirstEntry();
      }
    }
    if (!known.ids.contains(s.id)) {
      boolean inIndex =
          !known.emptyAtFirstSight
              && index.search(
                  p, p, searcher -> searcher.count(MetricDocuments.seriesById(s.id)) > 0);
      if (!inIndex) {
        index.add(position, t, MetricDocuments.series(s));
      }
      known.ids.add(s.id);
    }
    synchronized (s) {
      s.documentedPartition = p;
    }
  }

  /**
   * Series known to have a document in one partition: added by this indexer, or found there.
   * Documents added since the last refresh are invisible to searches, hence the set.
   */
  private static final class Documented {
    final Set<BytesRef> ids = new HashSet<>();
    /** The partition held no series document when first touched: nothing to look up. */
    final boolean emptyAtFirstSight;

    Documented(boolean emptyAtFirstSight) {
      this.emptyAtFirstSight = emptyAtFirstSight;
    }
  }

  @Override
  public long checkpoint() {
    return index.checkpoint();
  }

  @Override
  public long commit() throws IOException {
    long now = clock.millis();
    head.sealForCommit(now - idleMillis, sealed);
    boolean headChanged = !sealed.isEmpty() || appliedPosition != snapshotPosition;
    // appliedPosition, not less: a partition may already have committed this very position
    flush(appliedPosition);
    if (headChanged || !Files.exists(snapshotFile(appliedPosition))) {
      // an idle store's periodic commits leave the snapshot of the same head alone
      writeSnapshot(appliedPosition);
      snapshotPosition = appliedPosition;
    }
    long cp = index.commit(appliedPosition);
    deleteSnapshotsExcept(cp);
    head.releasePending(sinceCommit);
    sinceCommit.clear();
    return cp;
  }

  private Path snapshotFile(long pos) {
    return headDir.resolve(String.format(Locale.ROOT, "head-%020d.snap", pos));
  }

  private void writeSnapshot(long pos) throws IOException {
    Path tmp = headDir.resolve("head.snap.tmp");
    CRC32 crc = new CRC32();
    try (OutputStream file = Files.newOutputStream(tmp);
        CheckedOutputStream checked = new CheckedOutputStream(file, crc);
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(checked, 1 << 16))) {
      out.writeInt(SNAPSHOT_MAGIC);
      out.writeInt(SNAPSHOT_VERSION);
      out.writeLong(pos);
      head.writeTo(out);
      translator.writeTo(out);
      metadata.writeTo(out);
      out.flush();
      long sum = crc.getValue();
      out.writeLong(sum);
    }
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(tmp, snapshotFile(pos), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel dir = FileChannel.open(headDir, StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException e) {
      LOG.debug("could not sync directory {}", headDir, e);
    }
  }

  private void deleteSnapshotsExcept(long pos) throws IOException {
    Path keep = snapshotFile(pos);
    try (DirectoryStream<Path> files = Files.newDirectoryStream(headDir, "head-*.snap")) {
      for (Path f : files) {
        if (!f.equals(keep)) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  private void loadSnapshot(long pos) throws IOException {
    Path file = snapshotFile(pos);
    if (!Files.exists(file)) {
      if (pos > 0) {
        LOG.error(
            "The metric store's head snapshot {} for its checkpoint {} is missing: samples that were"
                + " in open chunks at the last commit are lost (everything else is intact). The"
                + " store starts with an empty head.",
            file,
            pos);
      }
      return;
    }
    CRC32 crc = new CRC32();
    try (InputStream in0 = Files.newInputStream(file);
        CheckedInputStream checked = new CheckedInputStream(in0, crc);
        DataInputStream in = new DataInputStream(new BufferedInputStream(checked, 1 << 16))) {
      if (in.readInt() != SNAPSHOT_MAGIC) {
        throw new IOException("not a head snapshot");
      }
      int version = in.readInt();
      if (version < 1 || version > SNAPSHOT_VERSION || in.readLong() != pos) {
        throw new IOException(
            "not a head snapshot of a known version (1 to " + SNAPSHOT_VERSION
                + ", got " + version + ") and position " + pos);
      }
      head.readFrom(in, version);
      translator.readFrom(in);
      metadata.readFrom(in);
      // the CRC covers everything before the trailer; BufferedInputStream read ahead, so compare
      // against a second pass instead
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(
          "the metric store's head snapshot "
              + file
              + " is unreadable ("
              + e
              + "). Move it away to start with an empty head: the samples of chunks that were"
              + " open at the last commit would be lost, everything else is kept.",
          e);
    }
    verifyChecksum(file);
    deleteSnapshotsExcept(pos);
    LOG.info("restored {} active series from the head snapshot {}", head.size(), file);
  }

  private static void verifyChecksum(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    if (all.length < 8) {
      throw new IllegalStateException("head snapshot " + file + " is truncated; move it away");
    }
    CRC32 crc = new CRC32();
    crc.update(all, 0, all.length - 8);
    long stored = java.nio.ByteBuffer.wrap(all, all.length - 8, 8).getLong();
    if (stored != crc.getValue()) {
      throw new IllegalStateException(
          "head snapshot "
              + file
              + " fails its checksum (disk damage?). Move it away to start with an empty head:"
              + " the samples of chunks open at the last commit would be lost.");
    }
  }

  private static ExportMetricsServiceRequest otlp(TelemetryBatch batch) {
    try {
      return batch.messageAs(ExportMetricsServiceRequest.getDefaultInstance());
    } catch (InvalidProtocolBufferException e) {
      LOG.error("a METRICS batch is not an ExportMetricsServiceRequest; skipped", e);
      return ExportMetricsServiceRequest.getDefaultInstance();
    }
  }

  Map<String, Long> rejectedByReason() {
    return Map.of(
        "duplicate", counters.duplicateRejected.sum(),
        "out_of_order", counters.outOfOrder.sum(),
        "too_old", counters.tooOld.sum(),
        "too_new", counters.tooNew.sum(),
        "series_limit", counters.seriesLimit.sum(),
        "invalid", counters.invalid.sum());
  }
}
