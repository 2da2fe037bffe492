/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.faultline.web.prometheus.PromFormat;
import java.math.BigDecimal;

/** Numbers as Loki writes them in metric answers. */
final class LokiFormat {
  private LokiFormat() {}

  /**
   * A sample value: Go's {@code strconv.FormatFloat(v, 'f', -1, 64)}, i.e. the shortest decimal
   * that reads back as {@code v}, never in exponent form; {@code NaN}, {@code +Inf}, {@code -Inf}.
   */
  static String value(double v) {
    return PromFormat.scalarValue(v);
  }

  /** A sample time: Unix seconds as a JSON number, with the milliseconds when there are any. */
  static JsonNode time(long millis) {
    if (millis % 1000 == 0) {
      return JsonNodeFactory.instance.numberNode(millis / 1000);
    }
    return JsonNodeFactory.instance.numberNode(BigDecimal.valueOf(millis, 3).stripTrailingZeros());
  }
}
