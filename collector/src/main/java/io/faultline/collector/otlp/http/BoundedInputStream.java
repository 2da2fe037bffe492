/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.http;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Counts the bytes read and fails once more than {@code limit} have come through, so an oversized
 * body (or a gzip bomb, when it wraps the inflater) is never read into memory whole.
 */
final class BoundedInputStream extends FilterInputStream {
  private final long limit;
  private long count;
  private boolean exceeded;

  BoundedInputStream(InputStream in, long limit) {
    super(in);
    this.limit = limit;
  }

  /** Bytes read so far. */
  long count() {
    return count;
  }

  /** True once the stream saw more than the limit. */
  boolean exceeded() {
    return exceeded;
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      add(1);
    }
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    int n = super.read(buf, off, len);
    if (n > 0) {
      add(n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long skipped = super.skip(n);
    add(skipped);
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  private void add(long n) throws LimitExceededException {
    count += n;
    if (count > limit) {
      exceeded = true;
      throw new LimitExceededException(limit);
    }
  }

  /** Thrown by {@link BoundedInputStream} past its limit. */
  static final class LimitExceededException extends IOException {
    LimitExceededException(long limit) {
      super("more than " + limit + " bytes", null);
    }
  }
}
