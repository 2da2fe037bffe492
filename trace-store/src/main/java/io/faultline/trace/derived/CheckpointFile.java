/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace.derived;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The generator's write-ahead-log checkpoint on disk: one line {@code derived-metrics v1
 * <position>}, replaced atomically (write, fsync, rename) so a crash leaves the old or the new
 * value, never a torn one.
 */
final class CheckpointFile {
  private static final String MAGIC = "derived-metrics v1 ";

  private final Path file;

  CheckpointFile(Path file) {
    this.file = file;
  }

  Path path() {
    return file;
  }

  /** The stored position; 0 when there is no file yet. */
  long read() throws IOException {
    if (!Files.exists(file)) {
      return 0;
    }
    String text = Files.readString(file, StandardCharsets.UTF_8).trim();
    if (text.startsWith(MAGIC)) {
      try {
        long position = Long.parseLong(text.substring(MAGIC.length()).trim());
        if (position >= 0) {
          return position;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw new IOException(
        "derived-metrics checkpoint "
            + file
            + " is unreadable (\""
            + (text.length() > 60 ? text.substring(0, 60) + "..." : text)
            + "\"). Delete it to re-derive span metrics from the whole write-ahead log (counters"
            + " of the replayed spans are then counted twice), or restore it from a backup.");
  }

  void write(long position) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    byte[] bytes = (MAGIC + position + "\n").getBytes(StandardCharsets.UTF_8);
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap(bytes));
      ch.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
