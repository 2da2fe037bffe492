/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

class OtlpIdsTest {

  @Test
  void traceIdRoundTripsAndPrintsLowerCase() {
    byte[] id = OtlpIds.traceIdFromHex("5B8EFFF798038103D269B633813FC60C");

    assertThat(id).hasSize(16);
    assertThat(id[0]).isEqualTo((byte) 0x5b);
    assertThat(id[15]).isEqualTo((byte) 0x0c);
    assertThat(OtlpIds.toHex(id)).isEqualTo("5b8efff798038103d269b633813fc60c");
    assertThat(OtlpIds.toHex(ByteString.copyFrom(id)))
        .isEqualTo("5b8efff798038103d269b633813fc60c");
  }

  @Test
  void spanIdRoundTrips() {
    assertThat(OtlpIds.toHex(OtlpIds.spanIdFromHex("eee19b7ec3c1b174")))
        .isEqualTo("eee19b7ec3c1b174");
    assertThat(OtlpIds.spanIdByteString("EEE19B7EC3C1B174").toByteArray())
        .hasSize(8)
        .startsWith((byte) 0xee, (byte) 0xe1)
        .endsWith((byte) 0x74);
  }

  @Test
  void rejectsWrongLengthWithTheExpectedLength() {
    assertThatThrownBy(() -> OtlpIds.traceIdFromHex("5b8e"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("trace id: expected 32 hex characters, got 4");
    assertThatThrownBy(() -> OtlpIds.spanIdFromHex("5b8efff798038103d269b633813fc60c"))
        .hasMessage("span id: expected 16 hex characters, got 32");
    assertThatThrownBy(() -> OtlpIds.spanIdFromHex(null)).hasMessageContaining("got null");
  }

  @Test
  void rejectsNonHexCharactersNamingTheIndex() {
    assertThatThrownBy(() -> OtlpIds.traceIdFromHex("5b8efff798038103d269b633813fc60g"))
        .hasMessage("trace id: invalid hex character 'g' at index 31");
    assertThatThrownBy(() -> OtlpIds.spanIdFromHex("eee19b7e c3c1b17"))
        .hasMessage("span id: invalid hex character '\\u0020' at index 8");
    assertThatThrownBy(() -> OtlpIds.spanIdFromHex("+ee19b7ec3c1b174"))
        .hasMessageContaining("'+' at index 0");
  }

  @Test
  void validityFollowsW3cTraceContext() {
    assertThat(OtlpIds.isValidTraceId("5b8efff798038103d269b633813fc60c")).isTrue();
    assertThat(OtlpIds.isValidTraceId("5B8EFFF798038103D269B633813FC60C")).isTrue();
    assertThat(OtlpIds.isValidTraceId("00000000000000000000000000000000")).isFalse();
    assertThat(OtlpIds.isValidTraceId("5b8efff798038103d269b633813fc60")).isFalse();
    assertThat(OtlpIds.isValidTraceId("5b8efff798038103d269b633813fc6zz")).isFalse();
    assertThat(OtlpIds.isValidTraceId((String) null)).isFalse();
    assertThat(OtlpIds.isValidSpanId("eee19b7ec3c1b174")).isTrue();
    assertThat(OtlpIds.isValidSpanId("0000000000000000")).isFalse();
    assertThat(OtlpIds.isValidSpanId("eee19b7ec3c1b17")).isFalse();

    assertThat(OtlpIds.isValidTraceId(new byte[16])).isFalse();
    assertThat(OtlpIds.isValidTraceId(OtlpIds.traceIdFromHex("0000000000000000000000000000000a")))
        .isTrue();
    assertThat(OtlpIds.isValidTraceId(new byte[8])).isFalse();
    assertThat(OtlpIds.isValidSpanId(OtlpIds.spanIdByteString("0000000000000001"))).isTrue();
    assertThat(OtlpIds.isValidSpanId(ByteString.EMPTY)).isFalse();
  }

  @Test
  void allZeroIdIsWellFormed() {
    assertThat(OtlpIds.traceIdFromHex("00000000000000000000000000000000")).containsOnly(0);
  }
}
