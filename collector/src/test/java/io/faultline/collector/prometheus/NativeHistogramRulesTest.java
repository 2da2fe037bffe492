/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.faultline.core.prometheus.BucketSpan;
import io.faultline.core.prometheus.Histogram;
import io.faultline.core.prometheus.RemoteWriteReader.NativeHistograms;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rules every native histogram sample is held to, in 1.0 and 2.0 alike: which kinds are stored
 * and which samples are refused as malformed, each with its reason.
 */
class NativeHistogramRulesTest {
  static final long T = 1_700_000_000_000L;

  @Test
  void integerAndFloatHistogramsOfExponentialSchemasAndCustomBucketsAreStored() {
    assertThat(NativeHistograms.problem(integerExponential())).isNull();
    assertThat(NativeHistograms.problem(floatExponential())).isNull();
    assertThat(NativeHistograms.problem(integerCustom())).isNull();
    assertThat(NativeHistograms.problem(floatCustom())).isNull();
    assertThat(NativeHistograms.isFloat(floatExponential())).isTrue();
    assertThat(NativeHistograms.isFloat(integerCustom())).isFalse();
    assertThat(NativeHistograms.isCustomBuckets(floatCustom())).isTrue();
    // the edges: schemas -4 and 8, custom buckets with only the +Inf bucket, a stale marker as
    // Prometheus writes it (a float histogram whose sum is the stale NaN), an empty histogram
    assertThat(NativeHistograms.problem(integerExponential().toBuilder().setSchema(-4).build())).isNull();
    assertThat(NativeHistograms.problem(integerExponential().toBuilder().setSchema(8).build())).isNull();
    assertThat(NativeHistograms.problem(Histogram.newBuilder().setSchema(-53).setCountInt(2)
        .addPositiveSpans(span(0, 1)).addPositiveDeltas(2).build())).isNull();
    assertThat(NativeHistograms.problem(Histogram.newBuilder().setCountFloat(0).setZeroCountFloat(0)
        .setSum(Double.longBitsToDouble(0x7ff0000000000002L)).build())).isNull();
    assertThat(NativeHistograms.problem(Histogram.getDefaultInstance())).isNull();
    // a negative offset is fine for an exponential histogram's first span (buckets below 1)
    assertThat(NativeHistograms.problem(integerExponential().toBuilder().setPositiveSpans(0, span(-3, 3)).build()))
        .isNull();
  }

  @Test
  void schemasOtherThanExponentialAndCustomBucketsAreRefused() {
    assertThat(NativeHistograms.problem(integerExponential().toBuilder().setSchema(9).build()))
        .isEqualTo("schema 9 (exponential schemas are -4 to 8, custom buckets -53)");
    assertThat(NativeHistograms.problem(floatExponential().toBuilder().setSchema(-5).build()))
        .startsWith("schema -5 ");
    assertThat(NativeHistograms.problem(integerCustom().toBuilder().setSchema(-52).build()))
        .startsWith("schema -52 ");
  }

  @Test
  void spansThatDoNotMatchTheBucketsAreRefused() {
    assertThat(NativeHistograms.problem(integerExponential().toBuilder().addPositiveDeltas(1).build()))
        .isEqualTo("positive spans cover 3 buckets but 4 deltas were sent");
    assertThat(NativeHistograms.problem(floatExponential().toBuilder().addNegativeCounts(1).build()))
        .isEqualTo("negative spans cover 2 buckets but 3 counts were sent");
    assertThat(NativeHistograms.problem(integerCustom().toBuilder().addPositiveSpans(span(0, 1)).build()))
        .isEqualTo("custom buckets (schema -53): positive spans cover 5 buckets but 4 deltas were sent");
    assertThat(NativeHistograms.problem(integerExponential().toBuilder().addPositiveSpans(span(-2, 0)).build()))
        .isEqualTo("positive span 1 has the negative offset -2");
  }

  @Test
  void negativeCountsAreRefused() {
    assertThat(NativeHistograms.problem(integerExponential().toBuilder().setPositiveDeltas(2, -4).build()))
        .isEqualTo("positive bucket 2 has the negative count -1");
    assertThat(NativeHistograms.problem(floatExponential().toBuilder().setNegativeCounts(0, -0.5).build()))
        .isEqualTo("negative bucket 0 has the negative count -0.5");
    assertThat(NativeHistograms.problem(floatExponential().toBuilder().setCountFloat(-1).build()))
        .isEqualTo("count_float is negative (-1)");
    assertThat(NativeHistograms.problem(floatExponential().toBuilder().setZeroCountFloat(-2).build()))
        .isEqualTo("zero_count_float is negative (-2)");
    assertThat(NativeHistograms.problem(floatCustom().toBuilder().setPositiveCounts(1, -3).build()))
        .isEqualTo("custom buckets (schema -53): positive bucket 1 has the negative count -3");
  }

  @Test
  void integerAndFloatFieldsMixedAreRefused() {
    String mixed =
        "integer fields (count_int, zero_count_int, *_deltas) mixed with float fields"
            + " (count_float, zero_count_float, *_counts)";
    assertThat(NativeHistograms.problem(floatExponential().toBuilder().setZeroCountInt(1).build())).isEqualTo(mixed);
    assertThat(NativeHistograms.problem(integerExponential().toBuilder().addPositiveCounts(1).build())).isEqualTo(mixed);
    assertThat(NativeHistograms.problem(floatCustom().toBuilder().addPositiveDeltas(1).build())).isEqualTo(mixed);
  }

  @Test
  void customBoundsMustBeFiniteAndStrictlyIncreasing() {
    assertThat(NativeHistograms.problem(integerCustom().toBuilder().setCustomValues(2, 0.5).build()))
        .isEqualTo("custom buckets (schema -53): custom_values are not strictly increasing"
            + " (custom_values[2] is 0.5 after 0.5)");
    assertThat(NativeHistograms.problem(floatCustom().toBuilder().setCustomValues(1, 0.05).build()))
        .contains("custom_values[1] is 0.05 after 0.1");
    assertThat(NativeHistograms.problem(integerCustom().toBuilder().setCustomValues(1, Double.NaN).build()))
        .isEqualTo("custom buckets (schema -53): custom_values[1] is NaN; the bounds are finite,"
            + " the +Inf bucket is implicit");
    assertThat(NativeHistograms.problem(integerCustom().toBuilder().addCustomValues(Double.POSITIVE_INFINITY).build()))
        .contains("custom_values[4] is +Inf");
    assertThat(NativeHistograms.problem(integerCustom().toBuilder().setCustomValues(0, Double.NEGATIVE_INFINITY).build()))
        .contains("custom_values[0] is -Inf");
  }

  @Test
  void customBucketsHaveOnlyPositiveBucketsWithinTheirBounds() {
    // 4 bounds: indexes 0 to 4, 4 the +Inf bucket
    assertThat(NativeHistograms.problem(integerCustom().toBuilder().setPositiveSpans(1, span(2, 3)).build()))
        .isEqualTo("custom buckets (schema -53): positive spans reach bucket index 5, past the +Inf"
            + " bucket at index 4 (4 custom values)");
    assertThat(NativeHistograms.problem(integerCustom().toBuilder().setPositiveSpans(0, span(-1, 2)).build()))
        .isEqualTo("custom buckets (schema -53): positive span 0 has the negative offset -1");
    assertThat(NativeHistograms.problem(integerCustom().toBuilder().addNegativeSpans(span(0, 1)).addNegativeDeltas(1).build()))
        .startsWith("custom buckets (schema -53): negative buckets were sent");
    assertThat(NativeHistograms.problem(integerCustom().toBuilder().setZeroCountInt(1).build()))
        .isEqualTo("custom buckets (schema -53): the zero bucket holds 1; custom buckets have no zero bucket");
    assertThat(NativeHistograms.problem(floatCustom().toBuilder().setZeroThreshold(1e-128).build()))
        .isEqualTo("custom buckets (schema -53): zero_threshold is 1e-128; custom buckets have no zero bucket");
    assertThat(NativeHistograms.problem(integerExponential().toBuilder().addCustomValues(1).build()))
        .isEqualTo("custom_values were sent with the exponential schema 0 (only schema -53 has custom buckets)");
  }

  static BucketSpan span(int offset, int length) {
    return BucketSpan.newBuilder().setOffset(offset).setLength(length).build();
  }

  /** Schema 0; buckets 1 (1, 2], 2 (2, 4], 3 (4, 8] hold 1, 3, 2; the zero bucket 1: count 7. */
  static Histogram integerExponential() {
    return Histogram.newBuilder()
        .setCountInt(7).setSum(20).setSchema(0).setZeroThreshold(1e-128).setZeroCountInt(1)
        .addPositiveSpans(span(1, 3)).addAllPositiveDeltas(List.of(1L, 2L, -1L))
        .setResetHint(Histogram.ResetHint.NO)
        .setTimestamp(T)
        .build();
  }

  /**
   * Schema 0, as a recording rule's result: positive buckets 1 (1, 2] 1.5 and 3 (4, 8] 2.5,
   * negative bucket 1 [-2, -1) 0.5 and 2 [-4, -2) 1, the zero bucket 0.25: count 5.75.
   */
  static Histogram floatExponential() {
    return Histogram.newBuilder()
        .setCountFloat(5.75).setSum(12.5).setSchema(0).setZeroThreshold(0.001).setZeroCountFloat(0.25)
        .addPositiveSpans(span(1, 1)).addPositiveSpans(span(1, 1)).addAllPositiveCounts(List.of(1.5, 2.5))
        .addNegativeSpans(span(1, 2)).addAllNegativeCounts(List.of(0.5, 1.0))
        .setResetHint(Histogram.ResetHint.GAUGE)
        .setTimestamp(T)
        .build();
  }

  /**
   * Custom bounds 0.1, 0.5, 1, 5: buckets (-Inf, 0.1] 2, (0.1, 0.5] 0 (not sent), (0.5, 1] 3, (1, 5]
   * 1, (5, +Inf) 1: count 7, integer deltas.
   */
  static Histogram integerCustom() {
    return Histogram.newBuilder()
        .setCountInt(7).setSum(9).setSchema(-53)
        .addPositiveSpans(span(0, 1)).addPositiveSpans(span(1, 3)).addAllPositiveDeltas(List.of(2L, 1L, -2L, 0L))
        .addAllCustomValues(List.of(0.1, 0.5, 1.0, 5.0))
        .setTimestamp(T)
        .build();
  }

  /** Custom bounds 0.1, 1: buckets (-Inf, 0.1] 0.5, (0.1, 1] 1.5, (1, +Inf) 2: count 4, floats. */
  static Histogram floatCustom() {
    return Histogram.newBuilder()
        .setCountFloat(4).setSum(6).setSchema(-53).setZeroCountFloat(0)
        .addPositiveSpans(span(0, 3)).addAllPositiveCounts(List.of(0.5, 1.5, 2.0))
        .addAllCustomValues(List.of(0.1, 1.0))
        .setTimestamp(T)
        .build();
  }
}
