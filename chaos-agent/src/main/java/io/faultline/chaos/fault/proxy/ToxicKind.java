/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import java.util.Locale;
import java.util.Set;

/**
 * What a toxic does. The TCP kinds follow Toxiproxy's toxics of the same names; the HTTP kinds act
 * on whole HTTP/1.1 requests and need a proxy started in {@link FaultProxy.Protocol#HTTP} mode.
 */
public enum ToxicKind {
  /** Delays every chunk by {@code latencyMs} ± {@code jitterMs}. */
  LATENCY(false, Set.of("latencyMs", "jitterMs")),
  /** Limits throughput to {@code rateKbps} kilobytes per second. */
  BANDWIDTH(false, Set.of("rateKbps")),
  /**
   * Drops all data; closes the connection after {@code timeoutMs}, or never when it is 0 (a
   * blackhole: clients time out).
   */
  TIMEOUT(false, Set.of("timeoutMs")),
  /** Resets the connection (TCP RST) after {@code timeoutMs}. */
  RESET_PEER(false, Set.of("timeoutMs")),
  /** Delays the close of the connection by {@code delayMs} once the sender closed it. */
  SLOW_CLOSE(false, Set.of("delayMs")),
  /** Cuts data into pieces of {@code averageSize} ± {@code sizeVariation} bytes, {@code delayMicros} apart. */
  SLICER(false, Set.of("averageSize", "sizeVariation", "delayMicros")),
  /** Closes the connection once {@code bytes} bytes have passed. */
  LIMIT_DATA(false, Set.of("bytes")),
  /** Answers matching requests with {@code status} without forwarding them. */
  HTTP_ABORT(true, Set.of("status")),
  /** Holds matching requests for {@code delayMs} before forwarding them. */
  HTTP_DELAY(true, Set.of("delayMs")),
  /** Answers the first {@code count} matching requests with {@code status}, then lets all pass. */
  HTTP_FAIL_FIRST(true, Set.of("count", "status"));

  private final boolean http;
  private final Set<String> settings;

  ToxicKind(boolean http, Set<String> settings) {
    this.http = http;
    this.settings = settings;
  }

  /** True for the kinds that act on HTTP requests rather than bytes. */
  public boolean http() {
    return http;
  }

  /** The names of this kind's numeric settings. */
  public Set<String> settings() {
    return settings;
  }

  /** {@code latency}, {@code reset_peer}, {@code http_abort}, ... */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static ToxicKind parse(String s) {
    for (ToxicKind k : values()) {
      if (k.wireName().equalsIgnoreCase(s.replace('-', '_'))) {
        return k;
      }
    }
    return null;
  }
}
