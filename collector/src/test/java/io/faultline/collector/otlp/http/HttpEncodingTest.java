/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import org.junit.jupiter.api.Test;

class HttpEncodingTest {

  @Test
  void contentTypesAreMatchedWithoutParametersOrCase() {
    assertThat(HttpEncoding.of("application/x-protobuf")).isEqualTo(HttpEncoding.PROTOBUF);
    assertThat(HttpEncoding.of("Application/JSON; charset=UTF-8")).isEqualTo(HttpEncoding.JSON);
    assertThat(HttpEncoding.of("application/json;charset=\"utf-8\"")).isEqualTo(HttpEncoding.JSON);
    assertThat(HttpEncoding.of("application/json; charset=iso-8859-1")).isNull();
    assertThat(HttpEncoding.of("text/plain")).isNull();
    assertThat(HttpEncoding.of("application/x-protobufx")).isNull();
    assertThat(HttpEncoding.of(null)).isNull();
  }

  @Test
  void boundedStreamCountsAndStopsPastItsLimit() throws Exception {
    BoundedInputStream in = new BoundedInputStream(new ByteArrayInputStream(new byte[10]), 8);

    assertThat(in.readNBytes(8)).hasSize(8);
    assertThat(in.exceeded()).isFalse();
    assertThatThrownBy(in::read).isInstanceOf(BoundedInputStream.LimitExceededException.class);
    assertThat(in.exceeded()).isTrue();
    assertThat(in.count()).isEqualTo(9);
  }

  @Test
  void boundedStreamAtExactlyItsLimitIsFine() throws Exception {
    BoundedInputStream in = new BoundedInputStream(new ByteArrayInputStream(new byte[8]), 8);

    assertThat(in.readAllBytes()).hasSize(8);
    assertThat(in.exceeded()).isFalse();
  }
}
