/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.log;

import java.util.List;
import java.util.Objects;

/**
 * One page of a log search.
 *
 * @param total how many records match the query in its time range (all pages together)
 * @param logs this page's records, in the query's direction
 * @param nextCursor where the next page starts, or null when this page is the last
 */
public record LogPage(long total, List<LogEntry> logs, String nextCursor) {
  public LogPage {
    logs = List.copyOf(Objects.requireNonNull(logs, "logs"));
  }
}
