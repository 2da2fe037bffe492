/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.log;

import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import java.util.Objects;

/**
 * One stored log record, losslessly: a {@link ResourceLogs} with its resource (and schema URL), one
 * {@code ScopeLogs} with the scope, and the one {@link LogRecord}.
 */
public record LogEntry(ResourceLogs resourceLogs) {

  /** The service name a record has when its resource names none, as OpenTelemetry does. */
  public static final String UNKNOWN_SERVICE = "unknown_service";

  public LogEntry {
    Objects.requireNonNull(resourceLogs, "resourceLogs");
    if (resourceLogs.getScopeLogsCount() != 1
        || resourceLogs.getScopeLogs(0).getLogRecordsCount() != 1) {
      throw new IllegalArgumentException("a log entry holds exactly one scope with one record");
    }
  }

  public LogRecord record() {
    return resourceLogs.getScopeLogs(0).getLogRecords(0);
  }

  public Resource resource() {
    return resourceLogs.getResource();
  }

  public InstrumentationScope scope() {
    return resourceLogs.getScopeLogs(0).getScope();
  }

  /**
   * The record's time in nanoseconds since the epoch: its {@code time_unix_nano}, or its {@code
   * observed_time_unix_nano} when that is unset (0), as the OpenTelemetry log data model says.
   */
  public long timestampNanos() {
    return timestampNanos(record());
  }

  /** {@code service.name} of the resource (a string), else {@link #UNKNOWN_SERVICE}. */
  public String service() {
    return service(resource());
  }

  /**
   * Loki's {@code level} of this record: {@code trace|debug|info|warn|error|fatal} from the
   * severity number's range when set, else from the severity text's usual spellings, else {@code
   * unknown}.
   */
  public String level() {
    return level(record().getSeverityNumberValue(), record().getSeverityText());
  }

  /** See {@link #level()}. */
  public static String level(int severityNumber, String severityText) {
    if (severityNumber >= 1 && severityNumber <= 24) {
      return switch ((severityNumber - 1) / 4) {
        case 0 -> "trace";
        case 1 -> "debug";
        case 2 -> "info";
        case 3 -> "warn";
        case 4 -> "error";
        default -> "fatal";
      };
    }
    return switch (severityText.toLowerCase(java.util.Locale.ROOT)) {
      case "trace", "finest", "finer" -> "trace";
      case "debug", "fine", "config" -> "debug";
      case "info", "information", "notice" -> "info";
      case "warn", "warning" -> "warn";
      case "error", "err", "severe" -> "error";
      case "fatal", "critical", "crit", "panic", "emerg", "alert" -> "fatal";
      default -> "unknown";
    };
  }

  /**
   * Whether a resource attribute named {@code key} is one of Loki's stream labels when its value
   * is a non-empty string: a name Loki allows for a label ({@code [a-zA-Z_][a-zA-Z0-9_]*}, not
   * starting with {@code __}, which Loki reserves). Loki's push API stores each stream label as a
   * resource attribute of that name, so the read side gives such attributes back as labels;
   * OpenTelemetry's own resource attributes ({@code service.name}, {@code host.name}, …) contain
   * dots and are never labels this way.
   */
  public static boolean isStreamLabelKey(String key) {
    if (key.isEmpty() || key.startsWith("__")) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      boolean ok =
          c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** The value of a string resource attribute, or null. */
  public String resourceString(String key) {
    for (KeyValue kv : resource().getAttributesList()) {
      if (kv.getKey().equals(key) && kv.getValue().hasStringValue()) {
        return kv.getValue().getStringValue();
      }
    }
    return null;
  }

  /** See {@link #timestampNanos()}. */
  public static long timestampNanos(LogRecord record) {
    return record.getTimeUnixNano() != 0 ? record.getTimeUnixNano() : record.getObservedTimeUnixNano();
  }

  /** See {@link #service()}. */
  public static String service(Resource resource) {
    for (KeyValue kv : resource.getAttributesList()) {
      if (kv.getKey().equals("service.name")
          && kv.getValue().hasStringValue()
          && !kv.getValue().getStringValue().isEmpty()) {
        return kv.getValue().getStringValue();
      }
    }
    return UNKNOWN_SERVICE;
  }
}
