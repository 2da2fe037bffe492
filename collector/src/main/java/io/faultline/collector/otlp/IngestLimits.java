/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * The limits the OTLP receivers enforce on every export request. Anything over a limit is refused
 * with a reason the client can read; nothing is dropped silently.
 *
 * <ul>
 *   <li>{@link #maxRequestBytes()}: the body as sent (before decompression). OTLP/HTTP answers 413
 *       at once when {@code Content-Length} is larger, and stops reading a chunked body at the
 *       limit (413). On OTLP/gRPC it is the server's maximum inbound message size, which grpc-java
 *       applies to the message both as sent and decompressed (RESOURCE_EXHAUSTED).
 *   <li>{@link #maxDecompressedBytes()}: a compressed body is decoded only up to this many bytes;
 *       a larger one (a compression bomb) gets 413 and is never fully decoded.
 *   <li>{@link #maxSpansPerRequest()}: the spans after the first {@code maxSpansPerRequest} of a
 *       request are rejected (reason {@code too_many_spans}) and reported in {@code
 *       partialSuccess}; the others are stored.
 *   <li>{@link #maxAttributesPerItem()}: applies to each attribute list (a span's, each of its
 *       events' and links', its scope's and its resource's). A span with a list over the limit is
 *       rejected whole (reason {@code too_many_attributes}), never truncated: what Faultline stores
 *       is exactly what the client sent. A resource or scope over the limit rejects all its spans.
 *   <li>{@link #maxAttributeValueBytes()}: the UTF-8 length of an attribute key or string value, or
 *       the length of a bytes value, including values nested in arrays and key-value lists. A span
 *       carrying a longer one is rejected whole (reason {@code attribute_value_too_long}).
 *       Strings that the stores index as one term are held to at most 16000 bytes whatever this
 *       limit (Lucene refuses a term over 32766 bytes, so a store would drop the item after it was
 *       acknowledged): a span
 *       name or a resource's {@code service.name} over it rejects the item (reason {@code
 *       name_too_long}), so does a metric attribute (every one becomes a label) or resource
 *       attribute of a metric ({@code attribute_value_too_long}) or a metric name ({@code
 *       invalid_metric}).
 *   <li>{@link #spanRetention()}: a span that started longer ago than the trace store keeps spans
 *       would be deleted at once, so it is rejected (reason {@code span_too_old}) and reported in
 *       {@code partialSuccess} rather than acknowledged and dropped; {@link Duration#ZERO} turns
 *       the check off. {@link #clock()} says what "now" is.
 *   <li>{@link #pointRetention()}: the same for metric data points and the metric store's
 *       retention (reason {@code point_too_old}).
 *   <li>{@link #logRetention()}: the same for log records and the log store's retention (reason
 *       {@code log_record_too_old}), judged by the time the log store files a record under: its
 *       {@code time_unix_nano}, or its {@code observed_time_unix_nano} when that is 0. A record with
 *       neither gets the receipt time, so it is never too old.
 * </ul>
 *
 * <p>Trace and span ids are always checked: a trace id must be 16 bytes and a span id 8 bytes,
 * neither all zero; a parent span id is empty or 8 bytes; links follow the same rules. Such a
 * span is malformed and is rejected; a request whose spans are all malformed is refused whole
 * (400 / INVALID_ARGUMENT). A log record's ids are optional: an invalid one (all zero, or of the
 * wrong length) only means the record is not associated with a trace, so it is accepted.
 */
public record IngestLimits(
    long maxRequestBytes,
    long maxDecompressedBytes,
    int maxSpansPerRequest,
    int maxAttributesPerItem,
    int maxAttributeValueBytes,
    Duration spanRetention,
    Duration pointRetention,
    Duration logRetention,
    Clock clock) {

  /** 16 MiB: the default size of a request as sent. */
  public static final long DEFAULT_MAX_REQUEST_BYTES = 16L << 20;

  /** 64 MiB: the default size of a request once decompressed. */
  public static final long DEFAULT_MAX_DECOMPRESSED_BYTES = 64L << 20;

  /** 100 000 spans per export request by default. */
  public static final int DEFAULT_MAX_SPANS_PER_REQUEST = 100_000;

  /** 128 attributes per list by default, as the OpenTelemetry SDKs' own default limit. */
  public static final int DEFAULT_MAX_ATTRIBUTES_PER_ITEM = 128;

  /** 64 KiB per attribute key or value by default. */
  public static final int DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES = 64 << 10;

  private static final IngestLimits DEFAULTS = builder().build();

  public IngestLimits {
    requirePositive(maxRequestBytes, "maxRequestBytes");
    requirePositive(maxDecompressedBytes, "maxDecompressedBytes");
    requirePositive(maxSpansPerRequest, "maxSpansPerRequest");
    requirePositive(maxAttributesPerItem, "maxAttributesPerItem");
    requirePositive(maxAttributeValueBytes, "maxAttributeValueBytes");
    Objects.requireNonNull(clock, "clock");
    if (spanRetention == null || spanRetention.isNegative()) {
      throw new IllegalArgumentException(
          "spanRetention must be zero (no check) or positive, got " + spanRetention);
    }
    if (pointRetention == null || pointRetention.isNegative()) {
      throw new IllegalArgumentException(
          "pointRetention must be zero (no check) or positive, got " + pointRetention);
    }
    if (logRetention == null || logRetention.isNegative()) {
      throw new IllegalArgumentException(
          "logRetention must be zero (no check) or positive, got " + logRetention);
    }
    if (maxRequestBytes > Integer.MAX_VALUE || maxDecompressedBytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "maxRequestBytes and maxDecompressedBytes must be below 2 GiB (a request is held in"
              + " memory while it is decoded)");
    }
  }

  /** The defaults named by the {@code DEFAULT_*} constants. */
  public static IngestLimits defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  private static void requirePositive(long value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
  }

  /** Starts from the defaults; {@link #build()} checks every value. */
  public static final class Builder {
    private long maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
    private long maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES;
    private int maxSpansPerRequest = DEFAULT_MAX_SPANS_PER_REQUEST;
    private int maxAttributesPerItem = DEFAULT_MAX_ATTRIBUTES_PER_ITEM;
    private int maxAttributeValueBytes = DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES;
    private Duration spanRetention = Duration.ZERO;
    private Duration pointRetention = Duration.ZERO;
    private Duration logRetention = Duration.ZERO;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** The trace store's retention: older spans are rejected on arrival. */
    public Builder spanRetention(Duration retention) {
      this.spanRetention = retention;
      return this;
    }

    /** The metric store's retention: older data points are rejected on arrival. */
    public Builder pointRetention(Duration retention) {
      this.pointRetention = retention;
      return this;
    }

    /** The log store's retention: older log records are rejected on arrival. */
    public Builder logRetention(Duration retention) {
      this.logRetention = retention;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public Builder maxRequestBytes(long bytes) {
      this.maxRequestBytes = bytes;
      return this;
    }

    public Builder maxDecompressedBytes(long bytes) {
      this.maxDecompressedBytes = bytes;
      return this;
    }

    public Builder maxSpansPerRequest(int spans) {
      this.maxSpansPerRequest = spans;
      return this;
    }

    public Builder maxAttributesPerItem(int attributes) {
      this.maxAttributesPerItem = attributes;
      return this;
    }

    public Builder maxAttributeValueBytes(int bytes) {
      this.maxAttributeValueBytes = bytes;
      return this;
    }

    public IngestLimits build() {
      return new IngestLimits(
          maxRequestBytes,
          maxDecompressedBytes,
          maxSpansPerRequest,
          maxAttributesPerItem,
          maxAttributeValueBytes,
          spanRetention,
          pointRetention,
          logRetention,
          clock);
    }
  }
}
