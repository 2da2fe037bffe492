/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.log;

import io.faultline.core.log.LogQuery.Direction;
import io.faultline.core.log.LogQueryException;
import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * Opaque cursors: a search cursor is the sort key of the last record of a page ({@code timestamp,
 * position, ordinal}, unique per record), a tail cursor the arrival key ({@code position,
 * ordinal}) up to which records were examined. Base64url, with a version-and-kind byte so a cursor
 * of one kind is refused by the other.
 */
final class Cursors {
  private static final byte BACKWARD = 'B';
  private static final byte FORWARD = 'F';
  private static final byte TAIL = 'T';

  private Cursors() {}

  record SearchKey(long timestampNanos, long position, long ordinal) {}

  record TailKey(long position, long ordinal) {}

  static String search(Direction direction, SearchKey key) {
    ByteBuffer b = ByteBuffer.allocate(25);
    b.put(direction == Direction.BACKWARD ? BACKWARD : FORWARD);
    b.putLong(key.timestampNanos()).putLong(key.position()).putLong(key.ordinal());
    return encode(b.array());
  }

  static SearchKey search(Direction direction, String cursor) {
    byte[] bytes = decode(cursor, 25);
    byte kind = bytes[0];
    byte expected = direction == Direction.BACKWARD ? BACKWARD : FORWARD;
    if (kind != expected) {
      throw new LogQueryException(
          "the cursor belongs to a "
              + (kind == TAIL ? "tail" : kind == BACKWARD ? "backward search" : "forward search")
              + ", not to this "
              + direction.name().toLowerCase(java.util.Locale.ROOT)
              + " search; start again without a cursor");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes, 1, 24);
    return new SearchKey(b.getLong(), b.getLong(), b.getLong());
  }

  static String tail(TailKey key) {
    ByteBuffer b = ByteBuffer.allocate(17);
    b.put(TAIL).putLong(key.position()).putLong(key.ordinal());
    return encode(b.array());
  }

  static TailKey tail(String cursor) {
    byte[] bytes = decode(cursor, 17);
    if (bytes[0] != TAIL) {
      throw new LogQueryException("the cursor is a search cursor, not a tail cursor");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes, 1, 16);
    return new TailKey(b.getLong(), b.getLong());
  }

  private static String encode(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static byte[] decode(String cursor, int length) {
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(cursor);
    } catch (IllegalArgumentException e) {
      bytes = null;
    }
    if (bytes == null || bytes.length != length) {
      throw new LogQueryException(
          "the cursor '" + cursor + "' is not one this server issued; start again without a cursor");
    }
    return bytes;
  }
}
