/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.wal;

import static io.faultline.core.wal.SegmentFormat.RECORD_HEADER_BYTES;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;

/**
 * Reads records sequentially from one segment and stops at the first one that is not intact,
 * remembering why in {@link #problem()}. Reads only up to {@code end}, so a half-written file or a
 * record not yet fsynced is never returned.
 */
final class RecordReader {
  record Record(long offset, byte type, byte[] payload) {
    int size() {
      return RECORD_HEADER_BYTES + payload.length;
    }
  }

  private final DataInputStream in;
  private final long end;
  private long offset;
  private String problem;

  /** Uses (and moves) the channel's position; the caller owns and closes the channel. */
  RecordReader(FileChannel ch, long start, long end) throws IOException {
    ch.position(start);
    this.in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(ch), 1 << 16));
    this.offset = start;
    this.end = end;
  }

  /** The next intact record, or null at the end or at the first torn/corrupt record. */
  Record next() throws IOException {
    if (problem != null) {
      return null;
    }
    long remaining = end - offset;
    if (remaining <= 0) {
      return null;
    }
    if (remaining < RECORD_HEADER_BYTES) {
      problem = "record header cut short: only " + remaining + " bytes left";
      return null;
    }
    int length = in.readInt();
    int crc = in.readInt();
    byte type = in.readByte();
    long left = remaining - RECORD_HEADER_BYTES;
    if (length < 0 || length > left) {
      problem =
          "record length "
              + length
              + (length < 0 ? " is negative" : " runs past the end (" + left + " bytes left)");
      return null;
    }
    byte[] payload = in.readNBytes(length);
    if (payload.length != length) {
      problem = "file shrank while reading";
      return null;
    }
    if (SegmentFormat.crc(type, payload) != crc) {
      problem = "CRC32C mismatch";
      return null;
    }
    Record r = new Record(offset, type, payload);
    offset += r.size();
    return r;
  }

  /** File offset just past the last intact record returned. */
  long offset() {
    return offset;
  }

  /** Why reading stopped before {@code end}, or null if it did not. */
  String problem() {
    return problem;
  }
}
