/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.metric;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The answer to a PromQL query in the shape of Prometheus' HTTP API {@code data} object:
 *
 * <ul>
 *   <li>{@code vector}: {@link #series()}, each with exactly one sample (at the evaluation time),
 *       rendered {@code {"metric":{...},"value":[t,"v"]}}, in the order given (it matters after
 *       {@code sort()} and {@code topk()}).
 *   <li>{@code matrix}: {@link #series()} with one or more samples each, rendered {@code
 *       {"metric":{...},"values":[[t,"v"],...]}}, sorted by labels.
 *   <li>{@code scalar}: {@link #scalar()} at {@link #timeMs()}, rendered {@code [t,"v"]}.
 *   <li>{@code string}: {@link #string()} at {@link #timeMs()}, rendered {@code [t,"s"]}.
 * </ul>
 *
 * <p>Times render with {@link #formatTime(long)} (seconds as a JSON number) and values with {@link
 * #formatValue(double)} (a JSON string), exactly as Prometheus does. {@link #warnings()} and
 * {@link #infos()} go to the envelope's {@code warnings} and {@code infos}.
 *
 * @param type what the result holds
 * @param series the vector or matrix (empty for scalar and string)
 * @param timeMs the evaluation time of a scalar or string (the instant of an instant query)
 * @param scalar the value of a scalar result (NaN otherwise)
 * @param string the value of a string result (null otherwise)
 * @param warnings Prometheus' warning annotations ({@code PromQL warning: ...})
 * @param infos Prometheus' info annotations ({@code PromQL info: ...})
 */
public record PromqlResult(
    ResultType type,
    List<Series> series,
    long timeMs,
    double scalar,
    String string,
    List<String> warnings,
    List<String> infos) {

  public PromqlResult {
    Objects.requireNonNull(type, "type");
    series = List.copyOf(series);
    warnings = List.copyOf(warnings);
    infos = List.copyOf(infos);
  }

  /** Prometheus' {@code resultType}. */
  public enum ResultType {
    VECTOR("vector"),
    MATRIX("matrix"),
    SCALAR("scalar"),
    STRING("string");

    private final String apiName;

    ResultType(String apiName) {
      this.apiName = apiName;
    }

    /** The name used in the HTTP API's {@code resultType} field. */
    public String apiName() {
      return apiName;
    }
  }

  /**
   * One series of a vector or matrix. The arrays are parallel, ascending in time, owned by the
   * result and must not be modified.
   *
   * @param labels the label set ({@code __name__} included when present), sorted by name
   * @param timestampsMs sample times in milliseconds
   * @param values sample values
   */
  public record Series(Map<String, String> labels, long[] timestampsMs, double[] values) {
    public Series {
      Objects.requireNonNull(labels, "labels");
      if (timestampsMs.length != values.length) {
        throw new IllegalArgumentException("timestamps and values differ in length");
      }
    }
  }

  /** A timestamp as Prometheus renders it: seconds, up to three decimals ({@code 1435781451.781}). */
  public static String formatTime(long ms) {
    return BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString();
  }

  /**
   * A sample value as Prometheus renders it (Go's {@code strconv.FormatFloat(v, 'f', -1, 64)}):
   * {@code "1"}, {@code "0.25"}, {@code "1500000"}, {@code "NaN"}, {@code "+Inf"}, {@code "-Inf"}.
   */
  public static String formatValue(double v) {
    return GoFloats.f(v);
  }
}
