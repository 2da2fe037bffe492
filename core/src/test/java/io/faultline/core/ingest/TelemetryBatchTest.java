/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import org.junit.jupiter.api.Test;

class TelemetryBatchTest {
  private static final ExportTraceServiceRequest TRACES =
      ExportTraceServiceRequest.newBuilder()
          .addResourceSpans(ResourceSpans.newBuilder().setSchemaUrl("s"))
          .build();

  @Test
  void givesTheDecodedMessageItself() throws Exception {
    TelemetryBatch batch = TelemetryBatch.of(Signal.TRACES, TRACES);
    assertThat(batch.messageAs(ExportTraceServiceRequest.getDefaultInstance())).isSameAs(TRACES);
  }

  @Test
  void parsesTheBytesWhenTheMessageIsOfAnotherType() throws Exception {
    TelemetryBatch batch =
        new TelemetryBatch(
            Signal.TRACES, ExportLogsServiceRequest.getDefaultInstance(), TRACES.toByteArray());
    assertThat(batch.messageAs(ExportTraceServiceRequest.getDefaultInstance())).isEqualTo(TRACES);
  }

  @Test
  void bytesThatAreNoSuchMessageThrow() {
    TelemetryBatch batch =
        new TelemetryBatch(
            Signal.TRACES, ExportLogsServiceRequest.getDefaultInstance(), new byte[] {(byte) 0xff});
    assertThatThrownBy(() -> batch.messageAs(ExportTraceServiceRequest.getDefaultInstance()))
        .isInstanceOf(InvalidProtocolBufferException.class);
  }

  @Test
  void aBatchOfBytesAloneParsesThemWhenItsMessageIsAskedFor() throws Exception {
    TelemetryBatch batch = new TelemetryBatch(Signal.TRACES, null, TRACES.toByteArray());
    assertThat(batch.message()).isEqualTo(TRACES);
    assertThat(batch.messageAs(ExportTraceServiceRequest.getDefaultInstance())).isEqualTo(TRACES);
    TelemetryBatch broken = new TelemetryBatch(Signal.TRACES, null, new byte[] {(byte) 0xff});
    assertThatThrownBy(broken::message)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("TRACES batch holds bytes that are not its request");
  }
}
