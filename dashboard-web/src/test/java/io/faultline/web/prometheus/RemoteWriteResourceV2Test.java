/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.dropwizard.testing.junit5.ResourceExtension;
import io.faultline.collector.prometheus.RemoteWriteLimits;
import io.faultline.core.ingest.BackpressureException;
import io.faultline.core.ingest.Signal;
import io.faultline.core.prometheus.MetricMetadata;
import io.faultline.core.prometheus.WriteRequest;
import io.faultline.core.prometheus.v2.BucketSpan;
import io.faultline.core.prometheus.v2.Exemplar;
import io.faultline.core.prometheus.v2.Histogram;
import io.faultline.core.prometheus.v2.Metadata;
import io.faultline.core.prometheus.v2.Request;
import io.faultline.core.prometheus.v2.Sample;
import io.faultline.core.prometheus.v2.TimeSeries;
import jakarta.ws.rs.client.Entity;
import jakarta.ws.rs.core.Response;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xerial.snappy.Snappy;

/** Remote write 2.0 over Jersey's in-memory connector: negotiation, status and written headers. */
@ExtendWith(DropwizardExtensionsSupport.class)
class RemoteWriteResourceV2Test {
  private static final String V2 = "application/x-protobuf;proto=io.prometheus.write.v2.Request";
  private static final String SAMPLES = "X-Prometheus-Remote-Write-Samples-Written";
  private static final String HISTOGRAMS = "X-Prometheus-Remote-Write-Histograms-Written";
  private static final String EXEMPLARS = "X-Prometheus-Remote-Write-Exemplars-Written";
  private static final Instant NOW = Instant.parse("2026-11-25T00:00:00Z");
  private static final long T = NOW.toEpochMilli();
  private static final CollectingSink SINK = new CollectingSink();

  /** Now is 2026-11-25T00:00:00Z, with a 15-day retention. */
  static final ResourceExtension resources =
      ResourceExtension.builder()
          .addResource(
              new RemoteWriteResource(
                  SINK,
                  new RemoteWriteLimits(64 << 10, 256 << 10, 32, 256, 1024),
                  Duration.ofDays(15),
                  Clock.fixed(NOW, ZoneOffset.UTC)))
          .build();

  @BeforeEach
  void reset() {
    SINK.reset();
  }

  @Test
  void aValid20WriteIs204WithWhatWasWrittenAndReachesTheSinkIn10Form() throws Exception {
    // a gauge, a counter with an exemplar and help, a native histogram with help and unit
    Request r =
        Request.newBuilder()
            .addAllSymbols(List.of("", "__name__", "up", "job", "api", "trace_id", "abc", "http_requests_total",
                "Requests served.", "lat_seconds", "Latency.", "seconds"))
            .addTimeseries(TimeSeries.newBuilder().addAllLabelsRefs(List.of(1, 2, 3, 4))
                .addSamples(sample(1, T))
                .setMetadata(Metadata.newBuilder().setType(Metadata.MetricType.METRIC_TYPE_GAUGE)))
            .addTimeseries(TimeSeries.newBuilder().addAllLabelsRefs(List.of(1, 7, 3, 4))
                .addSamples(sample(10, T - 1000)).addSamples(sample(12, T))
                .addExemplars(Exemplar.newBuilder().addAllLabelsRefs(List.of(5, 6)).setValue(1).setTimestamp(T))
                .setMetadata(Metadata.newBuilder().setType(Metadata.MetricType.METRIC_TYPE_COUNTER).setHelpRef(8)))
            .addTimeseries(TimeSeries.newBuilder().addAllLabelsRefs(List.of(1, 9, 3, 4))
                .addHistograms(histogram(T))
                .setMetadata(Metadata.newBuilder().setType(Metadata.MetricType.METRIC_TYPE_HISTOGRAM)
                    .setHelpRef(10).setUnitRef(11)))
            .build();

    Response resp = post(r.toByteArray(), V2);

    assertThat(resp.getStatus()).isEqualTo(204);
    assertThat(written(resp)).containsExactly("3", "1", "1");
    assertThat(SINK.batches).singleElement().satisfies(b -> {
      assertThat(b.signal()).isEqualTo(Signal.PROMETHEUS_WRITE);
      WriteRequest w = (WriteRequest) b.message();
      assertThat(WriteRequest.parseFrom(b.bytes())).isEqualTo(w);
      assertThat(w.getTimeseriesCount()).isEqualTo(3);
      assertThat(w.getTimeseries(1).getLabels(0).getValue()).isEqualTo("http_requests_total");
      assertThat(w.getTimeseries(1).getExemplars(0).getLabels(0).getName()).isEqualTo("trace_id");
      assertThat(w.getTimeseries(2).getHistograms(0).getCountInt()).isEqualTo(3);
      assertThat(w.getMetadataList())
          .extracting(MetricMetadata::getMetricFamilyName, MetricMetadata::getType, MetricMetadata::getHelp, MetricMetadata::getUnit)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("up", MetricMetadata.MetricType.GAUGE, "", ""),
              org.assertj.core.groups.Tuple.tuple("http_requests_total", MetricMetadata.MetricType.COUNTER, "Requests served.", ""),
              org.assertj.core.groups.Tuple.tuple("lat_seconds", MetricMetadata.MetricType.HISTOGRAM, "Latency.", "seconds"));
    });
  }

  @Test
  void aPartlyInvalid20WriteIs400WithWhatWasWritten() throws Exception {
    Request r =
        Request.newBuilder()
            .addAllSymbols(List.of("", "__name__", "ok", "bad"))
            .addTimeseries(TimeSeries.newBuilder().addAllLabelsRefs(List.of(1, 2)).addSamples(sample(1, T)).addSamples(sample(2, T + 1)))
            .addTimeseries(TimeSeries.newBuilder().addAllLabelsRefs(List.of(1, 3, 42, 1)).addSamples(sample(1, T)))
            // older than the 15-day retention
            .addTimeseries(TimeSeries.newBuilder().addAllLabelsRefs(List.of(1, 3)).addHistograms(histogram(T - 20 * 86_400_000L)))
            .build();

    Response resp = post(r.toByteArray(), V2);

    assertThat(resp.getStatus()).isEqualTo(400);
    assertThat(written(resp)).containsExactly("2", "0", "0");
    assertThat(resp.readEntity(String.class))
        .contains("rejected 1 of 3 series: timeseries[1].labels_refs[2] is 42, outside symbols (4 entries)")
        .contains("out of bounds: 1 sample older than the metric retention of 15 days");
    assertThat(SINK.writes()).singleElement().satisfies(w -> assertThat(w.getTimeseriesCount()).isEqualTo(1));
  }

  @Test
  void a20WriteRefusedWholeIs400WithNothingWritten() throws Exception {
    Request r =
        Request.newBuilder()
            .addAllSymbols(List.of("__name__", "up"))
            .addTimeseries(TimeSeries.newBuilder().addAllLabelsRefs(List.of(0, 1)).addSamples(sample(1, T)))
            .build();
    Response resp = post(r.toByteArray(), V2);
    assertThat(resp.getStatus()).isEqualTo(400);
    assertThat(written(resp)).containsExactly("0", "0", "0");
    assertThat(resp.readEntity(String.class)).contains("symbols[0] is '__name__'");

    Response garbage = post(new byte[] {0x22, (byte) 0xff, 0x01}, V2);
    assertThat(garbage.getStatus()).isEqualTo(400);
    assertThat(written(garbage)).containsExactly("0", "0", "0");
    assertThat(garbage.readEntity(String.class)).contains("not a remote write 2.0 io.prometheus.write.v2.Request");
    assertThat(SINK.batches).isEmpty();
  }

  @Test
  void anEmpty20WriteIs204WithZeros() throws Exception {
    Response resp = post(new byte[0], V2);
    assertThat(resp.getStatus()).isEqualTo(204);
    assertThat(written(resp)).containsExactly("0", "0", "0");
    assertThat(SINK.batches).isEmpty();
  }

  @Test
  void contentNegotiation() throws Exception {
    Request r =
        Request.newBuilder().addAllSymbols(List.of("", "__name__", "up"))
            .addTimeseries(TimeSeries.newBuilder().addAllLabelsRefs(List.of(1, 2)).addSamples(sample(1, T))).build();
    assertThat(post(r.toByteArray(), "application/x-protobuf; proto=\"io.prometheus.write.v2.Request\"").getStatus())
        .isEqualTo(204);

    Response other = post(r.toByteArray(), "application/x-protobuf;proto=io.prometheus.write.v3.Request");
    assertThat(other.getStatus()).isEqualTo(415);
    assertThat(other.getHeaderString(SAMPLES)).isNull();
    assertThat(other.readEntity(String.class))
        .contains("io.prometheus.write.v3.Request is not accepted", "prometheus.WriteRequest", "io.prometheus.write.v2.Request");

    // 1.0, named or not: answered as before, without the 2.0 headers
    byte[] v1 =
        WriteRequest.newBuilder()
            .addTimeseries(io.faultline.core.prometheus.TimeSeries.newBuilder()
                .addLabels(io.faultline.core.prometheus.Label.newBuilder().setName("__name__").setValue("up"))
                .addSamples(io.faultline.core.prometheus.Sample.newBuilder().setValue(1).setTimestamp(T)))
            .build().toByteArray();
    for (String type : new String[] {"application/x-protobuf", "application/x-protobuf;proto=prometheus.WriteRequest"}) {
      Response resp = post(v1, type);
      assertThat(resp.getStatus()).as(type).isEqualTo(204);
      assertThat(resp.getHeaderString(SAMPLES)).as(type).isNull();
    }
    assertThat(SINK.batches).hasSize(3);
  }

  @Test
  void backpressureAndSinkFailuresCarryZeroWritten() throws Exception {
    Request r =
        Request.newBuilder().addAllSymbols(List.of("", "__name__", "up"))
            .addTimeseries(TimeSeries.newBuilder().addAllLabelsRefs(List.of(1, 2)).addSamples(sample(1, T))).build();
    SINK.failure = new BackpressureException("the write-ahead log is full", Duration.ofSeconds(3));
    Response full = post(r.toByteArray(), V2);
    assertThat(full.getStatus()).isEqualTo(429);
    assertThat(full.getHeaderString("Retry-After")).isEqualTo("3");
    assertThat(written(full)).containsExactly("0", "0", "0");

    SINK.failure = new IllegalStateException("disk on fire");
    Response failed = post(r.toByteArray(), V2);
    assertThat(failed.getStatus()).isEqualTo(503);
    assertThat(written(failed)).containsExactly("0", "0", "0");

    SINK.failure = null;
    SINK.room = false;
    Response noRoom = post(r.toByteArray(), V2);
    assertThat(noRoom.getStatus()).isEqualTo(429);
    assertThat(written(noRoom)).containsExactly("0", "0", "0");
  }

  private static List<String> written(Response r) {
    List<String> out = new ArrayList<>();
    out.add(r.getHeaderString(SAMPLES));
    out.add(r.getHeaderString(HISTOGRAMS));
    out.add(r.getHeaderString(EXEMPLARS));
    return out;
  }

  private static Response post(byte[] raw, String contentType) throws Exception {
    return resources
        .target("/api/v1/write")
        .request()
        .header("Content-Encoding", "snappy")
        .header("X-Prometheus-Remote-Write-Version", "2.0.0")
        .post(Entity.entity(Snappy.compress(raw), contentType));
  }

  private static Sample sample(double v, long t) {
    return Sample.newBuilder().setValue(v).setTimestamp(t).build();
  }

  /** An integer native histogram of schema 0: counts 1 and 2 in buckets 1 and 2. */
  private static Histogram histogram(long t) {
    return Histogram.newBuilder()
        .setCountInt(3).setSum(4.5).setSchema(0).setZeroThreshold(1e-128).setZeroCountInt(0)
        .addPositiveSpans(BucketSpan.newBuilder().setOffset(1).setLength(2))
        .addPositiveDeltas(1).addPositiveDeltas(1)
        .setTimestamp(t)
        .build();
  }
}
