/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.MetricMetadata;
import io.faultline.core.prometheus.Sample;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

class RemoteWriteTest {
  private static final RemoteWriteLimits LIMITS = RemoteWriteLimits.defaults();

  @Test
  void aValidRequestIsKeptAsSentWithNanAndInfinitySamples() throws IOException {
    WriteRequest w =
        WriteRequest.newBuilder()
            .addTimeseries(series(new double[] {1, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}, "__name__", "up", "job", "api"))
            .addTimeseries(series(new double[] {Double.longBitsToDouble(0x7ff0000000000002L)}, "__name__", "gone"))
            .addMetadata(MetricMetadata.newBuilder().setMetricFamilyName("up").setType(MetricMetadata.MetricType.GAUGE))
            .build();
    RemoteWrite.Decoded d = RemoteWrite.decode(Snappy.compress(w.toByteArray()), LIMITS);
    assertThat(d.request()).isEqualTo(w);
    assertThat(d.series()).isEqualTo(2);
    assertThat(d.samples()).isEqualTo(5);
    assertThat(d.problem()).isEmpty();
    assertThat(Double.doubleToRawLongBits(d.request().getTimeseries(1).getSamples(0).getValue()))
        .isEqualTo(0x7ff0000000000002L);
  }

  @Test
  void corruptSnappyIs400() {
    RemoteWriteException e =
        catchThrowableOfType(
            RemoteWriteException.class,
            () -> RemoteWrite.decode(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2, 3}, LIMITS));
    assertThat(e.httpStatus()).isEqualTo(400);
    assertThat(e.getMessage()).contains("not snappy-compressed");
  }

  @Test
  void randomGarbageNeverEscapesAsAnythingButA4xx() throws IOException {
    long seed = new Random().nextLong();
    System.out.println("RemoteWriteTest seed " + seed);
    Random random = new Random(seed);
    for (int i = 0; i < 500; i++) {
      byte[] garbage = new byte[random.nextInt(200)];
      random.nextBytes(garbage);
      byte[] body = random.nextBoolean() ? garbage : Snappy.compress(garbage);
      try {
        RemoteWrite.decode(body, LIMITS);
      } catch (RemoteWriteException e) {
        assertThat(e.httpStatus()).as("seed %d", seed).isIn(400, 413);
      }
    }
  }

  @Test
  void aHugeDeclaredLengthIs413BeforeDecompressing() {
    // snappy's header is a varint of the uncompressed length: here 100 MiB, with no data behind it
    byte[] bomb = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x32, 0, 0};
    RemoteWriteException e = catchThrowableOfType(RemoteWriteException.class, () -> RemoteWrite.decode(bomb, LIMITS));
    assertThat(e.httpStatus()).isEqualTo(413);
    assertThat(e.getMessage()).contains("decompresses to 104857600 bytes");
  }

  @Test
  void aBodyOverTheSentLimitIs413() {
    RemoteWriteLimits small = new RemoteWriteLimits(10, 100, 10, 10, 10);
    assertThatThrownBy(() -> RemoteWrite.decode(new byte[11], small))
        .isInstanceOfSatisfying(RemoteWriteException.class, e -> assertThat(e.httpStatus()).isEqualTo(413));
  }

  @Test
  void anotherProtoIs400() throws IOException {
    ExportMetricsServiceRequest otlp =
        ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(
                ResourceMetrics.newBuilder()
                    .setResource(
                        Resource.newBuilder()
                            .addAttributes(
                                KeyValue.newBuilder()
                                    .setKey("service.name")
                                    .setValue(AnyValue.newBuilder().setStringValue("x")))))
            .build();
    RemoteWriteException e =
        catchThrowableOfType(RemoteWriteException.class, () -> RemoteWrite.decode(Snappy.compress(otlp.toByteArray()), LIMITS));
    assertThat(e.httpStatus()).isEqualTo(400);
    byte[] notProto = Snappy.compress(new byte[] {(byte) 0x0a, (byte) 0xff, 0x01});
    assertThat(catchThrowableOfType(RemoteWriteException.class, () -> RemoteWrite.decode(notProto, LIMITS)).getMessage())
        .contains("not a remote write 1.0 WriteRequest");
  }

  @Test
  void invalidSeriesAreRejectedAndTheRestKept() {
    WriteRequest w =
        WriteRequest.newBuilder()
            .addTimeseries(series(new double[] {1}, "__name__", "ok"))
            .addTimeseries(series(new double[] {1}, "job", "no_name"))
            .addTimeseries(series(new double[] {1}, "__name__", "dup", "a", "1", "a", "2"))
            .addTimeseries(series(new double[] {1}, "__name__", "empty_name", "", "x"))
            .addTimeseries(series(new double[] {1}, "b", "2", "__name__", "unsorted", "a", "1"))
            .addTimeseries(series(new double[] {1}, "a", "1", "__name__", "unsorted_dup", "a", "2"))
            .build();
    RemoteWrite.Decoded d = RemoteWrite.validate(w, LIMITS);
    assertThat(d.rejectedSeries()).isEqualTo(4);
    assertThat(d.problem())
        .startsWith("rejected 4 of 6 series: ")
        .contains("has no metric name", "has label 'a' twice", "empty name", "…", "The other series were stored");
    assertThat(d.request().getTimeseriesList()).hasSize(2);
    assertThat(d.request().getTimeseries(1).getLabelsList())
        .extracting(Label::getName)
        .containsExactly("__name__", "a", "b");
  }

  @Test
  void floatAndCustomBucketHistogramsAreKeptAndMalformedOnesLeftOutAndReported() throws IOException {
    io.faultline.core.prometheus.Histogram mismatched =
        NativeHistogramRulesTest.floatExponential().toBuilder().setTimestamp(NativeHistogramRulesTest.T + 1)
            .addPositiveCounts(1).build();
    WriteRequest good =
        WriteRequest.newBuilder()
            .addTimeseries(TimeSeries.newBuilder()
                .addLabels(label("__name__", "from_a_rule")).addLabels(label("job", "api"))
                .addHistograms(NativeHistogramRulesTest.floatExponential()))
            .addTimeseries(TimeSeries.newBuilder()
                .addLabels(label("__name__", "nhcb"))
                .addHistograms(NativeHistogramRulesTest.integerCustom())
                .addHistograms(NativeHistogramRulesTest.floatCustom().toBuilder().setTimestamp(NativeHistogramRulesTest.T + 1)))
            .build();
    RemoteWrite.Decoded d = RemoteWrite.decode(Snappy.compress(good.toByteArray()), LIMITS);
    assertThat(d.problem()).isEmpty();
    assertThat(d.request()).isEqualTo(good);
    assertThat(d.samples()).isEqualTo(3);

    WriteRequest mixed =
        good.toBuilder()
            .setTimeseries(0, good.getTimeseries(0).toBuilder().addHistograms(mismatched)
                .addSamples(Sample.newBuilder().setValue(1).setTimestamp(NativeHistogramRulesTest.T)))
            .addTimeseries(TimeSeries.newBuilder()
                .addLabels(label("__name__", "broken"))
                .addHistograms(NativeHistogramRulesTest.integerExponential().toBuilder().setSchema(12)))
            .build();
    d = RemoteWrite.decode(Snappy.compress(mixed.toByteArray()), LIMITS);
    assertThat(d.problem())
        .isEqualTo("left out 2 malformed native histogram samples, e.g. series {__name__=\"from_a_rule\",job=\"api\"}:"
            + " positive spans cover 2 buckets but 3 counts were sent. The other samples were stored");
    assertThat(d.rejectedSeries()).isZero();
    assertThat(d.samples()).isEqualTo(4);
    assertThat(d.request().getTimeseriesList()).hasSize(2);
    assertThat(d.request().getTimeseries(0).getHistogramsList()).containsExactly(NativeHistogramRulesTest.floatExponential());
    assertThat(d.request().getTimeseries(0).getSamplesCount()).isEqualTo(1);
    assertThat(d.request().getTimeseries(1)).isEqualTo(good.getTimeseries(1));

    WriteRequest onlyBroken = WriteRequest.newBuilder().addTimeseries(mixed.getTimeseries(2)).build();
    assertThat(catchThrowableOfType(RemoteWriteException.class,
            () -> RemoteWrite.decode(Snappy.compress(onlyBroken.toByteArray()), LIMITS)).getMessage())
        .isEqualTo("left out 1 malformed native histogram sample, e.g. series {__name__=\"broken\"}:"
            + " schema 12 (exponential schemas are -4 to 8, custom buckets -53)");
  }

  private static Label label(String name, String value) {
    return Label.newBuilder().setName(name).setValue(value).build();
  }

  @Test
  void samplesOutsideTheStoresWindowAreLeftOutAndReported() {
    // series() stamps samples from 1_700_000_000_000 ms on, one millisecond apart
    RemoteWrite.TimeWindow window =
        new RemoteWrite.TimeWindow(1_700_000_000_001L, 1_700_000_000_002L, "outside the test window");
    WriteRequest w =
        WriteRequest.newBuilder()
            .addTimeseries(series(new double[] {1, 2, 3, 4}, "__name__", "partly"))
            .addTimeseries(series(new double[] {5}, "__name__", "all_too_old"))
            .build();
    RemoteWrite.Decoded d = RemoteWrite.validate(w, LIMITS, window);
    assertThat(d.rejectedSeries()).isZero();
    assertThat(d.samples()).isEqualTo(2);
    assertThat(d.problem())
        .startsWith(
            "out of bounds: 3 samples outside the test window, e.g. series {__name__=\"partly\"}"
                + " at 2023-11-14T22:13:20Z")
        .endsWith("The other samples were stored");
    assertThat(d.request().getTimeseriesList()).hasSize(1);
    assertThat(d.request().getTimeseries(0).getSamplesList())
        .extracting(Sample::getValue)
        .containsExactly(2.0, 3.0);
    // nothing left: 400 and nothing stored
    WriteRequest old = WriteRequest.newBuilder().addTimeseries(series(new double[] {5}, "__name__", "x")).build();
    assertThatThrownBy(() -> RemoteWrite.validate(old, LIMITS, window))
        .isInstanceOfSatisfying(RemoteWriteException.class, e -> assertThat(e.httpStatus()).isEqualTo(400))
        .hasMessageContaining("out of bounds: 1 sample outside the test window");
    // every sample inside: untouched, no problem
    assertThat(RemoteWrite.validate(w, LIMITS, RemoteWrite.TimeWindow.ANY).problem()).isEmpty();
  }

  @Test
  void onlyInvalidSeriesIs400() {
    WriteRequest w = WriteRequest.newBuilder().addTimeseries(series(new double[] {1}, "job", "x")).build();
    assertThatThrownBy(() -> RemoteWrite.validate(w, LIMITS))
        .isInstanceOfSatisfying(RemoteWriteException.class, e -> assertThat(e.httpStatus()).isEqualTo(400))
        .hasMessageContaining("no metric name");
  }

  @Test
  void labelExplosionsAreLimited() {
    RemoteWriteLimits small = new RemoteWriteLimits(1 << 20, 1 << 20, 3, 8, 16);
    String[] many = {"__name__", "m", "a", "1", "b", "2", "c", "3"};
    WriteRequest w =
        WriteRequest.newBuilder()
            .addTimeseries(series(new double[] {1}, many))
            .addTimeseries(series(new double[] {1}, "__name__", "m", "averyverylongname", "1"))
            .addTimeseries(series(new double[] {1}, "__name__", "m", "a", "x".repeat(17)))
            .addTimeseries(series(new double[] {1}, "__name__", "m"))
            .build();
    RemoteWrite.Decoded d = RemoteWrite.validate(w, small);
    assertThat(d.rejectedSeries()).isEqualTo(3);
    assertThat(d.problem()).contains("has 4 labels; the limit is 3", "label name of 17 bytes", "value of 17 bytes");
  }

  @Test
  void labelValuesTooLongForTheStoresIndexAreRejectedByDefault() {
    // the metric store indexes name\0value as one Lucene term of at most 32766 bytes; a longer one
    // would be dropped there after its 204, so the default limit must reject it here
    WriteRequest w =
        WriteRequest.newBuilder()
            .addTimeseries(series(new double[] {1}, "__name__", "m", "a", "x".repeat(40_000)))
            .addTimeseries(series(new double[] {1}, "__name__", "m".repeat(40_000)))
            .addTimeseries(series(new double[] {1}, "__name__", "m", "b", "y".repeat(16_000)))
            .build();
    RemoteWrite.Decoded d = RemoteWrite.validate(w, LIMITS);
    assertThat(d.rejectedSeries()).isEqualTo(2);
    assertThat(d.problem()).contains("value of 40000 bytes");
  }

  @Test
  void headersAreChecked() {
    assertThat(RemoteWrite.checkHeaders(null, null)).isEqualTo(RemoteWrite.Version.V1);
    assertThat(RemoteWrite.checkHeaders("application/x-protobuf", "snappy")).isEqualTo(RemoteWrite.Version.V1);
    assertThat(RemoteWrite.checkHeaders("application/x-protobuf;proto=prometheus.WriteRequest", "SNAPPY"))
        .isEqualTo(RemoteWrite.Version.V1);
    assertThat(RemoteWrite.checkHeaders("application/x-protobuf;proto=io.prometheus.write.v2.Request", "snappy"))
        .isEqualTo(RemoteWrite.Version.V2);
    assertThat(RemoteWrite.checkHeaders("application/x-protobuf; proto=\"io.prometheus.write.v2.Request\"", null))
        .isEqualTo(RemoteWrite.Version.V2);
    assertThatThrownBy(() -> RemoteWrite.checkHeaders("application/json", "snappy"))
        .isInstanceOfSatisfying(RemoteWriteException.class, e -> assertThat(e.httpStatus()).isEqualTo(415));
    assertThatThrownBy(() -> RemoteWrite.checkHeaders("application/x-protobuf", "gzip"))
        .isInstanceOfSatisfying(RemoteWriteException.class, e -> assertThat(e.httpStatus()).isEqualTo(415));
    assertThatThrownBy(() -> RemoteWrite.checkHeaders("application/x-protobuf;proto=io.prometheus.write.v3.Request", null))
        .isInstanceOfSatisfying(RemoteWriteException.class, e -> assertThat(e.httpStatus()).isEqualTo(415))
        .hasMessageContaining("io.prometheus.write.v3.Request is not accepted")
        .hasMessageContaining("prometheus.WriteRequest (remote write 1.0)")
        .hasMessageContaining("io.prometheus.write.v2.Request (remote write 2.0)");
  }

  static TimeSeries series(double[] values, String... labels) {
    TimeSeries.Builder b = TimeSeries.newBuilder();
    for (int i = 0; i < labels.length; i += 2) {
      b.addLabels(Label.newBuilder().setName(labels[i]).setValue(labels[i + 1]));
    }
    long t = 1_700_000_000_000L;
    for (double v : values) {
      b.addSamples(Sample.newBuilder().setValue(v).setTimestamp(t++));
    }
    return b.build();
  }
}
