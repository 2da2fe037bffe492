/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.faultline.core.prometheus.Exemplar;
import io.faultline.core.prometheus.Histogram;
import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.MetricMetadata;
import io.faultline.core.prometheus.Sample;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The wire-form check may only ever take a request that the message-by-message path would store
 * unchanged and answer alike; everything else it must hand over.
 */
class WireCheckTest {
  private static final RemoteWriteLimits LIMITS = new RemoteWriteLimits(1 << 20, 1 << 24, 8, 16, 24);
  private static final RemoteWrite.TimeWindow WINDOW =
      new RemoteWrite.TimeWindow(1_000, 9_000, "outside the test's window");

  @Test
  void aTypicalRequestIsCheckedInItsWireForm() {
    WriteRequest w =
        WriteRequest.newBuilder()
            .addTimeseries(series(new String[] {"__name__", "up", "instance", "a:9090", "job", "api"}, 2_000, 3_000))
            .addTimeseries(series(new String[] {"__name__", "down"}, 4_000))
            .addMetadata(MetricMetadata.newBuilder().setMetricFamilyName("up").setType(MetricMetadata.MetricType.GAUGE))
            .build();
    byte[] raw = w.toByteArray();
    RemoteWrite.Decoded d = WireCheck.check(raw, LIMITS, WINDOW);
    assertThat(d).isNotNull();
    assertThat(d.series()).isEqualTo(2);
    assertThat(d.samples()).isEqualTo(3);
    assertThat(d.metadata()).isEqualTo(1);
    assertThat(d.problem()).isEmpty();
    assertThat(d.raw()).isSameAs(raw);
    assertThat(d.request()).isEqualTo(w);
    assertThat(d.batch().bytes()).isSameAs(raw);
  }

  @Test
  void whatTheWireCheckTakesTheMessagePathStoresUnchangedAndAnswersAlike() {
    long seed = new Random().nextLong();
    System.out.println("WireCheckTest seed " + seed);
    Random random = new Random(seed);
    int taken = 0;
    int handedOver = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] raw = randomRequest(random).toByteArray();
      if (random.nextInt(4) == 0) {
        // damage the encoding too: a flipped byte, a cut, or garbage appended
        raw = damage(raw, random);
      }
      RemoteWrite.Decoded wire = WireCheck.check(raw, LIMITS, WINDOW);
      if (wire == null) {
        handedOver++;
        continue;
      }
      taken++;
      RemoteWrite.Decoded parsed = RemoteWrite.parseAndValidate(raw, LIMITS, WINDOW);
      assertThat(parsed.problem()).as("seed %d, request %d", seed, i).isEmpty();
      assertThat(parsed.rejectedSeries()).isZero();
      assertThat(parsed.raw()).as("the message path stores the body as sent too").isSameAs(raw);
      assertThat(wire.series()).isEqualTo(parsed.series());
      assertThat(wire.samples()).isEqualTo(parsed.samples());
      assertThat(wire.metadata()).isEqualTo(parsed.metadata());
      assertThat(wire.isEmpty()).isEqualTo(parsed.isEmpty());
      assertThat(wire.request()).isEqualTo(parsed.request());
    }
    assertThat(taken).as("requests the wire check took").isGreaterThan(2_000);
    assertThat(handedOver).as("requests it handed over").isGreaterThan(2_000);
  }

  private static WriteRequest randomRequest(Random random) {
    WriteRequest.Builder w = WriteRequest.newBuilder();
    int n = random.nextInt(4);
    for (int s = 0; s < n; s++) {
      w.addTimeseries(randomSeries(random));
    }
    if (random.nextInt(5) == 0) {
      w.addMetadata(
          MetricMetadata.newBuilder()
              .setMetricFamilyName(random.nextBoolean() ? "up" : "é")
              .setHelp("help")
              .setType(MetricMetadata.MetricType.COUNTER));
    }
    return w.build();
  }

  private static TimeSeries randomSeries(Random random) {
    // mostly valid: each kind of fault in a few percent of the series
    String[] names = {"__name__", "code", "instance", "job", "le"};
    TimeSeries.Builder ts = TimeSeries.newBuilder();
    int labels = 1 + random.nextInt(4);
    for (int i = 0; i < labels; i++) {
      String name = names[i];
      String value = i == 0 ? "http_requests_total" : "v" + random.nextInt(100);
      switch (random.nextInt(40)) {
        case 0 -> name = "";
        case 1 -> value = "";
        case 2 -> value = "x".repeat(LIMITS.maxLabelValueBytes() + random.nextInt(2));
        case 3 -> name = "n".repeat(LIMITS.maxLabelNameBytes() + random.nextInt(2));
        case 4 -> value = "ünïcode";
        case 5 -> name = "zz";
        case 6 -> name = names[Math.max(0, i - 1)];
        default -> {}
      }
      ts.addLabels(Label.newBuilder().setName(name).setValue(value));
    }
    if (random.nextInt(30) == 0) {
      for (int i = 0; i < LIMITS.maxLabelsPerSeries(); i++) {
        ts.addLabels(Label.newBuilder().setName("x" + i).setValue("y"));
      }
    }
    int samples = random.nextInt(4);
    for (int i = 0; i < samples; i++) {
      long t = random.nextInt(30) == 0 ? random.nextInt(20_000) - 5_000 : 1_000 + random.nextInt(8_001);
      ts.addSamples(Sample.newBuilder().setTimestamp(t).setValue(random.nextGaussian()));
    }
    if (random.nextInt(30) == 0) {
      ts.addHistograms(Histogram.newBuilder().setTimestamp(2_000).setSum(1));
    }
    if (random.nextInt(30) == 0) {
      ts.addExemplars(Exemplar.newBuilder().setTimestamp(2_000).setValue(1));
    }
    return ts.build();
  }

  private static byte[] damage(byte[] raw, Random random) {
    if (raw.length == 0) {
      return new byte[] {(byte) random.nextInt(256)};
    }
    byte[] out;
    switch (random.nextInt(3)) {
      case 0 -> {
        out = raw.clone();
        out[random.nextInt(out.length)] = (byte) random.nextInt(256);
      }
      case 1 -> out = java.util.Arrays.copyOf(raw, random.nextInt(raw.length));
      default -> {
        out = java.util.Arrays.copyOf(raw, raw.length + 1 + random.nextInt(4));
        for (int i = raw.length; i < out.length; i++) {
          out[i] = (byte) random.nextInt(256);
        }
      }
    }
    return out;
  }

  private static TimeSeries series(String[] labels, long... times) {
    TimeSeries.Builder ts = TimeSeries.newBuilder();
    for (int i = 0; i < labels.length; i += 2) {
      ts.addLabels(Label.newBuilder().setName(labels[i]).setValue(labels[i + 1]));
    }
    for (long t : times) {
      ts.addSamples(Sample.newBuilder().setTimestamp(t).setValue(t / 1000.0));
    }
    return ts.build();
  }
}
