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
import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.Sample;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import jakarta.ws.rs.client.Entity;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xerial.snappy.Snappy;

/** Remote write over Jersey's in-memory connector; the socket-level cases are in RemoteWriteIT. */
@ExtendWith(DropwizardExtensionsSupport.class)
class RemoteWriteResourceTest {
  private static final CollectingSink SINK = new CollectingSink();
  private static final RemoteWriteLimits LIMITS =
      new RemoteWriteLimits(64 << 10, 256 << 10, 32, 256, 1024);

  static final ResourceExtension resources =
      ResourceExtension.builder().addResource(new RemoteWriteResource(SINK, LIMITS)).build();

  /** Now is 2026-11-25T00:00:00Z for this one, with a 15-day retention. */
  static final ResourceExtension windowed =
      ResourceExtension.builder()
          .addResource(
              new RemoteWriteResource(
                  SINK,
                  LIMITS,
                  java.time.Duration.ofDays(15),
                  java.time.Clock.fixed(
                      java.time.Instant.parse("2026-11-25T00:00:00Z"), java.time.ZoneOffset.UTC)))
          .build();

  @BeforeEach
  void reset() {
    SINK.reset();
  }

  @Test
  void aValidWriteIs204AndReachesTheSinkAsSent() throws Exception {
    WriteRequest w =
        WriteRequest.newBuilder()
            .addTimeseries(series("up", 1, "job", "api"))
            .addTimeseries(series("nan", Double.NaN))
            .addTimeseries(series("inf", Double.POSITIVE_INFINITY))
            .addTimeseries(series("stale", Double.longBitsToDouble(0x7ff0000000000002L)))
            .build();
    Response r = post(Snappy.compress(w.toByteArray()));
    assertThat(r.getStatus()).isEqualTo(204);
    assertThat(SINK.batches).singleElement().satisfies(b -> {
      assertThat(b.signal()).isEqualTo(Signal.PROMETHEUS_WRITE);
      assertThat(b.message()).isEqualTo(w);
      assertThat(b.bytes()).isEqualTo(w.toByteArray());
    });
  }

  @Test
  void samplesOutsideTheRetentionOrTooFarAheadAre400AndTheRestIsStored() throws Exception {
    long now = java.time.Instant.parse("2026-11-25T00:00:00Z").toEpochMilli();
    long day = 86_400_000L;
    TimeSeries.Builder s = TimeSeries.newBuilder().addLabels(label("__name__", "m"));
    for (long t : new long[] {now - 16 * day, now - day, now, now + 2 * day, 1000}) {
      s.addSamples(Sample.newBuilder().setValue(1).setTimestamp(t));
    }
    byte[] body = Snappy.compress(WriteRequest.newBuilder().addTimeseries(s).build().toByteArray());
    Response r =
        windowed
            .target("/api/v1/write")
            .request()
            .header("Content-Encoding", "snappy")
            .post(Entity.entity(body, "application/x-protobuf"));
    assertThat(r.getStatus()).isEqualTo(400);
    assertThat(r.readEntity(String.class))
        .startsWith("out of bounds: 3 samples older than the metric retention of 15 days")
        .contains("2026-11-10T00:00:00Z", "2026-11-26T00:00:00Z", "The other samples were stored");
    assertThat(SINK.batches)
        .singleElement()
        .satisfies(
            b ->
                assertThat(((WriteRequest) b.message()).getTimeseries(0).getSamplesList())
                    .extracting(Sample::getTimestamp)
                    .containsExactly(now - day, now));
  }

  @Test
  void anEmptyWriteIs204WithNothingStored() throws Exception {
    assertThat(post(Snappy.compress(new byte[0])).getStatus()).isEqualTo(204);
    assertThat(SINK.batches).isEmpty();
  }

  @Test
  void corruptSnappyAndWrongProtoAre400WithAReason() throws Exception {
    // declares 5 bytes, then a copy tag pointing before the start
    Response corrupt = post(new byte[] {0x05, (byte) 0xff, 0x01, 0x02});
    assertThat(corrupt.getStatus()).isEqualTo(400);
    assertThat(corrupt.readEntity(String.class)).contains("not snappy-compressed");

    ExportTraceServiceRequest otlp =
        ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.getDefaultInstance()).build();
    Response wrong = post(Snappy.compress(otlp.toByteArray()));
    assertThat(wrong.getStatus()).isEqualTo(400);
    assertThat(wrong.readEntity(String.class)).contains("no metric name");
    assertThat(SINK.batches).isEmpty();
  }

  @Test
  void invalidSeriesAre400AndTheValidOnesStored() throws Exception {
    WriteRequest w =
        WriteRequest.newBuilder()
            .addTimeseries(series("ok", 1))
            .addTimeseries(TimeSeries.newBuilder().addLabels(label("job", "x")).addSamples(sample(1)))
            .build();
    Response r = post(Snappy.compress(w.toByteArray()));
    assertThat(r.getStatus()).isEqualTo(400);
    assertThat(r.readEntity(String.class)).contains("rejected 1 of 2 series", "The other series were stored");
    assertThat(SINK.writes()).singleElement().satisfies(s -> assertThat(s.getTimeseriesCount()).isEqualTo(1));
  }

  @Test
  void labelExplosionIs400() throws Exception {
    TimeSeries.Builder exploded = TimeSeries.newBuilder().addLabels(label("__name__", "m"));
    for (int i = 0; i < 40; i++) {
      exploded.addLabels(label(String.format("l%03d", i), "v"));
    }
    exploded.addSamples(sample(1));
    Response r = post(Snappy.compress(WriteRequest.newBuilder().addTimeseries(exploded).build().toByteArray()));
    assertThat(r.getStatus()).isEqualTo(400);
    assertThat(r.readEntity(String.class)).contains("41 labels; the limit is 32");
    assertThat(SINK.batches).isEmpty();
  }

  @Test
  void oversizedBodiesAre413() throws Exception {
    assertThat(post(new byte[(64 << 10) + 1]).getStatus()).isEqualTo(413);
    // a snappy bomb: 1 MiB of zeros compresses to about 48 KiB, under the sent limit
    byte[] bomb = Snappy.compress(new byte[1 << 20]);
    assertThat(bomb.length).isLessThan(64 << 10);
    Response r = post(bomb);
    assertThat(r.getStatus()).isEqualTo(413);
    assertThat(r.readEntity(String.class)).contains("decompresses to 1048576 bytes");
  }

  @Test
  void wrongContentTypeIs415() throws Exception {
    byte[] body = Snappy.compress(WriteRequest.getDefaultInstance().toByteArray());
    Response json =
        resources.target("/api/v1/write").request().header("Content-Encoding", "snappy")
            .post(Entity.entity(body, "application/json"));
    assertThat(json.getStatus()).isEqualTo(415);
    // Content-Encoding is checked over a real socket in RemoteWriteIT: the in-memory connector
    // drops that header
  }

  @Test
  void backpressureIs429WithRetryAfterAndOtherSinkFailures503() throws Exception {
    byte[] body = Snappy.compress(WriteRequest.newBuilder().addTimeseries(series("up", 1)).build().toByteArray());
    SINK.failure = new BackpressureException("the write-ahead log is full", Duration.ofSeconds(3));
    Response full = post(body);
    assertThat(full.getStatus()).isEqualTo(429);
    assertThat(full.getHeaderString("Retry-After")).isEqualTo("3");
    SINK.failure = new IllegalStateException("disk on fire");
    Response failed = post(body);
    assertThat(failed.getStatus()).isEqualTo(503);
    SINK.failure = null;
    SINK.room = false;
    assertThat(post(body).getStatus()).isEqualTo(429);
  }

  private static Response post(byte[] body) {
    return resources
        .target("/api/v1/write")
        .request()
        .header("Content-Encoding", "snappy")
        .header("X-Prometheus-Remote-Write-Version", "0.1.0")
        .post(Entity.entity(body, "application/x-protobuf"));
  }

  static TimeSeries series(String name, double value, String... labels) {
    TimeSeries.Builder b = TimeSeries.newBuilder().addLabels(label("__name__", name));
    for (int i = 0; i < labels.length; i += 2) {
      b.addLabels(label(labels[i], labels[i + 1]));
    }
    return b.addSamples(sample(value)).build();
  }

  private static Label label(String name, String value) {
    return Label.newBuilder().setName(name).setValue(value).build();
  }

  private static Sample sample(double v) {
    return Sample.newBuilder().setValue(v).setTimestamp(1_700_000_000_000L).build();
  }
}
