/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.trace;

import static org.assertj.core.api.Assertions.assertThat;

import io.faultline.store.TestData;
import io.opentelemetry.proto.common.v1.AnyValue;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TagValuesTest {

  @Test
  void doublesPrintAsTheJaegerUiShowsThem() {
    assertThat(TagValues.renderDouble(1.5)).isEqualTo("1.5");
    assertThat(TagValues.renderDouble(100.0)).isEqualTo("100");
    assertThat(TagValues.renderDouble(-0.25)).isEqualTo("-0.25");
    assertThat(TagValues.renderDouble(0.0)).isEqualTo("0");
    assertThat(TagValues.renderDouble(12345678.9)).isEqualTo("12345678.9");
    assertThat(TagValues.renderDouble(0.00001)).isEqualTo("0.00001");
    assertThat(TagValues.renderDouble(1e21)).isEqualTo("1e+21");
    assertThat(TagValues.renderDouble(1.5e-8)).isEqualTo("1.5e-8");
    // JavaScript switches to exponent form below 1e-6, and prints the shortest digits
    assertThat(TagValues.renderDouble(0.000001)).isEqualTo("0.000001");
    assertThat(TagValues.renderDouble(1.5e-7)).isEqualTo("1.5e-7");
    assertThat(TagValues.renderDouble(2.5e22)).isEqualTo("2.5e+22");
    assertThat(TagValues.renderDouble(-2.5e22)).isEqualTo("-2.5e+22");
    assertThat(TagValues.renderDouble(Double.NaN)).isEqualTo("NaN");
    assertThat(TagValues.renderDouble(Double.NEGATIVE_INFINITY)).isEqualTo("-Infinity");
  }

  @Test
  void scalarsPrintPlainly() {
    assertThat(TagValues.render(TestData.bool("b", false).getValue())).isEqualTo("false");
    assertThat(TagValues.render(TestData.integer("i", -42).getValue())).isEqualTo("-42");
    assertThat(TagValues.render(TestData.string("s", "a b").getValue())).isEqualTo("a b");
    assertThat(
            TagValues.render(
                TestData.bytes("x", "s3cr3t".getBytes(StandardCharsets.UTF_8)).getValue()))
        .isEqualTo("czNjcjN0");
    assertThat(TagValues.render(AnyValue.getDefaultInstance())).isEmpty();
  }

  @Test
  void arraysAndMapsPrintAsJson() {
    AnyValue array =
        TestData.array(
                "a",
                AnyValue.newBuilder().setStringValue("x\"y").build(),
                AnyValue.newBuilder().setIntValue(7).build(),
                AnyValue.newBuilder().setDoubleValue(2.0).build(),
                AnyValue.newBuilder().setBoolValue(true).build())
            .getValue();
    assertThat(TagValues.render(array)).isEqualTo("[\"x\\\"y\",7,2,true]");
    AnyValue map =
        TestData.map("m", TestData.string("tier", "gold"), TestData.integer("age", 4)).getValue();
    assertThat(TagValues.render(map)).isEqualTo("{\"tier\":\"gold\",\"age\":4}");
  }
}
