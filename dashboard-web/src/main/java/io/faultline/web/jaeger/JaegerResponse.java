/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.jaeger;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The envelope of every Jaeger query API answer: {@code
 * {"data":...,"total":N,"limit":0,"offset":0,"errors":null}}. Jaeger fills {@code total} only for
 * service and operation lists, and never pages, so {@code limit} and {@code offset} stay 0.
 */
public record JaegerResponse(
    @JsonInclude(JsonInclude.Include.ALWAYS) Object data,
    int total,
    int limit,
    int offset,
    @JsonInclude(JsonInclude.Include.ALWAYS) List<Error> errors) {

  /**
   * One error. {@code code} is the HTTP status for a failed request and absent for a per-trace
   * error inside a successful search ({@code traceID} then names the trace).
   */
  public record Error(
      @JsonInclude(JsonInclude.Include.NON_NULL) Integer code,
      String msg,
      @JsonInclude(JsonInclude.Include.NON_NULL) String traceID) {}

  public static JaegerResponse of(Object data) {
    return new JaegerResponse(data, 0, 0, 0, null);
  }

  public static JaegerResponse counted(List<?> data) {
    return new JaegerResponse(data, data.size(), 0, 0, null);
  }

  public static JaegerResponse withErrors(Object data, List<Error> errors) {
    return new JaegerResponse(data, 0, 0, 0, errors.isEmpty() ? null : List.copyOf(errors));
  }

  public static JaegerResponse error(int status, String message) {
    return new JaegerResponse(null, 0, 0, 0, List.of(new Error(status, message, null)));
  }
}
