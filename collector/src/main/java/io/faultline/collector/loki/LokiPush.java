/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.loki;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.faultline.collector.SnappyBlocks;
import io.faultline.collector.otlp.IngestLimits;
import io.faultline.collector.otlp.internal.OtlpSignals;
import io.faultline.collector.otlp.internal.Validation;
import io.faultline.core.index.PartitionedIndex;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.log.LogEntry;
import io.faultline.core.loki.EntryAdapter;
import io.faultline.core.loki.LabelPairAdapter;
import io.faultline.core.loki.PushRequest;
import io.faultline.core.loki.StreamAdapter;
import io.faultline.core.otlp.OtlpIds;
import io.faultline.core.otlp.OtlpValues;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import org.xerial.snappy.Snappy;

/**
 * Decodes Loki push requests ({@code POST /loki/api/v1/push}) as Loki's {@code
 * push.ParseLokiRequest} reads them, and maps them onto OTLP logs. The HTTP resource only moves
 * bytes; everything a sender can get wrong is decided here.
 *
 * <p><b>Wire forms.</b> {@code Content-Type: application/json} is the JSON form, {@code
 * {"streams":[{"stream":{"app":"shop"},"values":[["<unix ns>","<line>"],["<unix ns>","<line>",
 * {"trace_id":"…"}]]}]}} (the optional third element of a value is the entry's structured
 * metadata, string values only). Any other or no {@code Content-Type} is the protobuf form, Loki's
 * {@code logproto.PushRequest} compressed with snappy (block format), its labels a string in
 * Prometheus selector syntax ({@link LokiLabels}). {@code Content-Encoding: gzip} or {@code
 * deflate} (raw DEFLATE as Go writes it, or zlib-wrapped) is undone first for either form; {@code
 * snappy} is the protobuf form's own compression, and means a snappy-compressed body for JSON.
 *
 * <p><b>Mapping.</b> Each stream becomes one OTLP resource: every label is a string resource
 * attribute of the same name, and {@code service.name} is the first of the labels {@code
 * service_name}, {@code service}, {@code app} and {@code job}, else {@value
 * LogEntry#UNKNOWN_SERVICE} (as Loki 3 discovers {@code service_name}). Each entry becomes one log
 * record: {@code time_unix_nano} is the entry's timestamp, the body its line (a string), its
 * structured metadata string attributes, except {@code trace_id} (32 hex characters) and {@code
 * span_id} (16), which become the record's trace context. The severity comes from the entry's
 * {@code level}, {@code detected_level} or {@code severity} metadata, else from the stream's label
 * of that name: severity text as sent, severity number from the usual level names.
 *
 * <p><b>Validation.</b> A body over the {@link LokiPushLimits} (as sent, decompressed — snappy's
 * declared length is checked before decompressing — or in entries) is refused whole with 413; an
 * undecodable one with 400. Rejected per stream or entry, as Loki's distributor rejects them, with
 * the other entries stored and a 400 naming what was left out: a stream whose labels do not parse;
 * an entry whose line is over {@code maxLineBytes}; an entry older than the log retention or more
 * than {@link PartitionedIndex#MAX_FUTURE} ahead (Loki's "timestamp too old" / "too new"). The
 * records are then held to the same {@link IngestLimits} as OTLP logs ({@link
 * OtlpSignals#logs()}: attributes per resource and record, attribute sizes, a service name the
 * store can index).
 *
 * <p>Stateless and thread-safe.
 */
public final class LokiPush {
  /** The JSON form's media type. */
  public static final String JSON_TYPE = "application/json";

  /** The protobuf form's media type (also taken when no {@code Content-Type} is sent). */
  public static final String PROTOBUF_TYPE = "application/x-protobuf";

  /** The labels whose value names the service, first first, as Loki discovers {@code service_name}. */
  static final List<String> SERVICE_LABELS = List.of("service_name", "service", "app", "job");

  /** Where a severity is looked for, first first: in the entry's metadata, then the stream's labels. */
  static final List<String> LEVEL_KEYS = List.of("level", "detected_level", "severity");

  private static final int MAX_PROBLEMS_LISTED = 3;

  private LokiPush() {}

  /** The two wire forms. */
  public enum Format {
    PROTOBUF,
    JSON
  }

  /** The accepted {@code Content-Encoding}s. */
  enum Encoding {
    NONE,
    GZIP,
    DEFLATE,
    SNAPPY
  }

  /**
   * What decoding kept.
   *
   * @param request the records to store, one resource per stream
   * @param records the records in {@code request}
   * @param rejected entries left out
   * @param problem why entries were left out, for a 400 answer; empty when none was
   */
  public record Decoded(ExportLogsServiceRequest request, long records, long rejected, String problem) {
    /** True when there is nothing to store. */
    public boolean isEmpty() {
      return records == 0;
    }

    /** The batch for the sink. */
    public TelemetryBatch batch() {
      return TelemetryBatch.of(Signal.LOGS, request);
    }
  }

  /**
   * Checks the request's headers before its body is read.
   *
   * @param contentType may be null (the protobuf form)
   * @param contentEncoding may be null (none)
   * @return the form the body is in
   * @throws LokiPushException 415 for an encoding other than gzip, deflate or snappy
   */
  public static Format checkHeaders(String contentType, String contentEncoding) {
    encoding(contentEncoding);
    return format(contentType);
  }

  static Format format(String contentType) {
    if (contentType == null) {
      return Format.PROTOBUF;
    }
    String type = contentType.split(";", 2)[0].trim();
    return type.equalsIgnoreCase(JSON_TYPE) ? Format.JSON : Format.PROTOBUF;
  }

  static Encoding encoding(String contentEncoding) {
    if (contentEncoding == null) {
      return Encoding.NONE;
    }
    return switch (contentEncoding.trim().toLowerCase(Locale.ROOT)) {
      case "", "identity" -> Encoding.NONE;
      case "gzip", "x-gzip" -> Encoding.GZIP;
      case "deflate" -> Encoding.DEFLATE;
      case "snappy" -> Encoding.SNAPPY;
      default ->
          throw new LokiPushException(
              415,
              "Content-Encoding '"
                  + abbreviate(contentEncoding)
                  + "' is not accepted; send the body as is, or with Content-Encoding gzip,"
                  + " deflate or snappy");
    };
  }

  /**
   * Decompresses, parses, maps and validates one body.
   *
   * @param body the body as sent
   * @param limits the push limits
   * @param ingestLimits the limits of OTLP logs, the log retention and the clock among them
   * @throws LokiPushException 400 for a body that cannot be decoded or whose every entry is
   *     invalid, 413 for one over the limits, 415 for an encoding not accepted
   */
  public static Decoded decode(
      byte[] body,
      String contentType,
      String contentEncoding,
      LokiPushLimits limits,
      IngestLimits ingestLimits) {
    if (body.length > limits.maxRequestBytes()) {
      throw bodyTooLarge(limits);
    }
    Encoding encoding = encoding(contentEncoding);
    Format format = format(contentType);
    byte[] raw =
        switch (encoding) {
          case GZIP -> inflate(body, limits, true);
          case DEFLATE -> inflate(body, limits, false);
          default -> body;
        };
    Mapper mapper = new Mapper(limits, ingestLimits);
    if (format == Format.PROTOBUF) {
      parseProtobuf(snappy(raw, limits, "protobuf push request"), limits, mapper);
    } else {
      if (encoding == Encoding.SNAPPY) {
        raw = snappy(raw, limits, "JSON push request");
      }
      parseJson(raw, limits, mapper);
    }
    return mapper.finish(ingestLimits);
  }

  // ---- decompression

  private static byte[] inflate(byte[] body, LokiPushLimits limits, boolean gzip) {
    String name = gzip ? "gzip" : "deflate";
    try (InputStream in =
        gzip
            ? new GZIPInputStream(new ByteArrayInputStream(body), 64 << 10)
            : new InflaterInputStream(
                new ByteArrayInputStream(body), new Inflater(!zlibHeader(body)), 64 << 10)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(body.length * 4, 1 << 20));
      byte[] buf = new byte[64 << 10];
      long total = 0;
      for (int n; (n = in.read(buf)) > 0; ) {
        total += n;
        if (total > limits.maxDecompressedBytes()) {
          throw decompressedTooLarge(limits, "more than " + limits.maxDecompressedBytes() + " bytes");
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    } catch (IOException | RuntimeException e) {
      if (e instanceof LokiPushException lpe) {
        throw lpe;
      }
      throw new LokiPushException(
          400,
          "the body is not "
              + name
              + "-compressed as its Content-Encoding says: "
              + abbreviate(String.valueOf(e.getMessage())));
    }
  }

  /** A zlib stream's two header bytes (RFC 1950): deflate, a window up to 32 KiB, a valid check. */
  private static boolean zlibHeader(byte[] b) {
    return b.length >= 2
        && (b[0] & 0x0f) == 8
        && (b[0] & 0xf0) <= 0x70
        && (((b[0] & 0xff) << 8) | (b[1] & 0xff)) % 31 == 0;
  }

  private static byte[] snappy(byte[] body, LokiPushLimits limits, String what) {
    try {
      long length = SnappyBlocks.declaredLength(body);
      if (length > limits.maxDecompressedBytes()) {
        throw decompressedTooLarge(limits, length + " bytes");
      }
      return Snappy.uncompress(body);
    } catch (IOException | RuntimeException e) {
      if (e instanceof LokiPushException lpe) {
        throw lpe;
      }
      throw new LokiPushException(
          400,
          "the body is not a snappy-compressed (block format, not framed) "
              + what
              + ": "
              + abbreviate(String.valueOf(e.getMessage()))
              + ". The protobuf form is snappy-compressed; send JSON with Content-Type: "
              + JSON_TYPE);
    }
  }

  // ---- protobuf

  private static void parseProtobuf(byte[] raw, LokiPushLimits limits, Mapper mapper) {
    PushRequest request;
    try {
      request = PushRequest.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      throw new LokiPushException(
          400,
          "the decompressed body is not a Loki PushRequest: "
              + abbreviate(String.valueOf(e.getMessage())));
    }
    long entries = 0;
    for (StreamAdapter s : request.getStreamsList()) {
      entries += s.getEntriesCount();
    }
    if (entries > limits.maxEntriesPerRequest()) {
      throw tooManyEntries(limits);
    }
    for (StreamAdapter s : request.getStreamsList()) {
      List<Entry> list = new ArrayList<>(s.getEntriesCount());
      for (EntryAdapter e : s.getEntriesList()) {
        List<String[]> metadata = new ArrayList<>(e.getStructuredMetadataCount());
        for (LabelPairAdapter l : e.getStructuredMetadataList()) {
          metadata.add(new String[] {l.getName(), l.getValue()});
        }
        list.add(new Entry(nanos(e.getTimestamp()), e.getLine().toStringUtf8(), metadata));
      }
      Map<String, String> labels;
      try {
        labels = LokiLabels.parse(s.getLabels());
      } catch (LokiLabels.InvalidLabelsException ex) {
        mapper.rejectStream(ex.getMessage(), list.size());
        continue;
      }
      mapper.stream(labels, list);
    }
  }

  /** Unix nanoseconds, {@link Long#MIN_VALUE} when out of range. */
  private static long nanos(Timestamp t) {
    try {
      return Math.addExact(Math.multiplyExact(t.getSeconds(), 1_000_000_000L), t.getNanos());
    } catch (ArithmeticException e) {
      return Long.MIN_VALUE;
    }
  }

  // ---- JSON

  private static JsonFactory jsonFactory(LokiPushLimits limits) {
    return JsonFactory.builder()
        .streamReadConstraints(
            StreamReadConstraints.builder()
                .maxStringLength((int) Math.min(Integer.MAX_VALUE, limits.maxDecompressedBytes()))
                .build())
        .build();
  }

  private static void parseJson(byte[] raw, LokiPushLimits limits, Mapper mapper) {
    try (JsonParser p = jsonFactory(limits).createParser(raw)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw json(p, "the body is not a JSON object");
      }
      long[] entries = {0};
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        if (!field.equals("streams")) {
          p.skipChildren();
          continue;
        }
        if (t == JsonToken.VALUE_NULL) {
          continue;
        }
        if (t != JsonToken.START_ARRAY) {
          throw json(p, "\"streams\" is not an array");
        }
        int index = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
          jsonStream(p, index++, limits, mapper, entries);
        }
      }
      if (p.nextToken() != null) {
        throw json(p, "unexpected content after the request object");
      }
    } catch (JsonProcessingException e) {
      throw new LokiPushException(
          400,
          "the body is not a Loki push request in JSON: "
              + abbreviate(String.valueOf(e.getOriginalMessage()))
              + where(e.getLocation()));
    } catch (IOException e) {
      throw new LokiPushException(400, "reading the JSON body failed: " + e.getMessage());
    }
  }

  private static void jsonStream(
      JsonParser p, int index, LokiPushLimits limits, Mapper mapper, long[] entries)
      throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw json(p, "streams[" + index + "] is not an object");
    }
    Map<String, String> labels = new LinkedHashMap<>();
    List<Entry> list = new ArrayList<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      switch (field) {
        case "stream" -> {
          if (t == JsonToken.VALUE_NULL) {
            continue;
          }
          if (t != JsonToken.START_OBJECT) {
            throw json(p, "streams[" + index + "].stream is not an object of labels");
          }
          stringObject(p, labels, "streams[" + index + "].stream");
        }
        case "values" -> {
          if (t == JsonToken.VALUE_NULL) {
            continue;
          }
          if (t != JsonToken.START_ARRAY) {
            throw json(p, "streams[" + index + "].values is not an array");
          }
          int i = 0;
          while (p.nextToken() != JsonToken.END_ARRAY) {
            if (++entries[0] > limits.maxEntriesPerRequest()) {
              throw tooManyEntries(limits);
            }
            list.add(jsonEntry(p, "streams[" + index + "].values[" + i++ + "]"));
          }
        }
        default -> p.skipChildren();
      }
    }
    Map<String, String> valid;
    try {
      valid = LokiLabels.of(labels);
    } catch (LokiLabels.InvalidLabelsException e) {
      mapper.rejectStream(e.getMessage(), list.size());
      return;
    }
    mapper.stream(valid, list);
  }

  /** {@code ["<unix ns>", "<line>"]} or {@code ["<unix ns>", "<line>", {"name": "value"}]}. */
  private static Entry jsonEntry(JsonParser p, String where) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw json(p, where + " is not an array [\"<unix nanoseconds>\", \"<line>\"]");
    }
    if (p.nextToken() != JsonToken.VALUE_STRING) {
      throw json(
          p,
          where
              + ": the timestamp is not a string of Unix nanoseconds, e.g."
              + " [\"1700000000000000000\", \"a line\"]");
    }
    String ts = p.getText();
    long nanos;
    try {
      nanos = Long.parseLong(ts);
    } catch (NumberFormatException e) {
      throw json(
          p,
          where
              + ": the timestamp '"
              + abbreviate(ts)
              + "' is not an integer of Unix nanoseconds (a string of decimal digits)");
    }
    if (p.nextToken() != JsonToken.VALUE_STRING) {
      throw json(p, where + ": the line is not a string");
    }
    String line = p.getText();
    List<String[]> metadata = List.of();
    JsonToken t = p.nextToken();
    if (t == JsonToken.START_OBJECT) {
      Map<String, String> m = new LinkedHashMap<>();
      stringObject(p, m, where + "[2] (structured metadata)");
      metadata = new ArrayList<>(m.size());
      for (Map.Entry<String, String> e : m.entrySet()) {
        metadata.add(new String[] {e.getKey(), e.getValue()});
      }
      t = p.nextToken();
    } else if (t != JsonToken.END_ARRAY) {
      throw json(p, where + ": the third element (structured metadata) is not an object");
    }
    if (t != JsonToken.END_ARRAY) {
      throw json(
          p,
          where
              + " has more than 3 elements; an entry is [\"<unix nanoseconds>\", \"<line>\"],"
              + " optionally with an object of structured metadata");
    }
    return new Entry(nanos, line, metadata);
  }

  private static void stringObject(JsonParser p, Map<String, String> into, String where)
      throws IOException {
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      if (p.nextToken() != JsonToken.VALUE_STRING) {
        throw json(p, where + ": the value of '" + abbreviate(name) + "' is not a string");
      }
      into.put(name, p.getText());
    }
  }

  private static JsonProcessingException json(JsonParser p, String message) {
    return new JsonProcessingException(message, p.currentLocation()) {
      private static final long serialVersionUID = 1L;
    };
  }

  private static String where(com.fasterxml.jackson.core.JsonLocation location) {
    return location == null || location.getLineNr() < 0
        ? ""
        : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
  }

  // ---- mapping

  /** One entry as sent: its time (Long.MIN_VALUE when out of range), line and metadata pairs. */
  record Entry(long nanos, String line, List<String[]> metadata) {}

  /** Builds the OTLP request stream by stream, collecting what it leaves out. */
  private static final class Mapper {
    private final LokiPushLimits limits;
    private final long oldestNanos;
    private final long newestNanos;
    private final Duration retention;
    private final ExportLogsServiceRequest.Builder out = ExportLogsServiceRequest.newBuilder();
    private final List<String> problems = new ArrayList<>();
    private long total;
    private long rejected;
    private boolean more;

    Mapper(LokiPushLimits limits, IngestLimits ingestLimits) {
      this.limits = limits;
      this.retention = ingestLimits.logRetention();
      if (retention.isZero()) {
        oldestNanos = Long.MIN_VALUE;
        newestNanos = Long.MAX_VALUE;
      } else {
        long now = ingestLimits.clock().millis();
        oldestNanos = (now - retention.toMillis()) * 1_000_000L;
        newestNanos = (now + PartitionedIndex.MAX_FUTURE.toMillis()) * 1_000_000L;
      }
    }

    void rejectStream(String problem, int entries) {
      total += entries;
      rejected += entries;
      problem(problem);
    }

    private void problem(String problem) {
      if (problems.size() < MAX_PROBLEMS_LISTED) {
        problems.add(problem);
      } else {
        more = true;
      }
    }

    void stream(Map<String, String> labels, List<Entry> entries) {
      total += entries.size();
      String stream = null;
      ScopeLogs.Builder scope = ScopeLogs.newBuilder();
      String labelLevel = null;
      for (String key : LEVEL_KEYS) {
        if (labelLevel == null) {
          labelLevel = labels.get(key);
        }
      }
      for (Entry e : entries) {
        String problem = check(e);
        if (problem != null) {
          rejected++;
          if (problems.size() < MAX_PROBLEMS_LISTED) {
            if (stream == null) {
              stream = abbreviate(describe(labels));
            }
            problem(problem.replace("%s", stream));
          } else {
            more = true;
          }
          continue;
        }
        scope.addLogRecords(record(e, labelLevel));
      }
      if (scope.getLogRecordsCount() == 0) {
        return;
      }
      Resource.Builder resource = Resource.newBuilder().addAttributes(string("service.name", service(labels)));
      labels.forEach((k, v) -> resource.addAttributes(string(k, v)));
      out.addResourceLogs(ResourceLogs.newBuilder().setResource(resource).addScopeLogs(scope));
    }

    /** Null for an entry to keep; else Loki's message, {@code %s} standing for the stream. */
    private String check(Entry e) {
      int bytes = OtlpValues.utf8Length(e.line(), limits.maxLineBytes());
      if (bytes > limits.maxLineBytes()) {
        return "max entry size '"
            + limits.maxLineBytes()
            + "' bytes exceeded for stream '%s' while adding an entry with length '"
            + bytes
            + "' bytes";
      }
      if (e.nanos() == Long.MIN_VALUE) {
        return "entry for stream '%s' has a timestamp out of range (before 1677 or after 2262)";
      }
      if (e.nanos() < 0 && retention.isZero()) {
        return "entry for stream '%s' has a timestamp before 1970: " + time(e.nanos());
      }
      if (e.nanos() < oldestNanos) {
        return "entry for stream '%s' has timestamp too old: "
            + time(e.nanos())
            + ", oldest acceptable timestamp is: "
            + time(oldestNanos)
            + " (the log retention is "
            + human(retention)
            + ")";
      }
      if (e.nanos() > newestNanos) {
        return "entry for stream '%s' has timestamp too new: "
            + time(e.nanos())
            + " (more than "
            + human(PartitionedIndex.MAX_FUTURE)
            + " ahead of the server's clock; check the sender's clock)";
      }
      for (String[] m : e.metadata()) {
        if (m[0].isEmpty()) {
          return "entry for stream '%s' has structured metadata with an empty name";
        }
      }
      return null;
    }

    private static LogRecord record(Entry e, String labelLevel) {
      LogRecord.Builder r =
          LogRecord.newBuilder()
              .setTimeUnixNano(e.nanos())
              .setBody(AnyValue.newBuilder().setStringValue(e.line()));
      String level = null;
      Map<String, String> metadata = new LinkedHashMap<>();
      for (String[] m : e.metadata()) {
        metadata.put(m[0], m[1]);
      }
      for (String key : LEVEL_KEYS) {
        if (level == null) {
          level = metadata.get(key);
        }
      }
      for (Map.Entry<String, String> m : metadata.entrySet()) {
        String name = m.getKey();
        String value = m.getValue();
        if (name.equals("trace_id") && OtlpIds.isValidTraceId(value)) {
          r.setTraceId(OtlpIds.traceIdByteString(value));
        } else if (name.equals("span_id") && OtlpIds.isValidSpanId(value)) {
          r.setSpanId(OtlpIds.spanIdByteString(value));
        } else {
          r.addAttributes(string(name, value));
        }
      }
      if (level == null) {
        level = labelLevel;
      }
      if (level != null && !level.isEmpty()) {
        r.setSeverityText(level).setSeverityNumber(severity(level));
      }
      return r.build();
    }

    Decoded finish(IngestLimits ingestLimits) {
      ExportLogsServiceRequest request = out.build();
      Validation<ExportLogsServiceRequest> v = OtlpSignals.logs().validate(request, ingestLimits);
      long notValid = v.rejectedCount();
      List<String> all = new ArrayList<>(problems);
      if (more) {
        all.add("…");
      }
      if (notValid > 0) {
        all.add(v.errorMessage());
      }
      long left = rejected + notValid;
      if (left == 0) {
        return new Decoded(v.request(), v.accepted(), 0, "");
      }
      StringBuilder message =
          new StringBuilder("rejected ")
              .append(left)
              .append(" of ")
              .append(total)
              .append(total == 1 ? " entry: " : " entries: ")
              .append(String.join("; ", all));
      if (v.accepted() == 0) {
        throw new LokiPushException(400, message.toString());
      }
      message.append(". The other entries were stored");
      return new Decoded(v.request(), v.accepted(), left, message.toString());
    }
  }

  /** The service a stream's labels name; see the class comment. */
  static String service(Map<String, String> labels) {
    for (String key : SERVICE_LABELS) {
      String v = labels.get(key);
      if (v != null && !v.isEmpty()) {
        return v;
      }
    }
    return LogEntry.UNKNOWN_SERVICE;
  }

  /** The severity number of a level as loggers and Loki's level detection spell it. */
  static SeverityNumber severity(String level) {
    return switch (level.trim().toLowerCase(Locale.ROOT)) {
      case "trace", "trc", "finest", "finer" -> SeverityNumber.SEVERITY_NUMBER_TRACE;
      case "debug", "dbg", "fine", "config" -> SeverityNumber.SEVERITY_NUMBER_DEBUG;
      case "info", "inf", "information", "informational", "notice" ->
          SeverityNumber.SEVERITY_NUMBER_INFO;
      case "warn", "warning", "wrn" -> SeverityNumber.SEVERITY_NUMBER_WARN;
      case "error", "err", "eror", "severe" -> SeverityNumber.SEVERITY_NUMBER_ERROR;
      case "fatal", "critical", "crit", "panic", "emerg", "emergency", "alert" ->
          SeverityNumber.SEVERITY_NUMBER_FATAL;
      default -> SeverityNumber.SEVERITY_NUMBER_UNSPECIFIED;
    };
  }

  private static KeyValue string(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  /** Labels as Loki writes a stream: {@code {app="shop", env="prod"}}. */
  static String describe(Map<String, String> labels) {
    StringBuilder b = new StringBuilder("{");
    String sep = "";
    for (Map.Entry<String, String> e : labels.entrySet()) {
      b.append(sep).append(e.getKey()).append("=\"");
      String v = e.getValue();
      for (int i = 0; i < v.length(); i++) {
        char c = v.charAt(i);
        switch (c) {
          case '"' -> b.append("\\\"");
          case '\\' -> b.append("\\\\");
          case '\n' -> b.append("\\n");
          default -> b.append(c);
        }
      }
      b.append('"');
      sep = ", ";
    }
    return b.append('}').toString();
  }

  private static String time(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L))
        .toString();
  }

  private static String human(Duration d) {
    if (d.toHours() % 24 == 0 && d.toDays() > 0) {
      return d.toDays() + (d.toDays() == 1 ? " day" : " days");
    }
    if (d.toMinutes() % 60 == 0 && d.toHours() > 0) {
      return d.toHours() + (d.toHours() == 1 ? " hour" : " hours");
    }
    return d.toString();
  }

  /** The 413 for a body over {@code maxRequestBytes}, known before or while it is read. */
  public static LokiPushException bodyTooLarge(LokiPushLimits limits) {
    return new LokiPushException(
        413,
        "the body is larger than "
            + limits.maxRequestBytes()
            + " bytes; lower the sender's batch size (Promtail's and Alloy's batch_size)");
  }

  private static LokiPushException decompressedTooLarge(LokiPushLimits limits, String size) {
    return new LokiPushException(
        413,
        "the body decompresses to "
            + size
            + "; the limit is "
            + limits.maxDecompressedBytes()
            + " bytes; lower the sender's batch size (Promtail's and Alloy's batch_size)");
  }

  private static LokiPushException tooManyEntries(LokiPushLimits limits) {
    return new LokiPushException(
        413,
        "the request has more than "
            + limits.maxEntriesPerRequest()
            + " entries; lower the sender's batch size (Promtail's and Alloy's batch_size)");
  }

  static String abbreviate(String s) {
    return (s.length() > 200 ? s.substring(0, 200) + "…" : s).replace('\n', ' ');
  }
}
