/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.faultline.core.prometheus.Exemplar;
import io.faultline.core.prometheus.Histogram;
import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.MetricMetadata;
import io.faultline.core.prometheus.Sample;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import io.faultline.core.prometheus.v2.Metadata;
import io.faultline.core.prometheus.v2.Request;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decodes Prometheus remote write 2.0 requests: a snappy-compressed (block format) protobuf {@code
 * io.prometheus.write.v2.Request}, whose strings are sent once in {@code symbols} and referenced by
 * index. The request is resolved into the 1.0 {@code WriteRequest} that everything behind the
 * receiver already takes (labels, float samples, native histograms in 1.0's identical {@code
 * Histogram} message, exemplars, and one {@code MetricMetadata} per metric name from the series'
 * metadata) and then validated by {@link RemoteWrite#validate}, so that series rules, label limits,
 * the retention window, the write-ahead log and the metric store are those of 1.0.
 *
 * <p>What 2.0 adds to 1.0's rules, each rejecting the series it concerns (400 naming the problem,
 * the other series stored, as the specification's partial writes): {@code labels_refs} of odd
 * length, a reference (label, exemplar label, help or unit) outside {@code symbols}. A request whose
 * non-empty {@code symbols} does not start with the empty string is refused whole (400). Native
 * histograms, integer or float, of exponential schemas or custom buckets, are validated and stored
 * as in 1.0: {@link RemoteWrite#validate} leaves out and reports the malformed ones ({@link
 * io.faultline.core.prometheus.RemoteWriteReader.NativeHistograms}). Resolving the symbols may not
 * grow the request over {@link
 * RemoteWriteLimits#maxDecompressedBytes()} (413). {@code created_timestamp} is read and not used
 * (Prometheus uses it only behind a feature flag).
 *
 * <p>Metadata: a series' metadata (type, help, unit) is stored under its metric name; for
 * histogram, gauge histogram and summary series a classic {@code _bucket}, {@code _count}, {@code
 * _sum} (or {@code _gcount}, {@code _gsum}) suffix is dropped, as the family is named in the text
 * format. It is kept when at least one series of that name is stored, once per distinct value.
 *
 * <p>The counts of what was stored ({@link Written}) go back to the sender in the {@code
 * X-Prometheus-Remote-Write-*-Written} headers. Exemplars are counted as written once in the
 * write-ahead log, as Prometheus counts them with its exemplar storage off: Faultline keeps no
 * exemplar index.
 *
 * <p>Stateless and thread-safe.
 */
public final class RemoteWriteV2 {
  /** What the 2.0 sender names in {@code Content-Type}'s {@code proto} parameter. */
  public static final String PROTO = "io.prometheus.write.v2.Request";

  /** The full {@code Content-Type} of a 2.0 request. */
  public static final String CONTENT_TYPE = RemoteWrite.CONTENT_TYPE + ";proto=" + PROTO;

  public static final String SAMPLES_WRITTEN_HEADER = "X-Prometheus-Remote-Write-Samples-Written";
  public static final String HISTOGRAMS_WRITTEN_HEADER =
      "X-Prometheus-Remote-Write-Histograms-Written";
  public static final String EXEMPLARS_WRITTEN_HEADER =
      "X-Prometheus-Remote-Write-Exemplars-Written";

  private static final String METRIC_NAME = "__name__";
  private static final ByteString METRIC_NAME_BYTES = ByteString.copyFromUtf8(METRIC_NAME);
  private static final int MAX_PROBLEMS_LISTED = 3;

  /** Roughly what one label, sample or exemplar adds to the 1.0 encoding besides its strings. */
  private static final int OVERHEAD_BYTES = 24;

  private RemoteWriteV2() {}

  /**
   * What was stored, for the {@code X-Prometheus-Remote-Write-*-Written} response headers.
   *
   * @param samples float samples (stale markers included)
   * @param histograms native histogram samples
   * @param exemplars exemplars
   */
  public record Written(long samples, long histograms, long exemplars) {
    /** Nothing stored: the answer to a request refused whole, or whose storing failed. */
    public static final Written NONE = new Written(0, 0, 0);

    /** The counts of {@code request}'s series. */
    public static Written of(WriteRequest request) {
      long s = 0;
      long h = 0;
      long e = 0;
      for (TimeSeries ts : request.getTimeseriesList()) {
        s += ts.getSamplesCount();
        h += ts.getHistogramsCount();
        e += ts.getExemplarsCount();
      }
      return new Written(s, h, e);
    }
  }

  /**
   * A decoded 2.0 request.
   *
   * @param decoded what to store, in 1.0 form, and the 400 message when something was left out
   * @param written what {@code decoded} stores, once the sink has it
   */
  public record Result(RemoteWrite.Decoded decoded, Written written) {}

  /** As {@link #decode(byte[], RemoteWriteLimits, RemoteWrite.TimeWindow)} for samples of any time. */
  public static Result decode(byte[] body, RemoteWriteLimits limits) {
    return decode(body, limits, RemoteWrite.TimeWindow.ANY);
  }

  /**
   * Decompresses, parses, resolves and validates one 2.0 body.
   *
   * @param body the body as sent
   * @param window samples outside it are left out and reported (400 "out of bounds"), as in 1.0
   * @throws RemoteWriteException 400 for a body that is not snappy, not a {@code Request}, whose
   *     symbols do not start with the empty string, or whose every series is invalid; 413 over the
   *     size limits (as sent, decompressed, or with its symbols resolved)
   */
  public static Result decode(byte[] body, RemoteWriteLimits limits, RemoteWrite.TimeWindow window) {
    byte[] raw = RemoteWrite.decompress(body, limits);
    Request request;
    try {
      request = Request.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      throw new RemoteWriteException(
          400,
          "the decompressed body is not a remote write 2.0 "
              + PROTO
              + ": "
              + RemoteWrite.abbreviate(String.valueOf(e.getMessage())));
    }
    return convertAndValidate(request, limits, window);
  }

  /** The request resolved into 1.0 form, then validated by {@link RemoteWrite#validate}. */
  static Result convertAndValidate(
      Request request, RemoteWriteLimits limits, RemoteWrite.TimeWindow window) {
    Converted c = convert(request, limits);
    RemoteWrite.Decoded d;
    try {
      d = RemoteWrite.validate(c.request, limits, window);
    } catch (RemoteWriteException e) {
      // nothing of the converted series was left
      if (c.problem().isEmpty()) {
        throw e;
      }
      throw new RemoteWriteException(400, c.problem() + ". " + e.getMessage());
    }
    WriteRequest kept = withMetadata(d.request(), c.metadata);
    String problem;
    if (c.problem().isEmpty()) {
      problem = d.problem();
    } else if (kept.getTimeseriesCount() == 0 && kept.getMetadataCount() == 0) {
      throw new RemoteWriteException(400, c.problem());
    } else if (!d.problem().isEmpty()) {
      problem = c.problem() + ". " + d.problem();
    } else {
      problem =
          c.problem()
              + (c.rejected > 0 ? ". The other series were stored" : ". The other samples were stored");
    }
    RemoteWrite.Decoded decoded =
        new RemoteWrite.Decoded(
            kept,
            kept.getTimeseriesCount(),
            d.samples(),
            kept.getMetadataCount(),
            d.rejectedSeries() + c.rejected,
            problem,
            null);
    return new Result(decoded, Written.of(kept));
  }

  /** {@code request} with the metadata of the metric names among its series. */
  private static WriteRequest withMetadata(
      WriteRequest request, Map<ByteString, Candidate> metadata) {
    if (metadata.isEmpty()) {
      return request;
    }
    Set<String> names = new HashSet<>();
    for (TimeSeries ts : request.getTimeseriesList()) {
      for (Label l : ts.getLabelsList()) {
        if (l.getName().equals(METRIC_NAME)) {
          names.add(l.getValue());
        }
      }
    }
    WriteRequest.Builder b = null;
    for (Candidate m : metadata.values()) {
      if (m.seriesNames.stream().anyMatch(names::contains)) {
        if (b == null) {
          b = request.toBuilder();
        }
        b.addMetadata(m.metadata);
      }
    }
    return b == null ? request : b.build();
  }

  /** Metadata to store when a series named one of {@code seriesNames} is. */
  private record Candidate(MetricMetadata metadata, Set<String> seriesNames) {}

  /** The series resolved into 1.0 form, without metadata; what was left out and why. */
  static final class Converted {
    final WriteRequest request;
    final Map<ByteString, Candidate> metadata;
    final int total;
    final int rejected;
    final List<String> problems;

    Converted(
        WriteRequest request,
        Map<ByteString, Candidate> metadata,
        int total,
        int rejected,
        List<String> problems) {
      this.request = request;
      this.metadata = metadata;
      this.total = total;
      this.rejected = rejected;
      this.problems = problems;
    }

    /** Empty when nothing was left out. */
    String problem() {
      StringBuilder sb = new StringBuilder();
      if (rejected > 0) {
        sb.append("rejected ")
            .append(rejected)
            .append(" of ")
            .append(total)
            .append(" series: ")
            .append(String.join("; ", problems));
        if (rejected > problems.size()) {
          sb.append("; …");
        }
      }
      return sb.toString();
    }
  }

  /** Resolves every series' references; see the class comment for what is rejected. */
  static Converted convert(Request request, RemoteWriteLimits limits) {
    int symbolCount = request.getSymbolsCount();
    if (request.getTimeseriesCount() > 0 && symbolCount == 0) {
      throw new RemoteWriteException(
          400, "symbols is empty; a remote write 2.0 request's symbols start with the empty string");
    }
    if (symbolCount > 0 && !request.getSymbolsBytes(0).isEmpty()) {
      throw new RemoteWriteException(
          400,
          "symbols[0] is "
              + RemoteWrite.quote(request.getSymbols(0))
              + "; a remote write 2.0 request's symbols start with the empty string");
    }
    long budget = limits.maxDecompressedBytes();
    long size = 0;
    WriteRequest.Builder out = WriteRequest.newBuilder();
    Map<ByteString, Candidate> metadata = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    int rejected = 0;
    for (int i = 0; i < request.getTimeseriesCount(); i++) {
      io.faultline.core.prometheus.v2.TimeSeries ts = request.getTimeseries(i);
      String problem = checkRefs(request, ts, i);
      if (problem != null) {
        rejected++;
        if (problems.size() < MAX_PROBLEMS_LISTED) {
          problems.add(problem);
        }
        continue;
      }
      TimeSeries.Builder b = TimeSeries.newBuilder();
      String name = "";
      for (int j = 0; j < ts.getLabelsRefsCount(); j += 2) {
        ByteString n = request.getSymbolsBytes(ts.getLabelsRefs(j));
        ByteString v = request.getSymbolsBytes(ts.getLabelsRefs(j + 1));
        size += n.size() + v.size() + OVERHEAD_BYTES;
        b.addLabels(Label.newBuilder().setNameBytes(n).setValueBytes(v));
        if (n.equals(METRIC_NAME_BYTES)) {
          name = v.toStringUtf8();
        }
      }
      for (io.faultline.core.prometheus.v2.Sample s : ts.getSamplesList()) {
        b.addSamples(Sample.newBuilder().setValue(s.getValue()).setTimestamp(s.getTimestamp()));
      }
      size += (long) ts.getSamplesCount() * OVERHEAD_BYTES;
      for (io.faultline.core.prometheus.v2.Histogram h : ts.getHistogramsList()) {
        // checked with 1.0's by RemoteWrite.validate
        ByteString encoded = h.toByteString();
        size += encoded.size() + OVERHEAD_BYTES;
        try {
          // the same fields under the same numbers: 1.0's Histogram reads 2.0's encoding as is
          b.addHistograms(Histogram.parseFrom(encoded));
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalStateException("a 2.0 histogram is not a 1.0 histogram", e);
        }
      }
      for (io.faultline.core.prometheus.v2.Exemplar e : ts.getExemplarsList()) {
        Exemplar.Builder x = Exemplar.newBuilder().setValue(e.getValue()).setTimestamp(e.getTimestamp());
        for (int j = 0; j < e.getLabelsRefsCount(); j += 2) {
          ByteString n = request.getSymbolsBytes(e.getLabelsRefs(j));
          ByteString v = request.getSymbolsBytes(e.getLabelsRefs(j + 1));
          size += n.size() + v.size() + OVERHEAD_BYTES;
          x.addLabels(Label.newBuilder().setNameBytes(n).setValueBytes(v));
        }
        size += OVERHEAD_BYTES;
        b.addExemplars(x);
      }
      if (size > budget) {
        throw new RemoteWriteException(
            413,
            "the request's series take more than "
                + budget
                + " bytes once their symbols are resolved (the limit of a decompressed request)."
                + " Lower the sender's queue_config.max_samples_per_send");
      }
      out.addTimeseries(b);
      if (ts.hasMetadata() && !name.isEmpty()) {
        MetricMetadata md = metadata(request, ts.getMetadata(), name);
        if (md != null) {
          metadata
              .computeIfAbsent(md.toByteString(), k -> new Candidate(md, new HashSet<>()))
              .seriesNames()
              .add(name);
        }
      }
    }
    return new Converted(
        out.build(),
        metadata,
        request.getTimeseriesCount(),
        rejected,
        problems);
  }

  /** Null when every reference of the series is inside {@code symbols}; else why not. */
  private static String checkRefs(Request request, io.faultline.core.prometheus.v2.TimeSeries ts, int i) {
    int symbols = request.getSymbolsCount();
    String where = "timeseries[" + i + "]";
    String problem = checkPairs(ts.getLabelsRefsList(), symbols, where + ".labels_refs");
    if (problem != null) {
      return problem;
    }
    for (int e = 0; e < ts.getExemplarsCount(); e++) {
      problem =
          checkPairs(
              ts.getExemplars(e).getLabelsRefsList(), symbols, where + ".exemplars[" + e + "].labels_refs");
      if (problem != null) {
        return problem;
      }
    }
    Metadata md = ts.getMetadata();
    if (Integer.toUnsignedLong(md.getHelpRef()) >= symbols) {
      return outside(where + ".metadata.help_ref", md.getHelpRef(), symbols);
    }
    if (Integer.toUnsignedLong(md.getUnitRef()) >= symbols) {
      return outside(where + ".metadata.unit_ref", md.getUnitRef(), symbols);
    }
    return null;
  }

  private static String checkPairs(List<Integer> refs, int symbols, String where) {
    if (refs.size() % 2 != 0) {
      return where
          + " has "
          + refs.size()
          + " references; name and value references come in pairs";
    }
    for (int j = 0; j < refs.size(); j++) {
      if (Integer.toUnsignedLong(refs.get(j)) >= symbols) {
        return outside(where + "[" + j + "]", refs.get(j), symbols);
      }
    }
    return null;
  }

  private static String outside(String where, int ref, int symbols) {
    return where
        + " is "
        + Integer.toUnsignedString(ref)
        + ", outside symbols ("
        + symbols
        + (symbols == 1 ? " entry)" : " entries)");
  }

  /** The 1.0 metadata of a series named {@code name}; null when it says nothing. */
  private static MetricMetadata metadata(Request request, Metadata md, String name) {
    String help = request.getSymbols(md.getHelpRef());
    String unit = request.getSymbols(md.getUnitRef());
    if (md.getTypeValue() == 0 && help.isEmpty() && unit.isEmpty()) {
      return null;
    }
    MetricMetadata.MetricType type = MetricMetadata.MetricType.forNumber(md.getTypeValue());
    if (type == null) {
      type = MetricMetadata.MetricType.UNKNOWN;
    }
    return MetricMetadata.newBuilder()
        .setType(type)
        .setMetricFamilyName(family(name, md.getType()))
        .setHelp(help)
        .setUnit(unit)
        .build();
  }

  /** The family a series of this type belongs to: its name without a classic series' suffix. */
  static String family(String name, Metadata.MetricType type) {
    String[] suffixes;
    switch (type) {
      case METRIC_TYPE_HISTOGRAM:
        suffixes = new String[] {"_bucket", "_count", "_sum"};
        break;
      case METRIC_TYPE_GAUGEHISTOGRAM:
        suffixes = new String[] {"_bucket", "_gcount", "_gsum"};
        break;
      case METRIC_TYPE_SUMMARY:
        suffixes = new String[] {"_count", "_sum"};
        break;
      default:
        return name;
    }
    for (String s : suffixes) {
      if (name.endsWith(s) && name.length() > s.length()) {
        return name.substring(0, name.length() - s.length());
      }
    }
    return name;
  }
}
