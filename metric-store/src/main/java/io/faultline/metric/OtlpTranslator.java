/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import io.faultline.core.metric.MetricMetadata;
import io.faultline.metric.storage.Labels;
import io.faultline.metric.storage.Series;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import io.faultline.core.metric.GoFloats;
import io.faultline.core.prometheus.RemoteWriteReader;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Converts OTLP metrics to Prometheus samples as the OpenTelemetry specification's "Prometheus and
 * OpenMetrics Compatibility" section prescribes, the way Prometheus 3's OTLP receiver applies it
 * by default ({@code UnderscoreEscapingWithSuffixes}, no promoted resource attributes):
 *
 * <ul>
 *   <li>Names: split at every character other than an ASCII letter, digit or colon, joined with
 *       {@code _}; the unit appended ({@code s} → {@code seconds}, {@code By} → {@code bytes},
 *       {@code By/s} → {@code bytes_per_second}; units in braces and unit {@code 1} add nothing)
 *       unless already a name token; {@code _total} for monotonic sums; {@code _ratio} for gauges
 *       of unit {@code 1}; a leading digit gets a {@code _} prefix.
 *   <li>Labels: data point attributes, sanitised ({@code [^a-zA-Z0-9_]} → {@code _}, a leading
 *       digit gets {@code key_}, a single leading underscore {@code key}); attributes that collide
 *       after sanitising are joined with {@code ;}. {@code job} is {@code service.namespace/
 *       service.name} (or {@code service.name}), {@code instance} is {@code service.instance.id};
 *       neither is set when the resource lacks them. Other resource attributes go to {@code
 *       target_info} only (with {@code job}/{@code instance}, sampled every 2.5 minutes across the
 *       batch's time span), and only when there is at least one of {@code job}/{@code instance}.
 *   <li>Gauges and sums as samples; monotonic sums are counters. DELTA sums and histograms are
 *       turned into cumulative series here (non-monotonic DELTA sums never get here: the
 *       collector refuses them, as the specification requires), per series, in memory (and in the head snapshot): a
 *       delta point at or before the last one of its series is dropped.
 *   <li>Histograms as classic {@code _bucket{le}} (cumulative, {@code le} formatted as Go's
 *       {@code FormatFloat(b, 'f', -1)}, plus {@code +Inf}), {@code _sum} (when set) and {@code
 *       _count}. Exponential histograms are converted to classic buckets too (not native
 *       histograms): one {@code le} per bucket boundary {@code base^(i+1)} from the lowest to the
 *       highest populated bucket, the zero bucket at {@code le} = zero threshold, negative buckets
 *       below it; layouts with more than 160 buckets are downscaled first.
 *   <li>Summaries as {@code {quantile}} series plus {@code _sum} and {@code _count}.
 *   <li>Points flagged {@code NO_RECORDED_VALUE} become Prometheus stale markers. NaN and ±Inf
 *       values are kept. Exemplars and scope attributes are ignored.
 * </ul>
 */
final class OtlpTranslator {
  static final String TARGET_INFO = "target_info";
  static final long TARGET_INFO_INTERVAL_MILLIS = 150_000;
  static final int MAX_EXP_BUCKETS = 160;
  private static final int NO_RECORDED_VALUE = 1;

  private static final Map<String, String> UNITS =
      Map.ofEntries(
          Map.entry("d", "days"),
          Map.entry("h", "hours"),
          Map.entry("min", "minutes"),
          Map.entry("s", "seconds"),
          Map.entry("ms", "milliseconds"),
          Map.entry("us", "microseconds"),
          Map.entry("ns", "nanoseconds"),
          Map.entry("By", "bytes"),
          Map.entry("KiBy", "kibibytes"),
          Map.entry("MiBy", "mebibytes"),
          Map.entry("GiBy", "gibibytes"),
          Map.entry("TiBy", "tibibytes"),
          Map.entry("KBy", "kilobytes"),
          Map.entry("MBy", "megabytes"),
          Map.entry("GBy", "gigabytes"),
          Map.entry("TBy", "terabytes"),
          Map.entry("m", "meters"),
          Map.entry("V", "volts"),
          Map.entry("A", "amperes"),
          Map.entry("J", "joules"),
          Map.entry("W", "watts"),
          Map.entry("g", "grams"),
          Map.entry("Cel", "celsius"),
          Map.entry("Hz", "hertz"),
          Map.entry("1", ""),
          Map.entry("%", "percent"));
  private static final Map<String, String> PER_UNITS =
      Map.of(
          "s", "second", "m", "minute", "h", "hour", "d", "day", "w", "week", "mo", "month", "y",
          "year");
  private static final Set<String> IDENTIFYING =
      Set.of("service.namespace", "service.name", "service.instance.id");

  /** Where converted samples go. */
  interface Output {
    void sample(Labels labels, long timestampMs, double value);

    void metadata(String family, MetricMetadata metadata);

    /** A point that could not be converted (e.g. a delta point out of order, a nameless metric). */
    void dropped(String reason);
  }

  /** Running totals of delta series: labels to {last timestamp, total}. */
  private final Map<Labels, double[]> deltaTotals = new HashMap<>();

  void translate(ExportMetricsServiceRequest request, Output out) {
    for (ResourceMetrics rm : request.getResourceMetricsList()) {
      Resource resource = rm.getResource();
      Map<String, String> base = resourceLabels(resource);
      long[] span = {Long.MAX_VALUE, Long.MIN_VALUE};
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        for (Metric m : sm.getMetricsList()) {
          translate(m, base, span, out);
        }
      }
      if (span[0] <= span[1]) {
        targetInfo(resource, base, span[0], span[1], out);
      }
    }
  }

  private void translate(Metric m, Map<String, String> base, long[] span, Output out) {
    String name = metricName(m);
    if (name.isEmpty()) {
      out.dropped("metric without a usable name: '" + m.getName() + "'");
      return;
    }
    switch (m.getDataCase()) {
      case GAUGE -> {
        out.metadata(name, new MetricMetadata("gauge", m.getDescription(), m.getUnit()));
        for (NumberDataPoint p : m.getGauge().getDataPointsList()) {
          number(name, p, base, false, span, out);
        }
      }
      case SUM -> {
        boolean delta =
            m.getSum().getAggregationTemporality()
                == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;
        String type = m.getSum().getIsMonotonic() ? "counter" : "gauge";
        out.metadata(name, new MetricMetadata(type, m.getDescription(), m.getUnit()));
        for (NumberDataPoint p : m.getSum().getDataPointsList()) {
          number(name, p, base, delta, span, out);
        }
      }
      case HISTOGRAM -> {
        boolean delta =
            m.getHistogram().getAggregationTemporality()
                == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;
        out.metadata(name, new MetricMetadata("histogram", m.getDescription(), m.getUnit()));
        for (HistogramDataPoint p : m.getHistogram().getDataPointsList()) {
          histogram(name, p, base, delta, span, out);
        }
      }
      case EXPONENTIAL_HISTOGRAM -> {
        boolean delta =
            m.getExponentialHistogram().getAggregationTemporality()
                == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;
        out.metadata(name, new MetricMetadata("histogram", m.getDescription(), m.getUnit()));
        for (ExponentialHistogramDataPoint p : m.getExponentialHistogram().getDataPointsList()) {
          exponential(name, p, base, delta, span, out);
        }
      }
      case SUMMARY -> {
        out.metadata(name, new MetricMetadata("summary", m.getDescription(), m.getUnit()));
        for (SummaryDataPoint p : m.getSummary().getDataPointsList()) {
          summary(name, p, base, span, out);
        }
      }
      default -> out.dropped("metric " + m.getName() + " has no data");
    }
  }

  private void number(
      String name, NumberDataPoint p, Map<String, String> base, boolean delta, long[] span,
      Output out) {
    long t = millis(p.getTimeUnixNano(), span);
    double v =
        p.getValueCase() == NumberDataPoint.ValueCase.AS_INT ? p.getAsInt() : p.getAsDouble();
    Labels labels = labels(base, p.getAttributesList(), Labels.METRIC_NAME, name);
    emit(labels, t, v, stale(p.getFlags()), delta, out);
  }

  private void histogram(
      String name, HistogramDataPoint p, Map<String, String> base, boolean delta, long[] span,
      Output out) {
    long t = millis(p.getTimeUnixNano(), span);
    boolean stale = stale(p.getFlags());
    Map<String, String> attrs = attributes(base, p.getAttributesList());
    if (p.hasSum()) {
      emit(with(attrs, Labels.METRIC_NAME, name + "_sum"), t, p.getSum(), stale, delta, out);
    }
    emit(with(attrs, Labels.METRIC_NAME, name + "_count"), t, p.getCount(), stale, delta, out);
    long cumulative = 0;
    int n = Math.min(p.getExplicitBoundsCount(), p.getBucketCountsCount());
    for (int i = 0; i < n; i++) {
      cumulative += p.getBucketCounts(i);
      String le = GoFloats.f(p.getExplicitBounds(i));
      Labels l = with(attrs, Labels.METRIC_NAME, name + "_bucket", "le", le);
      emit(l, t, cumulative, stale, delta, out);
    }
    emit(
        with(attrs, Labels.METRIC_NAME, name + "_bucket", "le", "+Inf"),
        t, p.getCount(), stale, delta, out);
  }

  private void exponential(
      String name, ExponentialHistogramDataPoint p, Map<String, String> base, boolean delta,
      long[] span, Output out) {
    long t = millis(p.getTimeUnixNano(), span);
    boolean stale = stale(p.getFlags());
    Map<String, String> attrs = attributes(base, p.getAttributesList());
    if (p.hasSum()) {
      emit(with(attrs, Labels.METRIC_NAME, name + "_sum"), t, p.getSum(), stale, delta, out);
    }
    emit(with(attrs, Labels.METRIC_NAME, name + "_count"), t, p.getCount(), stale, delta, out);
    exponentialBuckets(
        name, attrs, t, p.getScale(),
        doubles(p.getPositive().getBucketCountsList()), p.getPositive().getOffset(),
        doubles(p.getNegative().getBucketCountsList()), p.getNegative().getOffset(),
        p.getZeroThreshold(), p.getZeroCount(), p.getCount(), stale, delta, out);
  }

  /**
   * The classic {@code _bucket} series of an exponential histogram given as OTLP's dense buckets
   * ({@code offset} the index of the first; bucket {@code k} is {@code (base^k, base^(k+1)]}, base
   * {@code 2^(2^-scale)}): {@code le} at every bucket boundary from the lowest to the highest
   * bucket, the zero bucket at {@code le} = zero threshold, negative buckets below it, downscaled
   * first over {@value #MAX_EXP_BUCKETS} buckets; {@code +Inf} is {@code count}. Counts are summed
   * as doubles, exact for integer counts below 2^53.
   */
  private void exponentialBuckets(
      String name, Map<String, String> attrs, long t, int scale,
      List<Double> pos, int posOffset, List<Double> neg, int negOffset,
      double zeroThreshold, double zeroCount, double count, boolean stale, boolean delta,
      Output out) {
    int[] po = {posOffset};
    int[] no = {negOffset};
    while (Math.max(pos.size(), neg.size()) > MAX_EXP_BUCKETS && scale > -10) {
      pos = downscale(pos, po);
      neg = downscale(neg, no);
      scale--;
    }
    double base2 = Math.pow(2, Math.pow(2, -scale));
    // bounds ascending: negative buckets from the most negative, then zero, then positive
    TreeMap<Double, Double> counts = new TreeMap<>();
    for (int i = neg.size() - 1; i >= 0; i--) {
      // negative bucket index k covers [-base^(k+1), -base^k): its upper bound is -base^k
      counts.merge(-Math.pow(base2, no[0] + i), neg.get(i), Double::sum);
    }
    counts.merge(zeroThreshold, zeroCount, Double::sum);
    for (int i = 0; i < pos.size(); i++) {
      counts.merge(Math.pow(base2, po[0] + i + 1), pos.get(i), Double::sum);
    }
    double cumulative = 0;
    for (Map.Entry<Double, Double> e : counts.entrySet()) {
      cumulative += e.getValue();
      if (Double.isInfinite(e.getKey())) {
        continue;
      }
      Labels l = with(attrs, Labels.METRIC_NAME, name + "_bucket", "le", GoFloats.f(e.getKey()));
      emit(l, t, cumulative, stale, delta, out);
    }
    emit(with(attrs, Labels.METRIC_NAME, name + "_bucket", "le", "+Inf"), t, count, stale, delta, out);
  }

  private static List<Double> doubles(List<Long> counts) {
    List<Double> out = new ArrayList<>(counts.size());
    for (long c : counts) {
      out.add((double) c);
    }
    return out;
  }

  /**
   * A Prometheus native histogram sample (remote write) as the classic series this store keeps:
   * {@code _bucket} (cumulative, {@code le} formatted as for every classic histogram, plus {@code
   * +Inf} = the count), {@code _count} and {@code _sum}. Samples that break {@link
   * RemoteWriteReader.NativeHistograms}' rules (which the receiver refuses already) are counted as
   * dropped.
   *
   * <ul>
   *   <li>Exponential schemas (-4 to 8), integer or float: through the same path as an OTLP
   *       exponential histogram ({@code le} at every bucket boundary from the lowest to the highest
   *       populated bucket, the zero bucket at {@code le} = zero threshold, negative buckets below
   *       it, downscaled over {@value #MAX_EXP_BUCKETS} buckets). Prometheus' bucket {@code i} is
   *       OTLP's {@code i - 1}: both schemas use base {@code 2^(2^-schema)}, Prometheus counting
   *       upper bounds, OTLP lower ones. Float histograms (absolute counts, as recording rules'
   *       results come) are converted alike in floating point.
   *   <li>Custom buckets (schema -53, "NHCB", integer or float): {@code le} at every bound of
   *       {@code custom_values}, whether populated or not, so that the series are those of the
   *       classic histogram the buckets came from.
   * </ul>
   *
   * <p>A sum of Prometheus' stale NaN marks every series of the sample stale.
   */
  void nativeHistogram(Labels series, io.faultline.core.prometheus.Histogram h, Output out) {
    String name = series.get(Labels.METRIC_NAME);
    String problem = RemoteWriteReader.NativeHistograms.problem(h);
    if (problem != null) {
      out.dropped("native histogram " + name + ": " + problem);
      return;
    }
    Map<String, String> labels = new HashMap<>();
    for (int i = 0; i < series.size(); i++) {
      if (!series.name(i).equals(Labels.METRIC_NAME)) {
        labels.put(series.name(i), series.value(i));
      }
    }
    if (RemoteWriteReader.NativeHistograms.isCustomBuckets(h)) {
      customBuckets(name, h, labels, out);
      return;
    }
    if (RemoteWriteReader.NativeHistograms.isFloat(h)) {
      floatExponential(name, h, labels, out);
      return;
    }
    ExponentialHistogramDataPoint.Builder p =
        ExponentialHistogramDataPoint.newBuilder()
            .setTimeUnixNano(h.getTimestamp() * 1_000_000L)
            .setScale(h.getSchema())
            .setSum(h.getSum())
            .setCount(h.getCountInt())
            .setZeroThreshold(h.getZeroThreshold())
            .setZeroCount(h.getZeroCountInt());
    if (staleSum(h)) {
      p.setFlags(NO_RECORDED_VALUE);
    }
    p.setPositive(buckets(h.getPositiveSpansList(), h.getPositiveDeltasList()));
    p.setNegative(buckets(h.getNegativeSpansList(), h.getNegativeDeltasList()));
    exponential(name, p.build(), labels, false, new long[] {Long.MAX_VALUE, Long.MIN_VALUE}, out);
  }

  private static boolean staleSum(io.faultline.core.prometheus.Histogram h) {
    return Double.doubleToRawLongBits(h.getSum()) == Double.doubleToRawLongBits(Series.STALE_NAN);
  }

  /**
   * A float histogram of an exponential schema: {@link #exponential}'s conversion with absolute
   * float counts.
   */
  private void floatExponential(
      String name, io.faultline.core.prometheus.Histogram h, Map<String, String> attrs,
      Output out) {
    long t = h.getTimestamp();
    boolean stale = staleSum(h);
    emit(with(attrs, Labels.METRIC_NAME, name + "_sum"), t, h.getSum(), stale, false, out);
    emit(with(attrs, Labels.METRIC_NAME, name + "_count"), t, h.getCountFloat(), stale, false, out);
    int[] posOffset = {0};
    int[] negOffset = {0};
    List<Double> pos = floatBuckets(h.getPositiveSpansList(), h.getPositiveCountsList(), posOffset);
    List<Double> neg = floatBuckets(h.getNegativeSpansList(), h.getNegativeCountsList(), negOffset);
    exponentialBuckets(
        name, attrs, t, h.getSchema(), pos, posOffset[0], neg, negOffset[0],
        h.getZeroThreshold(), h.getZeroCountFloat(), h.getCountFloat(), stale, false, out);
  }

  /**
   * Custom buckets: bucket {@code i} (a span index) is {@code (custom_values[i-1],
   * custom_values[i]]}, the one at {@code custom_values.length} the +Inf bucket.
   */
  private void customBuckets(
      String name, io.faultline.core.prometheus.Histogram h, Map<String, String> attrs,
      Output out) {
    long t = h.getTimestamp();
    boolean stale = staleSum(h);
    boolean isFloat = RemoteWriteReader.NativeHistograms.isFloat(h);
    double count = isFloat ? h.getCountFloat() : h.getCountInt();
    emit(with(attrs, Labels.METRIC_NAME, name + "_sum"), t, h.getSum(), stale, false, out);
    emit(with(attrs, Labels.METRIC_NAME, name + "_count"), t, count, stale, false, out);
    List<Double> bounds = h.getCustomValuesList();
    // per bound (and +Inf last): integer counts stay exact in a long until summed up
    long[] ints = new long[bounds.size() + 1];
    double[] floats = new double[bounds.size() + 1];
    int index = 0;
    int b = 0;
    long delta = 0;
    List<io.faultline.core.prometheus.BucketSpan> spans = h.getPositiveSpansList();
    for (int s = 0; s < spans.size(); s++) {
      index += spans.get(s).getOffset();
      for (int i = 0; i < spans.get(s).getLength(); i++, index++, b++) {
        if (isFloat) {
          floats[index] = h.getPositiveCounts(b);
        } else {
          delta += h.getPositiveDeltas(b);
          ints[index] = delta;
        }
      }
    }
    long intCumulative = 0;
    double floatCumulative = 0;
    for (int i = 0; i < bounds.size(); i++) {
      intCumulative += ints[i];
      floatCumulative += floats[i];
      Labels l = with(attrs, Labels.METRIC_NAME, name + "_bucket", "le", GoFloats.f(bounds.get(i)));
      emit(l, t, isFloat ? floatCumulative : intCumulative, stale, false, out);
    }
    emit(
        with(attrs, Labels.METRIC_NAME, name + "_bucket", "le", "+Inf"),
        t, count, stale, false, out);
  }

  /**
   * Spans and absolute counts as dense buckets from the first populated one; {@code offset} gets
   * OTLP's index of the first (Prometheus' minus one), as {@link #buckets} does.
   */
  private static List<Double> floatBuckets(
      List<io.faultline.core.prometheus.BucketSpan> spans, List<Double> counts, int[] offset) {
    List<Double> out = new ArrayList<>();
    if (spans.isEmpty()) {
      return out;
    }
    int c = 0;
    for (int s = 0; s < spans.size(); s++) {
      io.faultline.core.prometheus.BucketSpan span = spans.get(s);
      if (s > 0) {
        for (int gap = 0; gap < span.getOffset(); gap++) {
          out.add(0.0);
        }
      }
      for (int i = 0; i < span.getLength() && c < counts.size(); i++) {
        out.add(counts.get(c++));
      }
    }
    offset[0] = spans.get(0).getOffset() - 1;
    return out;
  }

  /** Halves the resolution: OTLP buckets 2k and 2k+1 become bucket k of the scale below. */
  private static List<Double> downscale(List<Double> buckets, int[] offset) {
    int newOffset = offset[0] >> 1;
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < buckets.size(); i++) {
      int idx = ((offset[0] + i) >> 1) - newOffset;
      while (out.size() <= idx) {
        out.add(0.0);
      }
      out.set(idx, out.get(idx) + buckets.get(i));
    }
    offset[0] = newOffset;
    return out;
  }

  /** Spans and delta-coded counts as OTLP's dense buckets from the first populated one. */
  private static ExponentialHistogramDataPoint.Buckets buckets(
      List<io.faultline.core.prometheus.BucketSpan> spans, List<Long> deltas) {
    ExponentialHistogramDataPoint.Buckets.Builder b =
        ExponentialHistogramDataPoint.Buckets.newBuilder();
    if (spans.isEmpty()) {
      return b.build();
    }
    int first = spans.get(0).getOffset();
    int d = 0;
    long count = 0;
    for (int s = 0; s < spans.size(); s++) {
      io.faultline.core.prometheus.BucketSpan span = spans.get(s);
      if (s > 0) {
        for (int gap = 0; gap < span.getOffset(); gap++) {
          b.addBucketCounts(0);
        }
      }
      for (int i = 0; i < span.getLength() && d < deltas.size(); i++) {
        count += deltas.get(d++);
        b.addBucketCounts(count);
      }
    }
    // Prometheus' bucket i is (base^(i-1), base^i]; OTLP's k is (base^k, base^(k+1)]
    return b.setOffset(first - 1).build();
  }

  private void summary(
      String name, SummaryDataPoint p, Map<String, String> base, long[] span, Output out) {
    long t = millis(p.getTimeUnixNano(), span);
    boolean stale = stale(p.getFlags());
    Map<String, String> attrs = attributes(base, p.getAttributesList());
    emit(with(attrs, Labels.METRIC_NAME, name + "_sum"), t, p.getSum(), stale, false, out);
    emit(with(attrs, Labels.METRIC_NAME, name + "_count"), t, p.getCount(), stale, false, out);
    for (SummaryDataPoint.ValueAtQuantile q : p.getQuantileValuesList()) {
      Labels l = with(attrs, Labels.METRIC_NAME, name, "quantile", GoFloats.f(q.getQuantile()));
      emit(l, t, q.getValue(), stale, false, out);
    }
  }

  private void emit(Labels labels, long t, double v, boolean stale, boolean delta, Output out) {
    if (stale) {
      out.sample(labels, t, Series.STALE_NAN);
      return;
    }
    if (delta) {
      double[] state = deltaTotals.get(labels);
      if (state == null) {
        state = new double[] {Long.MIN_VALUE, 0};
        deltaTotals.put(labels, state);
      } else if (t <= (long) state[0]) {
        out.dropped("delta point of " + labels + " at or before the previous one");
        return;
      }
      state[0] = t;
      state[1] += v;
      v = state[1];
    }
    out.sample(labels, t, v);
  }

  private void targetInfo(
      Resource resource, Map<String, String> base, long earliest, long latest, Output out) {
    int nonIdentifying = 0;
    List<KeyValue> others = new ArrayList<>();
    for (KeyValue kv : resource.getAttributesList()) {
      if (!IDENTIFYING.contains(kv.getKey())) {
        nonIdentifying++;
        others.add(kv);
      }
    }
    if (nonIdentifying == 0 || base.isEmpty()) {
      return;
    }
    Labels labels = labels(base, others, Labels.METRIC_NAME, TARGET_INFO);
    for (long t = earliest; t < latest; t += TARGET_INFO_INTERVAL_MILLIS) {
      out.sample(labels, t, 1);
    }
    out.sample(labels, latest, 1);
  }

  /** {@code job} and {@code instance} from the resource, when it has them. */
  static Map<String, String> resourceLabels(Resource resource) {
    String name = null;
    String namespace = null;
    String instance = null;
    for (KeyValue kv : resource.getAttributesList()) {
      switch (kv.getKey()) {
        case "service.name" -> name = asString(kv.getValue());
        case "service.namespace" -> namespace = asString(kv.getValue());
        case "service.instance.id" -> instance = asString(kv.getValue());
        default -> {}
      }
    }
    Map<String, String> m = new HashMap<>();
    if (name != null) {
      m.put("job", namespace != null ? namespace + "/" + name : name);
    }
    if (instance != null) {
      m.put("instance", instance);
    }
    return m;
  }

  private static Map<String, String> attributes(Map<String, String> base, List<KeyValue> attrs) {
    Map<String, String> m = new HashMap<>();
    List<KeyValue> sorted = new ArrayList<>(attrs);
    sorted.sort(Comparator.comparing(KeyValue::getKey));
    for (KeyValue kv : sorted) {
      String key = normalizeLabel(kv.getKey());
      if (key.isEmpty()) {
        continue;
      }
      m.merge(key, asString(kv.getValue()), (a, b) -> a + ";" + b);
    }
    // job and instance from the resource win over point attributes of the same name
    m.putAll(base);
    return m;
  }

  private static Labels labels(
      Map<String, String> base, List<KeyValue> attrs, String... extra) {
    return with(attributes(base, attrs), extra);
  }

  private static Labels with(Map<String, String> attrs, String... extra) {
    Labels.Builder b = Labels.builder();
    attrs.forEach(b::set);
    for (int i = 0; i + 1 < extra.length; i += 2) {
      b.set(extra[i], extra[i + 1]);
    }
    return b.build();
  }

  private static long millis(long nanos, long[] span) {
    long t = Math.floorDiv(nanos, 1_000_000L);
    span[0] = Math.min(span[0], t);
    span[1] = Math.max(span[1], t);
    return t;
  }

  private static boolean stale(int flags) {
    return (flags & NO_RECORDED_VALUE) != 0;
  }

  /** The Prometheus metric name of an OTLP metric (without {@code _bucket} etc.). */
  static String metricName(Metric m) {
    List<String> tokens = split(m.getName(), true);
    String unit = m.getUnit();
    String[] unitParts = unit.split("/", 2);
    String main = unitParts[0].trim();
    if (!main.isEmpty() && !main.contains("{") && !main.contains("}")) {
      String prom = cleanUp(UNITS.getOrDefault(main, main));
      if (!prom.isEmpty() && !tokens.contains(prom)) {
        tokens.add(prom);
      }
    }
    if (unitParts.length > 1) {
      String per = unitParts[1].trim();
      if (!per.isEmpty() && !per.contains("{") && !per.contains("}")) {
        String prom = cleanUp(PER_UNITS.getOrDefault(per, per));
        if (!prom.isEmpty() && !tokens.contains(prom)) {
          tokens.add("per");
          tokens.add(prom);
        }
      }
    }
    if (m.hasSum() && m.getSum().getIsMonotonic()) {
      tokens.removeIf("total"::equals);
      tokens.add("total");
    }
    if (unit.equals("1") && m.hasGauge()) {
      tokens.removeIf("ratio"::equals);
      tokens.add("ratio");
    }
    String name = String.join("_", tokens);
    if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
      name = "_" + name;
    }
    return name;
  }

  private static String cleanUp(String s) {
    return String.join("_", split(s, false));
  }

  private static List<String> split(String s, boolean keepColon) {
    List<String> tokens = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean keep =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || (keepColon && c == ':');
      if (keep) {
        cur.append(c);
      } else if (cur.length() > 0) {
        tokens.add(cur.toString());
        cur.setLength(0);
      }
    }
    if (cur.length() > 0) {
      tokens.add(cur.toString());
    }
    return tokens;
  }

  /** Prometheus' label sanitising of an attribute key. */
  static String normalizeLabel(String key) {
    if (key.isEmpty()) {
      return key;
    }
    StringBuilder sb = new StringBuilder(key.length());
    key.codePoints()
        .forEach(
            c -> {
              boolean ok =
                  (c >= 'a' && c <= 'z')
                      || (c >= 'A' && c <= 'Z')
                      || (c >= '0' && c <= '9')
                      || c == '_';
              sb.append(ok ? (char) c : '_');
            });
    String s = sb.toString();
    if (Character.isDigit(s.charAt(0))) {
      return "key_" + s;
    }
    if (s.startsWith("_") && !s.startsWith("__")) {
      return "key" + s;
    }
    return s;
  }

  /** An attribute value as a label value (pdata's AsString). */
  static String asString(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
      case INT_VALUE -> Long.toString(v.getIntValue());
      case DOUBLE_VALUE -> {
        double d = v.getDoubleValue();
        yield Double.isNaN(d) || Double.isInfinite(d)
            ? "json: unsupported value: " + GoFloats.f(d) // pdata's text for these, verbatim
            : GoFloats.json(d); // pdata's float64AsString: encoding/json's number form
      }
      case BYTES_VALUE -> Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray());
      case ARRAY_VALUE, KVLIST_VALUE -> json(v);
      default -> "";
    };
  }

  /** Go's json.Marshal of the value, or "" when it fails (a NaN or infinity inside), as pdata. */
  private static String json(AnyValue v) {
    StringBuilder sb = new StringBuilder();
    try {
      json(v, sb);
    } catch (IllegalArgumentException nonFinite) {
      return "";
    }
    return sb.toString();
  }

  private static void json(AnyValue v, StringBuilder sb) {
    switch (v.getValueCase()) {
      case STRING_VALUE -> quote(v.getStringValue(), sb);
      case BOOL_VALUE -> sb.append(v.getBoolValue());
      case INT_VALUE -> sb.append(v.getIntValue());
      case DOUBLE_VALUE -> {
        double d = v.getDoubleValue();
        if (Double.isNaN(d) || Double.isInfinite(d)) {
          throw new IllegalArgumentException("json: unsupported value");
        }
        sb.append(GoFloats.json(d));
      }
      case BYTES_VALUE ->
          quote(Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray()), sb);
      case ARRAY_VALUE -> {
        sb.append('[');
        List<AnyValue> vs = v.getArrayValue().getValuesList();
        for (int i = 0; i < vs.size(); i++) {
          if (i > 0) {
            sb.append(',');
          }
          json(vs.get(i), sb);
        }
        sb.append(']');
      }
      case KVLIST_VALUE -> {
        sb.append('{');
        List<KeyValue> kvs = new ArrayList<>(v.getKvlistValue().getValuesList());
        kvs.sort(Comparator.comparing(KeyValue::getKey));
        for (int i = 0; i < kvs.size(); i++) {
          if (i > 0) {
            sb.append(',');
          }
          quote(kvs.get(i).getKey(), sb);
          sb.append(':');
          json(kvs.get(i).getValue(), sb);
        }
        sb.append('}');
      }
      default -> sb.append("null");
    }
  }

  private static void quote(String s, StringBuilder sb) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          // encoding/json also escapes what is unsafe in HTML, and the JavaScript line separators
          if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x2028 || c == 0x2029) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  void writeTo(DataOutput out) throws IOException {
    out.writeInt(deltaTotals.size());
    for (Map.Entry<Labels, double[]> e : deltaTotals.entrySet()) {
      byte[] enc = SeriesId.encode(e.getKey());
      out.writeInt(enc.length);
      out.write(enc);
      out.writeDouble(e.getValue()[0]);
      out.writeDouble(e.getValue()[1]);
    }
  }

  void readFrom(DataInput in) throws IOException {
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      byte[] enc = new byte[in.readInt()];
      in.readFully(enc);
      deltaTotals.put(
          SeriesId.decode(enc, 0, enc.length), new double[] {in.readDouble(), in.readDouble()});
    }
  }
}
