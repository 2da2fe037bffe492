/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.prometheus;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.faultline.core.metric.GoFloats;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * Walks a remote-write 1.0 {@code WriteRequest} in its wire encoding without building messages or
 * strings: for each time series it hands over the labels as they are encoded in the request, the
 * same labels laid out as one key ({@link #key}: the label count, then each name and value, each
 * a varint length and its bytes, in the order received: the metric store's series encoding when
 * they arrive sorted by name, as every sender sorts them) and the float samples. A known series
 * then costs a hash lookup instead of labels built from decoded strings; for a new series the
 * receiver decodes {@link #labelName} and {@link #labelValue}. Native histograms are handed over
 * still encoded ({@link #histogramCount}); exemplars and unknown fields are skipped. Every field but
 * labels and float samples is counted in {@link #otherFields}. {@link NativeHistograms} holds the
 * rules a native histogram sample must meet to be stored, shared by the receiver and the metric
 * store.
 *
 * <p>Not thread-safe; reuses its buffers across calls.
 */
public final class RemoteWriteReader {
  /** Receives the request's parts in order. */
  public interface Visitor {
    /**
     * One time series.
     *
     * @param reader gives the labels: {@link #key} and {@link #keyLength}, or one by one
     */
    void series(RemoteWriteReader reader, long[] timestamps, double[] values, int samples)
        throws IOException;

    /** One {@code MetricMetadata} message, still encoded. */
    void metadata(byte[] buf, int offset, int length) throws IOException;
  }

  private static final int TIMESERIES = 1;
  private static final int METADATA = 3;
  private static final int TS_LABELS = 1;
  private static final int TS_SAMPLES = 2;
  private static final int TS_HISTOGRAMS = 4;
  private static final int LABEL_NAME = 1;
  private static final int LABEL_VALUE = 2;
  private static final int SAMPLE_VALUE = 1;
  private static final int SAMPLE_TIMESTAMP = 2;

  private byte[] buf;
  /** Per label: name offset, name length, value offset, value length (into {@link #buf}). */
  private int[] labels = new int[64];
  private int labelCount;
  private int otherFields;
  /** Per native histogram of the current series: offset, length (into {@link #buf}). */
  private int[] histograms = new int[8];
  private int histogramCount;
  private byte[] key = new byte[256];
  private int keyLength;
  private long[] ts = new long[4];
  private double[] vs = new double[4];

  /**
   * Hands {@code request}'s series and metadata to {@code visitor} in order.
   *
   * @throws IOException when the request is truncated or not protobuf where this reader looks
   */
  public void read(byte[] request, Visitor visitor) throws IOException {
    this.buf = request;
    CodedInputStream in = CodedInputStream.newInstance(request);
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        return;
      }
      int field = WireFormat.getTagFieldNumber(tag);
      int type = WireFormat.getTagWireType(tag);
      if (type == WireFormat.WIRETYPE_LENGTH_DELIMITED && (field == TIMESERIES || field == METADATA)) {
        int len = in.readRawVarint32();
        int start = in.getTotalBytesRead();
        if (len < 0 || start + len > request.length) {
          throw new IOException("truncated remote-write request");
        }
        if (field == TIMESERIES) {
          int limit = in.pushLimit(len);
          timeSeries(in, visitor);
          in.popLimit(limit);
        } else {
          in.skipRawBytes(len);
          visitor.metadata(request, start, len);
        }
      } else {
        skip(in, tag);
      }
    }
  }

  /** Skips a field as protobuf's parser does, refusing what it refuses: a stray end-group tag. */
  private static void skip(CodedInputStream in, int tag) throws IOException {
    if (!in.skipField(tag)) {
      throw new InvalidProtocolBufferException("an end-group tag outside a group");
    }
  }

  private void timeSeries(CodedInputStream in, Visitor visitor) throws IOException {
    labelCount = 0;
    otherFields = 0;
    histogramCount = 0;
    int samples = 0;
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      int field = WireFormat.getTagFieldNumber(tag);
      if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED
          || (field != TS_LABELS && field != TS_SAMPLES)) {
        otherFields++;
        if (field == TS_HISTOGRAMS
            && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          int len = in.readRawVarint32();
          int off = in.getTotalBytesRead();
          in.skipRawBytes(len);
          if (histogramCount * 2 + 2 > histograms.length) {
            histograms = Arrays.copyOf(histograms, histograms.length * 2);
          }
          histograms[histogramCount * 2] = off;
          histograms[histogramCount * 2 + 1] = len;
          histogramCount++;
        } else {
          skip(in, tag);
        }
        continue;
      }
      int len = in.readRawVarint32();
      int limit = in.pushLimit(len);
      if (field == TS_LABELS) {
        label(in);
      } else {
        if (samples == ts.length) {
          ts = Arrays.copyOf(ts, samples * 2);
          vs = Arrays.copyOf(vs, samples * 2);
        }
        sample(in, samples);
        samples++;
      }
      in.popLimit(limit);
    }
    buildKey();
    visitor.series(this, ts, vs, samples);
  }

  private void label(CodedInputStream in) throws IOException {
    int nameOff = 0;
    int nameLen = 0;
    int valueOff = 0;
    int valueLen = 0;
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      int field = WireFormat.getTagFieldNumber(tag);
      if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED
          && (field == LABEL_NAME || field == LABEL_VALUE)) {
        int len = in.readRawVarint32();
        int off = in.getTotalBytesRead();
        in.skipRawBytes(len);
        if (field == LABEL_NAME) {
          nameOff = off;
          nameLen = len;
        } else {
          valueOff = off;
          valueLen = len;
        }
      } else {
        skip(in, tag);
      }
    }
    int k = labelCount * 4;
    if (k + 4 > labels.length) {
      labels = Arrays.copyOf(labels, labels.length * 2);
    }
    labels[k] = nameOff;
    labels[k + 1] = nameLen;
    labels[k + 2] = valueOff;
    labels[k + 3] = valueLen;
    labelCount++;
  }

  private void sample(CodedInputStream in, int i) throws IOException {
    double v = 0;
    long t = 0;
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      int field = WireFormat.getTagFieldNumber(tag);
      int type = WireFormat.getTagWireType(tag);
      if (field == SAMPLE_VALUE && type == WireFormat.WIRETYPE_FIXED64) {
        v = in.readDouble();
      } else if (field == SAMPLE_TIMESTAMP && type == WireFormat.WIRETYPE_VARINT) {
        t = in.readInt64();
      } else {
        skip(in, tag);
      }
    }
    ts[i] = t;
    vs[i] = v;
  }

  /**
   * The labels in the metric store's series layout ({@link #key}), in the order received: equal to
   * a stored series' encoding exactly when they arrive sorted, valid and without empty values (as
   * senders send them); anything else misses and takes the validating path.
   */
  private void buildKey() {
    keyLength = 0;
    putVInt(labelCount);
    for (int i = 0; i < labelCount; i++) {
      int k = i * 4;
      putBytes(labels[k], labels[k + 1]);
      putBytes(labels[k + 2], labels[k + 3]);
    }
  }

  private void putBytes(int off, int len) {
    putVInt(len);
    ensure(len);
    System.arraycopy(buf, off, key, keyLength, len);
    keyLength += len;
  }

  private void putVInt(int v) {
    ensure(5);
    while ((v & ~0x7F) != 0) {
      key[keyLength++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    key[keyLength++] = (byte) v;
  }

  private void ensure(int more) {
    if (keyLength + more > key.length) {
      key = Arrays.copyOf(key, Math.max(key.length * 2, keyLength + more));
    }
  }

  /** The encoded labels of the current series; valid until the next series. */
  public byte[] key() {
    return key;
  }

  public int keyLength() {
    return keyLength;
  }

  public int labelCount() {
    return labelCount;
  }

  /**
   * Fields of the current series other than labels and float samples: native histograms,
   * exemplars, fields of newer versions. The reader skips them unchecked.
   */
  public int otherFields() {
    return otherFields;
  }

  /** Native histograms of the current series, still encoded ({@code Histogram} messages). */
  public int histogramCount() {
    return histogramCount;
  }

  public int histogramOffset(int i) {
    return histograms[i * 2];
  }

  public int histogramLength(int i) {
    return histograms[i * 2 + 1];
  }

  public String labelName(int i) {
    return string(labels[i * 4], labels[i * 4 + 1]);
  }

  public String labelValue(int i) {
    return string(labels[i * 4 + 2], labels[i * 4 + 3]);
  }

  /** The request being read; label {@code i}'s name is at {@link #nameOffset}. */
  public byte[] buffer() {
    return buf;
  }

  public int nameOffset(int i) {
    return labels[i * 4];
  }

  public int nameLength(int i) {
    return labels[i * 4 + 1];
  }

  public int valueOffset(int i) {
    return labels[i * 4 + 2];
  }

  public int valueLength(int i) {
    return labels[i * 4 + 3];
  }

  private String string(int off, int len) {
    return new String(buf, off, len, java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * The rules a remote-written native histogram sample (the {@code Histogram} message, the same in
   * remote write 1.0 and 2.0) must meet to be stored: shared by the receiver, which leaves out and
   * reports the samples that break them, and the metric store, which converts every other sample to
   * classic {@code _bucket}, {@code _count} and {@code _sum} series. So what the receiver
   * acknowledges (and counts in 2.0's {@code X-Prometheus-Remote-Write-Histograms-Written}) is what
   * the store keeps.
   *
   * <p>Kept: integer histograms ({@code count_int}, {@code zero_count_int}, bucket counts as {@code
   * *_deltas}, each the difference to the previous bucket) and float histograms ({@code
   * count_float}, {@code zero_count_float}, absolute bucket counts in {@code *_counts}, as
   * Prometheus sends recording rules' results), each of an exponential schema (-4 to 8: bucket
   * {@code i} is {@code (base^(i-1), base^i]}, base {@code 2^(2^-schema)}) or of custom buckets
   * (schema -53: {@code custom_values} are the upper bounds, positive span indexes point into them,
   * index {@code custom_values.length} being the +Inf bucket; no zero and no negative buckets).
   * {@code reset_hint} is not needed: a counter reset shows in the classic series as it does in any.
   *
   * <p>Refused, following Prometheus' own checks ({@code model/histogram}'s {@code Validate}): a
   * schema other than those; spans that do not cover as many buckets as deltas (or counts) were
   * sent; a span after the first with a negative offset; a negative bucket count, {@code
   * count_float} or {@code zero_count_float}; integer and float fields mixed; with custom buckets
   * also {@code custom_values} that are not finite and strictly increasing, spans reaching past
   * the +Inf bucket, a negative first offset, a zero bucket (count or threshold) or negative
   * buckets; with an exponential schema, {@code custom_values}. Unlike Prometheus, a count that
   * does not match the buckets' sum is not refused (it becomes the {@code +Inf} bucket and {@code
   * _count} as sent).
   */
  public static final class NativeHistograms {
    /** Prometheus' schema of native histograms with custom buckets ("NHCB"). */
    public static final int CUSTOM_BUCKETS_SCHEMA = -53;

    public static final int MIN_EXPONENTIAL_SCHEMA = -4;
    public static final int MAX_EXPONENTIAL_SCHEMA = 8;

    private NativeHistograms() {}

    /**
     * True for a float histogram: {@code count_float}, {@code zero_count_float} or absolute bucket
     * counts. (Prometheus tells them apart by {@code count}; senders always set it.)
     */
    public static boolean isFloat(Histogram h) {
      return h.getCountCase() == Histogram.CountCase.COUNT_FLOAT
          || h.getZeroCountCase() == Histogram.ZeroCountCase.ZERO_COUNT_FLOAT
          || h.getPositiveCountsCount() > 0
          || h.getNegativeCountsCount() > 0;
    }

    public static boolean isCustomBuckets(Histogram h) {
      return h.getSchema() == CUSTOM_BUCKETS_SCHEMA;
    }

    /** Null when the sample is stored; else why not, as one clause for a 400 answer or a log. */
    public static String problem(Histogram h) {
      int schema = h.getSchema();
      boolean custom = schema == CUSTOM_BUCKETS_SCHEMA;
      if (!custom && (schema < MIN_EXPONENTIAL_SCHEMA || schema > MAX_EXPONENTIAL_SCHEMA)) {
        return "schema " + schema + " (exponential schemas are " + MIN_EXPONENTIAL_SCHEMA + " to "
            + MAX_EXPONENTIAL_SCHEMA + ", custom buckets " + CUSTOM_BUCKETS_SCHEMA + ")";
      }
      boolean isFloat = isFloat(h);
      if (isFloat
          && (h.getCountCase() == Histogram.CountCase.COUNT_INT
              || h.getZeroCountCase() == Histogram.ZeroCountCase.ZERO_COUNT_INT
              || h.getPositiveDeltasCount() > 0
              || h.getNegativeDeltasCount() > 0)) {
        return "integer fields (count_int, zero_count_int, *_deltas) mixed with float fields"
            + " (count_float, zero_count_float, *_counts)";
      }
      if (isFloat && h.getCountFloat() < 0) {
        return "count_float is negative (" + GoFloats.g(h.getCountFloat()) + ")";
      }
      if (isFloat && h.getZeroCountFloat() < 0) {
        return "zero_count_float is negative (" + GoFloats.g(h.getZeroCountFloat()) + ")";
      }
      String problem =
          isFloat
              ? side(h.getPositiveSpansList(), null, h.getPositiveCountsList(), "positive", custom)
              : side(h.getPositiveSpansList(), h.getPositiveDeltasList(), null, "positive", custom);
      if (custom) {
        problem = problem != null ? problem : customBuckets(h, isFloat);
        return problem == null ? null : "custom buckets (schema " + CUSTOM_BUCKETS_SCHEMA + "): "
            + problem;
      }
      if (problem != null) {
        return problem;
      }
      if (h.getCustomValuesCount() > 0) {
        return "custom_values were sent with the exponential schema " + schema + " (only schema "
            + CUSTOM_BUCKETS_SCHEMA + " has custom buckets)";
      }
      return isFloat
          ? side(h.getNegativeSpansList(), null, h.getNegativeCountsList(), "negative", false)
          : side(h.getNegativeSpansList(), h.getNegativeDeltasList(), null, "negative", false);
    }

    /** What only custom buckets must meet, past their positive spans and counts. */
    private static String customBuckets(Histogram h, boolean isFloat) {
      if (h.getNegativeSpansCount() > 0
          || h.getNegativeDeltasCount() > 0
          || h.getNegativeCountsCount() > 0) {
        return "negative buckets were sent; custom buckets count every observation in the positive"
            + " ones";
      }
      double zeroCount = isFloat ? h.getZeroCountFloat() : h.getZeroCountInt();
      if (zeroCount != 0) {
        return "the zero bucket holds " + GoFloats.g(zeroCount) + "; custom buckets have no zero"
            + " bucket";
      }
      if (h.getZeroThreshold() != 0) {
        return "zero_threshold is " + GoFloats.g(h.getZeroThreshold()) + "; custom buckets have no"
            + " zero bucket";
      }
      List<Double> bounds = h.getCustomValuesList();
      for (int i = 0; i < bounds.size(); i++) {
        double b = bounds.get(i);
        if (Double.isNaN(b) || Double.isInfinite(b)) {
          return "custom_values[" + i + "] is " + GoFloats.g(b)
              + "; the bounds are finite, the +Inf bucket is implicit";
        }
        if (i > 0 && b <= bounds.get(i - 1)) {
          return "custom_values are not strictly increasing (custom_values[" + i + "] is "
              + GoFloats.g(b) + " after " + GoFloats.g(bounds.get(i - 1)) + ")";
        }
      }
      long end = 0;
      for (BucketSpan s : h.getPositiveSpansList()) {
        end += s.getOffset() + Integer.toUnsignedLong(s.getLength());
      }
      if (end > bounds.size() + 1L) {
        return "positive spans reach bucket index " + (end - 1) + ", past the +Inf bucket at index "
            + bounds.size() + " (" + bounds.size()
            + (bounds.size() == 1 ? " custom value)" : " custom values)");
      }
      return null;
    }

    /**
     * Null when the spans cover as many buckets as counts were sent (deltas for an integer
     * histogram, else counts), no span but the first (for custom buckets: none) has a negative
     * offset and no bucket count is negative; else why not.
     */
    private static String side(
        List<BucketSpan> spans, List<Long> deltas, List<Double> counts, String side, boolean custom) {
      long covered = 0;
      for (int i = 0; i < spans.size(); i++) {
        BucketSpan s = spans.get(i);
        if (s.getOffset() < 0 && (i > 0 || custom)) {
          return side + " span " + i + " has the negative offset " + s.getOffset();
        }
        covered += Integer.toUnsignedLong(s.getLength());
      }
      int sent = deltas != null ? deltas.size() : counts.size();
      if (covered != sent) {
        return side + " spans cover " + covered + " buckets but " + sent
            + (deltas != null ? " deltas" : " counts") + " were sent";
      }
      long count = 0;
      for (int i = 0; i < sent; i++) {
        if (deltas != null) {
          count += deltas.get(i);
          if (count < 0) {
            return side + " bucket " + i + " has the negative count " + count;
          }
        } else if (counts.get(i) < 0) {
          return side + " bucket " + i + " has the negative count " + GoFloats.g(counts.get(i));
        }
      }
      return null;
    }
  }
}
