/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

/**
 * Per-scrape limits, with Prometheus' meaning: breaking one fails the whole scrape ({@code up} 0,
 * nothing stored, the target's series marked stale) and the reason is logged and kept in the
 * target's status. They keep one target from flooding the series index.
 *
 * @param bodySizeLimit bytes of the response body (after gzip decoding); Prometheus' {@code
 *     body_size_limit}
 * @param sampleLimit samples per scrape, 0 for no limit; {@code sample_limit}
 * @param labelLimit labels per series after the target's labels are added; {@code label_limit}
 * @param labelNameLengthLimit characters of a label name; {@code label_name_length_limit}
 * @param labelValueLengthLimit characters of a label value; {@code label_value_length_limit}
 */
public record ScrapeLimits(
    long bodySizeLimit,
    int sampleLimit,
    int labelLimit,
    int labelNameLengthLimit,
    int labelValueLengthLimit) {

  /** 16 MiB per response. */
  public static final long DEFAULT_BODY_SIZE_LIMIT = 16L << 20;

  /** No sample limit by default, as in Prometheus. */
  public static final int DEFAULT_SAMPLE_LIMIT = 0;

  /** 128 labels per series, as the other receivers allow. */
  public static final int DEFAULT_LABEL_LIMIT = 128;

  public static final int DEFAULT_LABEL_NAME_LENGTH_LIMIT = 1024;

  /**
   * 5000 characters, at most 15000 UTF-8 bytes: the metric store indexes {@code name\0value} as one
   * Lucene term, which may not exceed 32766 bytes, and it would drop a series with a longer one.
   */
  public static final int DEFAULT_LABEL_VALUE_LENGTH_LIMIT = 5_000;

  private static final ScrapeLimits DEFAULTS =
      new ScrapeLimits(
          DEFAULT_BODY_SIZE_LIMIT,
          DEFAULT_SAMPLE_LIMIT,
          DEFAULT_LABEL_LIMIT,
          DEFAULT_LABEL_NAME_LENGTH_LIMIT,
          DEFAULT_LABEL_VALUE_LENGTH_LIMIT);

  public ScrapeLimits {
    if (bodySizeLimit <= 0 || bodySizeLimit > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "bodySizeLimit must be positive and below 2 GiB, got " + bodySizeLimit);
    }
    if (sampleLimit < 0) {
      throw new IllegalArgumentException("sampleLimit must be 0 (none) or positive, got " + sampleLimit);
    }
    if (labelLimit <= 0 || labelNameLengthLimit <= 0 || labelValueLengthLimit <= 0) {
      throw new IllegalArgumentException("label limits must be positive");
    }
  }

  public static ScrapeLimits defaults() {
    return DEFAULTS;
  }
}
