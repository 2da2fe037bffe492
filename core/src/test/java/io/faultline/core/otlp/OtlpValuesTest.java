/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.function.DoubleFunction;
import org.junit.jupiter.api.Test;

class OtlpValuesTest {
  private static final DoubleFunction<String> MARKED = d -> "<" + d + ">";

  @Test
  void scalarsPrintPlainly() {
    assertThat(OtlpValues.text(AnyValue.newBuilder().setStringValue("a b").build(), MARKED))
        .isEqualTo("a b");
    assertThat(OtlpValues.text(AnyValue.newBuilder().setBoolValue(false).build(), MARKED))
        .isEqualTo("false");
    assertThat(OtlpValues.text(AnyValue.newBuilder().setIntValue(-42).build(), MARKED))
        .isEqualTo("-42");
    assertThat(
            OtlpValues.text(
                AnyValue.newBuilder()
                    .setBytesValue(ByteString.copyFrom("s3cr3t", StandardCharsets.UTF_8))
                    .build(),
                MARKED))
        .isEqualTo("czNjcjN0");
    assertThat(OtlpValues.text(AnyValue.getDefaultInstance(), MARKED)).isEmpty();
  }

  @Test
  void doublesGoThroughTheCallersFormat() {
    assertThat(OtlpValues.text(AnyValue.newBuilder().setDoubleValue(1.5).build(), MARKED))
        .isEqualTo("<1.5>");
  }

  @Test
  void arraysAndMapsPrintAsJsonInTheirOrder() {
    AnyValue nested =
        AnyValue.newBuilder()
            .setKvlistValue(
                KeyValueList.newBuilder()
                    .addValues(kv("z", AnyValue.newBuilder().setStringValue("x\"y\n\u0001").build()))
                    .addValues(kv("a", AnyValue.newBuilder().setDoubleValue(2.0).build()))
                    .addValues(kv("n", AnyValue.newBuilder().setDoubleValue(Double.NaN).build()))
                    .addValues(kv("u", AnyValue.getDefaultInstance())))
            .build();
    AnyValue array =
        AnyValue.newBuilder()
            .setArrayValue(
                ArrayValue.newBuilder()
                    .addValues(AnyValue.newBuilder().setIntValue(7))
                    .addValues(AnyValue.newBuilder().setBoolValue(true))
                    .addValues(
                        AnyValue.newBuilder()
                            .setBytesValue(ByteString.copyFrom(new byte[] {1, 2})))
                    .addValues(nested))
            .build();

    assertThat(OtlpValues.text(array, MARKED))
        .isEqualTo(
            "[7,true,\"AQI=\",{\"z\":\"x\\\"y\\n\\u0001\",\"a\":<2.0>,\"n\":\"<NaN>\",\"u\":null}]");
  }

  private static KeyValue kv(String key, AnyValue value) {
    return KeyValue.newBuilder().setKey(key).setValue(value).build();
  }

  private static final String[] UTF8_PIECES = {"a", "Z", "é", "ß", "€", "中", "😀", "\u0000", "/"};

  @Test
  void utf8LengthIsExactWheneverItCouldExceedTheLimit() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder b = new StringBuilder();
      int n = random.nextInt(40);
      for (int j = 0; j < n; j++) {
        b.append(UTF8_PIECES[random.nextInt(UTF8_PIECES.length)]);
      }
      String s = b.toString();
      int exact = s.getBytes(StandardCharsets.UTF_8).length;
      int limit = random.nextInt(120);
      int counted = OtlpValues.utf8Length(s, limit);
      if (exact > limit) {
        assertThat(counted).as("seed %d: %s with limit %d", seed, s, limit).isEqualTo(exact);
      } else {
        assertThat(counted).as("seed %d: %s with limit %d", seed, s, limit).isLessThanOrEqualTo(limit);
      }
    }
  }
}
