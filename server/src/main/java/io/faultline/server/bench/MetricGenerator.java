/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.bench;

import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.Sample;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.SplittableRandom;
import org.xerial.snappy.Snappy;

/**
 * Series as an instrumented HTTP service exposes them, sixteen per endpoint: {@code
 * http_requests_total} for codes 200 and 500, {@code http_request_duration_seconds} with twelve
 * buckets, {@code _sum} and {@code _count}; endpoints spread over 20 jobs, 50 instances each and as
 * many handlers as needed. Counters grow by seeded random increments; samples of one step share a
 * scrape time per endpoint, a few milliseconds of jitter apart, as a scraper's are.
 *
 * <p>Steps must be generated in order ({@link #advance}) and the series of a step only after it.
 */
final class MetricGenerator {
  static final int SERIES_PER_ENDPOINT = 16;
  static final String[] LE = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"
  };
  private static final double[] CDF = {
    0.02, 0.06, 0.2, 0.45, 0.7, 0.88, 0.95, 0.98, 0.992, 0.997, 0.999, 1
  };

  private final long seed;
  private final int series;
  private final long startMillis;
  private final long intervalMillis;
  private final double[] counts;
  private int step = -1;

  MetricGenerator(long seed, int series, long startMillis, long intervalMillis) {
    if (series < 1) {
      throw new IllegalArgumentException("at least one series, got " + series);
    }
    this.seed = seed;
    this.series = series;
    this.startMillis = startMillis;
    this.intervalMillis = intervalMillis;
    this.counts = new double[(series + SERIES_PER_ENDPOINT - 1) / SERIES_PER_ENDPOINT];
  }

  int series() {
    return series;
  }

  int endpoints() {
    return counts.length;
  }

  /** Moves every endpoint's request count to the next step. */
  void advance() {
    step++;
    for (int e = 0; e < counts.length; e++) {
      SplittableRandom r = new SplittableRandom(seed * 31 + e * 0x9E3779B97F4A7C15L + step);
      double perSecond = 0.5 + (e * 7919 % 200) / 10.0;
      counts[e] += Math.floor(perSecond * intervalMillis / 1000.0 * (0.8 + 0.4 * r.nextDouble()));
    }
  }

  /**
   * The labels of series {@code i}, {@code __name__} first and the rest sorted, as Prometheus sends
   * them.
   */
  static String[][] labels(int i) {
    int e = i / SERIES_PER_ENDPOINT;
    int k = i % SERIES_PER_ENDPOINT;
    String job = "svc-" + (e % 20);
    String instance = "host-" + (e / 20 % 50) + ":9090";
    String handler = "/api/h" + (e / 1000);
    if (k < 2) {
      return new String[][] {
        {"__name__", "http_requests_total"},
        {"code", k == 0 ? "200" : "500"},
        {"handler", handler},
        {"instance", instance},
        {"job", job}
      };
    }
    if (k < 2 + LE.length) {
      return new String[][] {
        {"__name__", "http_request_duration_seconds_bucket"},
        {"handler", handler},
        {"instance", instance},
        {"job", job},
        {"le", LE[k - 2]}
      };
    }
    return new String[][] {
      {
        "__name__",
        k == 14 ? "http_request_duration_seconds_sum" : "http_request_duration_seconds_count"
      },
      {"handler", handler},
      {"instance", instance},
      {"job", job}
    };
  }

  /** Series {@code i}'s value at the current step. */
  double value(int i) {
    double count = counts[i / SERIES_PER_ENDPOINT];
    int k = i % SERIES_PER_ENDPOINT;
    if (k == 0) {
      return Math.floor(count * 0.98);
    }
    if (k == 1) {
      return count - Math.floor(count * 0.98);
    }
    if (k < 2 + LE.length) {
      return Math.floor(count * CDF[k - 2]);
    }
    return k == 14 ? Math.round(count * 0.137 * 1000) / 1000.0 : count;
  }

  /** Series {@code i}'s timestamp at the current step. */
  long timestamp(int i) {
    int e = i / SERIES_PER_ENDPOINT;
    return startMillis + step * intervalMillis + (e * 37L % 15_000) + (i % 4);
  }

  /** The remote-write request for series {@code [from, to)} at the current step. */
  WriteRequest request(int from, int to) {
    WriteRequest.Builder request = WriteRequest.newBuilder();
    for (int i = from; i < to; i++) {
      TimeSeries.Builder ts = TimeSeries.newBuilder();
      for (String[] label : labels(i)) {
        ts.addLabels(Label.newBuilder().setName(label[0]).setValue(label[1]));
      }
      ts.addSamples(Sample.newBuilder().setValue(value(i)).setTimestamp(timestamp(i)));
      request.addTimeseries(ts);
    }
    return request.build();
  }

  /** Snappy block format, as remote write 1.0 prescribes. */
  static byte[] snappy(WriteRequest request) {
    try {
      return Snappy.compress(request.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException("snappy could not compress a remote-write request", e);
    }
  }
}
