/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import org.junit.jupiter.api.Test;

/**
 * OTLP attribute values become label values as pdata's {@code AsString} writes them, which is what
 * Prometheus' OTLP receiver stores (checked against the strings pdata produces).
 */
class AttributeLabelValuesTest {
  private static AnyValue dbl(double d) {
    return AnyValue.newBuilder().setDoubleValue(d).build();
  }

  @Test
  void doublesAreWrittenAsEncodingJsonWritesNumbers() {
    assertThat(OtlpTranslator.asString(dbl(1.5))).isEqualTo("1.5");
    assertThat(OtlpTranslator.asString(dbl(100))).isEqualTo("100");
    assertThat(OtlpTranslator.asString(dbl(1e20))).isEqualTo("100000000000000000000");
    assertThat(OtlpTranslator.asString(dbl(1e21))).isEqualTo("1e+21");
    assertThat(OtlpTranslator.asString(dbl(-2.5e22))).isEqualTo("-2.5e+22");
    assertThat(OtlpTranslator.asString(dbl(0.000001))).isEqualTo("0.000001");
    assertThat(OtlpTranslator.asString(dbl(1e-7))).isEqualTo("1e-7");
    assertThat(OtlpTranslator.asString(dbl(Double.NaN))).isEqualTo("json: unsupported value: NaN");
    assertThat(OtlpTranslator.asString(dbl(Double.POSITIVE_INFINITY)))
        .isEqualTo("json: unsupported value: +Inf");
  }

  @Test
  void arraysAreEncodingJsonWithItsHtmlEscapes() {
    AnyValue array =
        AnyValue.newBuilder()
            .setArrayValue(
                ArrayValue.newBuilder()
                    .addValues(AnyValue.newBuilder().setIntValue(1))
                    .addValues(AnyValue.newBuilder().setStringValue("<a&b>"))
                    .addValues(dbl(1e21))
                    .addValues(dbl(2.0))
                    .addValues(AnyValue.newBuilder().setBoolValue(false)))
            .build();
    assertThat(OtlpTranslator.asString(array))
        .isEqualTo("[1,\"\\u003ca\\u0026b\\u003e\",1e+21,2,false]");
    AnyValue withNaN =
        AnyValue.newBuilder()
            .setArrayValue(ArrayValue.newBuilder().addValues(dbl(Double.NaN)))
            .build();
    assertThat(OtlpTranslator.asString(withNaN)).isEmpty();
  }
}
