/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector;

import java.io.IOException;

/**
 * What a snappy block (the format of remote write, Loki's protobuf push and OTLP's {@code
 * Content-Encoding: snappy}) says about itself, read before it is decompressed, so that a body
 * declaring more than a receiver's limit is refused without allocating that much.
 */
public final class SnappyBlocks {
  private SnappyBlocks() {}

  /**
   * The uncompressed length a snappy block declares in its header: a little-endian base-128
   * varint of at most 32 bits, read without touching the data behind it.
   *
   * @throws IOException when the header is truncated or longer than 32 bits
   */
  public static long declaredLength(byte[] block) throws IOException {
    long length = 0;
    for (int i = 0; i < 5; i++) {
      if (i >= block.length) {
        throw new IOException("truncated length header");
      }
      int b = block[i] & 0xff;
      length |= (long) (b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        if (length > 0xffffffffL) {
          throw new IOException("invalid length header");
        }
        return length;
      }
    }
    throw new IOException("invalid length header");
  }
}
