/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.loki;

/**
 * What {@code POST /loki/api/v1/push} accepts beyond the OTLP limits every log record obeys
 * ({@link io.faultline.collector.otlp.IngestLimits}: attributes, the service name, the retention
 * window). A body over {@link #maxRequestBytes()} as sent, or over {@link #maxDecompressedBytes()}
 * once decompressed, and a request with more than {@link #maxEntriesPerRequest()} entries get 413
 * and are refused whole (a body is never fully read or decompressed past its limit). An entry whose
 * line is longer than {@link #maxLineBytes()} is rejected (400, the other entries are stored), as
 * Loki's {@code max_line_size} rejects it.
 *
 * @param maxRequestBytes the body as sent (compressed)
 * @param maxDecompressedBytes the body once every encoding (gzip or deflate, and snappy for
 *     protobuf) is undone
 * @param maxEntriesPerRequest log lines in one request, over all its streams
 * @param maxLineBytes UTF-8 bytes of one line
 */
public record LokiPushLimits(
    long maxRequestBytes, long maxDecompressedBytes, int maxEntriesPerRequest, int maxLineBytes) {

  /** 16 MiB as sent, as remote write. */
  public static final long DEFAULT_MAX_REQUEST_BYTES = 16L << 20;

  /** 64 MiB decompressed, as remote write. */
  public static final long DEFAULT_MAX_DECOMPRESSED_BYTES = 64L << 20;

  /** 100 000 entries, the per-request item limit of the OTLP receivers. */
  public static final int DEFAULT_MAX_ENTRIES_PER_REQUEST = 100_000;

  /** 256 KiB, Loki's default {@code max_line_size}. */
  public static final int DEFAULT_MAX_LINE_BYTES = 256 << 10;

  private static final LokiPushLimits DEFAULTS =
      new LokiPushLimits(
          DEFAULT_MAX_REQUEST_BYTES,
          DEFAULT_MAX_DECOMPRESSED_BYTES,
          DEFAULT_MAX_ENTRIES_PER_REQUEST,
          DEFAULT_MAX_LINE_BYTES);

  public LokiPushLimits {
    positive(maxRequestBytes, "maxRequestBytes");
    positive(maxDecompressedBytes, "maxDecompressedBytes");
    positive(maxEntriesPerRequest, "maxEntriesPerRequest");
    positive(maxLineBytes, "maxLineBytes");
    if (maxRequestBytes > Integer.MAX_VALUE - 8 || maxDecompressedBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "maxRequestBytes and maxDecompressedBytes must be below 2 GiB (a request is held in"
              + " memory while it is decoded)");
    }
  }

  /** The {@code DEFAULT_*} values. */
  public static LokiPushLimits defaults() {
    return DEFAULTS;
  }

  private static void positive(long v, String name) {
    if (v <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + v);
    }
  }
}
