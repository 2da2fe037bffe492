/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import io.faultline.core.prometheus.MetricMetadata;
import io.faultline.core.prometheus.RemoteWriteReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The remote-write check for the request every sender sends, done in the request's wire form
 * without building messages or strings: each series holds only labels and float samples, its
 * labels are ASCII, sorted by name without repeats, within the limits and with a non-empty {@code
 * __name__}, every sample is inside the window, and the metadata parses. Such a request is stored
 * as sent. Anything else (a label out of order, a non-ASCII byte, a native histogram, an exemplar,
 * a sample out of bounds, a bad series) makes {@link #check} give up, and {@link RemoteWrite}
 * parses the request into messages to decide series by series and word its answer. Parsing every
 * request into messages only to check it was half of remote write's CPU.
 */
final class WireCheck implements RemoteWriteReader.Visitor {
  private static final byte[] METRIC_NAME = "__name__".getBytes(StandardCharsets.US_ASCII);

  private final RemoteWriteLimits limits;
  private final RemoteWrite.TimeWindow window;
  private boolean clean = true;
  private int series;
  private long samples;
  private int metadata;

  private WireCheck(RemoteWriteLimits limits, RemoteWrite.TimeWindow window) {
    this.limits = limits;
    this.window = window;
  }

  /**
   * The decoded request when every part of {@code raw} passes, or null: then the message-by-message
   * path decides (including whether {@code raw} is protobuf at all).
   */
  static RemoteWrite.Decoded check(
      byte[] raw, RemoteWriteLimits limits, RemoteWrite.TimeWindow window) {
    WireCheck check = new WireCheck(limits, window);
    try {
      new RemoteWriteReader().read(raw, check);
    } catch (IOException | RuntimeException e) {
      return null;
    }
    return check.clean
        ? new RemoteWrite.Decoded(null, check.series, check.samples, check.metadata, 0, "", raw)
        : null;
  }

  @Override
  public void series(RemoteWriteReader r, long[] timestamps, double[] values, int n) {
    if (!clean) {
      return;
    }
    clean = r.otherFields() == 0 && labelsPass(r) && inWindow(timestamps, n);
    series++;
    samples += n;
  }

  private boolean labelsPass(RemoteWriteReader r) {
    int count = r.labelCount();
    if (count > limits.maxLabelsPerSeries()) {
      return false;
    }
    byte[] buf = r.buffer();
    boolean named = false;
    for (int i = 0; i < count; i++) {
      int nameOff = r.nameOffset(i);
      int nameLen = r.nameLength(i);
      int valueOff = r.valueOffset(i);
      int valueLen = r.valueLength(i);
      if (nameLen == 0
          || nameLen > limits.maxLabelNameBytes()
          || valueLen > limits.maxLabelValueBytes()
          || !ascii(buf, nameOff, nameLen)
          || !ascii(buf, valueOff, valueLen)) {
        return false;
      }
      if (i > 0) {
        int prev = i - 1;
        int order =
            java.util.Arrays.compareUnsigned(
                buf,
                r.nameOffset(prev),
                r.nameOffset(prev) + r.nameLength(prev),
                buf,
                nameOff,
                nameOff + nameLen);
        if (order >= 0) {
          return false;
        }
      }
      named |=
          valueLen > 0
              && java.util.Arrays.equals(
                  buf, nameOff, nameOff + nameLen, METRIC_NAME, 0, METRIC_NAME.length);
    }
    return named;
  }

  private boolean inWindow(long[] timestamps, int n) {
    for (int i = 0; i < n; i++) {
      if (!window.contains(timestamps[i])) {
        return false;
      }
    }
    return true;
  }

  private static boolean ascii(byte[] buf, int off, int len) {
    for (int i = off; i < off + len; i++) {
      if (buf[i] < 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void metadata(byte[] buf, int offset, int length) throws IOException {
    MetricMetadata.parseFrom(ByteBuffer.wrap(buf, offset, length));
    metadata++;
  }
}
