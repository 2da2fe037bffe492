/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.ingest;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.util.Objects;

/**
 * One validated export request on its way to the stores: the decoded OTLP message and its
 * protobuf encoding (what the write-ahead log keeps). The message is the model: stores index the
 * OTLP classes directly.
 *
 * @param signal what the message holds
 * @param message an {@code Export*ServiceRequest} of that signal
 * @param bytes a protobuf encoding of the message: {@code message.toByteArray()}, or the bytes the
 *     message was parsed from (which parse back to an equal message, unknown fields included)
 */
public record TelemetryBatch(Signal signal, Message message, byte[] bytes) {
  public TelemetryBatch {
    Objects.requireNonNull(signal, "signal");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(bytes, "bytes");
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
}
