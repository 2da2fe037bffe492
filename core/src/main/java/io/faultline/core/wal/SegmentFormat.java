/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The on-disk layout. A segment is a header ({@link #MAGIC}, {@link #VERSION}) followed by records
 * {@code [int length][int crc32c(type + payload)][byte type][payload]}, big-endian. The header is
 * not part of the position space: the record at file offset {@code HEADER_BYTES + k} of segment
 * {@code base} has position {@code base + k}, so positions stay contiguous across segments.
 */
final class SegmentFormat {
  static final int MAGIC = 0x464C574C; // "FLWL"
  static final int VERSION = 1;
  static final int HEADER_BYTES = 8;
  static final int RECORD_HEADER_BYTES = 9;
  static final int MAX_PAYLOAD_BYTES = Integer.MAX_VALUE - 64;

  private static final Pattern NAME = Pattern.compile("(\\d{20})\\.wal");

  private SegmentFormat() {}

  static String fileName(long base) {
    return String.format(Locale.ROOT, "%020d.wal", base);
  }

  /** The base position a segment file is named after, or empty for any other file. */
  static OptionalLong baseOf(Path file) {
    Matcher m = NAME.matcher(file.getFileName().toString());
    return m.matches() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
  }

  static ByteBuffer header() {
    return ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).putInt(VERSION).flip();
  }

  /** Fails with an operator-readable message when the file does not start with our header. */
  static void checkHeader(FileChannel ch, Path file) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(HEADER_BYTES);
    int n = 0;
    while (buf.hasRemaining() && n >= 0) {
      n = ch.read(buf, buf.position());
    }
    buf.flip();
    if (buf.remaining() < HEADER_BYTES || buf.getInt() != MAGIC) {
      throw new IOException(
          file
              + " is not a Faultline write-ahead log segment (bad header). Move it out of the log"
              + " directory and restart.");
    }
    int version = buf.getInt();
    if (version != VERSION) {
      throw new IOException(
          file
              + " has write-ahead log format version "
              + version
              + ", this build reads version "
              + VERSION
              + ". Run the Faultline version that wrote it, or move the file away.");
    }
  }

  static int crc(byte type, byte[] payload) {
    CRC32C crc = new CRC32C();
    crc.update(type);
    crc.update(payload, 0, payload.length);
    return (int) crc.getValue();
  }
}
