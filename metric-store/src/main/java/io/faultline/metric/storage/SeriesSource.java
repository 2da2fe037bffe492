/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.storage;

import java.util.List;

/**
 * What the PromQL engine reads: series selected by label matchers over a time window.
 *
 * <p>Contract for implementations:
 *
 * <ul>
 *   <li>{@link #select} returns every series whose labels satisfy all matchers and that has at
 *       least one sample in {@code [minTimeMs, maxTimeMs]}; it may return more samples than the
 *       window (the engine filters), but never fewer. Series come sorted by labels, each series
 *       at most once, samples ascending by timestamp without duplicates.
 *   <li>Staleness markers are returned with their exact NaN bit pattern ({@link
 *       Series#STALE_NAN_BITS}).
 *   <li>Implementations are safe to call from several query threads at once; a returned series
 *       is an immutable snapshot.
 * </ul>
 */
public interface SeriesSource {
  /** Series matching every matcher with samples in the inclusive window. */
  List<Series> select(List<LabelMatcher> matchers, long minTimeMs, long maxTimeMs);

  /**
   * Sorted distinct label names of the series that match (all series when {@code matchers} is
   * empty) within the window.
   */
  List<String> labelNames(List<LabelMatcher> matchers, long minTimeMs, long maxTimeMs);

  /** Sorted distinct values of one label among the matching series within the window. */
  List<String> labelValues(
      String labelName, List<LabelMatcher> matchers, long minTimeMs, long maxTimeMs);
}
