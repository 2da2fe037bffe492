/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import java.io.IOException;

/** Gets one target's exposition; the network edge of a scrape, replaced in unit tests. */
interface Fetcher {

  /** A 200 response's body, decoded from gzip when it was, and its {@code Content-Type}. */
  record Fetched(String contentType, byte[] body) {}

  /**
   * @throws IOException anything that makes the scrape fail (connection, status other than 200,
   *     timeout, body over {@code maxBytes}), with a message an operator understands
   */
  Fetched fetch(ScrapeTarget target, long maxBytes) throws IOException;
}
