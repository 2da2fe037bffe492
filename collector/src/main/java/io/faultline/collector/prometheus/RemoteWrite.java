/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.faultline.collector.SnappyBlocks;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.prometheus.Histogram;
import io.faultline.core.prometheus.Label;
import io.faultline.core.prometheus.RemoteWriteReader;
import io.faultline.core.prometheus.TimeSeries;
import io.faultline.core.prometheus.WriteRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.xerial.snappy.Snappy;

/**
 * Decodes and validates Prometheus remote write 1.0 requests: a snappy-compressed (block format)
 * protobuf {@code WriteRequest}. The HTTP resource only moves bytes; everything a sender can get
 * wrong is decided here. Remote write 2.0 requests ({@link Version#V2}, told apart by {@link
 * #checkHeaders}) are resolved into a 1.0 {@code WriteRequest} by {@link RemoteWriteV2} and
 * validated by {@link #validate} too.
 *
 * <p>Series rules, as Prometheus' receiver applies them: a series needs a non-empty {@code
 * __name__}; label names are non-empty (any UTF-8, as Prometheus 3 allows); a label name may occur
 * only once. Labels out of order are accepted and sorted, as Prometheus sorts them. A series over
 * a {@link RemoteWriteLimits} label limit is rejected too. Rejected series are reported (400) while
 * the valid ones are stored, as in remote write 2.0's partial writes. NaN, infinite values and
 * Prometheus' stale markers are ordinary samples.
 *
 * <p>Native histogram samples, integer or float, of exponential schemas (-4 to 8) or custom buckets
 * (-53), are stored (the metric store keeps them as classic {@code _bucket}, {@code _count} and
 * {@code _sum} series); a malformed one (the rules of {@link RemoteWriteReader.NativeHistograms}:
 * another schema, spans not matching the bucket counts, negative counts, custom bounds not finite
 * and increasing, ...) is left out and reported (400 naming the problem) while the rest is stored.
 *
 * <p>Stateless and thread-safe.
 */
public final class RemoteWrite {
  /** The only media type remote write 1.0 sends. */
  public static final String CONTENT_TYPE = "application/x-protobuf";

  /** The only encoding remote write 1.0 sends. */
  public static final String CONTENT_ENCODING = "snappy";

  /** What the 1.0 sender names in {@code Content-Type}'s optional {@code proto} parameter. */
  private static final String PROTO_V1 = "prometheus.WriteRequest";

  private static final Comparator<ByteString> BYTE_ORDER =
      ByteString.unsignedLexicographicalComparator();

  private static final int MAX_PROBLEMS_LISTED = 3;

  private RemoteWrite() {}

  /**
   * What decoding kept.
   *
   * @param request the series to store (labels sorted) and the metadata, as sent otherwise; null
   *     when the body was checked in its wire form and is stored as sent ({@code raw})
   * @param series series to store
   * @param samples float samples and native histogram samples to store
   * @param metadata metadata entries to store
   * @param rejectedSeries series left out
   * @param problem why series or samples were left out, for a 400 answer; empty when none was
   * @param raw the protobuf encoding of what is stored when it is the body as sent, else null
   */
  public record Decoded(
      WriteRequest request,
      int series,
      long samples,
      int metadata,
      int rejectedSeries,
      String problem,
      byte[] raw) {

    /** True when there is nothing to store: no series and no metadata. */
    public boolean isEmpty() {
      return series == 0 && metadata == 0;
    }

    /** The batch for the sink, reusing the decompressed bytes when nothing was changed. */
    public TelemetryBatch batch() {
      return raw != null
          ? new TelemetryBatch(Signal.PROMETHEUS_WRITE, request, raw)
          : TelemetryBatch.of(Signal.PROMETHEUS_WRITE, request);
    }

    /** The request to store, parsed from {@code raw} when it was checked in its wire form. */
    public WriteRequest request() {
      return request != null ? request : (WriteRequest) batch().message();
    }
  }

  /** The protobuf message a request's {@code Content-Type} names. */
  public enum Version {
    /** Remote write 1.0: {@code prometheus.WriteRequest}, also when no {@code proto} is named. */
    V1(PROTO_V1),
    /** Remote write 2.0: {@code io.prometheus.write.v2.Request}, decoded by {@link RemoteWriteV2}. */
    V2(RemoteWriteV2.PROTO);

    private final String proto;

    Version(String proto) {
      this.proto = proto;
    }

    /** The fully qualified message name, as in {@code Content-Type}'s {@code proto} parameter. */
    public String proto() {
      return proto;
    }
  }

  /**
   * Checks the request's headers before its body is read, and tells which message the body holds
   * (the specification's content negotiation: {@code proto=io.prometheus.write.v2.Request} is 2.0;
   * no {@code proto} parameter, or {@code proto=prometheus.WriteRequest}, is 1.0).
   *
   * @param contentType may be null (Prometheus takes that as 1.0)
   * @param contentEncoding may be null (taken as snappy, as Prometheus does)
   * @throws RemoteWriteException 415 naming what is accepted
   */
  public static Version checkHeaders(String contentType, String contentEncoding) {
    if (contentEncoding != null
        && !contentEncoding.isBlank()
        && !contentEncoding.trim().equalsIgnoreCase(CONTENT_ENCODING)) {
      throw new RemoteWriteException(
          415,
          "Content-Encoding '"
              + abbreviate(contentEncoding)
              + "' is not accepted; remote write bodies are snappy-compressed (block format),"
              + " Content-Encoding: snappy");
    }
    if (contentType == null || contentType.isBlank()) {
      return Version.V1;
    }
    String[] parts = contentType.split(";");
    if (!parts[0].trim().equalsIgnoreCase(CONTENT_TYPE)) {
      throw new RemoteWriteException(
          415,
          "Content-Type '"
              + abbreviate(contentType)
              + "' is not accepted; remote write sends application/x-protobuf (1.0), or"
              + " application/x-protobuf;proto="
              + RemoteWriteV2.PROTO
              + " (2.0)");
    }
    for (int i = 1; i < parts.length; i++) {
      String[] kv = parts[i].split("=", 2);
      if (kv.length == 2 && kv[0].trim().equalsIgnoreCase("proto")) {
        String proto = kv[1].trim().replace("\"", "");
        for (Version v : Version.values()) {
          if (proto.equals(v.proto())) {
            return v;
          }
        }
        throw new RemoteWriteException(
            415,
            "proto="
                + abbreviate(proto)
                + " is not accepted; this server takes "
                + PROTO_V1
                + " (remote write 1.0) and "
                + RemoteWriteV2.PROTO
                + " (remote write 2.0)");
      }
    }
    return Version.V1;
  }

  /**
   * Decompresses, parses and validates one body.
   *
   * @param body the body as sent, already known to be within {@code maxRequestBytes}
   * @throws RemoteWriteException 400 for a body that is not snappy or not a {@code WriteRequest},
   *     or whose every series is invalid; 413 when it decompresses to more than {@code
   *     maxDecompressedBytes} (checked from snappy's header, before decompressing)
   */
  public static Decoded decode(byte[] body, RemoteWriteLimits limits) {
    return decode(body, limits, TimeWindow.ANY);
  }

  /**
   * The samples a store keeps: from {@code minMs} to {@code maxMs} inclusive (its retention, and
   * how far ahead it accepts). {@link #ANY} keeps every sample.
   */
  public record TimeWindow(long minMs, long maxMs, String why) {
    public static final TimeWindow ANY = new TimeWindow(Long.MIN_VALUE, Long.MAX_VALUE, "");

    boolean contains(long t) {
      return t >= minMs && t <= maxMs;
    }
  }

  /**
   * As {@link #decode(byte[], RemoteWriteLimits)}, and samples outside {@code window} are left out
   * and reported (400 "out of bounds", as Prometheus' receiver answers for them so that the
   * sender does not retry) while the others are stored: the store would drop them unseen.
   */
  public static Decoded decode(byte[] body, RemoteWriteLimits limits, TimeWindow window) {
    byte[] raw = decompress(body, limits);
    Decoded checked = WireCheck.check(raw, limits, window);
    return checked != null ? checked : parseAndValidate(raw, limits, window);
  }

  /**
   * The snappy block {@code body} decompressed, within the limits.
   *
   * @throws RemoteWriteException 413 over either size limit (the decompressed one read from
   *     snappy's header, before decompressing); 400 when the body is not a snappy block
   */
  static byte[] decompress(byte[] body, RemoteWriteLimits limits) {
    if (body.length > limits.maxRequestBytes()) {
      throw tooLarge(limits);
    }
    try {
      long length = SnappyBlocks.declaredLength(body);
      if (length > limits.maxDecompressedBytes()) {
        throw new RemoteWriteException(
            413,
            "the body decompresses to "
                + length
                + " bytes; the limit is "
                + limits.maxDecompressedBytes()
                + " bytes. Lower the sender's queue_config.max_samples_per_send");
      }
      return Snappy.uncompress(body);
    } catch (IOException | RuntimeException e) {
      if (e instanceof RemoteWriteException rwe) {
        throw rwe;
      }
      throw new RemoteWriteException(
          400,
          "the body is not snappy-compressed (block format, not framed): "
              + abbreviate(String.valueOf(e.getMessage())));
    }
  }

  /** The message-by-message path: parses {@code raw} and decides series by series. */
  static Decoded parseAndValidate(byte[] raw, RemoteWriteLimits limits, TimeWindow window) {
    WriteRequest request;
    try {
      request = WriteRequest.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      throw new RemoteWriteException(
          400,
          "the decompressed body is not a remote write 1.0 WriteRequest: "
              + abbreviate(String.valueOf(e.getMessage())));
    }
    Decoded d = validate(request, limits, window);
    return d.request() == request
        ? new Decoded(request, d.series(), d.samples(), d.metadata(), 0, "", raw)
        : d;
  }

  /** Validates an already parsed request; see the class comment. */
  static Decoded validate(WriteRequest request, RemoteWriteLimits limits) {
    return validate(request, limits, TimeWindow.ANY);
  }

  static Decoded validate(WriteRequest request, RemoteWriteLimits limits, TimeWindow window) {
    List<String> problems = new ArrayList<>();
    int rejected = 0;
    long samples = 0;
    long malformed = 0;
    String malformedExample = null;
    long outOfBounds = 0;
    String outOfBoundsExample = null;
    WriteRequest.Builder out = null;
    for (int i = 0; i < request.getTimeseriesCount(); i++) {
      TimeSeries ts = request.getTimeseries(i);
      String problem = check(ts, limits);
      TimeSeries keep = ts;
      if (problem == null && !sorted(ts)) {
        keep = sort(ts);
        problem = check(keep, limits);
      }
      if (problem != null) {
        rejected++;
        if (problems.size() < MAX_PROBLEMS_LISTED) {
          problems.add(problem);
        }
      } else {
        TimeSeries wellFormed = wellFormedHistograms(keep);
        if (wellFormed != keep) {
          malformed += keep.getHistogramsCount() - wellFormed.getHistogramsCount();
          if (malformedExample == null) {
            malformedExample = describe(keep) + ": " + firstHistogramProblem(keep);
          }
          keep = wellFormed.getSamplesCount() + wellFormed.getHistogramsCount() == 0 ? null : wellFormed;
        }
        TimeSeries inWindow = keep == null ? null : inWindow(keep, window);
        if (inWindow != keep) {
          long left = keep.getSamplesCount() + keep.getHistogramsCount();
          long kept = inWindow.getSamplesCount() + inWindow.getHistogramsCount();
          if (outOfBoundsExample == null) {
            outOfBoundsExample = describe(keep) + " at " + firstOutside(keep, window);
          }
          outOfBounds += left - kept;
          keep = kept == 0 ? null : inWindow;
        }
        if (keep != null) {
          samples += keep.getSamplesCount() + keep.getHistogramsCount();
        }
      }
      if (out == null && (problem != null || keep != ts)) {
        out = request.toBuilder().clearTimeseries();
        for (int j = 0; j < i; j++) {
          out.addTimeseries(request.getTimeseries(j));
        }
      }
      if (out != null && problem == null && keep != null) {
        out.addTimeseries(keep);
      }
    }
    WriteRequest kept = out == null ? request : out.build();
    if (rejected == 0 && malformed == 0 && outOfBounds == 0) {
      return new Decoded(
          kept, kept.getTimeseriesCount(), samples, kept.getMetadataCount(), 0, "", null);
    }
    StringBuilder message = new StringBuilder();
    if (rejected > 0) {
      message
          .append("rejected ")
          .append(rejected)
          .append(" of ")
          .append(request.getTimeseriesCount())
          .append(" series: ")
          .append(String.join("; ", problems));
      if (rejected > problems.size()) {
        message.append("; …");
      }
    }
    if (malformed > 0) {
      if (message.length() > 0) {
        message.append(". ");
      }
      message
          .append("left out ")
          .append(malformed)
          .append(malformed == 1 ? " malformed native histogram sample" : " malformed native histogram samples")
          .append(", e.g. ")
          .append(malformedExample);
    }
    if (outOfBounds > 0) {
      if (message.length() > 0) {
        message.append(". ");
      }
      message
          .append("out of bounds: ")
          .append(outOfBounds)
          .append(outOfBounds == 1 ? " sample " : " samples ")
          .append(window.why())
          .append(", e.g. ")
          .append(outOfBoundsExample);
    }
    if (kept.getTimeseriesCount() == 0 && kept.getMetadataCount() == 0) {
      throw new RemoteWriteException(400, message.toString());
    }
    message.append(rejected > 0 ? ". The other series were stored" : ". The other samples were stored");
    return new Decoded(
        kept,
        kept.getTimeseriesCount(),
        samples,
        kept.getMetadataCount(),
        rejected,
        message.toString(),
        null);
  }

  /**
   * The series without the native histogram samples that break {@link
   * RemoteWriteReader.NativeHistograms}' rules; the same instance when none does.
   */
  private static TimeSeries wellFormedHistograms(TimeSeries ts) {
    if (firstHistogramProblem(ts) == null) {
      return ts;
    }
    TimeSeries.Builder b = ts.toBuilder().clearHistograms();
    for (Histogram h : ts.getHistogramsList()) {
      if (RemoteWriteReader.NativeHistograms.problem(h) == null) {
        b.addHistograms(h);
      }
    }
    return b.build();
  }

  /** Why the series' first malformed native histogram sample is, or null. */
  private static String firstHistogramProblem(TimeSeries ts) {
    for (Histogram h : ts.getHistogramsList()) {
      String problem = RemoteWriteReader.NativeHistograms.problem(h);
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  /** The series with only its samples inside the window; the same instance when all are. */
  private static TimeSeries inWindow(TimeSeries ts, TimeWindow window) {
    if (window == TimeWindow.ANY || firstOutside(ts, window) == null) {
      return ts;
    }
    TimeSeries.Builder b = ts.toBuilder().clearSamples().clearHistograms();
    ts.getSamplesList().stream().filter(x -> window.contains(x.getTimestamp())).forEach(b::addSamples);
    ts.getHistogramsList().stream()
        .filter(h -> window.contains(h.getTimestamp()))
        .forEach(b::addHistograms);
    return b.build();
  }

  /** The time of the first sample outside the window (RFC 3339), or null. */
  private static String firstOutside(TimeSeries ts, TimeWindow window) {
    for (var x : ts.getSamplesList()) {
      if (!window.contains(x.getTimestamp())) {
        return java.time.Instant.ofEpochMilli(x.getTimestamp()).toString();
      }
    }
    for (var h : ts.getHistogramsList()) {
      if (!window.contains(h.getTimestamp())) {
        return java.time.Instant.ofEpochMilli(h.getTimestamp()).toString();
      }
    }
    return null;
  }

  /** Null when the series is valid (ignoring label order); else why not. */
  private static String check(TimeSeries ts, RemoteWriteLimits limits) {
    if (ts.getLabelsCount() > limits.maxLabelsPerSeries()) {
      return describe(ts)
          + " has "
          + ts.getLabelsCount()
          + " labels; the limit is "
          + limits.maxLabelsPerSeries();
    }
    boolean named = false;
    ByteString previous = null;
    boolean ordered = true;
    for (Label l : ts.getLabelsList()) {
      ByteString name = l.getNameBytes();
      if (name.isEmpty()) {
        return describe(ts) + " has a label with an empty name";
      }
      if (name.size() > limits.maxLabelNameBytes()) {
        return describe(ts)
            + " has a label name of "
            + name.size()
            + " bytes; the limit is "
            + limits.maxLabelNameBytes();
      }
      if (l.getValueBytes().size() > limits.maxLabelValueBytes()) {
        return describe(ts)
            + " has label "
            + quote(l.getName())
            + " with a value of "
            + l.getValueBytes().size()
            + " bytes; the limit is "
            + limits.maxLabelValueBytes();
      }
      if (l.getName().equals("__name__") && !l.getValue().isEmpty()) {
        named = true;
      }
      if (previous != null) {
        int c = BYTE_ORDER.compare(previous, name);
        if (c == 0) {
          return describe(ts) + " has label " + quote(l.getName()) + " twice";
        }
        ordered &= c < 0;
      }
      previous = name;
    }
    if (!ordered) {
      // duplicates that are not adjacent show up once sorted; the caller checks again then
      return null;
    }
    if (!named) {
      return describe(ts) + " has no metric name (a non-empty __name__ label)";
    }
    return null;
  }

  private static boolean sorted(TimeSeries ts) {
    for (int i = 1; i < ts.getLabelsCount(); i++) {
      if (BYTE_ORDER.compare(ts.getLabels(i - 1).getNameBytes(), ts.getLabels(i).getNameBytes())
          >= 0) {
        return false;
      }
    }
    return true;
  }

  private static TimeSeries sort(TimeSeries ts) {
    List<Label> labels = new ArrayList<>(ts.getLabelsList());
    labels.sort((a, b) -> BYTE_ORDER.compare(a.getNameBytes(), b.getNameBytes()));
    return ts.toBuilder().clearLabels().addAllLabels(labels).build();
  }

  /** The series as {@code name{a="b",...}}, cut short. */
  static String describe(TimeSeries ts) {
    StringBuilder sb = new StringBuilder("series {");
    String sep = "";
    for (Label l : ts.getLabelsList()) {
      sb.append(sep).append(abbreviate(l.getName())).append("=\"").append(abbreviate(l.getValue())).append('"');
      sep = ",";
      if (sb.length() > 200) {
        sb.append(",…");
        break;
      }
    }
    return sb.append('}').toString();
  }

  private static RemoteWriteException tooLarge(RemoteWriteLimits limits) {
    return new RemoteWriteException(
        413,
        "the body is larger than "
            + limits.maxRequestBytes()
            + " bytes; lower the sender's queue_config.max_samples_per_send");
  }

  /** The 413 for a body known to be too large before it is read. */
  public static RemoteWriteException bodyTooLarge(RemoteWriteLimits limits) {
    return tooLarge(limits);
  }

  static String quote(String s) {
    return "'" + abbreviate(s) + "'";
  }

  static String abbreviate(String s) {
    return (s.length() > 64 ? s.substring(0, 64) + "…" : s).replace('\n', ' ');
  }
}
