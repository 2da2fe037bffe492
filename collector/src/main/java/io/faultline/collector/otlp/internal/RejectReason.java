/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

/**
 * Why an item (a span, later a log record or data point) was not stored. The label is what
 * clients read in {@code partialSuccess.error_message} and what the {@code reason} label of
 * {@code faultline_receiver_items_total} says.
 */
public enum RejectReason {
  INVALID_TRACE_ID("invalid_trace_id", true),
  INVALID_SPAN_ID("invalid_span_id", true),
  INVALID_PARENT_SPAN_ID("invalid_parent_span_id", true),
  INVALID_LINK("invalid_link", true),
  INVALID_METRIC("invalid_metric", true),
  INVALID_DATA_POINT("invalid_data_point", true),
  TOO_MANY_SPANS("too_many_spans", false),
  TOO_MANY_DATA_POINTS("too_many_data_points", false),
  TOO_MANY_LOG_RECORDS("too_many_log_records", false),
  TOO_MANY_ATTRIBUTES("too_many_attributes", false),
  ATTRIBUTE_VALUE_TOO_LONG("attribute_value_too_long", false),
  NAME_TOO_LONG("name_too_long", false),
  SPAN_TOO_OLD("span_too_old", false),
  SPAN_TOO_NEW("span_too_new", false),
  POINT_TOO_OLD("point_too_old", false),
  POINT_TOO_NEW("point_too_new", false),
  LOG_RECORD_TOO_OLD("log_record_too_old", false),
  LOG_RECORD_TOO_NEW("log_record_too_new", false),
  BACKPRESSURE("backpressure", false),
  SINK_FAILURE("sink_failure", false);

  private final String label;
  private final boolean malformed;

  RejectReason(String label, boolean malformed) {
    this.label = label;
    this.malformed = malformed;
  }

  public String label() {
    return label;
  }

  /** True when the item breaks the OTLP protocol itself rather than one of our limits. */
  public boolean malformed() {
    return malformed;
  }
}
