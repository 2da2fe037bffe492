/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import static org.assertj.core.api.Assertions.assertThat;

import io.faultline.core.metric.MetricMetadata;
import io.faultline.core.prometheus.BucketSpan;
import io.faultline.core.prometheus.Histogram;
import io.faultline.metric.storage.Labels;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Remote-written native histogram samples as the classic series the store keeps: integer and float
 * histograms of exponential schemas and of custom buckets, and malformed samples dropped.
 */
class NativeHistogramConversionTest {
  private static final long T = 1_700_000_000_000L;
  private static final long STALE_NAN_BITS = 0x7ff0000000000002L;
  private static final Labels SERIES =
      Labels.builder().set(Labels.METRIC_NAME, "h").set("job", "api").build();

  @Test
  void aFloatExponentialHistogramWithZeroAndNegativeBuckets() {
    // schema 0: positive buckets 1 (1, 2] 1.5 and 3 (4, 8] 2.5, negative buckets 1 [-2, -1) 0.5
    // and 2 [-4, -2) 1, the zero bucket [-0.001, 0.001] 0.25
    Histogram h =
        Histogram.newBuilder()
            .setCountFloat(5.75).setSum(12.5).setSchema(0).setZeroThreshold(0.001).setZeroCountFloat(0.25)
            .addPositiveSpans(span(1, 1)).addPositiveSpans(span(1, 1)).addAllPositiveCounts(List.of(1.5, 2.5))
            .addNegativeSpans(span(1, 2)).addAllNegativeCounts(List.of(0.5, 1.0))
            .setResetHint(Histogram.ResetHint.GAUGE)
            .setTimestamp(T)
            .build();
    Captured c = convert(h);
    assertThat(c.dropped).isEmpty();
    assertThat(c.samples)
        .containsExactlyEntriesOf(ordered(
            "h_sum", 12.5,
            "h_count", 5.75,
            "h_bucket{le=-2}", 1.0,
            "h_bucket{le=-1}", 1.5,
            "h_bucket{le=0.001}", 1.75,
            "h_bucket{le=2}", 3.25,
            "h_bucket{le=4}", 3.25,
            "h_bucket{le=8}", 5.75,
            "h_bucket{le=+Inf}", 5.75));
    assertThat(c.times).containsOnly(T);
    assertThat(c.jobs).containsOnly("api");
  }

  @Test
  void aCustomBucketHistogramWithIntegerDeltasHasEveryBound() {
    // bounds 0.1, 0.5, 1, 5: (-Inf, 0.1] 2, (0.1, 0.5] not sent, (0.5, 1] 3, (1, 5] 1, +Inf 1
    Histogram h =
        Histogram.newBuilder()
            .setCountInt(7).setSum(9).setSchema(-53)
            .addPositiveSpans(span(0, 1)).addPositiveSpans(span(1, 3)).addAllPositiveDeltas(List.of(2L, 1L, -2L, 0L))
            .addAllCustomValues(List.of(0.1, 0.5, 1.0, 5.0))
            .setTimestamp(T)
            .build();
    Captured c = convert(h);
    assertThat(c.dropped).isEmpty();
    assertThat(c.samples)
        .containsExactlyEntriesOf(ordered(
            "h_sum", 9.0,
            "h_count", 7.0,
            "h_bucket{le=0.1}", 2.0,
            "h_bucket{le=0.5}", 2.0,
            "h_bucket{le=1}", 5.0,
            "h_bucket{le=5}", 6.0,
            "h_bucket{le=+Inf}", 7.0));
  }

  @Test
  void aCustomBucketHistogramWithFloatCounts() {
    // bounds 0.001, 0.25, 1e21: only (0.25, 1e21] is populated; le formatted as for OTLP bounds
    Histogram h =
        Histogram.newBuilder()
            .setCountFloat(3.5).setSum(7).setSchema(-53).setZeroCountFloat(0)
            .addPositiveSpans(span(2, 2)).addAllPositiveCounts(List.of(2.5, 1.0))
            .addAllCustomValues(List.of(0.001, 0.25, 1e21))
            .setTimestamp(T)
            .build();
    Captured c = convert(h);
    assertThat(c.dropped).isEmpty();
    assertThat(c.samples)
        .containsExactlyEntriesOf(ordered(
            "h_sum", 7.0,
            "h_count", 3.5,
            "h_bucket{le=0.001}", 0.0,
            "h_bucket{le=0.25}", 0.0,
            "h_bucket{le=1000000000000000000000}", 2.5,
            "h_bucket{le=+Inf}", 3.5));
  }

  @Test
  void customBucketsWithOnlyTheInfBucket() {
    Histogram h =
        Histogram.newBuilder().setCountInt(4).setSum(2).setSchema(-53)
            .addPositiveSpans(span(0, 1)).addPositiveDeltas(4).setTimestamp(T).build();
    assertThat(convert(h).samples)
        .containsExactlyEntriesOf(ordered("h_sum", 2.0, "h_count", 4.0, "h_bucket{le=+Inf}", 4.0));
  }

  @Test
  void aStaleMarkerMarksEverySeriesStale() {
    Histogram h =
        Histogram.newBuilder().setSchema(-53).setCountFloat(0).setZeroCountFloat(0)
            .setSum(Double.longBitsToDouble(STALE_NAN_BITS)).addAllCustomValues(List.of(1.0, 2.0))
            .setTimestamp(T).build();
    Captured c = convert(h);
    assertThat(c.samples).containsOnlyKeys("h_sum", "h_count", "h_bucket{le=1}", "h_bucket{le=2}", "h_bucket{le=+Inf}");
    assertThat(c.samples.values()).allMatch(v -> Double.doubleToRawLongBits(v) == STALE_NAN_BITS);
    Captured f = convert(Histogram.newBuilder().setCountFloat(0).setZeroCountFloat(0)
        .setSum(Double.longBitsToDouble(STALE_NAN_BITS)).setTimestamp(T).build());
    assertThat(f.samples).containsKeys("h_sum", "h_count", "h_bucket{le=+Inf}");
    assertThat(f.samples.values()).allMatch(v -> Double.doubleToRawLongBits(v) == STALE_NAN_BITS);
  }

  /**
   * A float histogram is converted exactly as the integer one with the same counts, downscaled
   * over 160 buckets alike.
   */
  @Test
  void floatHistogramsBecomeTheSeriesOfTheIntegerOnesWithTheSameCounts() {
    long seed = new Random().nextLong();
    System.out.println("NativeHistogramConversionTest seed " + seed);
    Random random = new Random(seed);
    for (int n = 0; n < 500; n++) {
      Histogram.Builder integer =
          Histogram.newBuilder().setSchema(random.nextInt(13) - 4).setSum(random.nextInt(1000))
              .setZeroThreshold(random.nextBoolean() ? 0 : 1e-9).setTimestamp(T);
      Histogram.Builder floats = integer.clone();
      long zero = random.nextInt(5);
      long total = zero;
      for (boolean positive : new boolean[] {true, false}) {
        int spans = random.nextInt(4);
        long previous = 0;
        for (int s = 0; s < spans; s++) {
          BucketSpan span = span(s == 0 ? random.nextInt(40) - 20 : random.nextInt(100), 1 + random.nextInt(random.nextInt(8) == 0 ? 200 : 6));
          if (positive) {
            integer.addPositiveSpans(span);
            floats.addPositiveSpans(span);
          } else {
            integer.addNegativeSpans(span);
            floats.addNegativeSpans(span);
          }
          for (int i = 0; i < span.getLength(); i++) {
            long count = random.nextInt(4) == 0 ? 0 : random.nextInt(1_000_000);
            total += count;
            if (positive) {
              integer.addPositiveDeltas(count - previous);
              floats.addPositiveCounts(count);
            } else {
              integer.addNegativeDeltas(count - previous);
              floats.addNegativeCounts(count);
            }
            previous = count;
          }
        }
      }
      integer.setCountInt(total).setZeroCountInt(zero);
      floats.setCountFloat(total).setZeroCountFloat(zero);
      Captured a = convert(integer.build());
      Captured b = convert(floats.build());
      assertThat(a.dropped).as("seed %d", seed).isEmpty();
      assertThat(b.samples).as("seed %d, %s", seed, floats).containsExactlyEntriesOf(a.samples);
    }
  }

  @Test
  void malformedSamplesAreDroppedWithTheirReason() {
    Histogram custom =
        Histogram.newBuilder().setCountInt(3).setSchema(-53)
            .addPositiveSpans(span(0, 2)).addAllPositiveDeltas(List.of(1L, 1L))
            .addAllCustomValues(List.of(1.0, 2.0)).setTimestamp(T).build();
    assertThat(convert(custom).dropped).isEmpty();
    Map<Histogram, String> cases = new LinkedHashMap<>();
    cases.put(custom.toBuilder().setSchema(9).build(), "schema 9 (exponential schemas are -4 to 8, custom buckets -53)");
    cases.put(custom.toBuilder().addPositiveDeltas(1).build(),
        "custom buckets (schema -53): positive spans cover 2 buckets but 3 deltas were sent");
    cases.put(custom.toBuilder().setCustomValues(1, 1.0).build(),
        "custom buckets (schema -53): custom_values are not strictly increasing (custom_values[1] is 1 after 1)");
    cases.put(custom.toBuilder().setCustomValues(0, Double.NaN).build(),
        "custom buckets (schema -53): custom_values[0] is NaN; the bounds are finite, the +Inf bucket is implicit");
    cases.put(custom.toBuilder().setCustomValues(1, Double.POSITIVE_INFINITY).build(),
        "custom buckets (schema -53): custom_values[1] is +Inf; the bounds are finite, the +Inf bucket is implicit");
    cases.put(custom.toBuilder().setPositiveSpans(0, span(2, 2)).build(),
        "custom buckets (schema -53): positive spans reach bucket index 3, past the +Inf bucket at index 2 (2 custom values)");
    cases.put(custom.toBuilder().setPositiveDeltas(1, -2).build(),
        "custom buckets (schema -53): positive bucket 1 has the negative count -1");
    cases.put(Histogram.newBuilder().setCountFloat(1).setZeroCountFloat(0).addPositiveSpans(span(0, 1))
            .addPositiveCounts(-1).setTimestamp(T).build(),
        "positive bucket 0 has the negative count -1");
    cases.put(Histogram.newBuilder().setCountFloat(1).addNegativeSpans(span(0, 2)).addNegativeCounts(1)
            .setTimestamp(T).build(),
        "negative spans cover 2 buckets but 1 counts were sent");
    cases.forEach((h, reason) -> {
      Captured c = convert(h);
      assertThat(c.samples).as(reason).isEmpty();
      assertThat(c.dropped).containsExactly("native histogram h: " + reason);
    });
  }

  @Test
  void integerExponentialHistogramsAreConvertedAsBefore() {
    // the LuceneMetricStoreTest case: schema 0, buckets 1, 2 and 4 (3 empty), negative bucket 0,
    // zero bucket 4
    Histogram h =
        Histogram.newBuilder()
            .setTimestamp(T).setSchema(0).setCountInt(15).setSum(42).setZeroThreshold(0.001).setZeroCountInt(4)
            .addPositiveSpans(span(1, 2)).addPositiveSpans(span(1, 1)).addAllPositiveDeltas(List.of(3L, 2L, -3L))
            .addNegativeSpans(span(0, 1)).addNegativeDeltas(1)
            .build();
    assertThat(convert(h).samples)
        .containsExactlyEntriesOf(ordered(
            "h_sum", 42.0,
            "h_count", 15.0,
            "h_bucket{le=-0.5}", 1.0,
            "h_bucket{le=0.001}", 5.0,
            "h_bucket{le=2}", 8.0,
            "h_bucket{le=4}", 13.0,
            "h_bucket{le=8}", 13.0,
            "h_bucket{le=16}", 15.0,
            "h_bucket{le=+Inf}", 15.0));
  }

  private static BucketSpan span(int offset, int length) {
    return BucketSpan.newBuilder().setOffset(offset).setLength(length).build();
  }

  private static Map<String, Double> ordered(Object... kv) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], (Double) kv[i + 1]);
    }
    return m;
  }

  private static Captured convert(Histogram h) {
    Captured c = new Captured();
    new OtlpTranslator().nativeHistogram(SERIES, h, c);
    return c;
  }

  /** Samples as {@code name{le=...}} to value, in the order emitted. */
  private static final class Captured implements OtlpTranslator.Output {
    final Map<String, Double> samples = new LinkedHashMap<>();
    final List<Long> times = new ArrayList<>();
    final List<String> jobs = new ArrayList<>();
    final List<String> dropped = new ArrayList<>();

    @Override
    public void sample(Labels labels, long t, double v) {
      String le = labels.get("le");
      String key = labels.get(Labels.METRIC_NAME) + (le.isEmpty() ? "" : "{le=" + le + "}");
      assertThat(samples.put(key, v)).as("%s emitted twice", key).isNull();
      times.add(t);
      jobs.add(labels.get("job"));
    }

    @Override
    public void metadata(String family, MetricMetadata metadata) {}

    @Override
    public void dropped(String reason) {
      dropped.add(reason);
    }
  }
}
