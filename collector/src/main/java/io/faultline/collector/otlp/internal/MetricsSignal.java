/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import io.faultline.collector.otlp.IngestLimits;
import io.faultline.collector.otlp.internal.AttributeCheck.Problem;
import io.faultline.core.ingest.Signal;
import io.grpc.MethodDescriptor;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.DataPointFlags;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import java.time.Instant;
import java.util.List;

/**
 * Metrics: validates data points against the OTLP data model and {@link IngestLimits}. The item
 * is the data point, as OTLP's {@code rejected_data_points} counts them.
 *
 * <p>What makes a data point malformed (rejected, reason {@code invalid_metric} or {@code
 * invalid_data_point}): its metric has an empty name, or is a sum, histogram or exponential
 * histogram without an aggregation temporality (the Prometheus translation cannot tell a counter
 * from a delta then); a number point without a value; a histogram point whose {@code
 * bucket_counts} is neither empty nor one longer than {@code explicit_bounds}, or whose bounds are
 * not strictly increasing; an exponential histogram point whose scale is outside [-10, 20]; a
 * summary point with a quantile outside [0, 1]. NaN and infinite values are valid (they are real
 * samples). Limits: the attribute limits on resource, scope, point and exemplar attributes, and
 * {@link #DEFAULT_MAX_DATA_POINTS_PER_REQUEST} points per request.
 */
final class MetricsSignal
    implements OtlpSignal<ExportMetricsServiceRequest, ExportMetricsServiceResponse> {

  /** 100 000 data points per export request, the same budget as spans. */
  static final int DEFAULT_MAX_DATA_POINTS_PER_REQUEST = 100_000;

  static final MetricsSignal INSTANCE = new MetricsSignal(DEFAULT_MAX_DATA_POINTS_PER_REQUEST);

  /** The OTLP data model's range for exponential histogram scales. */
  private static final int MIN_SCALE = -10;

  private static final int MAX_SCALE = 20;

  private final int maxDataPoints;

  MetricsSignal(int maxDataPoints) {
    if (maxDataPoints <= 0) {
      throw new IllegalArgumentException("maxDataPoints must be positive, got " + maxDataPoints);
    }
    this.maxDataPoints = maxDataPoints;
  }

  @Override
  public Signal signal() {
    return Signal.METRICS;
  }

  @Override
  public String name() {
    return "metrics";
  }

  @Override
  public String itemName() {
    return "data points";
  }

  @Override
  public MethodDescriptor<ExportMetricsServiceRequest, ExportMetricsServiceResponse> grpcMethod() {
    return MetricsServiceGrpc.getExportMethod();
  }

  @Override
  public ExportMetricsServiceRequest requestPrototype() {
    return ExportMetricsServiceRequest.getDefaultInstance();
  }

  @Override
  public ExportMetricsServiceResponse success() {
    return ExportMetricsServiceResponse.getDefaultInstance();
  }

  @Override
  public ExportMetricsServiceResponse partialSuccess(long rejected, String errorMessage) {
    return ExportMetricsServiceResponse.newBuilder()
        .setPartialSuccess(
            ExportMetricsPartialSuccess.newBuilder()
                .setRejectedDataPoints(rejected)
                .setErrorMessage(errorMessage))
        .build();
  }

  @Override
  public Validation<ExportMetricsServiceRequest> validate(
      ExportMetricsServiceRequest request, IngestLimits limits) {
    int total = 0;
    for (ResourceMetrics rm : request.getResourceMetricsList()) {
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        for (Metric m : sm.getMetricsList()) {
          total += pointCount(m);
        }
      }
    }
    Verdicts verdicts =
        new Verdicts(total, maxDataPoints, RejectReason.TOO_MANY_DATA_POINTS, itemName());
    for (ResourceMetrics rm : request.getResourceMetricsList()) {
      Problem resourceProblem = AttributeCheck.resource(rm.getResource(), limits);
      if (resourceProblem == null) {
        // the resource's attributes are target_info's labels
        resourceProblem =
            AttributeCheck.labels(rm.getResource().getAttributesList(), limits, "a resource");
      }
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        Problem scopeProblem = AttributeCheck.scope(sm.getScope(), resourceProblem, limits);
        for (Metric m : sm.getMetricsList()) {
          new MetricCheck(m, limits, scopeProblem, verdicts).run();
        }
      }
    }
    return verdicts.outcome(request, MetricsSignal::keep);
  }

  static int pointCount(Metric m) {
    switch (m.getDataCase()) {
      case GAUGE:
        return m.getGauge().getDataPointsCount();
      case SUM:
        return m.getSum().getDataPointsCount();
      case HISTOGRAM:
        return m.getHistogram().getDataPointsCount();
      case EXPONENTIAL_HISTOGRAM:
        return m.getExponentialHistogram().getDataPointsCount();
      case SUMMARY:
        return m.getSummary().getDataPointsCount();
      default:
        return 0;
    }
  }

  /** The verdicts for one metric's points, recorded in request order. */
  private static final class MetricCheck {
    private final Metric metric;
    private final IngestLimits limits;
    private final Problem inherited;
    private final Verdicts verdicts;
    private final String owner;
    /** The point times the metric store keeps. */
    private final TimeBounds bounds;

    MetricCheck(Metric metric, IngestLimits limits, Problem inherited, Verdicts verdicts) {
      this.metric = metric;
      this.limits = limits;
      this.bounds = TimeBounds.of(limits.pointRetention(), limits.clock());
      this.inherited = inherited;
      this.verdicts = verdicts;
      this.owner = "metric " + AttributeCheck.quote(metric.getName());
    }

    void run() {
      String metricProblem = metricProblem();
      switch (metric.getDataCase()) {
        case GAUGE:
          for (NumberDataPoint p : metric.getGauge().getDataPointsList()) {
            point(
                metricProblem,
                timed(p.getTimeUnixNano(), numberProblem(p)),
                p.getTimeUnixNano(),
                p.getAttributesList(),
                p.getExemplarsList());
          }
          break;
        case SUM:
          for (NumberDataPoint p : metric.getSum().getDataPointsList()) {
            point(
                metricProblem,
                timed(p.getTimeUnixNano(), numberProblem(p)),
                p.getTimeUnixNano(),
                p.getAttributesList(),
                p.getExemplarsList());
          }
          break;
        case HISTOGRAM:
          for (HistogramDataPoint p : metric.getHistogram().getDataPointsList()) {
            point(
                metricProblem,
                timed(p.getTimeUnixNano(), histogramProblem(p)),
                p.getTimeUnixNano(),
                p.getAttributesList(),
                p.getExemplarsList());
          }
          break;
        case EXPONENTIAL_HISTOGRAM:
          for (ExponentialHistogramDataPoint p :
              metric.getExponentialHistogram().getDataPointsList()) {
            point(
                metricProblem,
                timed(p.getTimeUnixNano(), exponentialProblem(p)),
                p.getTimeUnixNano(),
                p.getAttributesList(),
                p.getExemplarsList());
          }
          break;
        case SUMMARY:
          for (SummaryDataPoint p : metric.getSummary().getDataPointsList()) {
            point(
                metricProblem,
                timed(p.getTimeUnixNano(), summaryProblem(p)),
                p.getTimeUnixNano(),
                p.getAttributesList(),
                List.of());
          }
          break;
        default:
          // no data: nothing to count or store
          break;
      }
    }

    private void point(
        String metricProblem,
        String pointProblem,
        long timeUnixNano,
        List<KeyValue> attributes,
        List<Exemplar> exemplars) {
      if (!verdicts.rejectOverLimit()) {
        Problem p = problem(metricProblem, pointProblem, attributes, exemplars);
        if (p == null && timeUnixNano < bounds.oldestNanos()) {
          p = tooOld(timeUnixNano);
        }
        if (p == null && bounds.tooNew(timeUnixNano)) {
          p = TimeBounds.tooNew(RejectReason.POINT_TOO_NEW, "a data point of " + owner, timeUnixNano);
        }
        verdicts.record(p);
      }
    }

    private Problem tooOld(long timeUnixNano) {
      return new Problem(
          RejectReason.POINT_TOO_OLD,
          "a data point of "
              + owner
              + " is at "
              + Instant.ofEpochSecond(0, timeUnixNano)
              + ", longer ago than the metric retention of "
              + TraceSignal.human(limits.pointRetention())
              + ", so it would be deleted at once; check the sender's clock and timestamps");
    }

    /** The metric's problem comes first, then the point's, then the inherited and attributes. */
    private Problem problem(
        String metricProblem,
        String pointProblem,
        List<KeyValue> attributes,
        List<Exemplar> exemplars) {
      if (metricProblem != null) {
        return new Problem(RejectReason.INVALID_METRIC, metricProblem);
      }
      if (pointProblem != null) {
        return new Problem(
            RejectReason.INVALID_DATA_POINT, "a data point of " + owner + " " + pointProblem);
      }
      if (inherited != null) {
        return inherited;
      }
      Problem p = AttributeCheck.check(attributes, limits, "a data point of " + owner);
      if (p == null) {
        p = AttributeCheck.labels(attributes, limits, "a data point of " + owner);
      }
      for (int i = 0; p == null && i < exemplars.size(); i++) {
        p =
            AttributeCheck.check(
                exemplars.get(i).getFilteredAttributesList(), limits, "an exemplar of " + owner);
      }
      return p;
    }

    private String metricProblem() {
      if (metric.getName().isEmpty()) {
        return "a metric has an empty name; every OTLP metric needs one";
      }
      int nameBytes = metric.getNameBytes().size();
      if (nameBytes > AttributeCheck.indexedLimit(limits)) {
        return owner
            + " has a name of "
            + nameBytes
            + " bytes; the limit is "
            + AttributeCheck.indexedLimit(limits)
            + " bytes";
      }
      AggregationTemporality temporality;
      switch (metric.getDataCase()) {
        case SUM:
          temporality = metric.getSum().getAggregationTemporality();
          break;
        case HISTOGRAM:
          temporality = metric.getHistogram().getAggregationTemporality();
          break;
        case EXPONENTIAL_HISTOGRAM:
          temporality = metric.getExponentialHistogram().getAggregationTemporality();
          break;
        default:
          return null;
      }
      if (temporality != AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
          && temporality != AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA) {
        return owner
            + " ("
            + metric.getDataCase().name().toLowerCase(java.util.Locale.ROOT)
            + ") has aggregation temporality "
            + temporality
            + "; it must be CUMULATIVE or DELTA";
      }
      if (metric.getDataCase() == Metric.DataCase.SUM
          && temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
          && !metric.getSum().getIsMonotonic()) {
        // the specification's Prometheus mapping: such a sum MUST be dropped (there is no
        // cumulative value to rebuild from changes that may go either way)
        return owner
            + " is a non-monotonic DELTA sum, which has no Prometheus form; send it with"
            + " CUMULATIVE temporality, or as a gauge";
      }
      return null;
    }
  }

  /**
   * A point's own problem, or else a missing time: OTLP requires {@code time_unix_nano}, and a
   * point at the epoch would be acknowledged and then fall outside every retention unseen.
   */
  private static String timed(long timeUnixNano, String problem) {
    if (problem != null || timeUnixNano != 0) {
      return problem;
    }
    return "has no time_unix_nano (0); OTLP requires every data point to carry its time";
  }

  private static String numberProblem(NumberDataPoint p) {
    // a point flagged "no recorded value" needs none: it is a stale marker, as Prometheus keeps it
    return p.getValueCase() == NumberDataPoint.ValueCase.VALUE_NOT_SET
            && (p.getFlags() & DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE) == 0
        ? "has no value (as_double or as_int, or the no-recorded-value flag)"
        : null;
  }

  private static String histogramProblem(HistogramDataPoint p) {
    int buckets = p.getBucketCountsCount();
    int bounds = p.getExplicitBoundsCount();
    if (buckets != 0 && buckets != bounds + 1) {
      return "has "
          + buckets
          + " bucket_counts and "
          + bounds
          + " explicit_bounds; there must be one more count than bounds";
    }
    for (int i = 1; i < bounds; i++) {
      if (!(p.getExplicitBounds(i - 1) < p.getExplicitBounds(i))) {
        return "has explicit_bounds that are not strictly increasing (at index " + i + ")";
      }
    }
    return null;
  }

  private static String exponentialProblem(ExponentialHistogramDataPoint p) {
    if (p.getScale() < MIN_SCALE || p.getScale() > MAX_SCALE) {
      return "has scale " + p.getScale() + "; it must be within [-10, 20]";
    }
    return null;
  }

  private static String summaryProblem(SummaryDataPoint p) {
    for (SummaryDataPoint.ValueAtQuantile q : p.getQuantileValuesList()) {
      if (!(q.getQuantile() >= 0 && q.getQuantile() <= 1)) {
        return "has quantile " + q.getQuantile() + "; quantiles must be within [0, 1]";
      }
    }
    return null;
  }

  private static ExportMetricsServiceRequest keep(
      ExportMetricsServiceRequest request, Verdicts.Cursor verdicts) {
    ExportMetricsServiceRequest.Builder out = ExportMetricsServiceRequest.newBuilder();
    for (ResourceMetrics rm : request.getResourceMetricsList()) {
      ResourceMetrics.Builder kept =
          Verdicts.keep(
              rm.getScopeMetricsList(),
              sm ->
                  Verdicts.keep(
                      sm.getMetricsList(),
                      m -> keep(m, verdicts),
                      () -> sm.toBuilder().clearMetrics(),
                      ScopeMetrics.Builder::addMetrics),
              () -> rm.toBuilder().clearScopeMetrics(),
              ResourceMetrics.Builder::addScopeMetrics);
      if (kept != null) {
        out.addResourceMetrics(kept);
      }
    }
    return out.build();
  }

  /** The metric with only its accepted points; null when none is left. */
  private static Metric keep(Metric m, Verdicts.Cursor verdicts) {
    int count = pointCount(m);
    boolean[] accepted = new boolean[count];
    int kept = 0;
    for (int i = 0; i < count; i++) {
      accepted[i] = verdicts.nextAccepted();
      if (accepted[i]) {
        kept++;
      }
    }
    if (kept == count) {
      // untouched, including a metric without data points, which costs nothing to keep
      return m;
    }
    if (kept == 0) {
      return null;
    }
    Metric.Builder b = m.toBuilder();
    switch (m.getDataCase()) {
      case GAUGE:
        b.getGaugeBuilder().clearDataPoints();
        for (int i = 0; i < count; i++) {
          if (accepted[i]) {
            b.getGaugeBuilder().addDataPoints(m.getGauge().getDataPoints(i));
          }
        }
        break;
      case SUM:
        b.getSumBuilder().clearDataPoints();
        for (int i = 0; i < count; i++) {
          if (accepted[i]) {
            b.getSumBuilder().addDataPoints(m.getSum().getDataPoints(i));
          }
        }
        break;
      case HISTOGRAM:
        b.getHistogramBuilder().clearDataPoints();
        for (int i = 0; i < count; i++) {
          if (accepted[i]) {
            b.getHistogramBuilder().addDataPoints(m.getHistogram().getDataPoints(i));
          }
        }
        break;
      case EXPONENTIAL_HISTOGRAM:
        b.getExponentialHistogramBuilder().clearDataPoints();
        for (int i = 0; i < count; i++) {
          if (accepted[i]) {
            b.getExponentialHistogramBuilder()
                .addDataPoints(m.getExponentialHistogram().getDataPoints(i));
          }
        }
        break;
      case SUMMARY:
        b.getSummaryBuilder().clearDataPoints();
        for (int i = 0; i < count; i++) {
          if (accepted[i]) {
            b.getSummaryBuilder().addDataPoints(m.getSummary().getDataPoints(i));
          }
        }
        break;
      default:
        throw new IllegalStateException("a metric without data has no points to drop");
    }
    return b.build();
  }
}
