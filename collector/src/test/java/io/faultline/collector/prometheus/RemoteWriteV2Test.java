/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.MetricMetadata;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import io.faultline.core.prometheus.v2.BucketSpan;
import io.faultline.core.prometheus.v2.Exemplar;
import io.faultline.core.prometheus.v2.Histogram;
import io.faultline.core.prometheus.v2.Metadata;
import io.faultline.core.prometheus.v2.Request;
import io.faultline.core.prometheus.v2.Sample;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

class RemoteWriteV2Test {
  private static final RemoteWriteLimits LIMITS = RemoteWriteLimits.defaults();
  private static final long T = 1_700_000_000_000L;
  private static final long STALE_NAN_BITS = 0x7ff0000000000002L;

  @Test
  void symbolsAreResolvedIntoThe10FormWithMetadataExemplarsAndHistograms() throws Exception {
    Symbols s = new Symbols();
    Histogram nh = integerHistogram(T);
    Request r =
        s.request()
            .addTimeseries(
                s.series("__name__", "room_temperature_celsius", "room", "kitchen")
                    .addSamples(sample(21.5, T))
                    .addSamples(Sample.newBuilder().setValue(Double.longBitsToDouble(STALE_NAN_BITS)).setTimestamp(T + 1))
                    .setMetadata(s.metadata(Metadata.MetricType.METRIC_TYPE_GAUGE, "Temperature.", "celsius")))
            .addTimeseries(
                s.series("__name__", "http_requests_total", "code", "200", "job", "api")
                    .addSamples(sample(42, T))
                    .addExemplars(Exemplar.newBuilder().addAllLabelsRefs(s.refs("trace_id", "abc123")).setValue(1).setTimestamp(T))
                    .setMetadata(s.metadata(Metadata.MetricType.METRIC_TYPE_COUNTER, "Requests served.", ""))
                    .setCreatedTimestamp(T - 60_000))
            .addTimeseries(
                s.series("__name__", "http_request_duration_seconds", "job", "api")
                    .addHistograms(nh)
                    .setMetadata(s.metadata(Metadata.MetricType.METRIC_TYPE_HISTOGRAM, "Latency.", "seconds")))
            .build(s);

    RemoteWriteV2.Result result = RemoteWriteV2.decode(snappy(r.toByteArray()), LIMITS);

    RemoteWrite.Decoded d = result.decoded();
    assertThat(d.problem()).isEmpty();
    assertThat(d.series()).isEqualTo(3);
    assertThat(d.samples()).isEqualTo(4);
    assertThat(result.written()).isEqualTo(new RemoteWriteV2.Written(3, 1, 1));
    WriteRequest w = d.request();
    assertThat(labels(w.getTimeseries(0))).containsExactly("__name__=room_temperature_celsius", "room=kitchen");
    assertThat(Double.doubleToRawLongBits(w.getTimeseries(0).getSamples(1).getValue())).isEqualTo(STALE_NAN_BITS);
    assertThat(labels(w.getTimeseries(1))).containsExactly("__name__=http_requests_total", "code=200", "job=api");
    assertThat(w.getTimeseries(1).getExemplars(0).getLabelsList())
        .containsExactly(Label.newBuilder().setName("trace_id").setValue("abc123").build());
    assertThat(w.getTimeseries(1).getExemplars(0).getTimestamp()).isEqualTo(T);
    // the 1.0 histogram carries exactly what was sent
    io.faultline.core.prometheus.Histogram h = w.getTimeseries(2).getHistograms(0);
    assertThat(h.toByteString()).isEqualTo(nh.toByteString());
    assertThat(h.getCountInt()).isEqualTo(6);
    assertThat(h.getPositiveDeltasList()).containsExactly(1L, 2L, -1L);
    assertThat(w.getMetadataList())
        .containsExactly(
            MetricMetadata.newBuilder().setMetricFamilyName("room_temperature_celsius")
                .setType(MetricMetadata.MetricType.GAUGE).setHelp("Temperature.").setUnit("celsius").build(),
            MetricMetadata.newBuilder().setMetricFamilyName("http_requests_total")
                .setType(MetricMetadata.MetricType.COUNTER).setHelp("Requests served.").build(),
            MetricMetadata.newBuilder().setMetricFamilyName("http_request_duration_seconds")
                .setType(MetricMetadata.MetricType.HISTOGRAM).setHelp("Latency.").setUnit("seconds").build());
    // what the sink gets parses back to the same request
    assertThat(WriteRequest.parseFrom(d.batch().bytes())).isEqualTo(w);
  }

  @Test
  void classicHistogramSeriesShareOneFamilysMetadataOnce() {
    Symbols s = new Symbols();
    Metadata md = s.metadata(Metadata.MetricType.METRIC_TYPE_HISTOGRAM, "Latency.", "seconds");
    Request r =
        s.request()
            .addTimeseries(s.series("__name__", "lat_seconds_bucket", "le", "0.1").addSamples(sample(1, T)).setMetadata(md))
            .addTimeseries(s.series("__name__", "lat_seconds_bucket", "le", "+Inf").addSamples(sample(2, T)).setMetadata(md))
            .addTimeseries(s.series("__name__", "lat_seconds_count").addSamples(sample(2, T)).setMetadata(md))
            .addTimeseries(s.series("__name__", "lat_seconds_sum").addSamples(sample(0.3, T)).setMetadata(md))
            // nothing to say: no metadata entry
            .addTimeseries(s.series("__name__", "bare").addSamples(sample(1, T)).setMetadata(Metadata.getDefaultInstance()))
            .build(s);
    WriteRequest w = RemoteWriteV2.convertAndValidate(r, LIMITS, RemoteWrite.TimeWindow.ANY).decoded().request();
    assertThat(w.getMetadataList())
        .singleElement()
        .satisfies(m -> {
          assertThat(m.getMetricFamilyName()).isEqualTo("lat_seconds");
          assertThat(m.getType()).isEqualTo(MetricMetadata.MetricType.HISTOGRAM);
        });
    assertThat(RemoteWriteV2.family("x_total", Metadata.MetricType.METRIC_TYPE_COUNTER)).isEqualTo("x_total");
    assertThat(RemoteWriteV2.family("q_sum", Metadata.MetricType.METRIC_TYPE_SUMMARY)).isEqualTo("q");
    assertThat(RemoteWriteV2.family("g_gcount", Metadata.MetricType.METRIC_TYPE_GAUGEHISTOGRAM)).isEqualTo("g");
    assertThat(RemoteWriteV2.family("_sum", Metadata.MetricType.METRIC_TYPE_SUMMARY)).isEqualTo("_sum");
  }

  @Test
  void labelsOutOfOrderAreSortedAsIn10() {
    Symbols s = new Symbols();
    Request r = s.request().addTimeseries(s.series("job", "api", "__name__", "up").addSamples(sample(1, T))).build(s);
    RemoteWriteV2.Result result = RemoteWriteV2.convertAndValidate(r, LIMITS, RemoteWrite.TimeWindow.ANY);
    assertThat(labels(result.decoded().request().getTimeseries(0))).containsExactly("__name__=up", "job=api");
  }

  @Test
  void symbolsNotStartingWithTheEmptyStringAre400ForTheWholeRequest() {
    Request r =
        Request.newBuilder().addSymbols("__name__").addSymbols("up")
            .addTimeseries(io.faultline.core.prometheus.v2.TimeSeries.newBuilder().addLabelsRefs(0).addLabelsRefs(1).addSamples(sample(1, T)))
            .build();
    RemoteWriteException e = catchThrowableOfType(RemoteWriteException.class, () -> decode(r));
    assertThat(e.httpStatus()).isEqualTo(400);
    assertThat(e.getMessage()).contains("symbols[0] is '__name__'", "start with the empty string");

    Request none =
        Request.newBuilder()
            .addTimeseries(io.faultline.core.prometheus.v2.TimeSeries.newBuilder().addSamples(sample(1, T)))
            .build();
    assertThat(catchThrowableOfType(RemoteWriteException.class, () -> decode(none)).getMessage())
        .contains("symbols is empty");
  }

  @Test
  void badReferencesRejectTheirSeriesAndTheRestIsStored() {
    Symbols s = new Symbols();
    Pending b = s.request();
    b.addTimeseries(s.series("__name__", "ok").addSamples(sample(1, T)));
    b.addTimeseries(s.series("__name__", "out_of_range").addLabelsRefs(99).addLabelsRefs(1).addSamples(sample(1, T)));
    b.addTimeseries(s.series("__name__", "odd").addLabelsRefs(1).addSamples(sample(1, T)));
    b.addTimeseries(s.series("__name__", "bad_exemplar").addSamples(sample(1, T))
        .addExemplars(Exemplar.newBuilder().addLabelsRefs(1).addLabelsRefs(500).setValue(1).setTimestamp(T)));
    b.addTimeseries(s.series("__name__", "bad_help").addSamples(sample(1, T))
        .setMetadata(Metadata.newBuilder().setType(Metadata.MetricType.METRIC_TYPE_GAUGE).setHelpRef(1000)));
    b.addTimeseries(s.series("__name__", "bad_unit").addSamples(sample(1, T))
        .setMetadata(Metadata.newBuilder().setUnitRef(-1)));
    Request r = b.build(s);
    int symbols = r.getSymbolsCount();

    RemoteWriteV2.Result result = decode(r);
    RemoteWrite.Decoded d = result.decoded();
    assertThat(d.request().getTimeseriesList()).singleElement().satisfies(ts -> assertThat(labels(ts)).containsExactly("__name__=ok"));
    assertThat(d.rejectedSeries()).isEqualTo(5);
    assertThat(result.written()).isEqualTo(new RemoteWriteV2.Written(1, 0, 0));
    assertThat(d.problem())
        .startsWith("rejected 5 of 6 series: ")
        .contains("timeseries[1].labels_refs[2] is 99, outside symbols (" + symbols + " entries)")
        .contains("timeseries[2].labels_refs has 3 references; name and value references come in pairs")
        .contains("timeseries[3].exemplars[0].labels_refs[1] is 500")
        .endsWith("; …. The other series were stored");

    // the other two are named when they come first
    Request r2 = Request.newBuilder(r).removeTimeseries(1).removeTimeseries(1).removeTimeseries(1).build();
    assertThat(decode(r2).decoded().problem())
        .contains("timeseries[1].metadata.help_ref is 1000", "timeseries[2].metadata.unit_ref is 4294967295");
  }

  @Test
  void aRequestWithNothingValidIs400NamingEveryKindOfProblem() {
    Symbols s = new Symbols();
    Request r =
        s.request()
            .addTimeseries(s.series("__name__", "x").addLabelsRefs(77).addLabelsRefs(0).addSamples(sample(1, T)))
            .addTimeseries(s.series("job", "no_name").addSamples(sample(1, T)))
            .build(s);
    RemoteWriteException e = catchThrowableOfType(RemoteWriteException.class, () -> decode(r));
    assertThat(e.httpStatus()).isEqualTo(400);
    assertThat(e.getMessage()).contains("rejected 1 of 2 series: timeseries[0].labels_refs[2] is 77", "no metric name");
  }

  @Test
  void floatAndCustomBucketHistogramsAreStoredAndMalformedOnesLeftOut() throws Exception {
    Symbols s = new Symbols();
    Histogram floatHistogram = v2(NativeHistogramRulesTest.floatExponential());
    Histogram custom = v2(NativeHistogramRulesTest.integerCustom()).toBuilder().setTimestamp(T + 1).build();
    Histogram floatCustom = v2(NativeHistogramRulesTest.floatCustom()).toBuilder().setTimestamp(T + 2).build();
    Histogram mismatched = integerHistogram(T + 3).toBuilder().addPositiveDeltas(5).build();
    Histogram unorderedBounds =
        v2(NativeHistogramRulesTest.integerCustom()).toBuilder().setCustomValues(1, 0.01).build();
    Request r =
        s.request()
            .addTimeseries(s.series("__name__", "lat")
                .addHistograms(integerHistogram(T)).addHistograms(custom).addHistograms(floatCustom).addHistograms(mismatched))
            .addTimeseries(s.series("__name__", "lat_float").addHistograms(floatHistogram))
            .addTimeseries(s.series("__name__", "lat_bad").addHistograms(unorderedBounds))
            .addTimeseries(s.series("__name__", "up").addSamples(sample(1, T)))
            .build(s);
    RemoteWriteV2.Result result = decode(r);
    RemoteWrite.Decoded d = result.decoded();
    // the Histograms-Written header counts what is stored: all but the two malformed samples
    assertThat(result.written()).isEqualTo(new RemoteWriteV2.Written(1, 4, 0));
    assertThat(d.request().getTimeseriesList()).extracting(ts -> ts.getLabels(0).getValue())
        .containsExactly("lat", "lat_float", "up");
    assertThat(d.request().getTimeseries(0).getHistogramsList())
        .extracting(io.faultline.core.prometheus.Histogram::getTimestamp).containsExactly(T, T + 1, T + 2);
    // carried over field by field: float counts, custom bounds
    assertThat(d.request().getTimeseries(0).getHistograms(2))
        .isEqualTo(NativeHistogramRulesTest.floatCustom().toBuilder().setTimestamp(T + 2).build());
    assertThat(d.request().getTimeseries(1).getHistograms(0)).isEqualTo(NativeHistogramRulesTest.floatExponential());
    assertThat(d.problem())
        .startsWith("left out 2 malformed native histogram samples, e.g. series {__name__=\"lat\"}:"
            + " positive spans cover 3 buckets but 4 deltas were sent")
        .endsWith("The other samples were stored");
    assertThat(catchThrowableOfType(RemoteWriteException.class,
            () -> decode(s.request().addTimeseries(s.series("__name__", "m").addHistograms(unorderedBounds)).build(s)))
        .getMessage())
        .isEqualTo("left out 1 malformed native histogram sample, e.g. series {__name__=\"m\"}: custom buckets"
            + " (schema -53): custom_values are not strictly increasing (custom_values[1] is 0.01 after 0.1)");
  }

  /** A 1.0 histogram as 2.0 sends it: the same fields under the same numbers. */
  private static Histogram v2(io.faultline.core.prometheus.Histogram h) throws IOException {
    return Histogram.parseFrom(h.toByteString());
  }

  @Test
  void samplesAndHistogramsOutsideTheWindowAreReportedAndNotCounted() {
    Symbols s = new Symbols();
    Request r =
        s.request()
            .addTimeseries(s.series("__name__", "g").addSamples(sample(1, T - 10)).addSamples(sample(2, T)))
            .addTimeseries(s.series("__name__", "h").addHistograms(integerHistogram(T + 10)).addHistograms(integerHistogram(T)))
            .build(s);
    RemoteWriteV2.Result result =
        RemoteWriteV2.decode(snappy(r.toByteArray()), LIMITS, new RemoteWrite.TimeWindow(T - 1, T + 1, "outside the test window"));
    assertThat(result.written()).isEqualTo(new RemoteWriteV2.Written(1, 1, 0));
    assertThat(result.decoded().problem()).startsWith("out of bounds: 2 samples outside the test window");
  }

  @Test
  void labelLimitsAreThoseOf10() {
    RemoteWriteLimits small = new RemoteWriteLimits(1 << 20, 1 << 20, 3, 8, 16);
    Symbols s = new Symbols();
    Request r =
        s.request()
            .addTimeseries(s.series("__name__", "m", "a", "1", "b", "2", "c", "3").addSamples(sample(1, T)))
            .addTimeseries(s.series("__name__", "m", "a", "x".repeat(17)).addSamples(sample(1, T)))
            .addTimeseries(s.series("__name__", "m").addSamples(sample(1, T)))
            .build(s);
    RemoteWriteV2.Result result = RemoteWriteV2.decode(snappy(r.toByteArray()), small);
    assertThat(result.decoded().rejectedSeries()).isEqualTo(2);
    assertThat(result.decoded().problem()).contains("has 4 labels; the limit is 3", "value of 17 bytes");
    assertThat(result.written().samples()).isEqualTo(1);
  }

  @Test
  void sizeLimitsAreThoseOf10AndResolvingSymbolsMayNotExceedThem() {
    RemoteWriteLimits small = new RemoteWriteLimits(10, 100, 10, 10, 10);
    assertThat(catchThrowableOfType(RemoteWriteException.class, () -> RemoteWriteV2.decode(new byte[11], small)).httpStatus())
        .isEqualTo(413);
    byte[] bomb = snappy(new byte[1000]);
    RemoteWriteLimits sentOk = new RemoteWriteLimits(1000, 100, 10, 10, 10);
    RemoteWriteException e = catchThrowableOfType(RemoteWriteException.class, () -> RemoteWriteV2.decode(bomb, sentOk));
    assertThat(e.httpStatus()).isEqualTo(413);
    assertThat(e.getMessage()).contains("decompresses to 1000 bytes");

    // a 10 KB symbol referenced by 1,000 series: 30 KB sent, 10 MB once resolved
    Symbols s = new Symbols();
    Pending b = s.request();
    String big = "v".repeat(10_000);
    for (int i = 0; i < 1000; i++) {
      b.addTimeseries(s.series("__name__", "m", "big", big, "i", Integer.toString(i)).addSamples(sample(1, T)));
    }
    byte[] raw = b.build(s).toByteArray();
    RemoteWriteLimits limits = new RemoteWriteLimits(1 << 20, 1 << 20, 10, 100, 20_000);
    assertThat(raw.length).isLessThan(1 << 20);
    RemoteWriteException expanded =
        catchThrowableOfType(RemoteWriteException.class, () -> RemoteWriteV2.decode(snappy(raw), limits));
    assertThat(expanded.httpStatus()).isEqualTo(413);
    assertThat(expanded.getMessage()).contains("once their symbols are resolved");
  }

  @Test
  void undecodableBodiesAre400AndA10BodyReadAs20IsEmpty() {
    byte[] notProto = snappy(new byte[] {(byte) 0x22, (byte) 0xff, 0x01});
    RemoteWriteException e = catchThrowableOfType(RemoteWriteException.class, () -> RemoteWriteV2.decode(notProto, LIMITS));
    assertThat(e.httpStatus()).isEqualTo(400);
    assertThat(e.getMessage()).contains("not a remote write 2.0 io.prometheus.write.v2.Request");
    assertThat(catchThrowableOfType(RemoteWriteException.class, () -> RemoteWriteV2.decode(new byte[] {0x05, (byte) 0xff, 0x01, 0x02}, LIMITS)).getMessage())
        .contains("not snappy-compressed");

    // the reserved fields 1 to 3: a 1.0 WriteRequest decodes to an empty 2.0 request
    WriteRequest v1 = WriteRequest.newBuilder().addTimeseries(RemoteWriteTest.series(new double[] {1}, "__name__", "up")).build();
    RemoteWriteV2.Result result = RemoteWriteV2.decode(snappy(v1.toByteArray()), LIMITS);
    assertThat(result.decoded().isEmpty()).isTrue();
    assertThat(result.written()).isEqualTo(RemoteWriteV2.Written.NONE);
  }

  @Test
  void randomGarbageNeverEscapesAsAnythingButA4xx() {
    long seed = new Random().nextLong();
    System.out.println("RemoteWriteV2Test seed " + seed);
    Random random = new Random(seed);
    Symbols s = new Symbols();
    byte[] valid =
        s.request().addTimeseries(s.series("__name__", "m", "a", "b").addSamples(sample(1, T))
            .addHistograms(integerHistogram(T)).setMetadata(s.metadata(Metadata.MetricType.METRIC_TYPE_GAUGE, "h", "u")))
            .build(s).toByteArray();
    for (int i = 0; i < 2000; i++) {
      byte[] body;
      if (random.nextBoolean()) {
        body = valid.clone();
        for (int k = 0; k < 1 + random.nextInt(3); k++) {
          body[random.nextInt(body.length)] = (byte) random.nextInt(256);
        }
      } else {
        body = new byte[random.nextInt(200)];
        random.nextBytes(body);
      }
      try {
        RemoteWriteV2.decode(snappy(body), LIMITS);
      } catch (RemoteWriteException e) {
        assertThat(e.httpStatus()).as("seed %d", seed).isIn(400, 413);
      }
    }
  }

  static byte[] snappy(byte[] raw) {
    try {
      return Snappy.compress(raw);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static RemoteWriteV2.Result decode(Request r) {
    return RemoteWriteV2.decode(snappy(r.toByteArray()), LIMITS);
  }

  private static Sample sample(double v, long t) {
    return Sample.newBuilder().setValue(v).setTimestamp(t).build();
  }

  /** Integer counts 1, 3, 2 in buckets 0..2 of schema 0, plus 0 in the zero bucket: count 6. */
  static Histogram integerHistogram(long t) {
    return Histogram.newBuilder()
        .setCountInt(6).setSum(7.5).setSchema(0).setZeroThreshold(1e-128).setZeroCountInt(0)
        .addPositiveSpans(BucketSpan.newBuilder().setOffset(0).setLength(3))
        .addPositiveDeltas(1).addPositiveDeltas(2).addPositiveDeltas(-1)
        .setResetHint(Histogram.ResetHint.RESET_HINT_NO)
        .setTimestamp(t)
        .build();
  }

  private static List<String> labels(TimeSeries ts) {
    List<String> out = new ArrayList<>();
    for (Label l : ts.getLabelsList()) {
      out.add(l.getName() + "=" + l.getValue());
    }
    return out;
  }

  /** Interns strings as a 2.0 sender does: symbols[0] is the empty string. */
  static final class Symbols {
    private final List<String> list = new ArrayList<>(List.of(""));
    private final Map<String, Integer> index = new HashMap<>(Map.of("", 0));

    int ref(String s) {
      return index.computeIfAbsent(s, k -> {
        list.add(k);
        return list.size() - 1;
      });
    }

    List<Integer> refs(String... strings) {
      List<Integer> out = new ArrayList<>();
      for (String x : strings) {
        out.add(ref(x));
      }
      return out;
    }

    io.faultline.core.prometheus.v2.TimeSeries.Builder series(String... labels) {
      return io.faultline.core.prometheus.v2.TimeSeries.newBuilder().addAllLabelsRefs(refs(labels));
    }

    Metadata metadata(Metadata.MetricType type, String help, String unit) {
      return Metadata.newBuilder().setType(type).setHelpRef(ref(help)).setUnitRef(ref(unit)).build();
    }

    Pending request() {
      return new Pending();
    }
  }

  /** A request whose symbols are filled in last, once every series interned its strings. */
  static final class Pending {
    private final Request.Builder b = Request.newBuilder();

    Pending addTimeseries(io.faultline.core.prometheus.v2.TimeSeries.Builder ts) {
      b.addTimeseries(ts);
      return this;
    }

    Request build(Symbols s) {
      return b.clearSymbols().addAllSymbols(s.list).build();
    }
  }
}
