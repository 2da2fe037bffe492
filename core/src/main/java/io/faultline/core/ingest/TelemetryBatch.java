/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.ingest;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.faultline.core.prometheus.WriteRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.util.Objects;

/**
 * One validated export request on its way to the stores: the decoded OTLP message and its
 * protobuf encoding (what the write-ahead log keeps). The message is the model: stores index the
 * OTLP classes directly.
 *
 * <p>A receiver that checked a request in its wire form without building messages (remote write,
 * whose store reads the wire bytes) hands over the bytes alone, with a null message; {@link
 * #message()} then parses them when someone asks.
 *
 * @param signal what the message holds
 * @param message an {@code Export*ServiceRequest} of that signal (a {@code WriteRequest} for
 *     remote write); null when only the bytes were kept
 * @param bytes a protobuf encoding of the message: {@code message.toByteArray()}, or the bytes the
 *     message was parsed from (which parse back to an equal message, unknown fields included)
 */
public record TelemetryBatch(Signal signal, Message message, byte[] bytes) {
  public TelemetryBatch {
    Objects.requireNonNull(signal, "signal");
    Objects.requireNonNull(bytes, "bytes");
  }

  /**
   * The decoded message: the one this batch was built with, else parsed from the bytes (a new
   * instance per call).
   *
   * @throws IllegalStateException when the bytes do not parse, which a receiver rules out before
   *     it builds a batch
   */
  @Override
  public Message message() {
    if (message != null) {
      return message;
    }
    try {
      return parse(signal, bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(
          "a " + signal + " batch holds bytes that are not its request: " + e.getMessage(), e);
    }
  }

  /**
   * The message as the type of {@code prototype}: the decoded message when it is one, else parsed
   * from the bytes.
   *
   * @throws InvalidProtocolBufferException when the bytes are no such message; the write-ahead log
   *     checksums its records, so that is a bug upstream, and an indexer logs it and skips the batch
   */
  @SuppressWarnings("unchecked")
  public <T extends Message> T messageAs(T prototype) throws InvalidProtocolBufferException {
    if (prototype.getClass().isInstance(message)) {
      return (T) message;
    }
    return (T) prototype.getParserForType().parseFrom(bytes);
  }

  /** A batch whose bytes are computed from the message. */
  public static TelemetryBatch of(Signal signal, Message message) {
    return new TelemetryBatch(signal, message, message.toByteArray());
  }

  /** Parses a request of {@code signal}. */
  public static Message parse(Signal signal, byte[] payload) throws InvalidProtocolBufferException {
    return switch (signal) {
      case TRACES -> ExportTraceServiceRequest.parseFrom(payload);
      case LOGS -> ExportLogsServiceRequest.parseFrom(payload);
      case METRICS -> ExportMetricsServiceRequest.parseFrom(payload);
      case PROMETHEUS_WRITE -> WriteRequest.parseFrom(payload);
    };
  }
}
