/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.ingest.TelemetrySink;
import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.Sample;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Writes rule results (recorded series, {@code ALERTS}, {@code ALERTS_FOR_STATE}, stale markers)
 * back into the platform as one remote-write batch per rule evaluation, through the same ingest
 * path as any client's samples, so they are durable and queryable like them.
 */
final class SampleWriter {
  /** Prometheus' staleness marker: a NaN with this exact bit pattern. */
  static final double STALE_NAN = Double.longBitsToDouble(0x7ff0000000000002L);

  /** One sample to write; labels include {@code __name__}. */
  record Out(Map<String, String> labels, long timeMs, double value) {}

  private final TelemetrySink sink;
  private final Duration timeout;

  SampleWriter(TelemetrySink sink, Duration timeout) {
    this.sink = sink;
    this.timeout = timeout;
  }

  /**
   * Writes and waits until the batch is durable.
   *
   * @throws WriteFailedException the sink refused the batch or did not answer in time
   */
  void write(List<Out> samples) throws WriteFailedException {
    if (samples.isEmpty()) {
      return;
    }
    WriteRequest.Builder w = WriteRequest.newBuilder();
    for (Out o : samples) {
      TimeSeries.Builder ts = TimeSeries.newBuilder();
      for (var e : new TreeMap<>(o.labels()).entrySet()) {
        ts.addLabels(Label.newBuilder().setName(e.getKey()).setValue(e.getValue()));
      }
      ts.addSamples(Sample.newBuilder().setTimestamp(o.timeMs()).setValue(o.value()));
      w.addTimeseries(ts);
    }
    try {
      sink.accept(TelemetryBatch.of(Signal.PROMETHEUS_WRITE, w.build()))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WriteFailedException("interrupted while writing rule results", e);
    } catch (ExecutionException e) {
      throw new WriteFailedException(
          "the ingest pipeline refused " + samples.size() + " rule result samples: "
              + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new WriteFailedException(
          "the ingest pipeline did not accept rule results within " + timeout, e);
    }
  }

  static final class WriteFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    WriteFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
